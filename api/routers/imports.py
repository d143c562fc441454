"""Importing a layer by upload: ``POST /imports/{layer}`` (street office and admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy.engine import Engine

from api.access import principal, require_scope
from api.deps import get_engine
from api.loading import facility_class_names, load_layer
from api.uploads import received
from gis.errors import InputError
from gis.households import HouseholdRules
from gis.importing import prepare_layer
from gis.layers import LAYERS

router = APIRouter(tags=["imports"])

_ERRORS = {
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


@router.post(
    "/imports/{layer}", status_code=201, summary="Import a layer file (upload)", responses=_ERRORS
)
def import_upload(
    layer: str,
    request: Request,
    file: Annotated[UploadFile, File(description="GeoPackage, GeoJSON, zipped Shapefile, CSV")],
    crs: Annotated[str | None, Form(max_length=2000, description="EPSG code, gcj02…")] = None,
    engine: Engine = Depends(get_engine),
) -> dict:
    """Check, repair and store one layer in one transaction; answers the import report.

    A street office may only import features that name a code within its street (the
    ``community_code`` or ``code`` column), so that nothing outside it changes.
    """
    if layer not in LAYERS:
        raise InputError(f"unknown layer {layer!r}", fix=f"use one of: {', '.join(LAYERS)}")
    settings = request.app.state.settings
    folder = settings.db.data_dir / "uploads"
    limit = int(settings.uploads.upload_max_mb * 1024 * 1024)
    with received(file.file, file.filename, folder, limit) as path:
        classes = facility_class_names(engine) if layer == "facilities" else None
        prepared = prepare_layer(
            layer, path, crs=crs or None, rules=HouseholdRules(**settings.imports.model_dump()),
            facility_classes=classes,
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
