"""Backing up and restoring wangge's database with pg_dump and pg_restore.

A backup is a pg_dump archive in custom format of the whole wangge database: every table
(``alembic_version`` too, which records the schema revision), sequence, function and
trigger, but not the extensions' own objects: PostGIS and pg_trgm are installed, not
backed up, and the rows PostGIS owns in ``spatial_ref_sys`` are left out.

A restore refuses a file that is not a complete wangge backup (not a pg_dump archive, cut
short, or without ``alembic_version``) and a backup from a schema revision this code does
not know, before it touches the database. It then replaces every backed-up object in one
transaction (``pg_restore --clean --if-exists --single-transaction``), so a restore that
fails leaves the database as it was, and brings the schema up to the code's revision.

The client programs are those of the server's major version
(``/usr/lib/postgresql/<major>/bin``), since pg_dump refuses a newer server and an older
pg_restore cannot read a newer archive; ``WANGGE_PG_BINDIR`` overrides the folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import URL, Engine

from api.database import alembic_config, current_revision, migrate
from gis.errors import DatabaseUnavailable, InputError

#: TOC entry types that belong to extensions, not to wangge: never restored.
_EXTENSION_ENTRIES = re.compile(r"^\d+; \d+ \d+ (EXTENSION|COMMENT - EXTENSION) ")
_SPATIAL_REF_SYS_DATA = re.compile(r"^\d+; \d+ \d+ TABLE DATA \S+ spatial_ref_sys ")
_ALEMBIC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE \S+ alembic_version ")
_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )\S+ ")
_EXTENSION_NAME = re.compile(r"^\d+; \d+ \d+ EXTENSION - (\w+) ")


class BackupError(InputError):
    """A backup that cannot be written there, or a file that cannot be restored."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds: its schema revision, extensions and number of tables."""

    path: Path
    revision: str
    extensions: tuple[str, ...]
    tables: int


# ------------------------------------------------------------------ programs
def client_bindir(engine: Engine) -> Path:
    """The folder of ``pg_dump``/``pg_restore`` matching the server's major version.

    Raises
    ------
    DatabaseUnavailable
        If the programs of that version are not installed.
    """
    override = os.environ.get("WANGGE_PG_BINDIR")
    with engine.connect() as conn:
        version = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one())
    major = version // 10000
    folder = Path(override) if override else Path(f"/usr/lib/postgresql/{major}/bin")
    if not (folder / "pg_dump").exists() or not (folder / "pg_restore").exists():
        raise DatabaseUnavailable(
            f"pg_dump and pg_restore for PostgreSQL {major} are not in {folder}",
            fix=f"apt-get install postgresql-client-{major}, or set WANGGE_PG_BINDIR",
        )
    return folder


def libpq_env(url: URL) -> dict[str, str]:
    """Environment variables that point libpq programs at ``url`` (password not on argv)."""
    query = {k: (v[0] if isinstance(v, tuple) else v) for k, v in url.query.items()}
    pairs = {
        "PGHOST": query.get("host") or url.host,
        "PGPORT": query.get("port") or (str(url.port) if url.port else None),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": query.get("sslmode"),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({k: str(v) for k, v in pairs.items() if v})
    return env


def _run(program: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(program), *args], capture_output=True, text=True, env=env)


def _tail(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in (proc.stderr or proc.stdout).strip().splitlines() if line]
    return "; ".join(lines[-3:]) or f"exit status {proc.returncode}"


