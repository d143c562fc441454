"""Background work (partitions) runs in processes at the lowest CPU priority."""

from __future__ import annotations

import os

from fastapi import FastAPI

from api import background


def test_background_processes_run_at_nice_19():
    app = FastAPI()
    background.start(app, 1)
    try:
        assert app.state.background.submit(os.nice, 0).result(timeout=120) == 19
    finally:
        background.stop(app)
