"""The CJK font of the sheets, embedded as TrueType (Type 42) so text stays text.

Noto Sans CJK SC (Debian ``fonts-noto-cjk``, installed by the Makefile) is preferred; any
installed font that covers Chinese is accepted. PDFs embed a subset of the glyphs used, so
the text of a sheet can be searched and copied.

Subsetting the whole Noto CJK font (65,000 glyphs) costs about 0.4 s of CPU per font per
PDF. So, once per machine, a *print font* is derived from it: the GB 2312 characters
(6,763 hanzi, which cover place names and staff names in practice), ASCII, Latin-1 and
CJK punctuation, without the layout tables a sheet does not use. It is cached under
``$XDG_CACHE_HOME/wangge/fonts`` (about 11 s to build, 1.6 MB). A character outside it
falls back, glyph by glyph, to the full Noto font, so nothing is lost.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

from gis.errors import InputError

#: Families tried in order; the first installed one is used.
PREFERRED = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN",
)  # fmt: skip
PRINT_FAMILY = "Wangge Print Sans SC"
_NOTO = {
    "Regular": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    "Bold": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
}
_SEARCH = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype")
_KEPT_BLOCKS = (
    (0x20, 0x7F), (0xA0, 0x180), (0x2000, 0x2070), (0x2100, 0x2200), (0x2460, 0x2500),
    (0x25A0, 0x2700), (0x3000, 0x3040), (0xFF00, 0xFFF0),
)  # fmt: skip


def cache_dir() -> Path:
    """Where derived print fonts are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "wangge" / "fonts"


def print_characters() -> set[int]:
    """Code points of the print font: GB 2312, ASCII, Latin-1, CJK and general punctuation."""
    kept = {c for start, end in _KEPT_BLOCKS for c in range(start, end)}
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                kept.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return kept


def derive_print_font(source: Path, style: str, folder: Path) -> Path:
    """The print font derived from the Noto CJK collection ``source`` (built once, cached).

    Written to a temporary file and renamed, so processes building it at once do not
    see a half-written font.
    """
    stamp = source.stat()
    target = folder / f"WanggePrintSans-{style}-{stamp.st_size}-{int(stamp.st_mtime)}.otf"
    if target.exists():
        return target
    from fontTools import subset  # noqa: PLC0415 - only needed once per machine
    from fontTools.ttLib import TTCollection, TTFont  # noqa: PLC0415

    names = [f["name"].getDebugName(1) for f in TTCollection(str(source)).fonts]
    font = TTFont(str(source), fontNumber=names.index("Noto Sans CJK SC"))
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG", "JSTF"]
    options.name_IDs = ["*"]
    options.hinting = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=print_characters())
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = PRINT_FAMILY
        elif record.nameID == 4:
            record.string = f"{PRINT_FAMILY} {style}"
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".otf")
    os.close(handle)
    font.save(temporary)
    os.replace(temporary, target)
    return target


def _print_font() -> str | None:
    """Register the derived print fonts; their family, or ``None`` without Noto CJK."""
    if not all(path.exists() for path in _NOTO.values()):
        return None
    try:
        for style, source in _NOTO.items():
            font_manager.fontManager.addfont(str(derive_print_font(source, style, cache_dir())))
    except (OSError, ValueError, KeyError):  # pragma: no cover - unreadable or odd font
        return None
    return PRINT_FAMILY


@lru_cache(maxsize=1)
def cjk_families() -> tuple[str, ...]:
    """Font families of the sheets: the print font (if derived), then a full CJK font.

    Raises
    ------
    InputError
        No CJK font installed.
    """
    for folder in _SEARCH:
        for path in font_manager.findSystemFonts(fontpaths=[folder]):
            if "CJK" in path or "wqy" in path.lower():
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # pragma: no cover - bad font file
                    continue
    names = {f.name for f in font_manager.fontManager.ttflist}
    full = next((family for family in PREFERRED if family in names), None)
    if full is None:
        raise InputError(
            "no font with Chinese glyphs is installed",
            fix="install Noto Sans CJK (Debian: apt-get install fonts-noto-cjk, or make system)",
        )
    derived = _print_font() if full == "Noto Sans CJK SC" else None
    return (derived, full) if derived else (full,)


def cjk_family() -> str:
    """The first font family of the sheets."""
    return cjk_families()[0]


def style() -> dict:
    """Matplotlib rc settings of every sheet: the CJK fonts, TrueType embedding, vector PDF."""
    return {
        "font.family": [*cjk_families(), "DejaVu Sans"],
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "pdf.compression": 9,
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
        "path.simplify": True,
    }


#: matplotlib's rc settings are global to the process: sheets composed or saved in two
#: threads at once (the API's thread pool, an atlas job) would restore each other's settings
#: half-way (a PDF saved with Type 3 fonts). One lock makes each block whole.
_LOCK = threading.RLock()


@contextmanager
def use() -> Iterator[None]:
    """Hold the rendering lock, with :func:`style` applied."""
    with _LOCK, mpl.rc_context(style()):
        yield
