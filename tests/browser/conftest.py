"""The app on a loopback port (uvicorn in a thread) and headless Chromium, for browser tests.

The tiny city of :mod:`tests.api.conftest` is loaded, partitioned and published, and one
grid gets a staff member. Chromium is Debian's (``make system``); no browser is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from api.settings import DatabaseSettings, Settings
from tests.api.conftest import bearer, city, grid_codes  # noqa: F401  (city is shared)
from tests.live import live_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-gpu",
]  # fmt: skip
PERSON = {"name": "王芳", "post": "B", "duties": "网格巡查、入户走访", "phone": "13812345678"}


@dataclass(frozen=True)
class Served:
    """The running app: its root URL and the grid that has a staff member."""

    url: str
    grid_code: str
    person: dict


@pytest.fixture(scope="module")
def served(city, database_url, tmp_path_factory) -> Iterator[Served]:  # noqa: F811
    """The app on a free loopback port, with one staff member on the first grid."""
    settings = Settings(
        db=DatabaseSettings(database_url=database_url, data_dir=tmp_path_factory.mktemp("data"))
    )
    with live_app(settings) as url:
        yield from _with_staff(city, url)


def _with_staff(loaded, url: str) -> Iterator[Served]:  # noqa: ANN001
    code = grid_codes(loaded.engine, loaded.plan_id)[0]
    admin = bearer(loaded.engine, "admin")
    answer = httpx.post(f"{url}/grids/{code}/staff", json=PERSON, headers=admin, timeout=10)
    assert answer.status_code == 201, answer.text
    yield Served(url, code, answer.json())
    httpx.delete(f"{url}/staff/{answer.json()['id']}", headers=admin, timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """A page with what it requested and the errors it reported."""

    page: Page
    requests: list[str]
    errors: list[str]


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    """A fresh 1280×800 page recording its requests, console errors and page errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    seen = Visit(page, [], [])
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    yield seen
    context.close()
