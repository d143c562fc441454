"""Debian's Chromium for the page benches, driven by playwright (no browser is downloaded)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from district import District, district_database
from district import add_arguments as add_district_arguments
from playwright.sync_api import Browser, Playwright, sync_playwright
from rich.console import Console
from serving import Server, load_average, uvicorn_server

CHROMIUM = "/usr/bin/chromium"
#: Flags for running as root in a container, with nothing fetched in the background.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-gpu",
]  # fmt: skip


def launch(pw: Playwright) -> Browser:
    """Headless Debian Chromium."""
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@dataclass
class Stage:
    """What a page bench runs on: the district's database, its server and a browser."""

    url: str
    district: District
    server: Server
    browser: Browser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of :func:`stage`: the district's and the server's ``--workers``."""
    add_district_arguments(parser)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")


@contextmanager
def stage(args: argparse.Namespace, console: Console) -> Iterator[Stage]:
    """Load (or reuse) the district, serve it with ``args.workers`` workers, open Chromium.

    ``args`` holds the options of :func:`add_arguments`.
    """
    console.print(f"load average at start: {load_average()}")
    database = district_database(args.database_url, server_url=args.server_url, seed=args.seed)
    with database as (url, district):
        console.print(f"district: {district.describe()}")
        with (
            uvicorn_server(
                "wangge", sys.executable, ["api.app:create_app", "--factory"],
                {"WANGGE_DATABASE_URL": url}, workers=args.workers, ready_path="/healthz",
            ) as server,
            sync_playwright() as pw,
        ):  # fmt: skip
            browser = launch(pw)
            try:
                yield Stage(url, district, server, browser)
            finally:
                browser.close()