# ------------------------------------------------------------------ backup
def backup(engine: Engine, path: str | os.PathLike) -> BackupInfo:
    """Write a backup of the database of ``engine`` to ``path`` (pg_dump custom format).

    The file appears only when the dump is complete: it is written beside ``path`` and
    renamed.

    Returns
    -------
    BackupInfo
        The revision and contents of the new backup.

    Raises
    ------
    BackupError
        If the folder of ``path`` does not exist.
    DatabaseUnavailable
        If pg_dump fails (server unreachable, programs missing).
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise BackupError(
            f"cannot write {target}: the folder {target.parent} does not exist",
            fix="create the folder first, or give another path",
        )
    bindir = client_bindir(engine)
    env = libpq_env(engine.url)
    partial = target.with_name(f".{target.name}.partial")
    proc = _run(
        bindir / "pg_dump",
        ["--format=custom", "--exclude-table-data=spatial_ref_sys", f"--file={partial}"],
        env,
    )
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        raise DatabaseUnavailable(f"pg_dump failed: {_tail(proc)}", fix="see the message above")
    partial.replace(target)
    return inspect_backup(engine, target)


# ------------------------------------------------------------------ checks
def inspect_backup(engine: Engine, path: str | os.PathLike) -> BackupInfo:
    """Read a backup completely and say what it holds, without touching the database.

    Raises
    ------
    BackupError
        If the file is missing, not a pg_dump archive, cut short or damaged, or not a
        wangge backup (no ``alembic_version`` table).
    """
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"backup file {source} does not exist", fix="check the path")
    pg_restore = client_bindir(engine) / "pg_restore"
    env = libpq_env(engine.url)
    listing = _run(pg_restore, ["--list", str(source)], env)
    if listing.returncode != 0:
        raise BackupError(
            f"{source.name} is not a wangge backup, or is cut short: pg_restore cannot read "
            f"it ({_tail(listing)})",
            fix="give a complete file written by 'wangge backup'",
        )
    toc = listing.stdout.splitlines()
    if not any(_ALEMBIC_TABLE.match(line) for line in toc):
        raise BackupError(
            f"{source.name} is a PostgreSQL dump but not a wangge backup: it has no "
            "alembic_version table",
            fix="give a file written by 'wangge backup'",
        )
    # reading every data block finds a file cut short before the database is touched
    whole = _run(pg_restore, ["--file=/dev/null", str(source)], env)
    if whole.returncode != 0:
        raise BackupError(
            f"{source.name} is damaged or cut short: {_tail(whole)}",
            fix="restore from another copy of the backup",
        )
    revision = _backup_revision(pg_restore, source, env)
    extensions = tuple(m.group(1) for line in toc if (m := _EXTENSION_NAME.match(line)))
    tables = sum(1 for line in toc if _TABLE.match(line))
    return BackupInfo(source, revision, extensions, tables)


def _backup_revision(pg_restore: Path, source: Path, env: dict[str, str]) -> str:
    proc = _run(
        pg_restore, ["--data-only", "--table=alembic_version", "--file=-", str(source)], env
    )
    lines = proc.stdout.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("COPY "))
        revision = lines[start + 1].strip()
    except (StopIteration, IndexError):
        revision = ""
    if proc.returncode != 0 or not revision or revision == "\\.":
        raise BackupError(
            f"{source.name} has no schema revision in its alembic_version table",
            fix="give a file written by 'wangge backup'",
        )
    return revision


def _refuse_unknown_revision(info: BackupInfo, engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    try:
        known = script.get_revision(info.revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"{info.path.name} is from schema revision {info.revision}, newer than this "
            f"wangge knows (latest {script.get_current_head()})",
            fix="upgrade wangge to the version that wrote the backup, then restore",
        )
    current = current_revision(engine)
    if current and current != info.revision and _is_ancestor(script, info.revision, current):
        raise BackupError(
            f"the database is at schema revision {current}, newer than the backup's "
            f"{info.revision}; its newer tables would survive the restore",
            fix=f"run 'wangge db migrate {info.revision}' first (restore then upgrades the "
            "schema again), or restore into an empty database",
        )


def _is_ancestor(script: ScriptDirectory, older: str, newer: str) -> bool:
    return any(rev.revision == older for rev in script.iterate_revisions(newer, "base"))


# ------------------------------------------------------------------ restore
def restore(engine: Engine, path: str | os.PathLike) -> BackupInfo:
    """Replace the database's contents by a backup, all or nothing, then migrate to head.

    Parameters
    ----------
    engine : Engine
        The database to restore into (its extensions are created if missing).
    path : str or os.PathLike
        A file written by :func:`backup`.

    Returns
    -------
    BackupInfo
        What was restored.

    Raises
    ------
    BackupError
        If the file is not a complete wangge backup, is from an unknown (newer) schema
        revision, or the database is at a newer revision than the backup (nothing is
        changed); or if pg_restore fails while restoring (its transaction is rolled back,
        so nothing is changed either; only missing extensions stay created).
    """
    info = inspect_backup(engine, path)
    _refuse_unknown_revision(info, engine)
    with engine.begin() as conn:
        for name in info.extensions:
            conn.execute(sa.text(f'CREATE EXTENSION IF NOT EXISTS "{name}"'))
    pg_restore = client_bindir(engine) / "pg_restore"
    env = libpq_env(engine.url)
    listing = _run(pg_restore, ["--list", str(info.path)], env).stdout.splitlines()
    kept = [
        line
        for line in listing
        if not _EXTENSION_ENTRIES.match(line) and not _SPATIAL_REF_SYS_DATA.match(line)
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".list") as use_list:
        use_list.write("\n".join(kept) + "\n")
        use_list.flush()
        proc = _run(
            pg_restore,
            [
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--no-owner",
                "--no-privileges",
                f"--use-list={use_list.name}",
                f"--dbname={env.get('PGDATABASE', '')}",
                str(info.path),
            ],
            env,
        )
    if proc.returncode != 0:
        raise BackupError(
            f"pg_restore failed, so nothing was restored: {_tail(proc)}",
            fix="the database is as it was before; check the message and the backup file",
        )
    engine.dispose()  # pooled connections may hold plans of the dropped tables
    migrate(engine)
    return info
