"""The grid planning page (网格规划): run, paint, check, lock, re-run and publish plans.

One HTML page from a Jinja template with the vendored Leaflet; its script
(``static/wangge-plan.js``) logs in through the app's ``/login`` flow and works on a plan
through the API only: the plan's grids and buildings are read once, an edit (a click, a
brush stroke or a box of buildings painted into a grid) is shown at once and saved to the
server as one batch of moves with the plan version it was made on, so two people editing
one draft never overwrite each other silently. The live panel (households against the
band, pieces, compactness, compounds split, estimated households) is computed in the page
from what it holds, so it follows an edit without waiting for the server.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from map_ui.jinja import environment

#: Undo steps the page keeps (the issue asks for at least 50).
UNDO_STEPS = 100
#: Categorical fill colours of grids (ColorBrewer Set3 and Paired, light enough for labels).
GRID_COLOURS = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
    "#bc80bd", "#ccebc5", "#ffed6f", "#a6cee3", "#b2df8a", "#fdbf6f", "#cab2d6", "#d9d9d9",
)  # fmt: skip


@dataclass(frozen=True)
class PlannerConfig:
    """What the planning script needs.

    Attributes
    ----------
    plan_id : int or None
        The plan to open; ``None`` opens the list of plans and the run form.
    directory : list of dict
        Streets with their communities (``[{code, name, communities: [{code, name}]}]``),
        for the auto-partition form.
    target, tolerance : int, float
        Defaults of the run form: households per grid and allowed relative deviation.
    bounds : list of float or None
        ``[minx, miny, maxx, maxy]`` in EPSG:4326 degrees to fit the view to before a plan
        is open.
    basemap : list of dict
        Tile layers under the data (``{url, subdomains, attribution, max_zoom}``).
    coords : {"wgs84", "gcj02"}
        The basemap's coordinates; with ``gcj02`` every outline is shifted to lie on it.
    attribution : str
        Credit for the data drawn.
    undo_steps : int
        How many edits can be undone.
    colours : list of str
        Grid fill colours, used in turn by grid number.
    roles : dict
        Account role → its Chinese title, to say who is logged in.
    api_url : str
        Root of the API (``""`` for the app that serves the page).
    """

    plan_id: int | None = None
    directory: list[dict] = field(default_factory=list)
    target: int = 300
    tolerance: float = 0.15
    bounds: list[float] | None = None
    basemap: list[dict] = field(default_factory=list)
    coords: str = "wgs84"
    attribution: str = ""
    undo_steps: int = UNDO_STEPS
    colours: list[str] = field(default_factory=lambda: list(GRID_COLOURS))
    roles: dict[str, str] = field(default_factory=dict)
    api_url: str = ""


def render_planner(title: str, config: PlannerConfig, static_url: str) -> str:
    """The page's HTML: the template with the config as JSON for the script."""
    payload = json.dumps(asdict(config), ensure_ascii=False).replace("</", "<\\/")
    return (
        environment()
        .get_template("planner.html")
        .render(title=title, static=static_url, config=payload)
    )
