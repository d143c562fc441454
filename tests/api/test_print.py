"""Printed diagrams over HTTP and from the database: PDF, PNG, overview, atlas job, CLI."""

from __future__ import annotations

import io
import time

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from typer.testing import CliRunner

from api import models as m
from api import staff as staff_store
from api.cli import app as cli
from tests.api.conftest import bearer, grid_codes

PERSON = {"name": "王芳", "post": "B", "duties": "巡查走访、矛盾调解", "phone": "13812345678"}


@pytest.fixture(scope="module")
def code(city):
    """The first grid, with one staff member."""
    first = grid_codes(city.engine, city.plan_id)[0]
    with city.engine.begin() as conn:
        conn.execute(sa.delete(m.grid_staff))
    staff_store.add_staff(city.engine, first, PERSON)
    return first


@pytest.fixture(scope="module")
def names(city, code):
    """Street and community names of the grid, as stored."""
    c = m.community
    with city.engine.connect() as conn:
        row = conn.execute(sa.select(c.c.street_name, c.c.name).where(c.c.code == code[:12])).one()
    return row.street_name, row.name


@pytest.fixture(scope="module")
def office(city, code):
    """Headers of the street office of the grid's street."""
    return bearer(city.engine, "street_office", code[:9])


def _text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _seq(city, code) -> int:
    with city.engine.connect() as conn:
        return conn.execute(
            sa.select(m.grid.c.seq).where(m.grid.c.code == code, m.grid.c.plan_id == city.plan_id)
        ).scalar_one()


def test_grid_pdf_has_title_code_and_staff(client, city, code, names, office):
    answer = client.get(f"/grids/{code}/diagram.pdf", headers=office)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    text = _text(answer.content)
    street, community = names
    assert f"{street}{community}第{_seq(city, code)}网格示意图" in text
    assert code in text and PERSON["name"] in text and PERSON["phone"] in text


def test_grid_pdf_on_a3_landscape_is_that_paper(client, code, office):
    answer = client.get(
        f"/grids/{code}/diagram.pdf", params={"paper": "A3", "orientation": "landscape"},
        headers=office,
    )  # fmt: skip
    page = PdfReader(io.BytesIO(answer.content)).pages[0]
    assert float(page.mediabox.width) == pytest.approx(1190.55, abs=0.01)
    assert float(page.mediabox.height) == pytest.approx(841.89, abs=0.01)


def test_grid_png_at_dpi(client, code, office, tmp_path):
    answer = client.get(f"/grids/{code}/diagram.png", params={"dpi": 60}, headers=office)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG") and len(answer.content) > 20_000


def test_unknown_grid_is_404(client, office, code):
    answer = client.get(f"/grids/{code[:9]}999999/diagram.pdf", headers=office)
    assert answer.status_code == 404


def test_grid_outside_the_scope_is_403(client, city, code):
    other_street = bearer(city.engine, "street_office", "999999999")
    assert client.get(f"/grids/{code}/diagram.pdf", headers=other_street).status_code == 403


def test_community_staff_cannot_print(client, city, code):
    staff = bearer(city.engine, "community_staff", code[:12])
    assert client.get(f"/grids/{code}/diagram.pdf", headers=staff).status_code == 403


def test_anonymous_must_log_in(client, code):
    assert client.get(f"/grids/{code}/diagram.pdf").status_code == 401


def test_bad_paper_is_422(client, code, office):
    answer = client.get(f"/grids/{code}/diagram.pdf", params={"paper": "B5"}, headers=office)
    assert answer.status_code == 422


def test_overview_lists_the_community_grids(client, city, code, office):
    answer = client.get(f"/communities/{code[:12]}/overview.pdf", headers=office)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = _text(answer.content)
    for grid in grid_codes(city.engine, city.plan_id):
        if grid.startswith(code[:12]):
            assert grid in text
    assert PERSON["name"] in text


