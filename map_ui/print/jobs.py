"""Atlas jobs: render an atlas in the background, report progress, keep the file.

An atlas of 150 grids takes minutes; a request starts a job and returns at once. One
background thread runs the jobs one after another (each already uses several processes),
so the machine is not flooded. Jobs live in memory; their PDFs under ``folder``.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from gis.errors import ConflictError, NotFoundError
from map_ui.print.atlas import render_atlas
from map_ui.print.content import CommunitySheet, GridSheet, SheetOptions

STATUSES = ("queued", "running", "done", "failed")


@dataclass
class Job:
    """One atlas job.

    Attributes
    ----------
    id : str
    code : str
        The community (or street) code the atlas covers: access is checked against it.
    status : {"queued", "running", "done", "failed"}
    done, total : int
        Sheets rendered and to render.
    error : str or None
    """

    id: str
    code: str
    total: int
    status: str = "queued"
    done: int = 0
    error: str | None = None
    path: Path | None = field(default=None, repr=False)

    def public(self) -> dict:
        """The job as the API shows it."""
        return {
            "id": self.id, "code": self.code, "status": self.status, "done": self.done,
            "total": self.total, "error": self.error,
            "file": f"/print-jobs/{self.id}/file" if self.status == "done" else None,
        }  # fmt: skip


class AtlasJobs:
    """The registry and runner of atlas jobs.

    Parameters
    ----------
    folder : Path
        Where finished atlases are written.
    workers : int
        Processes rendering one atlas's sheets.
    """

    def __init__(self, folder: Path, workers: int = 2):
        self.folder = Path(folder)
        self.workers = workers
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atlas")

    def start(
        self,
        code: str,
        overview: CommunitySheet | None,
        sheets: list[GridSheet],
        options: SheetOptions,
    ) -> Job:
        """Queue an atlas of ``sheets`` (with ``overview`` as its index page)."""
        job = Job(uuid.uuid4().hex, code, total=len(sheets) + (overview is not None))
        with self._lock:
            self._jobs[job.id] = job
        self._runner.submit(self._run, job, overview, sheets, options)
        return job

    def get(self, job_id: str) -> Job:
        """The job ``job_id``.

        Raises
        ------
        NotFoundError
            No such job (jobs are forgotten when the server restarts).
        """
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"there is no print job {job_id}", fix="start one again")
        return job

    def file(self, job: Job) -> Path:
        """The finished atlas of ``job``.

        Raises
        ------
        ConflictError
            The job is not done (yet, or it failed).
        """
        if job.status != "done" or job.path is None:
            raise ConflictError(
                f"print job {job.id} is {job.status}",
                fix="wait until GET /print-jobs/{id} says done" if job.status != "failed"
                else f"it failed: {job.error}",
            )  # fmt: skip
        return job.path

    def wait(self, timeout: float | None = None) -> None:
        """Block until every queued job has finished (for tests and the CLI)."""
        self._runner.submit(lambda: None).result(timeout)

    def _run(
        self,
        job: Job,
        overview: CommunitySheet | None,
        sheets: list[GridSheet],
        options: SheetOptions,
    ) -> None:
        job.status = "running"

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        try:
            content = render_atlas(
                sheets, options, overview, workers=self.workers, progress=progress
            )
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{job.id}.pdf"
            path.write_bytes(content)
            job.path, job.status = path, "done"
        except Exception as exc:  # noqa: BLE001 - a failed job reports why, the server lives on
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
