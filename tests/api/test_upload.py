"""``POST /imports/{layer}``: uploads are checked for size, content and scope before storing."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import DatabaseSettings, Settings, UploadSettings
from api.uploads import safe_name
from tests import samples
from tests.api.conftest import bearer

TABLES = ("street", "community", "compound", "building", "facility", "import_log")


def _snapshot(engine):
    with engine.connect() as conn:
        return {
            t: conn.execute(
                sa.text(f"SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM {t} x")
            ).scalar_one()
            for t in TABLES
        }


@pytest.fixture
def app_client(db, database_url, tmp_path):
    settings = Settings(
        db=DatabaseSettings(database_url=database_url, data_dir=tmp_path / "data"),
        uploads=UploadSettings(upload_max_mb=1),
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def admin(db):
    return bearer(db, "admin")


def _upload(client, layer, name, content, headers, **form):
    files = {"file": (name, content, "application/octet-stream")}
    return client.post(f"/imports/{layer}", files=files, data=form, headers=headers)


def _file(tmp_path, layer, frame=None) -> bytes:
    return samples.write(layer, tmp_path, frame).read_bytes()


def test_admin_imports_an_uploaded_geopackage(app_client, admin, db, tmp_path):
    answer = _upload(app_client, "streets", "街道.gpkg", _file(tmp_path, "streets"), admin)
    assert answer.status_code == 201, answer.text
    assert answer.json()["inserted"] == 1 and answer.json()["layer"] == "streets"
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM street")).scalar_one() == "新街口街道"
        who = conn.execute(sa.text("SELECT count(*) FROM import_log")).scalar_one()
    assert who == 1
    assert not list((tmp_path / "data" / "uploads").iterdir())  # nothing left behind


def test_uploads_need_a_street_office_login(app_client, db, tmp_path):
    content = _file(tmp_path, "streets")
    assert _upload(app_client, "streets", "s.gpkg", content, {}).status_code == 401
    worker = bearer(db, "grid_worker", "320102002001001")
    assert _upload(app_client, "streets", "s.gpkg", content, worker).status_code == 403


@pytest.mark.parametrize(
    ("name", "make", "status", "words"),
    [
        ("big.geojson", lambda: b'{"type": "FeatureCollection", "features": [' + b" " * 2**21,
         413, "more than the 1 MiB"),
        ("renamed.geojson", lambda: b"SQLite format 3\x00" + b"\x00" * 2000, 415, "named as JSON"),
        ("nothing.gpkg", lambda: b"", 415, "empty"),
        ("broken.geojson", lambda: b'{"type": "FeatureCollection", "features": [{"ty', 422, ""),
    ],
)  # fmt: skip
def test_bad_uploads_get_a_clear_4xx_and_store_nothing(
    app_client, admin, db, tmp_path, name, make, status, words
):
    _upload(app_client, "streets", "s.gpkg", _file(tmp_path, "streets"), admin)
    before = _snapshot(db)
    answer = _upload(app_client, "communities", name, make(), admin)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["problem"] and answer.json().get("fix")
    assert _snapshot(db) == before


def _zip(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_unsafe_zips_are_refused(app_client, admin, db):
    before = _snapshot(db)
    traversal = _zip({"../../etc/evil.shp": b"x" * 100})
    answer = _upload(app_client, "buildings", "楼.zip", traversal, admin)
    assert answer.status_code == 422 and "evil.shp" in answer.json()["problem"]
    bomb = _zip({"a.shp": b"\x00" * (300 * 1024**2)})
    assert len(bomb) < 1024**2  # under the size limit: only the ratio check can catch it
    answer = _upload(app_client, "buildings", "bomb.zip", bomb, admin)
    assert answer.status_code == 422, answer.text
    assert _snapshot(db) == before


def test_a_street_office_imports_only_within_its_street(app_client, db, tmp_path):
    mine = bearer(db, "street_office", "320102002")
    other = bearer(db, "street_office", "320102003")
    content = _file(tmp_path, "communities")
    assert _upload(app_client, "communities", "c.gpkg", content, other).status_code == 403
    assert _snapshot(db)["community"] is None
    answer = _upload(app_client, "communities", "c.gpkg", content, mine)
    assert answer.status_code == 201, answer.text
    no_codes = _upload(app_client, "buildings", "b.gpkg", _file(tmp_path, "buildings"), mine)
    assert no_codes.status_code == 422 and "no community code" in no_codes.json()["problem"]


def test_unknown_layer_is_named(app_client, admin, tmp_path):
    answer = _upload(app_client, "roads", "r.gpkg", _file(tmp_path, "streets"), admin)
    assert answer.status_code == 422 and "unknown layer" in answer.json()["problem"]


def test_upload_names_are_reduced_to_a_safe_last_part():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\data\\楼栋 2024.gpkg") == "楼栋_2024.gpkg"
    assert safe_name("..") == "upload" and safe_name(None) == "upload"


def test_an_import_is_audited_with_its_user_and_counts(app_client, db, tmp_path):
    admin = bearer(db, "admin", name="importer")
    answer = _upload(app_client, "streets", "街道.gpkg", _file(tmp_path, "streets"), admin)
    assert answer.status_code == 201
    with db.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM audit_log WHERE action = 'import'")).mappings()
        entry = row.one()
    assert entry["entity"] == "street" and entry["user_name"] == "importer"
    assert entry["after"]["inserted"] == 1 and entry["entity_key"] == "街道.gpkg"
