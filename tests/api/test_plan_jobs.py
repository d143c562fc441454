# ruff: noqa: F811  (fixtures shared with test_plan_locks are imported, then named as arguments)
"""Re-running a draft around its locked grids, and partitions as background jobs."""

import time

import geopandas as gpd
import pytest
import sqlalchemy as sa

from api import models as m
from api.plans import jobs, rerun
from api.plans.layers import as_wkb, read_frame
from gis.errors import ConflictError
from gis.metrics import coverage
from tests.api.conftest import bearer
from tests.api.test_plan_edits import _grids as edited_grids
from tests.api.test_plan_locks import (  # noqa: F401
    _grid_ids,
    _lock,
    client,
    db,
    draft,
    shared,
    town,
)

pytestmark = pytest.mark.db


def _wait(client, job_id, seconds=120) -> dict:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        job = client.get(f"/plan-jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end: {job}")


def _grids(engine, plan_id) -> gpd.GeoDataFrame:
    """The plan's grids by code (as the edit tests read them) with their lock."""
    g = m.grid
    with engine.connect() as conn:
        locked = dict(
            conn.execute(sa.select(g.c.code, g.c.locked).where(g.c.plan_id == plan_id)).all()
        )
    grids = edited_grids(engine, plan_id)
    return grids.assign(locked=grids.index.map(locked))


def _assigned(engine, plan_id) -> dict[int, int]:
    a = m.grid_assignment
    query = sa.select(a.c.building_id, a.c.grid_id).where(a.c.plan_id == plan_id)
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


@pytest.fixture
def locked_rerun(client, db, draft):
    """The draft with its first grid locked, then re-run at seed 5: (before, after, code)."""
    before = _grids(db, draft)
    code = before.index[0]
    members = {b for b, gid in _assigned(db, draft).items() if gid == before.at[code, "id"]}
    assert _lock(client, draft, int(before.at[code, "id"])).status_code == 200
    answer = client.post(f"/plans/{draft}/rerun", json={"version": 2, "seed": 5})
    assert answer.status_code == 202, answer.text
    job = _wait(client, answer.json()["id"])
    assert job["status"] == "done", job
    return before, members, code, job


def test_a_rerun_keeps_the_locked_grid_as_it_was(db, draft, locked_rerun):
    before, members, code, _ = locked_rerun
    after = _grids(db, draft)
    assert after.at[code, "id"] == before.at[code, "id"] and after.at[code, "locked"]
    assert after.geometry[code].equals_exact(before.geometry[code], 0)
    kept = {b for b, gid in _assigned(db, draft).items() if gid == after.at[code, "id"]}
    assert kept == members


def test_a_rerun_still_tiles_and_places_every_building_once(client, db, draft, locked_rerun):
    after = _grids(db, draft)
    crs = after.estimate_utm_crs()
    with db.connect() as conn:
        k = m.community
        communities = read_frame(conn, sa.select(k.c.code, as_wkb(k.c.boundary)))
        buildings = conn.execute(sa.select(m.building.c.id)).scalars().all()
    for code, boundary in zip(communities["code"], communities.to_crs(crs).geometry, strict=True):
        mine = after[after["community_code"] == code].to_crs(crs)
        cover = coverage(mine.geometry, boundary)
        assert max(cover.values()) < 1.0, (code, cover)
    assert sorted(_assigned(db, draft)) == sorted(buildings)
    problems = client.get(f"/plans/{draft}/validation").json()["problems"]
    words = ("outside its community", "overlap", "lie in no grid", "invalid", "in no grid")
    assert [p for p in problems if any(w in p["problem"] for w in words)] == []


def test_a_rerun_bumps_the_version_and_reports_progress(client, draft, locked_rerun):
    *_, job = locked_rerun
    assert job["kind"] == "rerun" and job["plan_id"] == draft
    assert job["done"] == job["total"] == 2 and job["error"] is None
    plan = client.get(f"/plans/{draft}").json()
    assert plan["version"] == 3 and plan["params"]["seed"] == 5 and plan["metrics"]["rerun"]


def test_a_rerun_keeps_most_codes_of_the_unlocked_grids(db, draft, locked_rerun):
    before, *_ = locked_rerun
    after = _grids(db, draft)
    assert len(set(before.index) & set(after.index)) > len(before) // 2


def test_a_rerun_on_a_stale_version_is_refused_at_once(client, draft):
    answer = client.post(f"/plans/{draft}/rerun", json={"version": 7})
    assert answer.status_code == 409 and "(version 7, now 1): reload" in answer.text


def test_a_rerun_of_a_published_plan_is_refused(client, db, draft):
    from api import plans

    plans.publish(db, draft)
    answer = client.post(f"/plans/{draft}/rerun", json={"version": 1})
    assert answer.status_code == 409 and "only a draft" in answer.text


