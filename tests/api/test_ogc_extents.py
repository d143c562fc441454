"""The cached extents of /ogc/collections follow imports and re-imports at once."""

from __future__ import annotations

import geopandas as gpd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from shapely.geometry import box

from api.app import create_app
from api.loading import load_layer
from gis.importing import prepare_layer
from tests import samples


@pytest.fixture
def client(db, settings):
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _streets_extent(client) -> list[float] | None:
    body = client.get("/ogc/collections").json()
    streets = next(c for c in body["collections"] if c["id"] == "streets")
    extent = streets.get("extent")
    return extent["spatial"]["bbox"][0] if extent else None


def _import_streets(db, folder, frame: gpd.GeoDataFrame) -> None:
    load_layer(db, prepare_layer("streets", samples.write("streets", folder, frame)))


def test_extents_follow_each_import(client, db, tmp_path):
    assert _streets_extent(client) is None
    first = samples.streets()
    _import_streets(db, tmp_path, first)
    assert _streets_extent(client) == pytest.approx(list(first.total_bounds))
    moved = first.copy()
    moved.geometry = [box(118.0, 31.0, 119.5, 32.5)]  # the same street, re-drawn larger
    _import_streets(db, tmp_path, moved)
    assert _streets_extent(client) == pytest.approx([118.0, 31.0, 119.5, 32.5])
    with db.begin() as conn:
        conn.execute(sa.text("TRUNCATE street CASCADE"))
    _import_streets(db, tmp_path, first)  # emptied and loaded again: a new import
    assert _streets_extent(client) == pytest.approx(list(first.total_bounds))
