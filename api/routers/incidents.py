"""Incidents and disputes: report, move along the closed loop, list, and the classification.

Personal fields in every answer pass through :func:`api.auth.masking.mask_incident`.
Residents report through ``POST /reports`` without a login, limited per client address.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.engine import Engine

from api.access import principal, require_scope
from api.auth.errors import Forbidden, TooManyAttempts
from api.auth.masking import mask_incident
from api.auth.ratelimit import AttemptLimiter
from api.auth.roles import Principal, Role
from api.deps import get_engine
from api.incidents import analysis, classes, stats, store
from api.incidents.placing import Place
from api.params import BBox, Paging, RowId, bbox_query
from api.responses import GeoJSONResponse, MediaType
from api.staff import normalise_phone
from gis.errors import InputError
from gis.incidents.loop import STATUSES

router = APIRouter(tags=["incidents"])

Source = Literal["patrol", "resident", "hotline", "other"]
Status = Literal["reported", "accepted", "dispatched", "handled", "checked", "closed", "rejected"]

#: The lowest role that may move a case to each status (scope is checked too).
TRANSITION_ROLES = {
    "accepted": Role.COMMUNITY_STAFF, "rejected": Role.COMMUNITY_STAFF,
    "dispatched": Role.COMMUNITY_STAFF, "handled": Role.GRID_WORKER,
    "checked": Role.COMMUNITY_STAFF, "closed": Role.COMMUNITY_STAFF,
}  # fmt: skip


class Located(BaseModel):
    """Where: ``lon``/``lat`` (EPSG:4326 degrees) or a ``building_id``."""

    model_config = ConfigDict(extra="forbid")

    lon: float | None = Field(None, ge=-180, le=180, examples=[118.785])
    lat: float | None = Field(None, ge=-90, le=90, examples=[32.042])
    building_id: int | None = Field(None, ge=1, le=2_147_483_647)

    @model_validator(mode="after")
    def _where(self) -> Located:
        if self.building_id is None and (self.lon is None or self.lat is None):
            raise ValueError("give lon and lat, or a building_id")
        return self


class IncidentNew(Located):
    """A report by a logged-in grid worker, community or street office."""

    class_code: str = Field(pattern=r"^[0-9]{4}$", examples=["0102"], description="subclass")
    source: Source = "patrol"
    description: str = Field("", max_length=4000)
    reporter_name: str | None = Field(None, max_length=100)
    reporter_phone: str | None = Field(None, max_length=40)
    parties: str | None = Field(None, max_length=2000, description="dispute parties")
    reported_at: datetime | None = Field(None, description="default: now")
    note: str | None = Field(None, max_length=2000)


class ResidentReport(Located):
    """A resident's report: what and where, and a phone to call back (optional)."""

    class_code: str = Field(pattern=r"^[0-9]{4}$", examples=["0601"])
    description: str = Field("", max_length=2000)
    reporter_name: str | None = Field(None, max_length=100)
    reporter_phone: str | None = Field(None, max_length=40)


class Move(BaseModel):
    """A transition of the closed loop."""

    model_config = ConfigDict(extra="forbid")

    to: Status = Field(description="the next status")
    note: str | None = Field(None, max_length=2000)


