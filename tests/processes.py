"""Watching processes from the tests: whether one is alive, waiting for a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie has exited, waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def wait_until(check: Callable[[], bool], timeout: float = 60) -> bool:
    """Poll ``check`` until it holds (``True``) or ``timeout`` seconds pass (``False``)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.2)
    return check()
