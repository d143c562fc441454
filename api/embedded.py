"""The embedded default database: a private PostgreSQL + PostGIS cluster in the data folder.

With no ``WANGGE_DATABASE_URL``, wangge runs its own cluster: ``initdb`` once, a Unix socket
inside the data folder and no TCP port, the database and the PostGIS extension created on
first start. A second wangge process finds the running cluster (by ``pg_ctl status``) and
reuses it; a file lock keeps two processes from initialising or starting it at once.

PostgreSQL refuses to run as root. When root, the cluster runs as the unprivileged
``postgres`` user that Debian's package creates, in a folder that user owns.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from gis.errors import DatabaseUnavailable

DB_NAME = "wangge"
DB_USER = "wangge"
PORT = 5432  # only names the socket file: the cluster listens on no TCP port
_SOCKET_MAX = 100  # a Unix socket path must stay under 108 bytes on Linux


def find_bindir() -> Path:
    """Return the folder of ``initdb`` and ``pg_ctl``.

    Debian keeps them in ``/usr/lib/postgresql/<version>/bin``, off PATH. ``WANGGE_PG_BINDIR``
    overrides the search; the newest installed version wins.

    Raises
    ------
    DatabaseUnavailable
        If no PostgreSQL server binaries are installed.
    """
    override = os.environ.get("WANGGE_PG_BINDIR")
    candidates = [Path(override)] if override else []
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted(
            (p for p in root.iterdir() if p.name.replace(".", "").isdigit()),
            key=lambda p: float(p.name),
            reverse=True,
        )
        candidates += [v / "bin" for v in versions]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise DatabaseUnavailable(
        "PostgreSQL server programs (initdb, pg_ctl) are not installed",
        fix="run 'make demo' (installs them), or apt-get install postgresql "
        "postgresql-15-postgis-3, or set WANGGE_DATABASE_URL to a PostGIS server",
    )


@dataclass(frozen=True)
class ClusterStatus:
    """What ``wangge db status`` reports."""

    data_dir: Path
    initialised: bool
    running: bool
    url: str

    def describe(self) -> str:
        """One line for the terminal."""
        state = "running" if self.running else "stopped"
        if not self.initialised:
            state = "not initialised"
        return f"embedded PostgreSQL {state} in {self.data_dir}"


class EmbeddedCluster:
    """A private PostgreSQL cluster living in ``data_dir/pg``.

    Parameters
    ----------
    data_dir : Path
        The wangge data folder; the cluster uses its ``pg`` subfolder.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).absolute()
        self.root = self.data_dir / "pg"
        self.pgdata = self.root / "data"
        self.socket_dir = self.root / "run"
        self.logfile = self.root / "postgres.log"
        self._lockfile = self.data_dir / "pg.lock"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the wangge database over the cluster's socket."""
        return f"postgresql+psycopg://{DB_USER}@/{DB_NAME}?host={self.socket_dir}&port={PORT}"

    # ---------------------------------------------------------------- running as
    def _run_as(self) -> dict:
        """Keyword arguments that make a subprocess run as the cluster's owner."""
        if os.geteuid() != 0:
            return {}
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise DatabaseUnavailable(
                "running as root, and there is no 'postgres' user to run the cluster as",
                fix="apt-get install postgresql (it creates the user), or run as a normal user",
            ) from None
        return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": ()}

    def _owner_ids(self) -> tuple[int, int]:
        run_as = self._run_as()
        return (run_as["user"], run_as["group"]) if run_as else (os.getuid(), os.getgid())

    def _pg(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(find_bindir() / program), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root, **self._run_as())
        if check and proc.returncode != 0:
            raise DatabaseUnavailable(
                f"{program} failed: {(proc.stderr or proc.stdout).strip()[-800:]}",
                fix=f"see {self.logfile}",
            )
        return proc

    # ---------------------------------------------------------------- state
    def status(self) -> ClusterStatus:
        """Return whether the cluster exists and runs."""
        initialised = (self.pgdata / "PG_VERSION").exists()
        running = False
        if initialised:
            running = (
                self._pg("pg_ctl", "status", "-D", str(self.pgdata), check=False).returncode == 0
            )
        return ClusterStatus(self.data_dir, initialised, running, self.url)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self._lockfile, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _prepare_folders(self) -> None:
        socket = self.socket_dir / f".s.PGSQL.{PORT}"
        if len(str(socket)) > _SOCKET_MAX:
            raise DatabaseUnavailable(
                f"the data folder path is too long for a Unix socket ({socket})",
                fix="set WANGGE_DATA_DIR to a shorter path",
            )
        uid, gid = self._owner_ids()
        for folder in (self.root, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, uid, gid)
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            # the data folder is wangge's own: let the cluster's user pass through it
            os.chmod(self.data_dir, self.data_dir.stat().st_mode | 0o011)
            self._check_traversable(uid)

    def _check_traversable(self, uid: int) -> None:
        for parent in self.root.parents:
            mode = parent.stat().st_mode
            if parent.stat().st_uid != uid and not mode & 0o001:
                raise DatabaseUnavailable(
                    f"the postgres user cannot enter {parent}, above the data folder",
                    fix="set WANGGE_DATA_DIR to a folder outside it (e.g. /var/lib/wangge)",
                )

    def _initdb(self) -> None:
        self._pg(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            DB_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )

    def _start_server(self) -> None:
        options = f"-c listen_addresses='' -k {self.socket_dir} -p {PORT}"
        self._pg(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.pgdata), "-l", str(self.logfile),
            "-o", options,
        )  # fmt: skip

    def _create_database(self) -> None:
        admin = f"host={self.socket_dir} port={PORT} user={DB_USER} dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        target = f"host={self.socket_dir} port={PORT} user={DB_USER} dbname={DB_NAME}"
        with psycopg.connect(target, autocommit=True) as conn:
            available = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
            if available is None:
                raise DatabaseUnavailable(
                    "the PostGIS extension is not installed for this PostgreSQL",
                    fix="apt-get install postgresql-15-postgis-3 (or run 'make demo')",
                )
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def start(self) -> str:
        """Start the cluster (initialising it on first use) and return its URL.

        Reuses a cluster that is already running. Safe to call from several processes.
        """
        with self._locked():
            self._prepare_folders()
            state = self.status()
            if not state.initialised:
                self._initdb()
            if not state.running:
                self._start_server()
            self._wait_ready()
            self._create_database()
        return self.url

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            proc = self._pg("pg_isready", "-h", str(self.socket_dir), "-p", str(PORT), check=False)
            if proc.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise DatabaseUnavailable(
                    "the embedded PostgreSQL did not become ready", fix=f"see {self.logfile}"
                )
            time.sleep(0.2)

    def stop(self) -> bool:
        """Stop the cluster; return whether it was running."""
        with self._locked():
            if not self.status().running:
                return False
            self._pg("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pgdata))
            return True
