"""H3 counts, Gi* hotspots and emerging hotspots of stored incidents, through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import h3
import numpy as np
import pytest
import sqlalchemy as sa

from api import models as m
from tests.api.conftest import bearer

N_BACKGROUND = 400
#: Cluster incidents in each of the ten weeks: present throughout, growing.
CLUSTER_WEEKS = [12 + 3 * w for w in range(10)]


@pytest.fixture(scope="module")
def incidents(city):
    """Uniform background incidents over the city plus a tight cluster, over ten weeks.

    The cluster grows week by week; the background is flat. Placed in their community and
    grid by SQL, as the importer does.
    """
    rng = np.random.default_rng(7)
    with city.engine.connect() as conn:
        minx, miny, maxx, maxy = conn.execute(
            sa.select(sa.func.ST_XMin(sa.func.ST_Extent(m.community.c.boundary)),
                      sa.func.ST_YMin(sa.func.ST_Extent(m.community.c.boundary)),
                      sa.func.ST_XMax(sa.func.ST_Extent(m.community.c.boundary)),
                      sa.func.ST_YMax(sa.func.ST_Extent(m.community.c.boundary)))
        ).one()  # fmt: skip
    now = datetime.now(UTC)
    lon = rng.uniform(minx, maxx, N_BACKGROUND)
    lat = rng.uniform(miny, maxy, N_BACKGROUND)
    weeks = rng.integers(0, 10, N_BACKGROUND)
    centre = (minx + 0.3 * (maxx - minx), miny + 0.6 * (maxy - miny))
    n_cluster = sum(CLUSTER_WEEKS)
    c_lon = centre[0] + rng.normal(0, 0.0003, n_cluster)
    c_lat = centre[1] + rng.normal(0, 0.0003, n_cluster)
    c_weeks = np.repeat(np.arange(10), CLUSTER_WEEKS)
    rows = []
    for x, y, w in zip(np.r_[lon, c_lon], np.r_[lat, c_lat], np.r_[weeks, c_weeks], strict=True):
        rows.append({
            "class_code": "0102", "source": "patrol",
            "reported_at": now - timedelta(weeks=int(9 - w), hours=1),
            "location": sa.func.ST_SetSRID(sa.func.ST_MakePoint(float(x), float(y)), 4326),
        })  # fmt: skip
    i, c = m.incident, m.community
    with city.engine.begin() as conn:
        conn.execute(sa.delete(i))
        for row in rows:
            conn.execute(i.insert().values(row))
        conn.execute(
            i.update().values(community_code=c.c.code)
            .where(sa.func.ST_Intersects(c.c.boundary, i.c.location))
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        placed = conn.execute(
            sa.select(sa.func.ST_X(i.c.location), sa.func.ST_Y(i.c.location), i.c.community_code)
        ).all()  # fmt: skip
    return {"centre": centre, "placed": placed}


def test_h3_counts_equal_an_independent_count(client, city, incidents):
    admin = bearer(city.engine, "admin")
    body = client.get("/incidents/h3", params={"resolution": 9}, headers=admin).json()
    got = {f["properties"]["h3"]: f["properties"]["count"] for f in body["features"]}
    expected: dict[str, int] = {}
    for lon, lat, _ in incidents["placed"]:
        cell = h3.latlng_to_cell(lat, lon, 9)
        expected[cell] = expected.get(cell, 0) + 1
    assert got == expected and body["resolution"] == 9


def test_the_cluster_is_hot_and_the_background_mostly_not(client, city, incidents):
    admin = bearer(city.engine, "admin")
    params = {"resolution": 10, "permutations": 199, "seed": 1}
    body = client.get("/incidents/hotspots", params=params, headers=admin).json()
    props = [f["properties"] for f in body["features"]]
    by_cell = {p["h3"]: p for p in props}
    centre = h3.latlng_to_cell(incidents["centre"][1], incidents["centre"][0], 10)
    assert by_cell[centre]["hotspot_class"].startswith("hot"), by_cell[centre]
    hot = [p for p in props if p["hotspot_class"].startswith("hot")]
    near = set(h3.grid_disk(centre, 2))
    assert len([p for p in hot if p["h3"] not in near]) <= 0.05 * len(props)
    assert any(p["count"] == 0 for p in props)  # empty cells of the communities are studied
    again = client.get("/incidents/hotspots", params=params, headers=admin).json()
    assert [f["properties"]["gi_p"] for f in again["features"]] == [p["gi_p"] for p in props]


def test_emerging_hotspots_tell_the_growing_cluster(client, city, incidents):
    admin = bearer(city.engine, "admin")
    params = {"resolution": 10, "period": "W", "permutations": 99, "seed": 2}
    body = client.get("/incidents/emerging", params=params, headers=admin).json()
    assert len(body["periods"]) >= 3
    by_cell = {f["properties"]["h3"]: f["properties"] for f in body["features"]}
    centre = h3.latlng_to_cell(incidents["centre"][1], incidents["centre"][0], 10)
    category = next(v for k, v in by_cell[centre].items() if k.endswith("category"))
    assert category in ("new", "intensifying", "persistent")


def test_statistics_stay_in_the_callers_scope(client, city, incidents):
    community = sorted({c for _, _, c in incidents["placed"] if c})[0]
    staff = bearer(city.engine, "community_staff", community)
    body = client.get("/incidents/h3", params={"resolution": 9}, headers=staff).json()
    mine = sum(1 for _, _, c in incidents["placed"] if c == community)
    assert sum(f["properties"]["count"] for f in body["features"]) == mine
    assert client.get("/incidents/h3").status_code == 401


def test_bad_statistics_requests_are_refused(client, city, incidents):  # noqa: ARG001
    admin = bearer(city.engine, "admin")
    assert client.get("/incidents/h3", params={"resolution": 3}, headers=admin).status_code == 422
    late = {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    answer = client.get("/incidents/hotspots", params=late, headers=admin)
    assert answer.status_code == 422 and "since must be before until" in answer.json()["problem"]
    empty = client.get("/incidents/hotspots", params={"class_code": "5101"}, headers=admin)
    assert empty.status_code == 200 and empty.json()["features"] == []


def test_emerging_with_nothing_matching_is_empty_not_an_error(client, city, incidents):  # noqa: ARG001
    admin = bearer(city.engine, "admin")
    answer = client.get("/incidents/emerging", params={"class_code": "5101"}, headers=admin)
    assert answer.status_code == 200 and answer.json()["features"] == []
    assert "widen the time range" in answer.json()["note"]
