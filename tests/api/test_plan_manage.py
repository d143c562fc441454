# ruff: noqa: F811  (fixtures shared with test_plans are imported, then named as arguments)
"""Renaming plans and deleting drafts over the API."""

from datetime import date

import pytest
import sqlalchemy as sa

from api import models as m
from api import plans
from tests.api.conftest import bearer
from tests.api.test_plans import _draft, city, client, empty, roads  # noqa: F401

pytestmark = pytest.mark.db


@pytest.fixture
def draft(db, roads):
    return _draft(db, roads)


def _count(engine, table, plan_id) -> int:
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(table).where(table.c.plan_id == plan_id)
        return conn.execute(query).scalar_one()


def test_a_plan_is_renamed_and_given_a_note(client, db, draft):
    answer = client.patch(f"/plans/{draft}", json={"name": "东片调整方案", "note": "新楼入住"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "东片调整方案" and answer.json()["note"] == "新楼入住"
    assert plans.get_plan(db, draft)["name"] == "东片调整方案"
    assert client.patch(f"/plans/{draft}", json={"note": "改"}).json()["name"] == "东片调整方案"


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "x" * 201}, {"note": 3}, []])
def test_a_malformed_rename_is_refused(client, draft, body):
    assert client.patch(f"/plans/{draft}", json=body).status_code == 422


def test_a_draft_is_deleted_with_its_grids_and_the_audit_log_says_who(client, db, draft):
    assert _count(db, m.grid, draft) > 0
    answer = client.delete(f"/plans/{draft}")
    assert answer.status_code == 204, answer.text
    assert client.get(f"/plans/{draft}").status_code == 404
    assert _count(db, m.grid, draft) == 0 and _count(db, m.grid_assignment, draft) == 0
    with db.connect() as conn:
        rows = (
            conn.execute(
                sa.select(m.audit_log.c.action).where(
                    m.audit_log.c.entity == "grid_plan", m.audit_log.c.entity_key == str(draft)
                )
            )
            .scalars()
            .all()
        )
    assert "delete" in [r.lower() for r in rows]


def test_a_published_plan_cannot_be_deleted(client, db, draft):
    plans.publish(db, draft, effective_from=date(2026, 1, 1))
    answer = client.delete(f"/plans/{draft}")
    assert answer.status_code == 409
    assert "history" in answer.json()["fix"]
    assert plans.get_plan(db, draft)["status"] == "published"


def test_an_unknown_plan_is_404(client, draft):
    assert client.delete("/plans/999999").status_code == 404
    assert client.patch("/plans/999999", json={"name": "a"}).status_code == 404


def test_a_street_office_of_another_street_can_neither_rename_nor_delete(client, db, draft):
    other = bearer(db, "street_office", "420106002")
    assert client.delete(f"/plans/{draft}", headers=other).status_code == 403
    assert client.patch(f"/plans/{draft}", json={"name": "a"}, headers=other).status_code == 403
    assert plans.get_plan(db, draft)["name"] != "a"
    anonymous = {"Authorization": ""}
    assert client.delete(f"/plans/{draft}", headers=anonymous).status_code in (401, 403)
