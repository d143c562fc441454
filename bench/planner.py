"""How fast the planning page answers an edit, in Chromium, on the district's largest community.

wangge runs as its own ``uvicorn`` process; a street-office account makes a draft of the
community with the most buildings (``POST /plans``) and Debian's Chromium (playwright, no
browser downloaded) opens ``/map/plans?plan=ID``. It then paints ``--edits`` buildings, one
click each, into a neighbouring grid and undoes each edit, and reads the page's own
timings (``window.wanggePlan.timing``, from the mouse-up that ends the gesture):

- **panel**: the building recoloured and the live panel (households against the band,
  deviation, compactness, pieces, compounds split) recomputed;
- **frame**: the next animation frame after that, i.e. the change is on screen;
- **saved**: the server has stored the move, redrawn the two grids and answered, and the
  page has drawn the new outlines.

Goal (issue 7): the panel updated within 200 ms of an edit at community scale. The plan
load (``/plans/{id}/buildings`` and ``/grids``) is timed too. There is no peer tool to run
side by side (the redistricting tools the issue names are web services); the goal is the
yardstick.

    python bench/planner.py                    # creates, loads and drops a database
    python bench/planner.py --database-url postgresql+psycopg://postgres@127.0.0.1/wangge_bench_…
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import timedelta

import httpx
import sqlalchemy as sa
from chromium import add_arguments, stage
from playwright.sync_api import Page
from rich.console import Console
from rich.table import Table
from serving import load_average

from api import models as m
from api.auth import store
from api.auth.roles import Role
from api.database import make_engine

GOAL_MS = 200.0


def largest_community(url: str) -> tuple[str, int]:
    """The community with the most buildings, and how many it has."""
    engine = make_engine(url)
    b = m.building
    with engine.connect() as conn:
        code, count = conn.execute(
            sa.select(b.c.community_code, sa.func.count())
            .group_by(b.c.community_code)
            .order_by(sa.func.count().desc(), b.c.community_code)
            .limit(1)
        ).one()
    engine.dispose()
    return code, count


def street_token(url: str, scope: str) -> str:
    """A bearer token of a new street-office account of ``scope``."""
    engine = make_engine(url)
    name = f"bench-planner-{uuid.uuid4().hex[:8]}"
    user = store.add_user(engine, name, "bench-password-1", Role.STREET_OFFICE, scope)
    token, _ = store.issue_token(engine, user["id"], timedelta(hours=2))
    engine.dispose()
    return token


OPEN = """(id) => window.wanggePlan && window.wanggePlan.ready &&
    window.wanggePlan.plan.id === id"""
PICK = """() => {
    const s = window.wanggePlan, grids = Object.values(s.grids).filter(g => g.layer);
    // pairs (building, grid it borders) over the community: the building's centre is
    // nearest another grid's outline among the grids
    const out = [];
    Object.values(s.buildings).forEach(b => {
        if (b.grid === null || b.households === 0 || out.length >= 400) return;
        const c = b.layer.getCenter();
        const other = grids.filter(g => g.id !== b.grid && g.layer.getBounds().pad(0.02)
            .contains(c))[0];
        if (other) out.push([b.id, other.id]);
    });
    return out;
}"""
CLICK = """(id) => {
    const s = window.wanggePlan, layer = s.buildings[id].layer;
    const p = s.map.latLngToContainerPoint(layer.getCenter());
    const box = s.map.getContainer().getBoundingClientRect();
    return [box.left + p.x, box.top + p.y];
}"""


def edit_timings(page: Page, pairs: list[list[int]], edits: int) -> list[dict]:
    """Paint and undo ``edits`` buildings; the page's timing of each gesture."""
    out = []
    for building, grid in pairs:
        if len(out) == edits:
            break
        page.click(f"#grid-table tr[data-grid='{grid}']")
        page.check("input[name=tool][value=paint]")
        x, y = page.evaluate(CLICK, building)
        page.evaluate("() => { window.wanggePlan.timing = null; }")
        page.mouse.click(x, y)
        page.wait_for_function("() => window.wanggePlan.pending === 0", timeout=60_000)
        timing = page.evaluate("() => window.wanggePlan.timing")
        if not timing or "saved" not in timing:  # the click missed, or the edit was refused
            error = page.evaluate("() => window.wanggePlan.lastError")
            print(f"  building {building}: not timed ({error})")
            continue
        out.append(timing)
        page.click("#undo")
        page.wait_for_function("() => window.wanggePlan.pending === 0", timeout=60_000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--edits", type=int, default=20, help="edits to time (default 20)")
    args = parser.parse_args()
    console = Console(width=max(Console().width, 140))
    with stage(args, console) as on:
        community, buildings = largest_community(on.url)
        token = street_token(on.url, community[:9])
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        answer = httpx.post(
            f"{on.server.url}/plans", json={"communities": [community]}, headers=headers,
            timeout=600,
        )  # fmt: skip
        answer.raise_for_status()
        plan = answer.json()
        console.print(
            f"draft {plan['id']} of community {community}: {buildings} buildings, "
            f"{plan['grids']} grids, partitioned in {time.perf_counter() - started:.1f} s"
        )
        context = on.browser.new_context(viewport={"width": 1366, "height": 768})
        context.add_init_script(f"sessionStorage.setItem('wangge.token', '{token}')")
        page = context.new_page()
        started = time.perf_counter()
        page.goto(f"{on.server.url}/map/plans?plan={plan['id']}")
        page.wait_for_function(OPEN, arg=plan["id"], timeout=120_000)
        load_s = time.perf_counter() - started
        pairs = page.evaluate(PICK)
        timings = edit_timings(page, pairs, args.edits)
    if not timings:
        console.print("no edit could be timed")
        return 1
    table = Table(title=f"planning page, {len(timings)} one-building edits on {buildings} "
                  f"buildings (plan load {load_s:.2f} s)")  # fmt: skip
    for col in ("measure", "median ms", "p90 ms", "max ms", "goal ms", "median / goal"):
        table.add_column(col, justify="right" if col != "measure" else "left")
    for key, goal in (("panel", GOAL_MS), ("frame", GOAL_MS), ("saved", None)):
        values = sorted(t[key] for t in timings if key in t)
        median = statistics.median(values)
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        table.add_row(
            key, f"{median:.1f}", f"{p90:.1f}", f"{values[-1]:.1f}",
            f"{goal:.0f}" if goal else "—", f"{median / goal:.3f}" if goal else "—",
        )  # fmt: skip
    console.print(table)
    console.print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