class ClassNew(BaseModel):
    """A class of the deployment's own."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9]{2}([0-9]{2})?$")
    name: str = Field(min_length=1, max_length=100)
    deadline_hours: float | None = Field(None, gt=0, le=24 * 365)


def _phone(value: str | None) -> str | None:
    return normalise_phone(value) if value else None


def _in_scope(request: Request) -> object:
    def allow(where: Place) -> None:
        code = where.grid_code or where.community_code
        if code is None:
            if principal(request).scope is not None:
                raise Forbidden("the place lies in no community", fix="check the coordinates")
            return
        require_scope(request, code)

    return allow


def _feature(row: dict, who: Principal) -> dict:
    props = mask_incident(row, who)
    lon, lat = props.pop("lon"), props.pop("lat")
    return {
        "type": "Feature", "id": row["id"], "properties": props,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }  # fmt: skip


def _jsonable(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


@router.get("/incident-classes", summary="The incident and dispute classification")
def list_classes(engine: Engine = Depends(get_engine)) -> list[dict]:
    """Majors and subclasses with their kind (event/dispute) and deadline in hours."""
    return classes.list_classes(engine)


@router.post("/incident-classes", status_code=201, summary="Add an incident class")
def add_class(new: ClassNew, engine: Engine = Depends(get_engine)) -> dict:
    """A major class (2 digits) or a subclass (4 digits, with a deadline)."""
    return classes.add_class(engine, new.code, new.name, new.deadline_hours)


@router.post("/incidents", status_code=201, summary="Report an incident or dispute")
def report(new: IncidentNew, request: Request, engine: Engine = Depends(get_engine)) -> dict:
    """Store a report placed in its grid, community, building and nearest facility.

    The place must lie in the reporter's scope.
    """
    values = new.model_dump()
    values["reporter_phone"] = _phone(new.reporter_phone)
    who = principal(request)
    row = store.report(engine, values, who, allow=_in_scope(request))  # type: ignore[arg-type]
    return _jsonable(mask_incident(row, who))


def _limiter(request: Request) -> AttemptLimiter:
    state = request.app.state
    if getattr(state, "report_limiter", None) is None:
        auth = state.settings.auth
        state.report_limiter = AttemptLimiter(auth.reports_per_window, auth.report_window_s)
    return state.report_limiter


@router.post("/reports", status_code=201, summary="A resident reports a problem (no login)")
def resident_report(
    new: ResidentReport, request: Request, engine: Engine = Depends(get_engine)
) -> dict:
    """Residents' reports, limited per client address; answers only the case number."""
    key = f"addr:{request.client.host if request.client else '-'}"
    limit = _limiter(request)
    wait = limit.retry_after(key)
    if wait:
        raise TooManyAttempts(
            "too many reports from this address", retry_after=wait, fix=f"wait {wait} s"
        )
    limit.fail(key)
    values = {
        **new.model_dump(),
        "source": "resident",
        "reporter_phone": _phone(new.reporter_phone),
    }
    resident = Principal(Role.PUBLIC, name="居民")
    row = store.report(engine, values, resident)
    return {"id": row["id"], "status": row["status"], "status_name": row["status_name"]}


def incident_filter(
    bbox: Annotated[BBox | None, Depends(bbox_query)] = None,
    status: Status | None = None,
    class_code: Annotated[str | None, Query(pattern=r"^[0-9]{2}([0-9]{2})?$")] = None,
    source: Source | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    grid_code: Annotated[str | None, Query(pattern=r"^[0-9]{15}$")] = None,
    community_code: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    overdue: bool | None = None,
) -> store.IncidentFilter:
    """Dependency: the incident filter of the query (every part optional)."""
    if since and until and since >= until:
        raise InputError("since must be before until", fix="give an earlier since")
    return store.IncidentFilter(
        status=status, class_code=class_code, source=source, since=since, until=until,
        grid_code=grid_code, community_code=community_code, overdue=overdue,
        bbox=(bbox.minx, bbox.miny, bbox.maxx, bbox.maxy) if bbox else None,
    )  # fmt: skip


Resolution = Annotated[int, Query(ge=5, le=12, description="H3 resolution (9: ~174 m edge)")]
Permutations = Annotated[int, Query(ge=99, le=9999, description="Gi* permutations")]
Seed = Annotated[int, Query(ge=0, le=2**32 - 1, description="same seed, same p-values")]
_GEOJSON: dict[int | str, dict[str, Any]] = {200: {"content": {MediaType.geojson.value: {}}}}


@router.get(
    "/incidents/h3", response_class=GeoJSONResponse, summary="Incidents per H3 cell",
    responses=_GEOJSON,
)  # fmt: skip
def incidents_h3(
    request: Request,
    wanted: Annotated[store.IncidentFilter, Depends(incident_filter)],
    resolution: Resolution = 9,
    engine: Engine = Depends(get_engine),
) -> GeoJSONResponse:
    """Counts per hexagon for a choropleth, in the caller's scope, with the same filters."""
    return GeoJSONResponse(analysis.h3_counts(engine, wanted, principal(request), resolution))


@router.get(
    "/incidents/hotspots", response_class=GeoJSONResponse,
    summary="Getis-Ord Gi* hot and cold spots on H3 cells", responses=_GEOJSON,
)  # fmt: skip
def incidents_hotspots(
    request: Request,
    wanted: Annotated[store.IncidentFilter, Depends(incident_filter)],
    resolution: Resolution = 9,
    permutations: Permutations = 999,
    seed: Seed = 0,
    engine: Engine = Depends(get_engine),
) -> GeoJSONResponse:
    """Gi* z and permutation p per cell, FDR-corrected, classed hot/cold at 90/95/99%.

    The study area is every H3 cell of the communities in the caller's scope.
    """
    body = analysis.hotspot_cells(
        engine, wanted, principal(request), resolution, permutations=permutations, seed=seed
    )
    return GeoJSONResponse(body)


