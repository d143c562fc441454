"""Debian's Chromium for the page benches, driven by playwright (no browser is downloaded)."""

from __future__ import annotations

from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
#: Flags for running as root in a container, with nothing fetched in the background.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-gpu",
]  # fmt: skip


def launch(pw: Playwright) -> Browser:
    """Headless Debian Chromium."""
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