def test_atlas_job_reports_progress_and_gives_the_pdf(client, city, code, office):
    start = client.post(f"/communities/{code[:12]}/atlas", headers=office)
    assert start.status_code == 202, start.text
    job = start.json()
    assert start.headers["location"] == f"/print-jobs/{job['id']}"
    deadline = time.monotonic() + 300
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = client.get(f"/print-jobs/{job['id']}", headers=office).json()
    assert job["status"] == "done", job
    assert job["done"] == job["total"]
    pdf = client.get(f"/print-jobs/{job['id']}/file", headers=office)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    grids = [g for g in grid_codes(city.engine, city.plan_id) if g.startswith(code[:12])]
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == len(grids) + 1


def test_print_job_of_another_street_is_403(client, city, code, office):
    job = client.post(f"/communities/{code[:12]}/atlas", headers=office).json()
    other = bearer(city.engine, "street_office", "999999999")
    assert client.get(f"/print-jobs/{job['id']}", headers=other).status_code == 403


def test_unknown_print_job_is_404(client, office):
    assert client.get(f"/print-jobs/{'0' * 32}", headers=office).status_code == 404


def test_atlas_of_unknown_community_is_404(client, city, code):
    admin = bearer(city.engine, "admin")
    assert client.get(f"/communities/{code[:9]}999/atlas.pdf", headers=admin).status_code == 404


def test_cli_prints_a_grid_from_the_database(city, code, names, database_url, tmp_path):
    out = tmp_path / "grid.pdf"
    env = {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path),
           "WANGGE_MAPPING_UNIT": "测试制图单位"}  # fmt: skip
    result = CliRunner().invoke(cli, ["print", "--grid", code, "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    text = _text(out.read_bytes())
    assert f"{names[0]}{names[1]}" in text and "测试制图单位" in text


def test_cli_prints_a_community_atlas(city, code, database_url, tmp_path):
    out = tmp_path / "atlas.pdf"
    env = {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path)}
    args = ["print", "--community", code[:12], "--atlas", "--out", str(out), "--workers", "1"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    grids = [g for g in grid_codes(city.engine, city.plan_id) if g.startswith(code[:12])]
    assert len(PdfReader(io.BytesIO(out.read_bytes())).pages) == len(grids) + 1


def test_staff_photo_from_the_photo_folder_is_printed(client, city, office):
    import numpy as np
    from matplotlib import image as mpimg

    second = grid_codes(city.engine, city.plan_id)[1]
    folder = client.app.state.settings.db.data_dir / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    mpimg.imsave(folder / "li.png", np.linspace(0, 1, 48 * 36).reshape(48, 36), cmap="gray")
    staff_store.add_staff(city.engine, second, {**PERSON, "name": "李明", "photo_path": "li.png"})
    answer = client.get(f"/grids/{second}/diagram.pdf", headers=office)
    assert answer.status_code == 200, answer.text
    assert len(PdfReader(io.BytesIO(answer.content)).pages[0].images) == 1


def test_atlas_pdf_in_one_request(client, city, code, office):
    answer = client.get(f"/communities/{code[:12]}/atlas.pdf", headers=office)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    grids = [g for g in grid_codes(city.engine, city.plan_id) if g.startswith(code[:12])]
    assert len(PdfReader(io.BytesIO(answer.content)).pages) == len(grids) + 1


def test_cli_prints_a_community_atlas_as_a_zip(city, code, database_url, tmp_path):
    import zipfile

    out = tmp_path / "atlas.zip"
    env = {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path)}
    args = ["print", "--community", code[:12], "--atlas", "--zip", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--workers", "1"], env=env)
    assert result.exit_code == 0, result.output
    grids = [g for g in grid_codes(city.engine, city.plan_id) if g.startswith(code[:12])]
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(
            [f"{code[:12]}-overview.pdf", *(f"{g}.pdf" for g in grids)]
        )


def test_cli_prints_a_street_atlas_community_by_community(city, code, database_url, tmp_path):
    out = tmp_path / "street.pdf"
    env = {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path)}
    args = ["print", "--street", code[:9], "--atlas", "--out", str(out), "--workers", "2"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    grids = [g for g in grid_codes(city.engine, city.plan_id) if g.startswith(code[:9])]
    communities = sorted({g[:12] for g in grids})
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages]
    assert len(pages) == len(grids) + len(communities)
    covers = [i for i, text in enumerate(pages) if "网格划分总图" in text]
    assert len(covers) == len(communities) and covers[0] == 0
