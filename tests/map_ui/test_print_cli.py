"""``wangge print`` from files, without a database."""

from __future__ import annotations

import io

from pypdf import PdfReader
from typer.testing import CliRunner

from api.cli import app as cli
from tests.map_ui import test_print_cases as cases


def _files(folder):
    paths = {}
    for name, frame in (("grids", cases.grids()), ("buildings", cases.buildings()),
                        ("facilities", cases.facilities()), ("communities", cases.communities()),
                        ("roads", cases.roads())):  # fmt: skip
        paths[name] = folder / f"{name}.gpkg"
        frame.to_file(paths[name], driver="GPKG")
    return paths


def test_cli_prints_a_grid_from_files(tmp_path):
    files = _files(tmp_path)
    out = tmp_path / "grid.pdf"
    args = [
        "print", "--grid", f"{cases.COMMUNITY}001", "--out", str(out), "--paper", "A3",
        "--staff", "王芳:B:13812345678:巡查走访", "--attribution", "© OpenStreetMap",
    ]  # fmt: skip
    for name, path in files.items():
        args += [f"--{name}", str(path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    page = PdfReader(io.BytesIO(out.read_bytes())).pages[0]
    text = page.extract_text()
    assert "中山东路社区第1网格示意图" in text and "13812345678" in text
    assert round(max(float(page.mediabox.width), float(page.mediabox.height))) == 1191


def test_cli_writes_png_by_suffix(tmp_path):
    files = _files(tmp_path)
    out = tmp_path / "grid.png"
    result = CliRunner().invoke(cli, [
        "print", "--grid", f"{cases.COMMUNITY}002", "--grids", str(files["grids"]),
        "--buildings", str(files["buildings"]), "--out", str(out), "--dpi", "60",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")


def test_cli_unknown_grid_in_file_is_a_clear_error(tmp_path):
    files = _files(tmp_path)
    result = CliRunner().invoke(cli, [
        "print", "--grid", "999999999999999", "--grids", str(files["grids"]),
        "--buildings", str(files["buildings"]), "--out", str(tmp_path / "x.pdf"),
    ])  # fmt: skip
    assert result.exit_code == 2
    assert "no grid 999999999999999" in " ".join(result.output.split())


def test_cli_without_a_subject_says_what_to_give(tmp_path):
    result = CliRunner().invoke(cli, ["print", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2
    assert "nothing to print" in result.output
