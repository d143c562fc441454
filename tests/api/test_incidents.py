"""Incidents: reporting with automatic placing, the closed loop, masking, residents' reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api import models as m
from api.app import create_app
from api.auth.masking import mask_name, mask_phone
from api.incidents.placing import NEAREST_FACILITY_M, lookups
from api.settings import AuthSettings, DatabaseSettings, Settings
from gis.incidents.loop import TransitionError, check_transition, is_overdue
from tests.api.conftest import bearer, grid_codes

REPORTER = {"reporter_name": "张伟", "reporter_phone": "13912345678"}


@pytest.fixture(scope="module")
def where(city):
    """A building of the city's first grid: its id, centroid, grid and community codes."""
    grid = grid_codes(city.engine, city.plan_id)[0]
    a, g = m.grid_assignment, m.grid
    with city.engine.connect() as conn:
        building_id = conn.execute(
            sa.select(a.c.building_id).join(g, g.c.id == a.c.grid_id)
            .where(g.c.code == grid, g.c.plan_id == city.plan_id).order_by(a.c.building_id)
        ).scalars().first()  # fmt: skip
        lon, lat = conn.execute(
            sa.select(
                sa.func.ST_X(sa.func.ST_Centroid(m.building.c.footprint)),
                sa.func.ST_Y(sa.func.ST_Centroid(m.building.c.footprint)),
            ).where(m.building.c.id == building_id)
        ).one()  # fmt: skip
    return {"building_id": building_id, "lon": lon, "lat": lat, "grid": grid,
            "community": grid[:12], "street": grid[:9]}  # fmt: skip


@pytest.fixture(scope="module")
def people(city, where):
    return {
        "worker": bearer(city.engine, "grid_worker", where["grid"]),
        "community": bearer(city.engine, "community_staff", where["community"]),
        "street": bearer(city.engine, "street_office", where["street"]),
        "admin": bearer(city.engine, "admin"),
        "elsewhere": bearer(city.engine, "community_staff", where["street"] + "999"),
    }


def _report(client, where, headers, **extra):
    body = {"lon": where["lon"], "lat": where["lat"], "class_code": "0102",
            "description": "楼下暴露垃圾", **REPORTER, **extra}  # fmt: skip
    return client.post("/incidents", json=body, headers=headers)


def test_a_report_is_placed_in_its_grid_community_and_building(client, where, people):
    answer = _report(client, where, people["worker"])
    assert answer.status_code == 201, answer.text
    row = answer.json()
    assert row["grid_code"] == where["grid"] and row["community_code"] == where["community"]
    assert row["building_id"] == where["building_id"]
    assert row["status"] == "reported" and row["status_name"] == "上报"
    assert row["class_name"] == "暴露垃圾" and row["kind"] == "event"
    assert row["reporter_phone"] == "13912345678"  # the worker of this grid calls back


def test_a_building_id_places_the_report_at_its_centroid(client, where, people):
    body = {"building_id": where["building_id"], "class_code": "5101", "parties": "301室 与 401室"}
    row = client.post("/incidents", json=body, headers=people["community"]).json()
    assert row["lon"] == pytest.approx(where["lon"]) and row["lat"] == pytest.approx(where["lat"])
    assert row["kind"] == "dispute" and row["parties"] == "301室 与 401室"


def test_facility_nearby_is_linked(client, city, where, people):
    facility = city.facilities.iloc[0]
    point = facility.geometry
    body = {"lon": point.x + 0.0001, "lat": point.y, "class_code": "0601"}  # ~10 m east
    row = client.post("/incidents", json=body, headers=people["street"]).json()
    assert row["facility_name"] == facility["name"]


def test_the_facility_found_is_the_nearest_within_reach_as_a_full_scan_finds_it(city):
    f = m.facility
    rng = np.random.default_rng(0)
    base = np.array([(p.x, p.y) for p in city.facilities.geometry[:40]])
    points = base + rng.uniform(-0.0015, 0.0015, base.shape)  # up to ~150 m off
    found_all, scanned = [], []
    with city.engine.connect() as conn:
        for lon, lat in points:
            point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), m.SRID)
            found = conn.execute(sa.select(lookups(point, date.today())[3])).scalar()
            metres = sa.func.ST_Distance(sa.func.geography(f.c.location), sa.func.geography(point))
            degrees = sa.func.ST_Distance(f.c.location, point)
            scan = conn.execute(
                sa.select(f.c.id)
                .where(metres <= NEAREST_FACILITY_M, degrees <= NEAREST_FACILITY_M / 50_000)
                .order_by(degrees, f.c.id).limit(1)
            ).scalar()  # fmt: skip
            found_all.append(found)
            scanned.append(scan)
    assert found_all == scanned
    assert sum(x is not None for x in scanned) >= 10  # most points have one within reach


