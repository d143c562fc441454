"""Bad input files for import tests (built by ``make_corpus.py``), and what "unchanged" means.

:func:`table_digests` is the md5 of every table's rows: a refused import, a killed process
or a failed restore must leave it equal to what it was.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

CORPUS = Path(__file__).parent


def table_digests(engine: Engine) -> dict[str, str | None]:
    """``{table: md5 of its rows}`` for every table of the public schema but spatial_ref_sys.

    Rows are ordered by their text, so the digest does not depend on physical order.
    Sequences are left out: a rolled-back insert still advances them.
    """
    with engine.connect() as conn:
        tables = (
            conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'spatial_ref_sys' ORDER BY tablename"
                )
            )
            .scalars()
            .all()
        )
        return {
            table: conn.execute(
                sa.text(f"SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM \"{table}\" x")
            ).scalar_one()
            for table in tables
        }
