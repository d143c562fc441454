"""The app factory and its first pages, on the real database."""

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.cli.demo import sample_dir
from api.loading import load_layer
from gis.importing import prepare_layer
from tests import samples


@pytest.fixture
def loaded(db, database_url, tmp_path):
    env = {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["demo", "--no-serve"], env=env)
    assert result.exit_code == 0, result.output
    assert "created the account admin" in " ".join(result.output.split())
    return db


def test_demo_admin_can_log_in_and_is_made_once(loaded, client, database_url, tmp_path):
    name, password = (tmp_path / "demo-admin.txt").read_text(encoding="utf-8").split()
    assert (tmp_path / "demo-admin.txt").stat().st_mode & 0o077 == 0
    token = client.post("/auth/token", data={"username": name, "password": password})
    assert token.status_code == 200 and token.json()["user"]["role"] == "admin"
    env = {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path)}
    again = CliRunner().invoke(cli, ["demo", "--no-serve", "--no-partition"], env=env)
    assert again.exit_code == 0 and "created the account" not in again.output


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_healthz_reports_postgis(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["postgis"].startswith("3.")


def test_demo_loads_every_sample_layer(loaded, client):
    layers = client.get("/api/summary").json()["layers"]
    assert layers == {"streets": 1, "communities": 6, "compounds": 11, "buildings": 1277,
                      "facilities": 64}  # fmt: skip


def test_sample_communities_have_households(loaded, client):
    communities = client.get("/api/summary").json()["communities"]
    assert all(1500 <= c["households"] <= 6000 for c in communities)


def test_start_page_lists_communities(loaded, client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "中山东路社区" in page.text and "320102002001" in page.text


def test_sample_folder_is_in_the_checkout():
    assert (sample_dir() / "buildings.gpkg").exists()


def test_openapi_lists_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/healthz", "/", "/api/summary"} <= set(paths)


def test_start_page_escapes_names(db, client, tmp_path):
    frame = samples.communities()
    frame.loc[0, "社区名称"] = "<script>alert(1)</script>社区"
    path = samples.write("communities", tmp_path, frame)
    load_layer(db, prepare_layer("communities", path))
    page = client.get("/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;社区" in page and "<script>alert" not in page


def test_malformed_request_gets_the_common_json_error(client):
    response = client.get("/collections/buildings/items", params={"limit": "many"})
    body = response.json()
    assert response.status_code == 422 and body["error"] == "InputError"
    assert "limit" in body["message"]
