"""Background work (partitions) runs in processes at the lowest CPU priority."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI

from api import background
from tests.processes import alive, wait_until


def test_background_processes_run_at_nice_19():
    app = FastAPI()
    background.start(app, 1)
    try:
        assert app.state.background.submit(os.nice, 0).result(timeout=120) == 19
    finally:
        background.stop(app)


#: A server that starts its pool, runs one job, then dies without shutting the pool down.
_DYING_SERVER = """
import os, sys
from fastapi import FastAPI
from api import background
from tests.processes import alive, wait_until
app = FastAPI()
background.start(app, 2)
print(app.state.background.submit(os.getpid).result(timeout=120), flush=True)
os._exit(0)
"""


def test_pool_processes_end_when_their_server_dies():
    done = subprocess.run(
        [sys.executable, "-c", _DYING_SERVER], capture_output=True, text=True, timeout=180,
        check=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    child = int(done.stdout.split()[-1])
    assert wait_until(lambda: not alive(child), 15), f"pool process {child} outlived its server"
