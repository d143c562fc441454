"""The CJK font of the sheets, embedded as TrueType (Type 42) so text stays text.

Noto Sans CJK (Debian ``fonts-noto-cjk``, installed by the Makefile) is preferred; any
installed font that covers Chinese is accepted. PDFs embed a subset of it, so the text of a
sheet can be searched and copied.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import matplotlib as mpl
from matplotlib import font_manager

from gis.errors import InputError

#: Families tried in order; the first installed one is used.
PREFERRED = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN",
)  # fmt: skip
_SEARCH = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype")


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """The family name of an installed font with Chinese glyphs.

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
    for family in PREFERRED:
        if family in names:
            return family
    raise InputError(
        "no font with Chinese glyphs is installed",
        fix="install Noto Sans CJK (Debian: apt-get install fonts-noto-cjk, or make system)",
    )


def style() -> dict:
    """Matplotlib rc settings of every sheet: the CJK font, TrueType embedding, vector PDF."""
    return {
        "font.family": [cjk_family(), "DejaVu Sans"],
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
