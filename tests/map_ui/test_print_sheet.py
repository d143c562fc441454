"""A grid's printed sheet: text, fonts, paper, picture, legend, scale, orientation."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from matplotlib import image as mpimg
from pypdf import PdfReader

from gis.errors import CRSError, InputError
from map_ui.print import OSM_ATTRIBUTION, SheetOptions, render_grid_sheet
from map_ui.print.paper import PAPER_MM, mm_to_pt
from tests.map_ui import test_print_cases as cases

CODE = f"{cases.COMMUNITY}001"


@pytest.fixture(scope="module")
def sheet():
    """Grid 1 on A4, auto orientation."""
    return render_grid_sheet(cases.grid_sheet(), SheetOptions(attribution=OSM_ATTRIBUTION))


@pytest.fixture(scope="module")
def pdf(sheet) -> bytes:
    return sheet.pdf()


def _text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_pdf_text_has_title_code_and_staff(pdf):
    text = _text(pdf)
    assert "新街口街道中山东路社区第1网格示意图" in text
    assert CODE in text
    for person in cases.STAFF:
        assert person["name"] in text and person["phone"] in text


def test_pdf_footer_has_unit_date_and_osm_credit(pdf):
    text = _text(pdf)
    assert "新街口街道办事处" in text and "制图日期" in text
    assert "OpenStreetMap" in text


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="needs poppler-utils (make system)")
def test_fonts_are_embedded_truetype_subsets(pdf, tmp_path):
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = listing.stdout.splitlines()[2:]
    assert rows, listing.stdout
    assert any("CJK" in row for row in rows)
    for row in rows:
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row


@pytest.mark.parametrize("paper", ["A4", "A3"])
@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_page_is_exactly_the_paper_in_points(paper, orientation):
    options = SheetOptions(paper=paper, orientation=orientation)
    page = PdfReader(io.BytesIO(render_grid_sheet(cases.grid_sheet(), options).pdf())).pages[0]
    short, long = (mm_to_pt(v) for v in PAPER_MM[paper])
    want = (short, long) if orientation == "portrait" else (long, short)
    assert float(page.mediabox.width) == pytest.approx(want[0], abs=0.01)
    assert float(page.mediabox.height) == pytest.approx(want[1], abs=0.01)


def test_png_is_not_blank(sheet, tmp_path):
    path = tmp_path / "sheet.png"
    path.write_bytes(sheet.png(dpi=80))
    pixels = mpimg.imread(path)[..., :3]
    ink = (pixels.mean(axis=2) < 0.9).mean()
    magenta = ((pixels[..., 0] > 0.8) & (pixels[..., 1] < 0.3) & (pixels[..., 2] > 0.35)).mean()
    assert 0.03 < ink < 0.6
    assert magenta > 0.002  # the grid's boundary is there


def test_legend_lists_exactly_the_classes_in_the_grid(sheet, pdf):
    assert sheet.legend_classes == sorted(cases.IN_GRID_1)
    text = _text(pdf)
    for name in cases.IN_GRID_1.values():
        assert f"{name}（" in text
    assert cases.ONLY_IN_GRID_2[1] not in text


def test_legend_leaves_out_absent_layers():
    bare = cases.grid_sheet()
    bare.facilities = bare.compounds = bare.roads = None
    drawn = render_grid_sheet(bare)
    text = _text(drawn.pdf())
    assert drawn.legend_classes == []
    assert "小区/院落" not in text and "道路" not in text


def test_scale_bar_is_true_to_the_printed_scale(sheet):
    bar, ax = sheet.scale_bar, sheet.map_ax
    assert bar is not None and ax is not None
    renderer = sheet.figure.canvas.get_renderer()
    left = bar.segments[0].get_window_extent(renderer)
    right = bar.segments[-1].get_window_extent(renderer)
    length_pt = right.x1 - left.x0  # the figure is at 72 dpi: display units are points
    want_pt = mm_to_pt(bar.metres * 1000 / sheet.scale)
    assert length_pt == pytest.approx(want_pt, rel=0.01)
    # and the axes' own data-to-points transform says the same scale
    x0 = ax.transData.transform((0, 0))[0]
    x1 = ax.transData.transform((bar.metres, 0))[0]
    assert x1 - x0 == pytest.approx(want_pt, rel=1e-6)
    assert sheet.figure.dpi == 72


def test_title_states_the_scale(pdf, sheet):
    assert f"1:{sheet.scale}" in _text(pdf)


def test_orientation_follows_the_grid_shape():
    wide = render_grid_sheet(cases.grid_sheet(width=500, height=200))
    tall = render_grid_sheet(cases.grid_sheet(width=200, height=500))
    assert wide.paper.orientation == "landscape"
    assert tall.paper.orientation == "portrait"


def test_orientation_can_be_forced():
    forced = render_grid_sheet(cases.grid_sheet(width=500, height=200),
                               SheetOptions(orientation="portrait"))  # fmt: skip
    assert forced.paper.orientation == "portrait"


def test_unknown_paper_is_refused():
    with pytest.raises(InputError, match="A4 or A3"):
        render_grid_sheet(cases.grid_sheet(), SheetOptions(paper="B5"))


def test_layer_without_crs_is_refused():
    sheet = cases.grid_sheet()
    sheet.roads = sheet.roads.set_crs(None, allow_override=True)
    with pytest.raises(CRSError):
        render_grid_sheet(sheet)


def test_sheet_without_staff_says_so():
    text = _text(render_grid_sheet(cases.grid_sheet(staff=[])).pdf())
    assert "暂未配备" in text


def test_qr_code_opens_the_community_map():
    options = SheetOptions(public_url="https://wangge.example.cn/")
    assert options.qr_url(cases.COMMUNITY) == (
        f"https://wangge.example.cn/map/communities/{cases.COMMUNITY}"
    )


def test_png_resolution_follows_dpi(sheet, tmp_path):
    path = tmp_path / "small.png"
    path.write_bytes(sheet.png(dpi=50))
    height, width = mpimg.imread(path).shape[:2]
    w_in, h_in = sheet.paper.size_in
    assert width == pytest.approx(w_in * 50, abs=1)
    assert height == pytest.approx(h_in * 50, abs=1)


def test_names_outside_the_print_font_fall_back_to_the_full_font():
    # 埇 and 䶮 are not in GB 2312, the print font's character set
    people = [{"name": "王埇䶮", "post": "B", "phone": "13812345678", "duties": ""}]
    text = _text(render_grid_sheet(cases.grid_sheet(staff=people)).pdf())
    assert "王埇䶮" in text


def test_sheets_saved_from_two_threads_keep_truetype_fonts():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        pdfs = list(pool.map(lambda _: render_grid_sheet(cases.grid_sheet()).pdf(), range(4)))
    for content in pdfs:
        fonts = [
            f.get_object()
            for f in PdfReader(io.BytesIO(content)).pages[0]["/Resources"]["/Font"].values()
        ]
        assert {str(f["/Subtype"]) for f in fonts} == {"/Type0"}


def test_staff_photo_is_printed(tmp_path):
    photo = tmp_path / "wang.png"
    mpimg.imsave(photo, np.linspace(0, 1, 48 * 36).reshape(48, 36), cmap="gray")
    people = [{**cases.STAFF[0], "photo": str(photo)}]
    page = PdfReader(io.BytesIO(render_grid_sheet(cases.grid_sheet(staff=people)).pdf())).pages[0]
    assert len(page.images) == 1
