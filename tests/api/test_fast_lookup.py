"""``GET /lookup`` answered ahead of the framework: the route's answers, the route's errors."""

import psycopg
import pytest

from api import fast_lookup
from api import lookup as finding
from api.fast_lookup import parse_point
from tests.api.conftest import bearer
from tests.api.test_lookup import STAFF, _inside


@pytest.fixture
def route_refused(monkeypatch):
    """The route's lookup fails the test if it is asked."""

    def refuse(*args, **kwargs):
        raise AssertionError("the /lookup route answered, not the fast path")

    monkeypatch.setattr(finding, "lookup", refuse)


def test_the_fast_path_answers_without_the_route(client, city, route_refused):
    answer = client.get("/lookup", params=_inside(city, 40))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["grid"]["code"]


@pytest.mark.parametrize("building_id", [1, 40, 103])
def test_the_fast_answer_is_the_route_s_byte_for_byte(client, city, monkeypatch, building_id):
    params = _inside(city, building_id)
    fast = client.get("/lookup", params=params)
    with monkeypatch.context() as patch:
        patch.setattr(fast_lookup, "parse_point", lambda query_string: None)
        route = client.get("/lookup", params=params)
    assert fast.status_code == route.status_code == 200
    assert fast.content == route.content


def test_staff_reach_the_fast_answer_and_a_long_one_is_gzipped(client, no_staff, route_refused):
    client.headers.update(bearer(no_staff.engine, "admin"))
    point = _inside(no_staff, 40)
    grid = client.get("/lookup", params=point).json()["grid"]
    duties = "负责网格内巡查走访、矛盾纠纷排查化解、安全隐患上报。" * 20
    person = {**STAFF, "duties": duties}
    assert client.post(f"/grids/{grid['code']}/staff", json=person).status_code == 201
    answer = client.get("/lookup", params=point, headers={"accept-encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert int(answer.headers["content-length"]) < len(answer.content)
    assert [p["duties"] for p in answer.json()["grid"]["staff"]] == [duties]
    plain = client.get("/lookup", params=point, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == answer.json()


def test_a_database_error_leaves_the_request_to_the_route(client, city, monkeypatch):
    async def broken(pool, point):
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(fast_lookup, "lookup_async", broken)
    answer = client.get("/lookup", params=_inside(city, 40))
    assert answer.status_code == 200 and answer.json()["grid"]["code"]


def test_a_point_in_no_community_gets_the_route_s_404(client, route_refused):
    with pytest.raises(AssertionError, match="the /lookup route answered"):
        client.get("/lookup", params={"lon": 116.4, "lat": 39.9})


@pytest.mark.parametrize(
    "query",
    [b"lat=30.5", b"lon=114.3", b"lon=114.3&lat=30.5&lat=30.6", b"lon=1e2&lat=30",
     b"lon=nan&lat=30", b"lon=inf&lat=30", b"lon=181&lat=30", b"lon=114&lat=-90.5",
     b"lon=114&lat=30.", b"lon=1_14&lat=30", b"lon=+114&lat=30", b"lon&lat=30",
     b"lon=114.3%00&lat=30", b"lon=%20114&lat=30", b""],
)  # fmt: skip
def test_anything_but_plain_degrees_is_left_to_the_route(query):
    assert parse_point(query) is None


@pytest.mark.parametrize(
    ("query", "lon", "lat"),
    [(b"lon=114.3&lat=30.5", 114.3, 30.5), (b"lat=-33.86&lon=151.21", 151.21, -33.86),
     (b"lon=180&lat=-90", 180.0, -90.0), (b"lon=114.305123456789&lat=30.5&extra=1",
                                          114.305123456789, 30.5)],
)  # fmt: skip
def test_plain_degrees_are_read(query, lon, lat):
    point = parse_point(query)
    assert (point.lon, point.lat) == (lon, lat)
