"""Importing a layer by upload: ``POST /imports/{layer}`` (street office and admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy.engine import Engine

from api.access import principal, require_scope
from api.deps import get_engine
from api.loading import facility_class_names, incident_class_names, load_layer
from api.uploads import received
from gis.errors import InputError
from gis.households import HouseholdRules
from gis.importing import prepare_layer
from gis.importing_incidents import DEFAULT_TIMEZONE, parse_category_map
from gis.layers import LAYERS

router = APIRouter(tags=["imports"])

#: Largest category map accepted, in bytes (a table of a few hundred lines).
CATEGORY_MAP_MAX_BYTES = 1024 * 1024

_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "the file is larger than WANGGE_UPLOAD_MAX_MB"},
    415: {"description": "the content is not what the file name says"},
    422: {"description": "the file cannot be imported: the message names the problem"},
}


def _scope_codes(frame) -> list[str]:  # noqa: ANN001  (a GeoDataFrame)
    """The administrative codes the features name (codes, else community codes)."""
    for column in ("community_code", "code"):
        if column in frame.columns:
            return [str(v) for v in frame[column].tolist()]
    return []


def _category_map(upload: UploadFile | None) -> dict[str, str] | None:
    """The uploaded category map, read whole (it is small), or None."""
    if upload is None:
        return None
    data = upload.file.read(CATEGORY_MAP_MAX_BYTES + 1)
    if len(data) > CATEGORY_MAP_MAX_BYTES:
        raise InputError(
            f"the category map is larger than {CATEGORY_MAP_MAX_BYTES // 1024} KB",
            fix="send a CSV of category,class_code lines only",
        )
    return parse_category_map(data, upload.filename or "category map")


@router.post(
    "/imports/{layer}", status_code=201, summary="Import a layer file (upload)", responses=_ERRORS
)
def import_upload(
    layer: str,
    request: Request,
    file: Annotated[UploadFile, File(description="GeoPackage, GeoJSON, zipped Shapefile, CSV")],
    crs: Annotated[str | None, Form(max_length=2000, description="EPSG code, gcj02…")] = None,
    category_map: Annotated[
        UploadFile | None, File(description="incidents: CSV category,class_code")
    ] = None,
    timezone: Annotated[
        str, Form(max_length=64, description="incidents: time zone of times without offset")
    ] = DEFAULT_TIMEZONE,
    engine: Engine = Depends(get_engine),
) -> dict:
    """Check, repair and store one layer in one transaction; answers the import report.

    A street office may only import features that name a code within its street (the
    ``community_code`` or ``code`` column), so that nothing outside it changes; incidents
    are placed from their points in the database, so only an unscoped account imports them.
    """
    if layer not in LAYERS:
        raise InputError(f"unknown layer {layer!r}", fix=f"use one of: {', '.join(LAYERS)}")
    if layer == "incidents" and principal(request).scope:
        raise InputError(
            "incidents are placed in their community only once stored, so an account "
            "limited to a street cannot import them",
            fix="ask an admin to import the file, or report incidents one by one",
        )
    settings = request.app.state.settings
    folder = settings.db.data_dir / "uploads"
    limit = int(settings.uploads.upload_max_mb * 1024 * 1024)
    categories = _category_map(category_map) if layer == "incidents" else None
    with received(file.file, file.filename, folder, limit) as path:
        classes = facility_class_names(engine) if layer == "facilities" else None
        prepared = prepare_layer(
            layer, path, crs=crs or None, rules=HouseholdRules(**settings.imports.model_dump()),
            facility_classes=classes, timezone=timezone, categories=categories,
            incident_classes=incident_class_names(engine) if layer == "incidents" else None,
        )  # fmt: skip
    if principal(request).scope:
        codes = _scope_codes(prepared.frame)
        if len(codes) < len(prepared.frame) or any(c in ("", "None", "nan") for c in codes):
            raise InputError(
                "some features name no community code, so their place cannot be checked",
                fix="add the community code column (社区编码), or ask an admin to import",
            )
        for code in sorted(set(codes)):
            require_scope(request, code)
    return load_layer(engine, prepared).to_dict()
