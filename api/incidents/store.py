"""Incident reports and their closed loop in the database.

Reports are placed (:mod:`api.incidents.placing`) and stored with a first ``reported``
event; each transition is checked against :mod:`gis.incidents.loop`, stamped, and recorded
in ``incident_event`` with who made it, in one transaction with a row lock so that two
people moving the same case at once cannot both succeed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api import models as m
from api.auth.roles import Principal
from api.incidents.placing import Place, building_point, check_degrees, lookups, place
from gis.errors import ConflictError, InputError, NotFoundError
from gis.incidents.loop import STATUSES, check_transition, due_at

_I, _C, _F = m.incident, m.incident_class, m.facility


def _overdue() -> sa.ColumnElement[bool]:
    return sa.and_(
        _I.c.due_at.is_not(None), sa.func.coalesce(_I.c.handled_at, sa.func.now()) > _I.c.due_at
    )


def _columns() -> list[sa.ColumnElement]:
    return [
        _I.c.id, _I.c.class_code, _C.c.name.label("class_name"), _C.c.kind,
        _I.c.description, _I.c.source, _I.c.reporter_name, _I.c.reporter_phone, _I.c.parties,
        _I.c.reported_at, sa.func.ST_X(_I.c.location).label("lon"),
        sa.func.ST_Y(_I.c.location).label("lat"), _I.c.building_id, _I.c.grid_code,
        _I.c.community_code, _I.c.facility_id, _F.c.name.label("facility_name"),
        _F.c.class_code.label("facility_class"), _I.c.status, _I.c.dispatched_at, _I.c.due_at,
        _I.c.handled_at, _I.c.closed_at, _I.c.reopened, _I.c.time_known,
        _overdue().label("overdue"),
    ]  # fmt: skip


def _returned() -> list[sa.ColumnElement]:
    """The incident's own columns of :func:`_columns`, as an INSERT's RETURNING gives them."""
    joined = ("class_name", "kind", "facility_name", "facility_class", "overdue")
    return [c for c in _columns() if c.key not in joined]


def _select() -> sa.Select:
    return (
        sa.select(*_columns())
        .join(_C, _C.c.code == _I.c.class_code)
        .outerjoin(_F, _F.c.id == _I.c.facility_id)
    )


def _row(mapping: Mapping) -> dict:
    row = dict(mapping)
    row["status_name"] = STATUSES[row["status"]]
    return row


def _check_class(conn: Connection, code: str) -> None:
    """Raise :class:`InputError` unless ``code`` is a subclass of the classification."""
    found = conn.execute(
        sa.select(_C.c.code).where(_C.c.code == code, sa.func.length(_C.c.code) == 4)
    ).first()
    if found is None:
        raise InputError(
            f"{code!r} is not an incident subclass", fix="see GET /incident-classes for the codes"
        )


def _param(name: str, type_: sa.types.TypeEngine | type) -> sa.BindParameter:
    return sa.bindparam(name, type_=type_)


@functools.cache
def _report_statement() -> sa.Select:
    """Place, check, store a report and its first event, and read them back: one statement.

    Data-modifying CTEs: ``src`` is the point (the named building's footprint centroid, or
    lon/lat); ``placed`` adds what lies there (:func:`api.incidents.placing.lookups`) and
    names the actor to the audit trigger for this statement; ``ins`` inserts the incident
    only if the class is a subclass and, when ``:scope`` is set, the place lies within it;
    ``ev`` inserts its ``reported`` event. Built once and executed with parameters, so
    neither SQLAlchemy nor psycopg prepares it again per report. Returns no row when
    something refused it (:func:`_refused` says what).
    """
    b, e, f = m.building, m.incident_event, m.facility
    building_id = _param("building_id", sa.Integer)
    centroid = (
        sa.select(sa.func.ST_Centroid(b.c.footprint)).where(b.c.id == building_id)
        .scalar_subquery()
    )  # fmt: skip
    given = sa.func.ST_SetSRID(
        sa.func.ST_MakePoint(_param("lon", sa.Float), _param("lat", sa.Float)), m.SRID
    )
    src = sa.select(sa.case((building_id.is_(None), given), else_=centroid).label("point"))
    src_cte = src.cte("src")
    community, grid, building, facility = lookups(src_cte.c.point, _param("today", sa.Date))
    placed = (
        sa.select(
            src_cte.c.point, community.label("community_code"), grid.label("grid_code"),
            sa.func.coalesce(building_id, building).label("building_id"),
            facility.label("facility_id"),
            # transaction-local, read by AFTER triggers at the end of this statement
            sa.func.set_config("wangge.actor", _param("actor", sa.Text),
                               True).label("actor"),
        ).where(src_cte.c.point.is_not(None))
    ).cte("placed")  # fmt: skip
    scope = _param("scope", sa.Text)
    code = sa.func.coalesce(placed.c.grid_code, placed.c.community_code)
    class_code = _param("class_code", _I.c.class_code.type)
    subclass = sa.exists().where(_C.c.code == class_code, sa.func.length(_C.c.code) == 4)
    given_columns = ("class_code", "source", "description", "reporter_name", "reporter_phone",
                     "parties", "reported_at")  # fmt: skip
    placed_columns = ("building_id", "grid_code", "community_code", "facility_id")
    rows = sa.select(
        *(_param(c, _I.c[c].type) for c in given_columns),
        placed.c.point,
        *(placed.c[c] for c in placed_columns),
    ).where(subclass, sa.or_(scope.is_(None), sa.func.starts_with(code, scope)))
    ins = (
        _I.insert()
        .from_select([*given_columns, "location", *placed_columns], rows)
        .returning(*_returned())
        .cte("ins")
    )  # fmt: skip
    event = sa.select(
        ins.c.id, sa.literal("reported"), _param("user_id", e.c.user_id.type),
        _param("user_name", e.c.user_name.type), _param("note", e.c.note.type),
    )  # fmt: skip
    ev = (
        e.insert()
        .from_select(["incident_id", "to_status", "user_id", "user_name", "note"], event)
        .returning(*(e.c[c].label(f"event_{c}") for c in _EVENT))
        .cte("ev")
    )  # fmt: skip
    return (
        sa.select(
            *ins.c, _C.c.name.label("class_name"), _C.c.kind,
            f.c.name.label("facility_name"), f.c.class_code.label("facility_class"), *ev.c,
        )
        .select_from(ins)
        .join(ev, sa.true())
        .join(_C, _C.c.code == ins.c.class_code)
        .outerjoin(f, f.c.id == ins.c.facility_id)
    )  # fmt: skip


#: The columns of an event as answers show them.
_EVENT = ("from_status", "to_status", "at", "user_name", "note")


def _refused(
    conn: Connection, values: Mapping, allow: Callable[[Place], None] | None
) -> None:  # fmt: skip
    """Say why the report statement stored nothing: the checks one by one, raising the first.

    Raises
    ------
    NotFoundError
        If the named building does not exist.
    InputError
        If the coordinates are not degrees, or the class is not a subclass.
    Exception
        Whatever ``allow`` raises for the place.
    """
    building_id = values.get("building_id")
    if building_id is not None:
        lon, lat = building_point(conn, building_id)
    else:
        lon, lat = values["lon"], values["lat"]
    where = place(conn, lon, lat, building_id)
    if allow is not None:
        allow(where)
    _check_class(conn, values["class_code"])


def report(
    engine: Engine, values: Mapping, principal: Principal,
    allow: Callable[[Place], None] | None = None,
) -> dict:  # fmt: skip
    """Store a new report; returns it as stored (personal fields unmasked: mask to answer).

    One statement, one round trip (:func:`_report_statement`), in autocommit: it is atomic
    by itself. Only when it stores nothing are the checks run again one by one, to raise
    the error that explains it.

    Parameters
    ----------
    values : mapping
        ``class_code``, ``source``, ``description``, optional ``reporter_name``,
        ``reporter_phone``, ``parties``, ``reported_at``, and either ``lon``/``lat``
        (EPSG:4326) or ``building_id`` (its footprint centroid is used).
    principal : Principal
        Who reports; recorded on the first event.
    allow : callable, optional
        Refuses (raises) a place outside ``principal``'s scope. When given, the statement
        stores only places whose grid (or, outside any grid, community) lies within
        ``principal.scope``, and ``allow`` is called with the place to explain a refusal.

    Raises
    ------
    NotFoundError
        If the named building does not exist.
    InputError
        If the class is not a subclass.
    ConflictError
        If the report was refused although every check passes when run again (the data
        changed in between); trying again is safe.
    """
    lon, lat = values.get("lon"), values.get("lat")
    if values.get("building_id") is None:
        check_degrees(lon, lat)
    params = {
        "building_id": values.get("building_id"), "lon": lon, "lat": lat,
        "today": date.today(), "scope": principal.scope if allow is not None else None,
        "actor": _actor(principal), "class_code": values["class_code"],
        "source": values["source"], "description": values.get("description") or "",
        "reporter_name": values.get("reporter_name"),
        "reporter_phone": values.get("reporter_phone"), "parties": values.get("parties"),
        "reported_at": values.get("reported_at") or datetime.now(UTC),
        "user_id": principal.user_id, "user_name": principal.name, "note": values.get("note"),
    }  # fmt: skip
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        found = conn.execute(_report_statement(), params).mappings().first()
        if found is None:
            _refused(conn, values, allow)
            raise ConflictError(
                "the report was refused while the data changed", fix="send it again"
            )
    row = dict(found)
    event = {c: row.pop(f"event_{c}") for c in _EVENT}
    row.update(overdue=False, events=[event])
    return _row(row)


def _actor(principal: Principal) -> str:
    """``wangge.actor`` as :mod:`api.auth.actor` sets it ('' for the public: no actor)."""
    if not principal.authenticated:
        return ""
    return json.dumps(principal.actor(), ensure_ascii=False)


def _event(
    conn: Connection, incident_id: int, old: str | None, new: str, who: Principal,
    note: str | None,
) -> dict:  # fmt: skip
    e = m.incident_event
    written = conn.execute(
        e.insert().values(
            incident_id=incident_id, from_status=old, to_status=new, user_id=who.user_id,
            user_name=who.name, note=note,
        ).returning(e.c.from_status, e.c.to_status, e.c.at, e.c.user_name, e.c.note)
    )  # fmt: skip
    return dict(written.mappings().one())


def get(engine: Engine, incident_id: int) -> dict:
    """One incident with its history (oldest event first).

    Raises
    ------
    NotFoundError
        If there is no such incident.
    """
    e = m.incident_event
    with engine.connect() as conn:
        found = conn.execute(_select().where(_I.c.id == incident_id)).mappings().first()
        if found is None:
            raise NotFoundError(f"there is no incident {incident_id}", fix="see GET /incidents")
        events = conn.execute(
            sa.select(e.c.from_status, e.c.to_status, e.c.at, e.c.user_name, e.c.note)
            .where(e.c.incident_id == incident_id).order_by(e.c.at, e.c.id)
        ).mappings().all()  # fmt: skip
    row = _row(found)
    row["events"] = [dict(ev) for ev in events]
    return row


def transition(
    engine: Engine, incident_id: int, target: str, principal: Principal, note: str | None = None
) -> dict:
    """Move an incident along the closed loop and return it.

    Dispatching starts the deadline clock (``due_at`` = now + the class deadline); sending a
    handled case back to ``dispatched`` counts a re-opening and restarts the clock.

    Raises
    ------
    NotFoundError
        If there is no such incident.
    gis.incidents.loop.TransitionError
        If the loop does not allow the move from the present status.
    """
    with engine.begin() as conn:
        current = conn.execute(
            sa.select(_I.c.status, _C.c.deadline_hours)
            .join(_C, _C.c.code == _I.c.class_code)
            .where(_I.c.id == incident_id).with_for_update(of=_I)
        ).first()  # fmt: skip
        if current is None:
            raise NotFoundError(f"there is no incident {incident_id}", fix="see GET /incidents")
        status, hours = current
        check_transition(status, target)
        now = datetime.now(UTC)
        changes: dict[str, object] = {"status": target, "updated_at": now}
        if target == "dispatched":
            changes.update(dispatched_at=now, due_at=due_at(now, hours), handled_at=None)
            if status == "handled":
                changes["reopened"] = _I.c.reopened + 1
        elif target == "handled":
            changes["handled_at"] = now
        elif target in ("closed", "rejected"):
            changes["closed_at"] = now
        conn.execute(_I.update().where(_I.c.id == incident_id).values(changes))
        _event(conn, incident_id, status, target, principal, note)
    return get(engine, incident_id)


@dataclass(frozen=True)
class IncidentFilter:
    """What to list: every field optional; times are inclusive-exclusive ``[since, until)``."""

    status: str | None = None
    class_code: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    grid_code: str | None = None
    community_code: str | None = None
    overdue: bool | None = None
    bbox: tuple[float, float, float, float] | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        """The SQL conditions of this filter."""
        conditions: list[sa.ColumnElement[bool]] = []
        if self.status:
            conditions.append(_I.c.status == self.status)
        if self.class_code:
            conditions.append(_I.c.class_code.startswith(self.class_code, autoescape=True))
        if self.source:
            conditions.append(_I.c.source == self.source)
        if self.since:
            conditions.append(_I.c.reported_at >= self.since)
        if self.until:
            conditions.append(_I.c.reported_at < self.until)
        if self.grid_code:
            conditions.append(_I.c.grid_code == self.grid_code)
        if self.community_code:
            conditions.append(_I.c.community_code == self.community_code)
        if self.overdue is not None:
            conditions.append(_overdue() if self.overdue else sa.not_(_overdue()))
        if self.bbox:
            envelope = sa.func.ST_MakeEnvelope(*self.bbox, m.SRID)
            conditions.append(_I.c.location.op("&&")(envelope))
        return conditions


def scope_condition(principal: Principal) -> sa.ColumnElement[bool]:
    """Incidents within ``principal``'s scope (all for admins; a grid worker's grid…)."""
    if principal.scope is None:
        return sa.true()
    if len(principal.scope) == 15:
        return _I.c.grid_code == principal.scope
    return _I.c.community_code.startswith(principal.scope, autoescape=True)


def listing(
    engine: Engine, wanted: IncidentFilter, principal: Principal, *, limit: int, offset: int
) -> tuple[list[dict], int]:
    """Incidents in the caller's scope matching ``wanted``, newest first, and their total."""
    conditions = [scope_condition(principal), *wanted.where()]
    query = _select().where(*conditions).order_by(_I.c.reported_at.desc(), _I.c.id.desc())
    count = sa.select(sa.func.count()).select_from(_I).where(*conditions)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit).offset(offset)).mappings().all()
        total = conn.execute(count).scalar_one()
    return [_row(r) for r in rows], total