@router.get(
    "/incidents/emerging", response_class=GeoJSONResponse,
    summary="Emerging hotspots: Gi* per period and a Mann-Kendall trend", responses=_GEOJSON,
)  # fmt: skip
def incidents_emerging(
    request: Request,
    wanted: Annotated[store.IncidentFilter, Depends(incident_filter)],
    resolution: Resolution = 9,
    period: Literal["W", "M"] = "W",
    permutations: Permutations = 199,
    seed: Seed = 0,
    engine: Engine = Depends(get_engine),
) -> GeoJSONResponse:
    """New, intensifying, persistent, diminishing, sporadic hotspots by week or month."""
    body = analysis.emerging_cells(
        engine, wanted, principal(request), resolution, freq=period,
        permutations=permutations, seed=seed,
    )  # fmt: skip
    return GeoJSONResponse(body)


@router.get(
    "/incidents", response_class=GeoJSONResponse, summary="Incidents in my scope (GeoJSON)",
    responses={200: {"content": {MediaType.geojson.value: {}}}},
)  # fmt: skip
def list_incidents(
    request: Request,
    paging: Annotated[Paging, Depends()],
    wanted: Annotated[store.IncidentFilter, Depends(incident_filter)],
    engine: Engine = Depends(get_engine),
) -> GeoJSONResponse:
    """Newest first, filtered; personal fields masked where the caller's role needs none."""
    who = principal(request)
    rows, total = store.listing(engine, wanted, who, limit=paging.limit, offset=paging.offset)
    body = {
        "type": "FeatureCollection", "numberMatched": total, "numberReturned": len(rows),
        "features": [_feature(_jsonable(r), who) for r in rows],
    }  # fmt: skip
    return GeoJSONResponse(body)


def _readable(request: Request, row: dict) -> None:
    code = row["grid_code"] or row["community_code"]
    if code is None:
        if principal(request).scope is not None:
            raise Forbidden(f"incident {row['id']} is outside the account's scope")
        return
    require_scope(request, code)


@router.get("/incidents/{incident_id}", summary="One incident with its history")
def get_incident(
    incident_id: RowId, request: Request, engine: Engine = Depends(get_engine)
) -> dict:
    """The incident, its overdue flag and every transition with who made it."""
    row = store.get(engine, incident_id)
    _readable(request, row)
    return _jsonable(mask_incident(row, principal(request)))


@router.post("/incidents/{incident_id}/transitions", summary="Move a case along the closed loop")
def move(
    incident_id: RowId, step: Move, request: Request, engine: Engine = Depends(get_engine)
) -> dict:
    """Accept, reject, dispatch, handle, check or close; 409 names the moves allowed."""
    row = store.get(engine, incident_id)
    _readable(request, row)
    who = principal(request)
    needed = TRANSITION_ROLES.get(step.to)
    if needed is None:
        raise InputError(
            f"{step.to!r} is not a step", fix=f"use one of: {', '.join(TRANSITION_ROLES)}"
        )
    if who.role < needed:
        raise Forbidden(
            f"a {who.role.label} may not make an incident {step.to} ({STATUSES[step.to]})",
            fix=f"this needs a {needed.label} account",
        )
    moved = store.transition(engine, incident_id, step.to, who, step.note)
    return _jsonable(mask_incident(moved, who))


@router.get("/stats/incidents", summary="Incident rates per grid or community, with trend")
def incident_rates(
    request: Request,
    by: Literal["grid", "community"] = "grid",
    since: datetime | None = None,
    until: datetime | None = None,
    class_code: Annotated[str | None, Query(pattern=r"^[0-9]{2}([0-9]{2})?$")] = None,
    engine: Engine = Depends(get_engine),
) -> dict:
    """Per unit in the caller's scope: count, rate per 100 households, trend, by class.

    The trend compares with the period of the same length just before; the period defaults
    to the last 30 days.
    """
    end = until or datetime.now(UTC)
    start = since or end - timedelta(days=30)
    if start.tzinfo is None or end.tzinfo is None:
        start, end = (
            start.replace(tzinfo=start.tzinfo or UTC),
            end.replace(tzinfo=end.tzinfo or UTC),
        )
    if start >= end:
        raise InputError("since must be before until", fix="give an earlier since")
    period = stats.Period(start, end)
    rows = stats.incident_rates(engine, period, principal(request), by=by, class_code=class_code)
    previous = period.previous
    return {
        "by": by, "since": start.isoformat(), "until": end.isoformat(),
        "previous_since": previous.since.isoformat(), "units": rows,
    }  # fmt: skip
