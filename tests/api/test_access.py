"""Every route of the OpenAPI schema, called anonymously and as each role, answers as its rule says.

A route without a rule fails here (and answers 403 at run time), so each new endpoint is
born with its access rule. Scoped rules are checked with accounts inside and outside the
place the route names.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from api import models as m
from api.access import RULES, routes_without_rule, rule_for
from api.auth.roles import LOGIN_ROLES, Principal, Role
from api.incidents import store as incidents
from tests.api.conftest import bearer, grid_codes

PERSON = {"name": "赵敏", "post": "B", "duties": "巡查", "phone": "13812345678"}


@pytest.fixture(scope="module")
def places(city):
    """Real codes and ids of the city, to fill path parameters with."""
    grid = grid_codes(city.engine, city.plan_id)[0]
    a, g = m.grid_assignment, m.grid
    with city.engine.connect() as conn:
        feature = conn.execute(sa.select(sa.func.min(m.building.c.id))).scalar_one()
        in_grid = conn.execute(
            sa.select(sa.func.min(a.c.building_id)).join(g, g.c.id == a.c.grid_id)
            .where(g.c.code == grid, g.c.plan_id == city.plan_id)
        ).scalar_one()  # fmt: skip
    case = incidents.report(
        city.engine, {"building_id": in_grid, "class_code": "0102", "source": "patrol"},
        Principal(Role.ADMIN, name="test"),
    )  # fmt: skip
    return {
        "grid": grid, "community": grid[:12], "street": grid[:9], "plan_id": city.plan_id,
        "building": feature, "incident": case["id"],
    }  # fmt: skip


@pytest.fixture(scope="module")
def accounts(city, places):
    """Headers of one account per role, each scoped to the city's first street/community/grid."""
    scope = {
        Role.GRID_WORKER: places["grid"], Role.COMMUNITY_STAFF: places["community"],
        Role.STREET_OFFICE: places["street"], Role.ADMIN: None,
    }  # fmt: skip
    return {role: bearer(city.engine, role.label, scope[role]) for role in LOGIN_ROLES}


def _person(client, places, admin) -> int:
    answer = client.post(f"/grids/{places['grid']}/staff", json=PERSON, headers=admin)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _url(path: str, places: dict, staff_id: int) -> str:
    values = {
        "code": places["grid"], "layer": "buildings", "z": "14", "x": "13000", "y": "6000",
        "plan_id": str(places["plan_id"]), "staff_id": str(staff_id), "name": "nobody-here",
        "other_id": str(places["plan_id"]),
        "collection_id": "buildings", "feature_id": str(places["building"]),
        "incident_id": str(places["incident"]), "job_id": "0" * 32, "grid_id": "1",
    }  # fmt: skip
    if path.startswith("/map/streets/"):
        values["code"] = places["street"]
    elif path.startswith(("/map/communities/", "/communities/")):
        values["code"] = places["community"]
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


def _operations(client) -> list[tuple[str, str]]:
    """Every operation of the schema; logout last, since it ends the session it is called with."""
    paths = client.get("/openapi.json").json()["paths"]
    operations = sorted((method.upper(), path) for path, ops in paths.items() for method in ops)
    return sorted(operations, key=lambda op: op == ("POST", "/auth/logout"))


def test_every_route_has_a_rule(client):
    assert routes_without_rule(client.app) == []
    assert len(_operations(client)) == len(RULES)


def test_rules_name_only_routes_that_exist(client):
    stale = set(RULES) - set(_operations(client))
    assert stale == set(), stale


def test_each_role_gets_what_the_rule_says(client, places, accounts):
    admin = accounts[Role.ADMIN]
    checked = 0
    for method, path in _operations(client):
        rule = rule_for(method, path)
        for role in (Role.PUBLIC, *LOGIN_ROLES):
            staff_id = _person(client, places, admin) if "{staff_id}" in path else 0
            headers = accounts.get(role, {})
            body = PERSON if method == "POST" and path.endswith("/staff") else {}
            kwargs = {"json": body} if method in ("POST", "PATCH", "PUT") else {}
            if path == "/auth/token":
                kwargs = {"data": {"username": "nobody-here", "password": "wrong-password"}}
            answer = client.request(method, _url(path, places, staff_id), headers=headers, **kwargs)
            where = f"{method} {path} as {role.label}: {answer.status_code} {answer.text[:200]}"
            if role < rule.role:
                expected = 401 if role is Role.PUBLIC else 403
                assert answer.status_code == expected, where
            else:
                assert answer.status_code not in (403, 500), where
                if path != "/auth/token":
                    assert answer.status_code != 401, where
            checked += 1
    assert checked >= 200


def test_scoped_rules_refuse_places_outside_the_scope(client, city, places):
    other = next(c for c in grid_codes(city.engine, city.plan_id) if c[:12] != places["community"])
    staff = bearer(city.engine, "community_staff", places["community"])
    assert client.post(f"/grids/{other}/staff", json=PERSON, headers=staff).status_code == 403
    inside = client.post(f"/grids/{places['grid']}/staff", json=PERSON, headers=staff)
    assert inside.status_code == 201
    admin = bearer(city.engine, "admin")
    outside_person = client.post(f"/grids/{other}/staff", json=PERSON, headers=admin).json()
    for method in ("PATCH", "DELETE"):
        kwargs = {"json": {"phone": "13900000000"}} if method == "PATCH" else {}
        answer = client.request(method, f"/staff/{outside_person['id']}", headers=staff, **kwargs)
        assert answer.status_code == 403, answer.text
    moved = client.patch(f"/staff/{inside.json()['id']}", json={"grid_code": other}, headers=staff)
    assert moved.status_code == 403


def test_a_street_office_sees_and_publishes_only_its_own_plans(client, city, places):
    codes = {c[:9] for c in grid_codes(city.engine, city.plan_id)}
    mine = bearer(city.engine, "street_office", places["street"])
    elsewhere = bearer(city.engine, "street_office", "999999999")
    listed = client.get("/plans", headers=mine).json()
    assert city.plan_id in [p["id"] for p in listed]
    assert all(c.startswith(places["street"]) for p in listed for c in p["community_codes"])
    assert client.get("/plans", headers=elsewhere).json() == []
    assert client.get(f"/plans/{city.plan_id}", headers=elsewhere).status_code == 403
    assert client.get(f"/plans/{city.plan_id}/grids", headers=elsewhere).status_code == 403
    publish = client.post(f"/plans/{city.plan_id}/publish", headers=elsewhere)
    assert publish.status_code == 403
    assert len(codes) == 1  # the tiny city is one street: all of it is "mine"


def test_a_route_without_a_rule_is_refused(client, monkeypatch):
    monkeypatch.delitem(RULES, ("GET", "/lookup"))
    answer = client.get("/lookup", params={"lon": 114.3, "lat": 30.5})
    assert answer.status_code == 403
    assert "no access rule" in answer.json()["problem"]


def test_the_schema_documents_each_rule(client):
    schema = client.get("/openapi.json").json()
    users = schema["paths"]["/users"]["get"]
    assert users["security"] == [{"bearer": []}] and "admin" in users["x-wangge-access"]
    assert "security" not in schema["paths"]["/lookup"]["get"]
