"""The community overview and the atlas: pages, order, index, parallel rendering, zip."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfReader

from map_ui.print import SheetOptions
from map_ui.print.atlas import render_atlas, render_zip
from map_ui.print.content import CommunitySheet
from map_ui.print.frames import sheet_from_frames
from map_ui.print.overview import render_overview
from tests.map_ui import test_print_cases as cases


def _sheets():
    grids = cases.grids()
    return [
        sheet_from_frames(
            code, grids, cases.buildings(), communities=cases.communities(), staff=cases.STAFF
        )  # fmt: skip
        for code in grids["code"]
    ]


def _overview() -> CommunitySheet:
    grids = cases.grids().assign(households=[300, 280], buildings=[9, 9], area_m2=[1.2e5, 1.2e5])
    return CommunitySheet(
        code=cases.COMMUNITY, name=cases.COMMUNITY_NAME, street_name=cases.STREET_NAME,
        boundary=cases.communities().geometry.iloc[0], grids=grids, buildings=cases.buildings(),
        roads=cases.roads(), staff={grids["code"].iloc[0]: cases.STAFF},
    )  # fmt: skip


def _texts(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_overview_lists_every_grid_and_its_staff():
    text = _texts(render_overview(_overview()).pdf())[0]
    assert "新街口街道中山东路社区网格划分总图" in text
    for code in cases.grids()["code"]:
        assert code in text
    assert "王芳" in text and "13812345678" in text


def test_atlas_has_index_then_one_page_per_grid_in_parallel():
    progress = []
    content = render_atlas(_sheets(), SheetOptions(), _overview(), workers=2,
                           progress=lambda done, total: progress.append((done, total)))  # fmt: skip
    pages = _texts(content)
    assert len(pages) == 3
    assert "网格划分总图" in pages[0]
    assert "第1网格示意图" in pages[1] and "第2网格示意图" in pages[2]
    assert progress[-1] == (3, 3)


def test_atlas_index_gives_each_grid_its_page():
    text = _texts(render_overview(_overview(), pages={f"{cases.COMMUNITY}001": 2}).pdf())[0]
    assert "页码" in text


def test_zip_holds_one_pdf_per_grid():
    content = render_zip(_sheets(), SheetOptions(), workers=1)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"{code}.pdf" for code in cases.grids()["code"])
        assert archive.read(names[0]).startswith(b"%PDF")


@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_atlas_pages_are_all_the_paper_asked_for(paper):
    content = render_atlas(_sheets()[:1], SheetOptions(paper=paper), workers=1)
    (page,) = PdfReader(io.BytesIO(content)).pages
    assert round(min(float(page.mediabox.width), float(page.mediabox.height))) == (
        595 if paper == "A4" else 842
    )


def test_overview_table_keeps_six_points_with_many_grids():
    many = _overview()
    grids = many.grids
    many.grids = grids.loc[grids.index.repeat(40)].reset_index(drop=True)
    many.grids["seq"] = range(1, len(many.grids) + 1)
    sheet = render_overview(many)
    sizes = [t.get_fontsize() for ax in sheet.figure.axes for t in ax.texts]
    assert min(sizes) >= 6.0
    assert "其余" in _texts(sheet.pdf())[0]
