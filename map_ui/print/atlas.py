"""The atlas: the overview as index page, then one sheet per grid, in one PDF or a zip.

Sheets are rendered in parallel processes (``concurrent.futures``): each worker composes
a sheet and returns its PDF bytes; the pages are then joined with pypdf in grid order.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed

from pypdf import PdfWriter

from gis.pools import process_pool
from map_ui.print import fonts
from map_ui.print.content import CommunitySheet, GridSheet, SheetOptions
from map_ui.print.overview import render_overview
from map_ui.print.sheet import render_grid_sheet

Progress = Callable[[int, int], None]


def sheet_pdf(sheet: GridSheet, options: SheetOptions) -> bytes:
    """One grid's sheet as PDF bytes (what each worker process runs)."""
    composed = render_grid_sheet(sheet, options)
    content = composed.pdf()
    composed.figure.clear()
    return content


def render_sheets(
    sheets: Sequence[GridSheet],
    options: SheetOptions,
    workers: int = 2,
    progress: Progress | None = None,
) -> list[bytes]:
    """PDF bytes of every sheet, in the order given, rendered by ``workers`` processes.

    ``progress(done, total)`` is called as sheets finish.
    """
    total = len(sheets)
    if workers <= 1 or total <= 1:
        out = []
        for i, sheet in enumerate(sheets):
            out.append(sheet_pdf(sheet, options))
            if progress:
                progress(i + 1, total)
        return out
    fonts.cjk_families()  # derive the print font here once, not in every worker at once
    results: list[bytes | None] = [None] * total
    # nice 19: an atlas may take minutes of both cores; a server's requests come first
    pool = process_pool(min(workers, total), nice=19)
    with pool:
        futures = {pool.submit(sheet_pdf, sheet, options): i for i, sheet in enumerate(sheets)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if progress:
                progress(done, total)
    return [r for r in results if r is not None]


def render_atlas(
    sheets: Sequence[GridSheet],
    options: SheetOptions,
    overview: CommunitySheet | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> bytes:
    """One PDF: the overview (with page numbers) as index page, then each grid's sheet."""
    return render_parts([(overview, list(sheets))], options, workers, progress)


def render_parts(
    parts: Sequence[tuple[CommunitySheet | None, list[GridSheet]]],
    options: SheetOptions,
    workers: int = 2,
    progress: Progress | None = None,
) -> bytes:
    """One PDF of several communities (a street's atlas): each overview, then its sheets.

    Each overview gives the page of its grids' sheets. All sheets are rendered in one pool
    of ``workers`` processes; ``progress(done, total)`` counts pages.
    """
    covers: list[tuple[CommunitySheet, dict[str, int]]] = []
    grids: list[GridSheet] = []
    order: list[tuple[str, int]] = []  # ("cover" | "sheet", index), page by page
    page = 1
    for overview, sheets in parts:
        first = page + (overview is not None)
        if overview is not None:
            order.append(("cover", len(covers)))
            covers.append((overview, {s.code: first + i for i, s in enumerate(sheets)}))
        for sheet in sheets:
            order.append(("sheet", len(grids)))
            grids.append(sheet)
        page = first + len(sheets)

    def step(done: int, _: int) -> None:
        if progress:
            progress(done + len(covers), len(order))

    cover_pdfs = [render_overview(cover, options, pages).pdf() for cover, pages in covers]
    if progress and covers:
        progress(len(covers), len(order))
    sheet_pdfs = render_sheets(grids, options, workers, step)
    writer = PdfWriter()
    for kind, index in order:
        writer.append(io.BytesIO(cover_pdfs[index] if kind == "cover" else sheet_pdfs[index]))
    title = covers[0][0].title if covers else "网格示意图集"
    writer.add_metadata({"/Title": title, "/Creator": "wangge 网格"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_zip(
    sheets: Sequence[GridSheet],
    options: SheetOptions,
    overview: CommunitySheet | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> bytes:
    """A zip of one PDF per grid (``<code>.pdf``), with ``overview.pdf`` when given."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        if overview is not None:
            archive.writestr(
                f"{overview.code}-overview.pdf", render_overview(overview, options).pdf()
            )
        for sheet, content in zip(
            sheets, render_sheets(sheets, options, workers, progress), strict=True
        ):
            archive.writestr(f"{sheet.code}.pdf", content)
    return out.getvalue()
