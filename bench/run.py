"""``make bench``: wangge against its peers on the synthetic district, then on Nanjing.

Each size runs ``bench/partition.py`` with its default arguments in a process of its own.
The city size (290 communities, about a million households) takes a long while, so it
is not run here::

    python bench/partition.py --size city
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "partition.py"
SIZES = ("district", "nanjing")


def main() -> int:
    """Run each size in turn; the exit status is the first failure's, else 0."""
    status = 0
    for size in SIZES:
        code = subprocess.run([sys.executable, str(SCRIPT), "--size", size], check=False)
        status = status or code.returncode
    print(
        "\nThe city size (290 communities; wangge, METIS and k-means) is not run by "
        "make bench. Run it with:\n    .venv/bin/python bench/partition.py --size city"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
