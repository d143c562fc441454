"""The sheet's panels around the map: title, grid facts and staff, QR code, footer.

Each panel is an axes whose data coordinates are millimetres of its box (origin at the
box's lower left), so positions read as a designer would measure them on paper.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from map_ui.print.content import GridSheet, SheetOptions
from map_ui.print.layout import Layout
from map_ui.print.qr import draw_qr
from map_ui.print.symbols import GRID_MAGENTA

POSTS = {"A": "A岗（专职）", "B": "B岗（网格员）"}
DISCLAIMER = "本图为示意图，不作权属界线依据"


def panel(fig: Figure, layout: Layout, name: str) -> Axes:
    """An empty axes over box ``name`` with millimetre coordinates."""
    ax = fig.add_axes(layout.fraction(name))
    w, h = layout.size_mm(name)
    ax.set_xlim(0, w)
    ax.set_ylim(0, h)
    ax.set_axis_off()
    return ax


def draw_title(ax: Axes, title: str, subtitle: str, width: float, height: float, k: float) -> None:
    """The title, centred, with a subtitle line under it."""
    ax.text(width / 2, height * 0.62, title, fontsize=21 * k**0.5, weight="bold", ha="center",
            va="center", color="#1A1A1A")  # fmt: skip
    ax.text(width / 2, height * 0.12, subtitle, fontsize=9.5 * k**0.5, ha="center",
            va="center", color="#333333")  # fmt: skip


def grid_subtitle(sheet: GridSheet, scale: int) -> str:
    """``网格编码 … · 所属 … · 比例尺 1:…`` under the title."""
    return (
        f"网格编码 {sheet.code}　　所属 {sheet.street_name} {sheet.community_name}"
        f"　　比例尺 1:{scale}"
    )


def _hectares(area_m2: float) -> str:
    return f"{area_m2 / 10_000:.2f}"


def draw_info(ax: Axes, sheet: GridSheet, width: float, height: float, k: float) -> None:
    """Grid facts (households, buildings, area, population) over the staff block."""
    s = k**0.5
    top = height
    ax.text(0, top, "网格概况", fontsize=10 * s, weight="bold", va="top")
    households = f"{sheet.households}户" + ("*" if sheet.households_estimated else "")
    facts = [("户数", households), ("楼栋", f"{sheet.buildings}栋"),
             ("面积", f"{_hectares(sheet.area_m2)}公顷")]  # fmt: skip
    if sheet.population is not None:
        facts.append(("人口", f"{sheet.population}人"))
    y = top - 7.5 * k
    x = 0.0
    step = width / len(facts)
    for label, value in facts:
        ax.text(x, y, label, fontsize=7 * s, color="#666666", va="top")
        ax.text(x, y - 3.6 * k, value, fontsize=10 * s, weight="bold", va="top", color="#1A1A1A")
        x += step
    if sheet.households_estimated:
        ax.text(
            0, y - 8.6 * k, "*含按建筑面积估算的户数", fontsize=6 * s, va="top", color="#666666"
        )
    y -= 13.5 * k
    ax.add_line(Line2D([0, width], [y, y], color=GRID_MAGENTA, lw=1.0))
    y -= 2.0 * k
    ax.text(0, y, "网格工作人员", fontsize=10 * s, weight="bold", va="top")
    y -= 6.5 * k
    draw_staff(ax, sheet.staff, 0, y, width, k)


def draw_staff(ax: Axes, staff: list[dict], x: float, top: float, width: float, k: float) -> None:
    """One block per person: name and phone (large: residents dial it), then post and duties.

    At most three people fit; an optional photo goes to the left of the block.
    """
    s = k**0.5
    if not staff:
        ax.text(x, top, "（暂未配备，请联系社区居委会）", fontsize=8 * s, va="top", color="#666666")
        return
    row_h = min((top - 1) / min(len(staff), 3), 13.5 * k)
    for i, person in enumerate(staff[:3]):
        y = top - i * row_h
        left = (
            x
            + _photo(ax, person.get("photo"), x, y, row_h - 1.5 * k)
            + (2 * k if person.get("photo") and Path(person["photo"]).is_file() else 0)
        )
        ax.text(left, y, str(person["name"]), fontsize=10.5 * s, weight="bold", va="top")
        ax.text(width, y, str(person["phone"]), fontsize=10.5 * s, weight="bold", va="top",
                ha="right", color=GRID_MAGENTA)  # fmt: skip
        post = POSTS.get(str(person.get("post", "")), str(person.get("post", "")))
        duties = str(person.get("duties") or "").strip()
        line = f"{post}　职责：{duties}" if duties else post
        chars = int((width - left) / (2.5 * s))
        if len(line) > chars:
            line = line[: chars - 1] + "…"
        ax.text(left, y - 5.4 * k, line, fontsize=7 * s, va="top", color="#444444")


def _photo(ax: Axes, photo: str | None, x: float, y: float, side: float) -> float:
    """Draw a staff photo (3:4) with its top-left at ``(x, y)``; its width, 0 without one."""
    if not photo or not Path(photo).is_file():
        return 0.0
    width = side * 0.75
    ax.imshow(mpimg.imread(photo), extent=(x, x + width, y - side, y), zorder=2)
    return width


def draw_qr_panel(ax: Axes, url: str, width: float, height: float, k: float) -> None:
    """The QR code, as large as fits, with what it opens written under it."""
    caption = 4.5 * k
    side = min(width, height - caption * 2)
    x = (width - side) / 2
    y = height - side
    draw_qr(ax, url, x, y, side)
    ax.text(
        width / 2, y - 1.2 * k, "扫码查看网格地图", fontsize=7.5 * k**0.5, ha="center", va="top"
    )
    ax.text(width / 2, y - 1.2 * k - caption, "上报问题·联系网格员", fontsize=6.5 * k**0.5,
            ha="center", va="top", color="#666666")  # fmt: skip


def draw_qr_side(ax: Axes, url: str, width: float, height: float, k: float) -> None:
    """The QR code at the left of a short wide box, its caption to the right (landscape)."""
    side = height
    draw_qr(ax, url, 0, 0, side)
    ax.text(side + 3 * k, side * 0.62, "扫码查看网格地图", fontsize=8 * k**0.5, va="center")
    ax.text(side + 3 * k, side * 0.35, "上报问题·联系网格员", fontsize=7 * k**0.5, va="center",
            color="#666666")  # fmt: skip


def footer_text(options: SheetOptions, unit: str) -> tuple[str, str, str, str]:
    """The footer's four parts: unit and date, source, disclaimer, attribution."""
    made = options.made_on
    return (
        f"制图单位：{unit}　　制图日期：{made.year}年{made.month}月{made.day}日",
        f"数据来源：{options.data_source}",
        DISCLAIMER,
        f"地图数据 {options.attribution}" if options.attribution else "",
    )


def draw_footer(
    ax: Axes, parts: tuple[str, str, str, str], width: float, height: float, k: float
) -> None:
    """Two footer lines: unit and date | source, then disclaimer | attribution."""
    size = 6.5 * k**0.5
    ax.add_line(Line2D([0, width], [height, height], color="#999999", lw=0.5))
    upper, lower = height * 0.7, height * 0.22
    ax.text(0, upper, parts[0], fontsize=size, va="center")
    ax.text(width, upper, parts[1], fontsize=size, va="center", ha="right")
    ax.text(0, lower, parts[2], fontsize=size, va="center", color="#666666")
    ax.text(width, lower, parts[3], fontsize=size, va="center", ha="right")