@pytest.mark.parametrize(
    "body", [{}, {"version": 1, "target": 0}, {"version": 1, "tolerance": 1.5},
             {"version": 1, "seed": -1}, {"version": "one"}],
)  # fmt: skip
def test_a_malformed_rerun_is_422(client, shared, body):
    assert client.post(f"/plans/{shared}/rerun", json=body).status_code == 422


def test_a_draft_changed_during_a_rerun_fails_the_job(db, draft):
    job = jobs.create_job(db, "rerun", ["420106001001"], "test", draft)
    with db.begin() as conn:  # another editor's move lands while the job waits
        conn.execute(m.grid_plan.update().where(m.grid_plan.c.id == draft).values(version=2))
    ended = jobs.run_job(db, job["id"], "rerun", plan_id=draft, version=1)
    assert ended["status"] == "failed" and ended["done"] == 0
    assert "the draft changed since you loaded it (version 1, now 2): reload" in ended["error"]
    assert "Fix: reload plan" in ended["error"]


def test_the_rerun_function_refuses_a_stale_version(db, draft):
    with pytest.raises(ConflictError, match="version 3, now 1"):
        rerun(db, draft, 3)


def test_a_job_that_raises_unexpectedly_ends_failed(db, draft):
    job = jobs.create_job(db, "rerun", ["420106001001"], "test", draft)
    ended = jobs.run_job(db, job["id"], "rerun", plan_id=draft, version=1, target="many")
    assert ended["status"] == "failed" and "unexpected error" in ended["error"]


def test_a_background_partition_answers_202_and_ends_with_a_draft(client, draft):
    answer = client.post("/plans?background=true", json={"tolerance": 0.25})
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert answer.headers["location"] == f"/plan-jobs/{job['id']}"
    assert job["kind"] == "partition" and job["status"] in ("queued", "running", "done")
    ended = _wait(client, job["id"])
    assert ended["status"] == "done" and ended["done"] == ended["total"] == 2
    plan = client.get(f"/plans/{ended['plan_id']}").json()
    assert plan["status"] == "draft" and plan["grids"] > 0


def test_a_failed_background_partition_records_the_error(client, draft):
    answer = client.post("/plans?background=true", json={"communities": ["420106009999"]})
    assert answer.status_code == 202
    ended = _wait(client, answer.json()["id"])
    assert ended["status"] == "failed" and ended["plan_id"] is None
    assert "no community with code 420106009999" in ended["error"] and "Fix:" in ended["error"]


def test_without_background_a_partition_still_answers_the_plan(client, draft):
    answer = client.post("/plans", json={"tolerance": 0.25})
    assert answer.status_code == 201 and answer.json()["status"] == "draft"


def test_a_job_is_visible_only_within_its_scope(client, db, draft):
    job = jobs.create_job(db, "partition", ["420106001001", "420106001002"], "test")
    inside = bearer(db, "street_office", "420106001")
    one_community = bearer(db, "street_office", "420106001001")
    elsewhere = bearer(db, "street_office", "110101001")
    staff = bearer(db, "community_staff", "420106001001")
    assert client.get(f"/plan-jobs/{job['id']}", headers=inside).status_code == 200
    assert client.get(f"/plan-jobs/{job['id']}", headers=one_community).status_code == 403
    assert client.get(f"/plan-jobs/{job['id']}", headers=elsewhere).status_code == 403
    assert client.get(f"/plan-jobs/{job['id']}", headers=staff).status_code == 403


def test_an_unknown_job_is_404(client, draft):
    answer = client.get("/plan-jobs/123456")
    assert answer.status_code == 404 and "no plan job 123456" in answer.text


def test_a_rerun_out_of_scope_is_refused(client, db, draft):
    elsewhere = bearer(db, "street_office", "110101001")
    answer = client.post(f"/plans/{draft}/rerun", json={"version": 1}, headers=elsewhere)
    assert answer.status_code == 403


def test_a_job_whose_process_died_ends_failed(db, draft):
    job = jobs.create_job(db, "rerun", ["420106001001"], "test", draft)
    jobs.fail_if_unfinished(db, job["id"], RuntimeError("worker process killed"))
    ended = jobs.get_job(db, job["id"])
    assert ended["status"] == "failed" and "worker process killed" in ended["error"]


def test_a_job_that_ended_stays_as_it_ended(db, draft):
    job = jobs.create_job(db, "rerun", ["420106001001"], "test", draft)
    with db.begin() as conn:
        conn.execute(m.plan_job.update().where(m.plan_job.c.id == job["id"]).values(status="done"))
    jobs.fail_if_unfinished(db, job["id"], RuntimeError("late"))
    assert jobs.get_job(db, job["id"])["status"] == "done"
