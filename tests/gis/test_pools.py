"""Process pools whose children are niced and end with the process that started them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import alive, wait_until

#: A process that starts a pool at nice 5, runs one task, then dies without shutting it down.
_DYING_PARENT = """
import os, sys
from gis.pools import process_pool
pool = process_pool(2, nice=5, start_method=sys.argv[1])
child_pid = pool.submit(os.getpid).result(timeout=120)
child_nice = pool.submit(os.nice, 0).result(timeout=120)
print(os.nice(0), child_nice, child_pid, flush=True)
os._exit(0)
"""


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_pool_children_are_niced_and_end_with_their_parent(start_method):
    done = subprocess.run(
        [sys.executable, "-c", _DYING_PARENT, start_method], capture_output=True, text=True,
        timeout=180,
        check=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    parent_nice, child_nice, child = map(int, done.stdout.split()[-3:])
    assert child_nice == parent_nice + 5
    assert wait_until(lambda: not alive(child), 15), f"pool process {child} outlived its parent"
