"""The grid planning page in real Chromium: run, paint, undo, lock and re-run, publish, conflict.

Every test works on its own draft of the tiny city's first community, made through the API
by a street-office account of the city's street, and clicks what a planner clicks.
"""

from __future__ import annotations

import re

import httpx
import pytest
import sqlalchemy as sa

from api import models as m
from tests.api.conftest import bearer

STREET = "420106001"
COMMUNITY = "420106001001"


@pytest.fixture
def headers(city):
    """A street-office account of the tiny city's street."""
    return bearer(city.engine, "street_office", STREET)


@pytest.fixture
def planner(visit, served, headers):
    """The page with the street office's token in the browser session."""
    token = headers["Authorization"].split()[1]
    visit.page.add_init_script(f"sessionStorage.setItem('wangge.token', '{token}')")
    return visit


@pytest.fixture
def draft(served, headers) -> dict:
    """A new draft of the first community (15% band, seed 0)."""
    answer = httpx.post(
        f"{served.url}/plans", json={"communities": [COMMUNITY], "name": "测试草稿"},
        headers=headers, timeout=120,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()


def _open(page, url: str, plan_id: int) -> None:  # noqa: ANN001
    page.goto(f"{url}/map/plans?plan={plan_id}")
    page.wait_for_function(
        f"() => window.wanggePlan && window.wanggePlan.ready && window.wanggePlan.plan.id === "
        f"{plan_id} && Object.keys(window.wanggePlan.buildings).length > 0",
        timeout=30_000,
    )


def _settled(page) -> None:  # noqa: ANN001
    page.wait_for_function("() => window.wanggePlan.pending === 0", timeout=30_000)


def _state(page, expression: str):  # noqa: ANN001, ANN202
    return page.evaluate(f"() => {{ const s = window.wanggePlan; return {expression}; }}")


def _count(page, grid_id: int) -> int:  # noqa: ANN001
    text = page.text_content(f"[data-grid-count='{grid_id}']")
    return int(re.match(r"(\d+)", text).group(1))


def _click_building(page, building_id: int) -> None:  # noqa: ANN001
    """Click the building on the map, at the centre of its footprint on screen."""
    page.mouse.click(*_screen(page, building_id))


def _screen(page, building_id: int) -> tuple[float, float]:  # noqa: ANN001
    """Where the centre of a building's footprint is on the page, in pixels."""
    return tuple(page.evaluate(
        """(id) => {
            const s = window.wanggePlan, p = s.map.latLngToContainerPoint(
                s.buildings[id].layer.getCenter());
            const box = s.map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        building_id,
    ))  # fmt: skip


def _assignment(engine: sa.Engine, plan_id: int) -> dict[int, int]:
    a = m.grid_assignment
    with engine.connect() as conn:
        query = sa.select(a.c.building_id, a.c.grid_id).where(a.c.plan_id == plan_id)
        return dict(conn.execute(query).all())


def _pick_move(page) -> tuple[int, int, int, int]:  # noqa: ANN001
    """A building of grid B and grid A to paint it into: B's building nearest A's outline."""
    return tuple(
        page.evaluate(
            """() => {
                const s = window.wanggePlan;
                const grids = Object.values(s.grids).filter(g => g.layer)
                    .sort((a, b) => a.code < b.code ? -1 : 1);
                const a = grids[0], centre = a.layer.getBounds().getCenter();
                let best = null;
                Object.values(s.buildings).forEach(b => {
                    if (b.grid === a.id || b.grid === null || b.households === 0) return;
                    const d = centre.distanceTo(b.layer.getCenter());
                    if (!best || d < best.d) best = {d: d, b: b};
                });
                return [a.id, best.b.grid, best.b.id, best.b.households];
            }"""
        )
    )


def test_without_login_the_page_sends_to_the_login(served, visit):
    visit.page.goto(f"{served.url}/map/plans")
    visit.page.wait_for_url(re.compile(r".*/login\?next=%2Fmap%2Fplans$"))


def test_auto_partition_runs_with_progress_and_opens_the_draft(served, planner, city):
    page = planner.page
    page.goto(f"{served.url}/map/plans")
    page.wait_for_selector("#run-box[open] #run-community option", state="attached")
    page.select_option("#run-community", COMMUNITY)
    page.fill("#run-target", "300")
    page.fill("#run-tolerance", "15")
    page.click("#run")
    page.wait_for_function(
        "() => window.wanggePlan.plan && window.wanggePlan.plan.status === 'draft' && "
        "Object.keys(window.wanggePlan.grids).length > 0", timeout=120_000,
    )  # fmt: skip
    job = _state(page, "s.job")
    assert job["status"] == "done" and job["done"] == job["total"] >= 1
    plan_id = _state(page, "s.plan.id")
    assert job["plan_id"] == plan_id
    assert _state(page, "s.plan.community_codes") == [COMMUNITY]
    grids = page.locator("#grid-table tbody tr").count()
    with city.engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).where(m.grid.c.plan_id == plan_id))
        assert grids == stored.scalar_one() > 1
    assert "草稿" in page.text_content("#plan-state")
    host = served.url.split("//")[1]
    assert [u for u in planner.requests if host not in u and not u.startswith("data:")] == []
    assert planner.errors == []


def test_painting_a_building_changes_both_counts_and_undo_restores_them(
    served, planner, draft, city
):
    page = planner.page
    _open(page, served.url, draft["id"])
    into, source, building, households = _pick_move(page)
    before_into, before_source = _count(page, into), _count(page, source)
    page.click(f"#grid-table tr[data-grid='{into}']")
    page.check("input[name=tool][value=paint]")
    _click_building(page, building)
    assert _count(page, into) == before_into + households
    assert _count(page, source) == before_source - households
    _settled(page)
    assert _state(page, "s.version") == draft["version"] + 1
    assert _assignment(city.engine, draft["id"])[building] == into
    assert "已自动保存" in page.text_content("#save-state")

    page.click("#undo")
    assert _count(page, into) == before_into
    assert _count(page, source) == before_source
    _settled(page)
    assert _assignment(city.engine, draft["id"])[building] == source
    assert _state(page, "s.version") == draft["version"] + 2
    page.click("#redo")
    _settled(page)
    assert _assignment(city.engine, draft["id"])[building] == into
    assert _count(page, into) == before_into + households
    assert planner.errors == []


def test_a_locked_grid_is_unchanged_by_a_rerun(served, planner, draft, city):
    page = planner.page
    _open(page, served.url, draft["id"])
    grid_id = _state(page, "Object.values(s.grids).sort((a, b) => a.code < b.code ? -1 : 1)[1].id")
    g = m.grid
    with city.engine.connect() as conn:
        before = conn.execute(
            sa.select(g.c.code, sa.func.ST_AsBinary(g.c.geometry)).where(g.c.id == grid_id)
        ).one()
    members = {b for b, x in _assignment(city.engine, draft["id"]).items() if x == grid_id}
    page.check(f"#grid-table tr[data-grid='{grid_id}'] input.lock")
    _settled(page)
    assert _state(page, f"s.grids[{grid_id}].locked") is True
    page.click("#rerun")
    page.wait_for_function(
        f"() => window.wanggePlan.job && window.wanggePlan.job.status === 'done' && "
        f"window.wanggePlan.version > {draft['version'] + 1} && window.wanggePlan.pending === 0",
        timeout=120_000,
    )
    page.wait_for_function(f"() => window.wanggePlan.grids[{grid_id}]")
    assert _state(page, f"s.grids[{grid_id}].locked") is True
    with city.engine.connect() as conn:
        after = conn.execute(
            sa.select(g.c.code, sa.func.ST_AsBinary(g.c.geometry)).where(g.c.id == grid_id)
        ).one()
    assert after == before
    assert {b for b, x in _assignment(city.engine, draft["id"]).items() if x == grid_id} == members
    assert planner.errors == []


def test_a_plan_out_of_band_is_published_only_with_reasons(served, planner, draft, city):
    page = planner.page
    _open(page, served.url, draft["id"])
    _into, _source, building, _households = _pick_move(page)
    page.click("#new-grid")  # one building alone is a grid far below the band
    _click_building(page, building)
    _settled(page)
    new = _state(page, "s.active")
    assert new is not None and _state(page, f"s.buildings[{building}].grid") == new
    page.click("#publish")
    page.wait_for_selector("#publish-box:not([hidden])")
    code = _state(page, f"s.grids[{new}].code")
    assert code in page.text_content("#problems")
    page.click("#publish-confirm")
    assert "请填写原因" in page.text_content("#error")
    assert _state(page, "s.plan.status") == "draft"
    for reason in page.locator("#reasons input.reason").all():
        reason.fill("新建楼栋，待入住")
    page.click("#publish-confirm")
    page.wait_for_function("() => window.wanggePlan.plan.status === 'published'", timeout=30_000)
    assert "已发布" in page.text_content("#plan-state")
    shown = page.eval_on_selector_all(
        "#grid-table .code", "spans => spans.map(s => s.getAttribute('title'))"
    )
    r = m.grid_code_registry
    with city.engine.connect() as conn:
        active = set(conn.execute(sa.select(r.c.code).where(r.c.status == "active")).scalars())
    assert code in shown and set(shown) <= active
    assert all(re.fullmatch(rf"{STREET}\d{{6}}", c) for c in shown)
    assert planner.errors == []


def test_an_edit_on_a_draft_changed_elsewhere_gets_the_conflict_message(
    served, planner, draft, headers
):
    page = planner.page
    _open(page, served.url, draft["id"])
    into, source, building, _ = _pick_move(page)
    # someone else moves another building of the draft meanwhile
    other = _state(
        page, f"Object.values(s.buildings).find(b => b.grid === {source} && b.id !== {building}).id"
    )
    answer = httpx.post(
        f"{served.url}/plans/{draft['id']}/moves",
        json={"version": draft["version"], "moves": [{"building_id": other, "grid_id": into}]},
        headers=headers, timeout=30,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    before = _count(page, into)
    page.click(f"#grid-table tr[data-grid='{into}']")
    page.check("input[name=tool][value=paint]")
    _click_building(page, building)
    page.wait_for_selector("#conflict:not([hidden])")
    assert "已被他人修改" in page.text_content("#conflict")
    _settled(page)
    assert _count(page, into) == before  # the unsaved edit is taken back
    page.click("#reload")
    page.wait_for_function("() => !window.wanggePlan.conflict && window.wanggePlan.version === "
                           f"{draft['version'] + 1}")  # fmt: skip
    assert page.locator("#conflict").is_hidden()
    assert [e for e in planner.errors if "409" not in e] == []


def _drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:  # noqa: ANN001
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=4)
    page.mouse.move(*end, steps=4)
    page.mouse.up()


def test_box_select_paints_every_building_in_the_box_and_a_reload_keeps_it(
    served, planner, draft, city
):
    page = planner.page
    _open(page, served.url, draft["id"])
    into, source, building, _ = _pick_move(page)
    # a small box around one building of the other grid, drawn on the map
    box = page.evaluate(
        """(id) => {
            const s = window.wanggePlan, b = s.buildings[id].layer.getBounds();
            const m = s.map, r = m.getContainer().getBoundingClientRect();
            const a = m.latLngToContainerPoint(b.getNorthWest()),
                  c = m.latLngToContainerPoint(b.getSouthEast());
            return [r.left + a.x - 3, r.top + a.y - 3, r.left + c.x + 3, r.top + c.y + 3];
        }""",
        building,
    )
    inside = page.evaluate(
        """(box) => {
            const s = window.wanggePlan, m = s.map, r = m.getContainer().getBoundingClientRect();
            const bounds = L.latLngBounds(
                m.containerPointToLatLng([box[0] - r.left, box[1] - r.top]),
                m.containerPointToLatLng([box[2] - r.left, box[3] - r.top]));
            return Object.values(s.buildings).filter(b => bounds.contains(b.layer.getCenter()))
                .map(b => b.id);
        }""",
        box,
    )
    assert building in inside
    page.click(f"#grid-table tr[data-grid='{into}']")
    page.check("input[name=tool][value=box]")
    _drag(page, (box[0], box[1]), (box[2], box[3]))
    _settled(page)
    assignment = _assignment(city.engine, draft["id"])
    assert all(assignment[b] == into for b in inside)
    expected = _count(page, into)
    page.reload()
    _open(page, served.url, draft["id"])
    assert _count(page, into) == expected  # autosaved: the server has the edit
    assert planner.errors == []


def test_merging_a_grid_moves_all_its_buildings_and_removes_it(served, planner, draft, city):
    page = planner.page
    _open(page, served.url, draft["id"])
    into, source, _, _ = _pick_move(page)
    total = _count(page, into) + _count(page, source)
    page.click(f"#grid-table tr[data-grid='{into}']")
    page.select_option("#merge-from", str(source))
    page.click("#merge")
    _settled(page)
    assert _count(page, into) == total
    assert page.locator(f"#grid-table tr[data-grid='{source}']").count() == 0
    assert source not in set(_assignment(city.engine, draft["id"]).values())
    page.click("#undo")  # the emptied grid comes back as a new grid with its buildings
    _settled(page)
    assert _count(page, into) == total - _count(page, _state(page, "s.active"))
    assert planner.errors == []


def test_a_grid_in_pieces_is_marked_in_the_panel_and_on_the_map(served, planner, draft):
    page = planner.page
    _open(page, served.url, draft["id"])
    # the building farthest from the first grid cannot touch it
    into, building = page.evaluate(
        """() => {
            const s = window.wanggePlan;
            const a = Object.values(s.grids).sort((x, y) => x.code < y.code ? -1 : 1)[0];
            const centre = a.layer.getBounds().getCenter();
            let far = null;
            Object.values(s.buildings).forEach(b => {
                const d = centre.distanceTo(b.layer.getCenter());
                if (b.grid !== a.id && (!far || d > far.d)) far = {d: d, b: b};
            });
            return [a.id, far.b.id];
        }"""
    )
    page.click(f"#grid-table tr[data-grid='{into}']")
    page.check("input[name=tool][value=paint]")
    _click_building(page, building)
    _settled(page)
    row = page.locator(f"#grid-table tr[data-grid='{into}']")
    assert "pieces" in row.get_attribute("class")
    assert "分成 2 块" in row.text_content()
    assert _state(page, f"s.grids[{into}].layer.getLayers()[0].options.color") == "#d50000"
    page.click("#validate")
    page.wait_for_selector("#publish-box:not([hidden])")
    assert "pieces" in page.text_content("#problems")
    assert planner.errors == []


def test_a_csv_imported_from_the_page_opens_as_a_draft(served, planner, draft, headers, tmp_path):
    exported = httpx.get(
        f"{served.url}/plans/{draft['id']}/export?format=csv", headers=headers, timeout=30
    )
    assert exported.status_code == 200, exported.text
    path = tmp_path / "plan.csv"
    path.write_bytes(exported.content)
    page = planner.page
    page.goto(f"{served.url}/map/plans")
    page.click("#import-box summary")
    page.click("#import")  # nothing chosen yet
    assert "请先选择" in page.text_content("#error")
    page.set_input_files("#import-file", str(path))
    page.fill("#import-name", "导入的方案")
    page.click("#import")
    page.wait_for_function(
        f"() => window.wanggePlan.ready && window.wanggePlan.plan.id > {draft['id']}",
        timeout=60_000,
    )
    assert _state(page, "s.plan.name") == "导入的方案"
    assert page.locator("#grid-table tbody tr").count() == draft["grids"]
    page.select_option("#compare", str(draft["id"]))
    page.wait_for_selector("#moved-count")
    assert page.text_content("#moved-count") == "0"
    assert "平均紧凑度" in page.text_content("#diff")
    assert planner.errors == []


def test_fifty_one_edits_can_all_be_undone(served, planner, draft, city):
    page = planner.page
    _open(page, served.url, draft["id"])
    into, source, building, _ = _pick_move(page)
    before = _assignment(city.engine, draft["id"])
    page.check("input[name=tool][value=paint]")
    for step in range(51):  # the building back and forth between the two grids
        page.click(f"#grid-table tr[data-grid='{into if step % 2 == 0 else source}']")
        _click_building(page, building)
    _settled(page)
    assert _state(page, "s.undo.length") == 51
    assert _assignment(city.engine, draft["id"])[building] == into
    for _ in range(51):
        page.click("#undo")
    _settled(page)
    assert page.locator("#undo").is_disabled()
    assert _state(page, "s.redo.length") == 51
    assert _assignment(city.engine, draft["id"]) == before
    assert _state(page, "s.version") == draft["version"] + 102
    assert planner.errors == []


def test_a_draft_is_renamed_and_deleted_from_the_page(served, planner, draft, city):
    page = planner.page
    _open(page, served.url, draft["id"])
    answers = iter(["北片方案", None])
    page.on("dialog", lambda d: d.accept(next(answers) or "") if d.type == "prompt" else d.accept())
    page.click("#rename")
    page.wait_for_function(
        "() => document.getElementById('plans').textContent.includes('北片方案')"
    )
    assert _state(page, "s.plan.name") == "北片方案"
    page.click("#delete")
    page.wait_for_function("() => window.wanggePlan.plan === null")
    assert page.locator("#plan-box").is_hidden()
    page.wait_for_function(
        f"() => !document.getElementById('plans').textContent.includes('#{draft['id']} ')"
    )
    with city.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(m.grid_plan.c.id == draft["id"])
        assert conn.execute(query).scalar_one() == 0
    assert planner.errors == []


def test_a_brush_stroke_paints_each_building_it_passes_as_one_edit(served, planner, draft, city):
    page = planner.page
    _open(page, served.url, draft["id"])
    into, source, first, _ = _pick_move(page)
    # a second building of the same source grid to end the stroke on
    second = _state(
        page,
        f"Object.values(s.buildings).filter(b => b.grid === {source} && b.id !== {first})"
        f".sort((a, b) => a.layer.getCenter().distanceTo(s.buildings[{first}].layer.getCenter())"
        " - b.layer.getCenter().distanceTo(s.buildings["
        + str(first)
        + "].layer.getCenter()))[0].id",
    )
    page.click(f"#grid-table tr[data-grid='{into}']")
    page.check("input[name=tool][value=paint]")
    _drag(page, _screen(page, first), _screen(page, second))
    _settled(page)
    assert _state(page, "s.undo.length") == 1  # one stroke, one undo step
    assignment = _assignment(city.engine, draft["id"])
    assert assignment[first] == into and assignment[second] == into
    page.click("#undo")
    _settled(page)
    assignment = _assignment(city.engine, draft["id"])
    assert assignment[first] == source and assignment[second] == source
    assert planner.errors == []


def test_whole_compound_mode_paints_every_building_of_the_compound(served, planner, draft, city):
    page = planner.page
    _open(page, served.url, draft["id"])
    building, compound, into = page.evaluate(
        """() => {
            const s = window.wanggePlan;
            for (const [c, ids] of Object.entries(s.compounds)) {
                if (ids.length < 2) continue;
                const b = s.buildings[ids[0]];
                const other = Object.values(s.grids).find(g => g.community === b.community
                    && g.id !== b.grid && !g.locked);
                if (other) return [b.id, ids, other.id];
            }
            return null;
        }"""
    )
    page.click(f"#grid-table tr[data-grid='{into}']")
    page.check("input[name=tool][value=paint]")
    page.check("#whole-compound")
    _click_building(page, building)
    _settled(page)
    assignment = _assignment(city.engine, draft["id"])
    assert all(assignment[b] == into for b in compound)
    assert planner.errors == []
