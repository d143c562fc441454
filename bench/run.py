"""``make bench``: the partition benchmarks, then the web benchmarks on one loaded district.

Partition: ``bench/partition.py`` with its default arguments, on the synthetic district and
on Nanjing, each in a process of its own. The city size (290 communities, about a million
households) takes a long while, so it is not run here::

    python bench/partition.py --size city

Web: one database is created and the district loaded into it (``bench/district.py``, about
2 minutes), then ``bench/tiles.py`` (wangge against tipg), ``bench/lookup.py`` and
``bench/page.py`` run against it, each in a process of its own; the database is dropped at
the end. ``--only partition`` or ``--only web`` runs one half.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from district import SERVER_URL, bench_database

HERE = Path(__file__).resolve().parent
SIZES = ("district", "nanjing")
WEB = ("tiles.py", "lookup.py", "page.py")


def partition() -> int:
    """Each partition size in turn; the exit status is the first failure's, else 0."""
    status = 0
    for size in SIZES:
        code = subprocess.run(
            [sys.executable, str(HERE / "partition.py"), "--size", size], check=False
        )
        status = status or code.returncode
    print(
        "\nThe city size (290 communities; wangge, METIS and k-means) is not run by "
        "make bench. Run it with:\n    .venv/bin/python bench/partition.py --size city"
    )
    return status


def web(server_url: str) -> int:
    """The web benches against one loaded district; the first failure's status, else 0."""
    status = 0
    with bench_database(server_url) as (url, _):
        for script in WEB:
            print(f"\n== {script}", flush=True)
            code = subprocess.run(
                [sys.executable, str(HERE / script), "--database-url", url], check=False
            )
            status = status or code.returncode
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("partition", "web"))
    parser.add_argument("--server-url", default=SERVER_URL, help="PostgreSQL for the web half")
    args = parser.parse_args()
    status = 0
    if args.only in (None, "partition"):
        status = partition()
    if args.only in (None, "web"):
        status = web(args.server_url) or status
    return status


if __name__ == "__main__":
    sys.exit(main())
