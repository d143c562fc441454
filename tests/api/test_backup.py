"""Backup and restore: a round trip without loss, and files that are refused unchanged."""

import subprocess
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api import backup as backups
from api.cli import app as cli
from api.database import make_engine
from gis.errors import InputError
from tests.corpus import table_digests

runner = CliRunner()


@pytest.fixture
def env(database_url, tmp_path):
    return {"WANGGE_DATABASE_URL": database_url, "WANGGE_DATA_DIR": str(tmp_path), "COLUMNS": "200"}


@pytest.fixture
def saved(city, tmp_path):
    """The published city, backed up; its digests and sequence values at backup time."""
    path = tmp_path / "city.backup"
    backups.backup(city.engine, path)
    return path, table_digests(city.engine), _sequences(city.engine)


def _sequences(engine):
    with engine.connect() as conn:
        return dict(
            conn.execute(
                sa.text("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
            ).all()
        )


def _vandalise(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM grid_code_registry"))
        conn.execute(sa.text("DELETE FROM grid_assignment"))
        conn.execute(sa.text("DELETE FROM building WHERE id % 2 = 0"))
        conn.execute(sa.text("UPDATE facility SET status = 'damaged', name = '改了'"))
        conn.execute(sa.text("DELETE FROM import_log WHERE layer = 'streets'"))


def test_city_has_a_published_plan_and_facilities(city):
    digests = table_digests(city.engine)
    assert {"grid", "grid_plan", "facility", "building", "alembic_version"} <= set(digests)
    assert all(digests[t] is not None for t in ("grid", "grid_plan", "facility", "building"))


def test_cli_round_trip_restores_every_table(city, saved, env, tmp_path):
    _, before, _ = saved
    path = tmp_path / "via-cli.backup"
    result = runner.invoke(cli, ["backup", str(path)], env=env)
    assert result.exit_code == 0, result.output
    _vandalise(city.engine)
    assert table_digests(city.engine) != before
    result = runner.invoke(cli, ["restore", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert table_digests(city.engine) == before


def test_restore_brings_back_sequences(city, saved):
    path, _, sequences = saved
    _vandalise(city.engine)
    backups.restore(city.engine, path)
    assert _sequences(city.engine) == sequences


def test_backup_records_the_schema_revision(city, saved):
    path, before, _ = saved
    info = backups.inspect_backup(city.engine, path)
    with city.engine.connect() as conn:
        head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    assert (info.revision, "postgis" in info.extensions) == (head, True)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("truncated", "cut short"),
        ("not_a_dump", "not a wangge backup"),
        ("empty", "not a wangge backup"),
        ("other_dump", "no alembic_version table"),
        ("missing", "does not exist"),
    ],
)
def test_bad_backup_file_is_refused_and_database_unchanged(city, saved, tmp_path, kind, message):
    path, before, _ = saved
    bad = tmp_path / f"{kind}.backup"
    if kind == "truncated":
        bad.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    elif kind == "not_a_dump":
        bad.write_text("id,name\n1,网格\n", encoding="utf-8")
    elif kind == "empty":
        bad.write_bytes(b"")
    elif kind == "other_dump":
        _dump_one_table(city.engine, bad)
    with pytest.raises(backups.BackupError, match=message) as caught:
        backups.restore(city.engine, bad)
    assert isinstance(caught.value, InputError) and caught.value.fix
    assert table_digests(city.engine) == before


def _dump_one_table(engine, target):
    """A valid pg_dump archive that is not a wangge backup: one table only."""
    bindir = backups.client_bindir(engine)
    env = backups.libpq_env(engine.url)
    subprocess.run(
        [str(bindir / "pg_dump"), "-Fc", "--table=street", f"--file={target}"], env=env, check=True
    )


def test_cli_names_a_bad_file_and_exits_2(city, env, tmp_path):
    bad = tmp_path / "photo.backup"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    result = runner.invoke(cli, ["restore", str(bad)], env=env)
    assert (result.exit_code, "photo.backup is not a wangge backup" in result.output) == (2, True)


def test_backup_from_a_newer_schema_is_refused(city, saved, tmp_path):
    _, before, _ = saved
    future = tmp_path / "future.backup"
    with city.engine.begin() as conn:
        head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    try:
        backups.backup(city.engine, future)
    finally:
        with city.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    with pytest.raises(backups.BackupError, match="9999_future, newer than this wangge knows"):
        backups.restore(city.engine, future)
    assert table_digests(city.engine) == before


def test_failing_restore_changes_nothing(city, saved):
    """pg_restore failing halfway (a view of another's blocks dropping a table) rolls back whole."""
    path, _, _ = saved
    _vandalise(city.engine)
    before = table_digests(city.engine)
    with city.engine.begin() as conn:
        conn.execute(sa.text("CREATE VIEW someone_elses_view AS SELECT id FROM building"))
    try:
        with pytest.raises(backups.BackupError, match="nothing was restored.*depend"):
            backups.restore(city.engine, path)
        assert table_digests(city.engine) == before
    finally:
        with city.engine.begin() as conn:
            conn.execute(sa.text("DROP VIEW someone_elses_view"))


@pytest.fixture
def empty_database(database_url):
    """A new database on the same server, without PostGIS or any table; dropped after."""
    url = make_url(database_url)
    name = f"wangge_restore_{uuid.uuid4().hex[:8]}"
    admin = url.set(database="postgres", drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_restore_into_an_empty_database_recreates_everything(city, saved, empty_database, env):
    path, before, _ = saved
    result = runner.invoke(
        cli, ["restore", str(path)], env={**env, "WANGGE_DATABASE_URL": empty_database}
    )
    assert result.exit_code == 0, result.output
    engine = make_engine(empty_database)
    try:
        assert table_digests(engine) == before
    finally:
        engine.dispose()


def test_backup_older_than_the_database_is_refused(city, saved, tmp_path):
    _, before, _ = saved
    old = tmp_path / "old.backup"
    with city.engine.begin() as conn:
        head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        backups.backup(city.engine, old)
    finally:
        with city.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    with pytest.raises(backups.BackupError, match=f"at schema revision {head}, newer than"):
        backups.restore(city.engine, old)
    assert table_digests(city.engine) == before


def test_backup_into_a_missing_folder_is_refused(city, tmp_path):
    with pytest.raises(backups.BackupError, match="does not exist"):
        backups.backup(city.engine, tmp_path / "no" / "such" / "x.backup")
