"""Map symbols: facility classes, and the colours of the sheet's layers.

Service points (major class 90) get large filled symbols in strong colours, as residents
look for them; municipal components (01–06) small symbols in their major class's colour,
each minor class with its own shape. A class not listed here gets a shape and colour
derived from its code, so that two classes on one sheet never share a symbol.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Colours of the layers (hex RGB).
GRID_MAGENTA = "#E4007F"
GRID_HALO = "#F7B2D6"
NEIGHBOUR = "#8A8A8A"
COMMUNITY = "#4D4D4D"
BUILDING_FILL, BUILDING_EDGE = "#E8D9C4", "#9C8466"
CONTEXT_FILL, CONTEXT_EDGE = "#EDEDED", "#C4C4C4"
COMPOUND_FILL, COMPOUND_EDGE, COMPOUND_TEXT = "#EEF4E4", "#8DB26B", "#4E7A2A"
ROAD_FILL, ROAD_CASING, ROAD_TEXT = "#FFFFFF", "#B5B5B5", "#5A5A5A"
LABEL_TEXT = "#3B2F22"


@dataclass(frozen=True)
class Symbol:
    """How one facility class is drawn.

    Attributes
    ----------
    marker : str
        A matplotlib marker.
    colour : str
        Face colour.
    size : float
        Marker size in points at A4 (scaled with the paper).
    """

    marker: str
    colour: str
    size: float


_MAJOR_COLOURS = {
    "01": "#1F5FA8", "02": "#6A3D9A", "03": "#8C564B", "04": "#2E8B3E", "05": "#B8860B",
    "06": "#555555", "90": "#D62728",
}  # fmt: skip

SYMBOLS: dict[str, Symbol] = {
    # service points: large and bright
    "9001": Symbol("H", "#D62728", 9.0),
    "9002": Symbol("P", "#E5352B", 9.0),
    "9003": Symbol("p", "#1F4E9E", 9.0),
    "9004": Symbol("P", "#B30000", 9.0),
    "9005": Symbol("s", "#F28E1C", 8.0),
    "9006": Symbol("D", "#C2185B", 7.5),
    # public facilities
    "0101": Symbol("o", "#1F77B4", 4.5),
    "0102": Symbol("o", "#7F5A3A", 4.5),
    "0103": Symbol("o", "#17BECF", 4.5),
    "0105": Symbol("s", "#D4A017", 4.0),
    "0107": Symbol("s", "#2CA02C", 4.0),
    "0110": Symbol("o", "#E377C2", 4.5),
    "0111": Symbol("o", "#FF7F0E", 4.5),
    "0115": Symbol("v", "#D62728", 5.5),
    "0116": Symbol("|", "#444444", 5.5),
    "0117": Symbol("*", "#E8A100", 6.5),
    "0118": Symbol("^", "#9467BD", 5.5),
    "0119": Symbol("d", "#1F5FA8", 5.0),
    "0120": Symbol("s", "#7F7F7F", 4.0),
    "0121": Symbol("8", "#1F5FA8", 5.0),
    "0122": Symbol("h", "#8C564B", 5.0),
    "0123": Symbol("8", "#2CA02C", 5.0),
    # roads and traffic
    "0201": Symbol("^", "#6A3D9A", 6.0),
    "0202": Symbol("s", "#3D5A98", 6.0),
    # environment
    "0301": Symbol("X", "#8C564B", 6.0),
    "0304": Symbol("v", "#4E7A2A", 5.0),
    "0305": Symbol("s", "#4E7A2A", 5.5),
    # green
    "0401": Symbol("*", "#2E8B3E", 7.0),
    "0402": Symbol("o", "#7FBF3F", 6.0),
    "0601": Symbol("d", "#555555", 5.0),
}

_FALLBACK_MARKERS = ("o", "s", "^", "v", "D", "p", "h", "<", ">", "8", "d", "H")


def symbol_for(code: str) -> Symbol:
    """The symbol of facility class ``code`` (4 digits); derived from the code if unlisted."""
    if code in SYMBOLS:
        return SYMBOLS[code]
    colour = _MAJOR_COLOURS.get(code[:2], "#555555")
    marker = _FALLBACK_MARKERS[int(code[2:] or 0) % len(_FALLBACK_MARKERS)]
    return Symbol(marker, colour, 6.0 if code[:2] == "90" else 5.0)


def is_service_point(code: str) -> bool:
    """Whether class ``code`` is a convenience service point (major class 90): labelled by name."""
    return code.startswith("90")
