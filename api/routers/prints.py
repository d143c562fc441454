"""Printed grid diagrams: a grid's sheet (PDF, PNG), a community's overview and its atlas.

A single sheet is rendered in the request (about a second). An atlas of many grids is a
job: ``POST /communities/{code}/atlas`` answers 202 with the job's id, ``GET
/print-jobs/{id}`` reports progress and ``GET /print-jobs/{id}/file`` returns the PDF;
``GET /communities/{code}/atlas.pdf`` renders small atlases directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api import prints
from api.access import require_scope
from api.deps import get_engine
from map_ui.print import render_grid_sheet
from map_ui.print.atlas import render_atlas
from map_ui.print.jobs import AtlasJobs
from map_ui.print.overview import render_overview

router = APIRouter(tags=["prints"])


def jobs_of(app) -> AtlasJobs:  # noqa: ANN001
    """The app's atlas jobs, made on first use (files under ``<data_dir>/prints``)."""
    if not hasattr(app.state, "print_jobs"):
        settings = app.state.settings
        app.state.print_jobs = AtlasJobs(
            settings.db.data_dir / "prints", workers=settings.prints.print_workers
        )
    return app.state.print_jobs


PDF, PNG = "application/pdf", "image/png"
_NO_GRID: dict[int | str, dict[str, Any]] = {
    404: {"description": "no grid in force with this code"}
}
_NO_COMMUNITY: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such community, or no grid of it in force"}
}


@dataclass
class PrintOptions:
    """Paper and orientation of a sheet (query parameters)."""

    paper: Annotated[Literal["A4", "A3"], Query(description="paper size")] = "A4"
    orientation: Annotated[
        Literal["auto", "portrait", "landscape"],
        Query(description="auto: the one that prints the grid at the larger scale"),
    ] = "auto"


def _grid_rendering(code: str, request: Request, options: PrintOptions, engine: Engine):  # noqa: ANN202
    """Grid ``code``'s sheet as in force today, rendered with the request's print options."""
    settings = request.app.state.settings
    sheet = prints.grid_sheet(
        engine, code, date.today(), prints.roads(settings), prints.photo_dir(settings)
    )
    return render_grid_sheet(
        sheet, prints.sheet_options(settings, options.paper, options.orientation)
    )


def _pdf(content: bytes, name: str) -> Response:
    return Response(content, media_type=PDF, headers={
        "Content-Disposition": f'inline; filename="{name}"'})  # fmt: skip


@router.get(
    "/grids/{code}/diagram.pdf", response_class=Response, summary="A grid's printed diagram (PDF)",
    responses={200: {"content": {PDF: {}}}, **_NO_GRID},
)  # fmt: skip
def grid_pdf(
    code: str,
    request: Request,
    options: PrintOptions = Depends(),
    engine: Engine = Depends(get_engine),
) -> Response:
    """The grid's 网格示意图 as a vector PDF, fonts embedded."""
    return _pdf(_grid_rendering(code, request, options, engine).pdf(), f"{code}.pdf")


@router.get(
    "/grids/{code}/diagram.png", response_class=Response, summary="A grid's printed diagram (PNG)",
    responses={200: {"content": {PNG: {}}}, **_NO_GRID},
)  # fmt: skip
def grid_png(
    code: str,
    request: Request,
    options: PrintOptions = Depends(),
    dpi: Annotated[int, Query(ge=36, le=600, description="dots per inch")] = 150,
    engine: Engine = Depends(get_engine),
) -> Response:
    """The grid's 网格示意图 as a PNG at ``dpi``."""
    return Response(_grid_rendering(code, request, options, engine).png(dpi), media_type=PNG)


@router.get(
    "/communities/{code}/overview.pdf", response_class=Response,
    summary="A community's overview sheet: every grid numbered, with its staff",
    responses={200: {"content": {PDF: {}}}, **_NO_COMMUNITY},
)  # fmt: skip
def overview_pdf(
    code: str,
    request: Request,
    options: PrintOptions = Depends(),
    engine: Engine = Depends(get_engine),
) -> Response:
    """The community's grids on one sheet, with a table of grids and staff."""
    settings = request.app.state.settings
    sheet = prints.community_sheet(engine, code, date.today(), prints.roads(settings))
    opts = prints.sheet_options(settings, options.paper, options.orientation)
    return _pdf(render_overview(sheet, opts).pdf(), f"{code}-overview.pdf")


@router.get(
    "/communities/{code}/atlas.pdf", response_class=Response,
    summary="A community's atlas: the overview, then one sheet per grid",
    responses={200: {"content": {PDF: {}}}, **_NO_COMMUNITY},
)  # fmt: skip
async def atlas_pdf(
    code: str,
    request: Request,
    options: PrintOptions = Depends(),
    engine: Engine = Depends(get_engine),
) -> Response:
    """Every grid of the community in one PDF (rendered in parallel processes).

    For a large community prefer the job (``POST /communities/{code}/atlas``).
    """
    settings = request.app.state.settings
    overview, sheets = await run_in_threadpool(prints.atlas_sheets, engine, settings, code)
    opts = prints.sheet_options(settings, options.paper, options.orientation)
    content = await run_in_threadpool(
        render_atlas, sheets, opts, overview, workers=settings.prints.print_workers
    )
    return _pdf(content, f"{code}-atlas.pdf")


@router.post(
    "/communities/{code}/atlas", status_code=202, summary="Start rendering a community's atlas",
    responses=_NO_COMMUNITY,
)  # fmt: skip
def start_atlas(
    code: str,
    request: Request,
    options: PrintOptions = Depends(),
    engine: Engine = Depends(get_engine),
) -> JSONResponse:
    """A job rendering the atlas; poll ``GET /print-jobs/{id}`` until it is ``done``."""
    settings = request.app.state.settings
    overview, sheets = prints.atlas_sheets(engine, settings, code)
    opts = prints.sheet_options(settings, options.paper, options.orientation)
    job = jobs_of(request.app).start(code, overview, sheets, opts)
    return JSONResponse(job.public(), status_code=202,
                        headers={"Location": f"/print-jobs/{job.id}"})  # fmt: skip


@router.get(
    "/print-jobs/{job_id}", summary="Progress of an atlas job",
    responses={404: {"description": "no such job"}},
)  # fmt: skip
def job_status(job_id: str, request: Request) -> dict:
    """``{id, code, status, done, total, error}``; status is queued, running, done or failed."""
    job = jobs_of(request.app).get(job_id)
    require_scope(request, job.code)
    return job.public()


@router.get(
    "/print-jobs/{job_id}/file", response_class=FileResponse,
    summary="The PDF of a finished atlas job",
    responses={200: {"content": {PDF: {}}}, 404: {"description": "no such job"},
               409: {"description": "the job has not finished"}},
)  # fmt: skip
def job_file(job_id: str, request: Request) -> FileResponse:
    """The atlas, once the job is done."""
    job = jobs_of(request.app).get(job_id)
    require_scope(request, job.code)
    path = jobs_of(request.app).file(job)
    return FileResponse(path, media_type=PDF, filename=f"{job.code}-atlas.pdf")