def test_the_closed_loop_runs_and_records_who(client, where, people):
    case = _report(client, where, people["worker"]).json()["id"]
    steps = [("accepted", "community"), ("dispatched", "community"), ("handled", "worker"),
             ("checked", "community"), ("closed", "street")]  # fmt: skip
    for status, who in steps:
        answer = client.post(
            f"/incidents/{case}/transitions", json={"to": status}, headers=people[who]
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == status
    row = client.get(f"/incidents/{case}", headers=people["community"]).json()
    assert [e["to_status"] for e in row["events"]] == ["reported", *[s for s, _ in steps]]
    assert row["due_at"] and row["closed_at"] and row["overdue"] is False
    assert row["events"][2]["user_name"].startswith("community_staff")


def test_invalid_transitions_are_refused_with_the_allowed_moves(client, where, people):
    case = _report(client, where, people["worker"]).json()["id"]
    answer = client.post(
        f"/incidents/{case}/transitions", json={"to": "closed"}, headers=people["community"]
    )
    assert answer.status_code == 409
    assert "cannot become closed" in answer.json()["problem"] and "accepted" in answer.json()["fix"]
    worker = client.post(
        f"/incidents/{case}/transitions", json={"to": "accepted"}, headers=people["worker"]
    )
    assert worker.status_code == 403  # a grid worker does not file cases (立案)


def test_a_failed_check_reopens_the_case(client, where, people):
    case = _report(client, where, people["worker"]).json()["id"]
    for status in ("accepted", "dispatched", "handled", "dispatched"):
        headers = people["worker"] if status == "handled" else people["community"]
        client.post(f"/incidents/{case}/transitions", json={"to": status}, headers=headers)
    row = client.get(f"/incidents/{case}", headers=people["community"]).json()
    assert row["status"] == "dispatched" and row["reopened"] == 1 and row["handled_at"] is None


def test_overdue_is_flagged_against_the_class_deadline(client, city, where, people):
    case = _report(client, where, people["worker"]).json()["id"]
    for status in ("accepted", "dispatched"):
        client.post(
            f"/incidents/{case}/transitions", json={"to": status}, headers=people["community"]
        )
    with city.engine.begin() as conn:  # dispatched five hours ago: 暴露垃圾 allows four
        conn.execute(
            m.incident.update().where(m.incident.c.id == case).values(
                dispatched_at=sa.func.now() - sa.text("interval '5 hours'"),
                due_at=sa.func.now() - sa.text("interval '1 hour'"),
            )
        )  # fmt: skip
    listed = client.get("/incidents", params={"overdue": "true"}, headers=people["community"])
    assert case in [f["id"] for f in listed.json()["features"]]
    not_late = client.get("/incidents", params={"overdue": "false"}, headers=people["community"])
    assert case not in [f["id"] for f in not_late.json()["features"]]


def test_personal_fields_are_masked_for_roles_that_do_not_need_them(client, where, people):
    body = {"building_id": where["building_id"], "class_code": "5301", "parties": "业主 与 物业",
            **REPORTER}  # fmt: skip
    case = client.post("/incidents", json=body, headers=people["community"]).json()["id"]
    admin = client.get(f"/incidents/{case}", headers=people["admin"]).json()
    assert admin["reporter_name"] == "张*" and admin["reporter_phone"] == "139****5678"
    assert admin["parties"] == "***"
    worker = client.get(f"/incidents/{case}", headers=people["worker"]).json()
    assert worker["reporter_phone"] == "13912345678" and worker["parties"] == "***"
    street = client.get(f"/incidents/{case}", headers=people["street"]).json()
    assert street["parties"] == "业主 与 物业"
    listed = client.get("/incidents", params={"class_code": "53"}, headers=people["admin"])
    assert all(f["properties"]["parties"] in (None, "***") for f in listed.json()["features"])


def test_scope_limits_what_is_reported_and_read(client, where, people):
    answer = _report(client, where, people["elsewhere"])
    assert answer.status_code == 403
    case = _report(client, where, people["worker"]).json()["id"]
    assert client.get(f"/incidents/{case}", headers=people["elsewhere"]).status_code == 403
    listed = client.get("/incidents", headers=people["elsewhere"]).json()
    assert listed["features"] == [] and listed["numberMatched"] == 0
    assert client.get("/incidents").status_code == 401


def test_a_refused_report_stores_no_incident_and_no_event(client, city, where, people):
    def counts():
        with city.engine.connect() as conn:
            return [
                conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in (m.incident, m.incident_event)
            ]

    before = counts()
    assert _report(client, where, people["elsewhere"]).status_code == 403
    assert _report(client, where, people["worker"], class_code="0199").status_code == 422
    assert counts() == before


def test_filters_by_class_status_time_and_bbox(client, where, people):
    before = datetime.now(UTC) - timedelta(days=40)
    old = _report(client, where, people["worker"], class_code="0401",
                  reported_at=before.isoformat()).json()["id"]  # fmt: skip
    headers = people["street"]
    by_class = client.get("/incidents", params={"class_code": "04"}, headers=headers).json()
    assert old in [f["id"] for f in by_class["features"]]
    recent = {"since": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
    assert old not in [
        f["id"] for f in client.get("/incidents", params=recent, headers=headers).json()["features"]
    ]
    far = client.get("/incidents", params={"bbox": "0,0,1,1"}, headers=headers).json()
    assert far["features"] == []


def test_bad_reports_get_clear_errors(client, where, people):
    headers = people["worker"]
    assert _report(client, where, headers, class_code="01").status_code == 422
    assert (
        "not an incident subclass"
        in _report(client, where, headers, class_code="0199").json()["problem"]
    )
    assert _report(client, where, headers, reporter_phone="call me").status_code == 422
    missing = client.post("/incidents", json={"class_code": "0102"}, headers=headers)
    assert missing.status_code == 422 and "lon and lat" in missing.text
    unknown = client.post("/incidents", json={"building_id": 99999999, "class_code": "0102"},
                          headers=headers)  # fmt: skip
    assert unknown.status_code == 404


def test_residents_report_without_login_and_are_rate_limited(database_url, city, where, tmp_path):
    settings = Settings(
        db=DatabaseSettings(database_url=database_url, data_dir=tmp_path),
        auth=AuthSettings(reports_per_window=3, report_window_s=60),
    )
    body = {"lon": where["lon"], "lat": where["lat"], "class_code": "0601",
            "description": "路灯不亮", "reporter_phone": "13700001111"}  # fmt: skip
    with TestClient(create_app(settings)) as client:
        answers = [client.post("/reports", json=body) for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert set(answers[0].json()) == {"id", "status", "status_name"}  # nothing else leaks
    assert int(answers[3].headers["retry-after"]) > 0
    with city.engine.connect() as conn:
        source = conn.execute(
            sa.select(m.incident.c.source, m.incident.c.grid_code)
            .where(m.incident.c.id == answers[0].json()["id"])
        ).one()  # fmt: skip
    assert tuple(source) == ("resident", where["grid"])


def test_admin_extends_the_classification(client, people):
    body = {"code": "0610", "name": "充电桩损坏", "deadline_hours": 24}
    made = client.post("/incident-classes", json=body, headers=people["admin"])
    assert made.status_code == 201 and made.json()["kind"] == "event"
    codes = [c["code"] for c in client.get("/incident-classes").json()]
    assert "0610" in codes and "5101" in codes
    no_deadline = client.post("/incident-classes", json={"code": "0611", "name": "x"},
                              headers=people["admin"])  # fmt: skip
    assert no_deadline.status_code == 422 and "deadline" in no_deadline.json()["problem"]


# --- pure parts -------------------------------------------------------------------------


def test_loop_allows_only_its_moves():
    assert check_transition("reported", "accepted") == "accepted"
    assert check_transition("handled", "dispatched") == "dispatched"
    for current, target in [
        ("reported", "handled"),
        ("closed", "reported"),
        ("rejected", "accepted"),
    ]:
        with pytest.raises(TransitionError):
            check_transition(current, target)


def test_overdue_rule():
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    due = now - timedelta(hours=1)
    assert is_overdue(due, None, now)
    assert not is_overdue(due, due - timedelta(minutes=1), now)
    assert is_overdue(due, due + timedelta(minutes=1), now)
    assert not is_overdue(None, None, now)


def test_masks():
    assert mask_name("欧阳娜娜") == "欧***" and mask_name("王") == "王*"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("025-84321234") == "****1234"


def test_rates_per_grid_with_trend_and_classes(client, city, where, people):
    now = datetime.now(UTC)
    with city.engine.begin() as conn:
        conn.execute(sa.delete(m.incident))
    for days_ago, code in [(1, "0102"), (2, "0102"), (3, "5101"), (40, "0102")]:
        when = (now - timedelta(days=days_ago)).isoformat()
        _report(client, where, people["worker"], class_code=code, reported_at=when)
    params = {"since": (now - timedelta(days=30)).isoformat(), "until": now.isoformat()}
    body = client.get("/stats/incidents", params=params, headers=people["street"]).json()
    units = {u["code"]: u for u in body["units"]}
    mine = units[where["grid"]]
    assert mine["count"] == 3 and mine["previous"] == 1 and mine["trend"] == pytest.approx(2.0)
    assert mine["by_class"] == {"01": 2, "51": 1}
    assert mine["rate_per_100"] == pytest.approx(300 / mine["households"])
    assert all(u["code"].startswith(where["street"]) for u in body["units"])
    quiet = [u for u in body["units"] if u["code"] != where["grid"]]
    assert quiet and all(u["count"] == 0 and u["trend"] is None for u in quiet)
    by_community = client.get(
        "/stats/incidents", params={**params, "by": "community", "class_code": "51"},
        headers=people["community"],
    ).json()  # fmt: skip
    assert [(u["code"], u["count"]) for u in by_community["units"] if u["count"]] == [
        (where["community"], 1)
    ]
    worker = client.get("/stats/incidents", params=params, headers=people["worker"]).json()
    assert {u["code"] for u in worker["units"]} == {where["grid"]}
