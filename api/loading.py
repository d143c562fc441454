"""Writing prepared layers to PostGIS: one transaction, COPY, upsert, links, log.

A load either writes everything or nothing. Features are keyed (codes for streets and
communities, ``source_key`` otherwise), so importing the same file twice updates rows
instead of duplicating them.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import date

import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.engine import Connection, Engine

from api import models as m
from api.auth import actor, audit
from api.incidents.placing import NEAREST_FACILITY_M, lookups
from gis.errors import ConflictError, SchemaError, WanggeError
from gis.importing import ImportReport, PreparedLayer

#: Columns written for each layer, besides the geometry.
COLUMNS: dict[str, list[str]] = {
    "streets": ["code", "name", "source_id"],
    "communities": ["code", "name", "street_code", "street_name", "source_id"],
    "compounds": ["source_key", "source_id", "name", "community_code"],
    "buildings": [
        "source_key", "source_id", "name", "address", "use", "residential", "floors", "height_m",
        "households", "households_estimated", "footprint_m2", "compound", "community_code",
    ],
    "facilities": ["source_key", "source_id", "code", "class_code", "name", "status",
                   "community_code"],
    "incidents": ["source_key", "class_code", "description", "source", "reporter_name",
                  "reporter_phone", "parties", "reported_at", "time_known"],
}  # fmt: skip
_RENAMED = {"compound": "compound_ref"}
_CONFLICT_KEY = {"streets": "code", "communities": "code"}
#: The tables written, by layer, and their geometry columns.
TABLES: dict[str, sa.Table] = {**m.LAYER_TABLES, "incidents": m.incident}
_GEOMETRY = {**m.GEOMETRY_COLUMN, "incident": "location"}
#: What a re-import changes in a stored incident: its status, source and history stay.
INCIDENT_UPDATED = (
    "class_code", "description", "reported_at", "time_known", "location", "reporter_name",
    "reporter_phone", "parties",
)  # fmt: skip


def facility_class_names(engine: Engine) -> dict[str, str]:
    """``{class name: class code}`` of the classification in force."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(m.facility_class.c.name, m.facility_class.c.code))
        return {name: code for name, code in rows}


def _rows(prepared: PreparedLayer, columns: list[str]) -> Iterator[tuple]:
    frame = prepared.frame
    hexes = shapely.to_wkb(frame.geometry.array, hex=True, include_srid=True)
    data = frame[columns].astype(object).where(frame[columns].notna(), None)
    for values, geom in zip(data.itertuples(index=False, name=None), hexes, strict=True):
        yield (*values, geom)


def _staging_table(layer: str, table: sa.Table) -> tuple[sa.Table, list[str]]:
    geom = _GEOMETRY[table.name]
    names = [_RENAMED.get(c, c) for c in COLUMNS[layer]]
    cols = [sa.Column(n, table.c[n].type) for n in names]
    cols.append(sa.Column(geom, table.c[geom].type))
    staging = sa.Table(
        f"_load_{table.name}", sa.MetaData(), *cols, prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )  # fmt: skip
    return staging, [*names, geom]


def _copy(conn: Connection, staging: sa.Table, names: list[str], rows: Iterator[tuple]) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None, "a live psycopg connection"
    cols = ", ".join(f'"{n}"' for n in names)
    with raw.cursor() as cur, cur.copy(f'COPY "{staging.name}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def _upsert(conn: Connection, layer: str, table: sa.Table, staging: sa.Table) -> tuple[int, int]:
    key = _CONFLICT_KEY.get(layer, "source_key")
    names = [c.name for c in staging.columns]
    stmt = insert(table).from_select(names, sa.select(*staging.columns))
    update: dict[str, sa.ColumnElement] = {n: stmt.excluded[n] for n in names if n != key}
    update["updated_at"] = sa.func.now()
    stmt = stmt.on_conflict_do_update(index_elements=[key], set_=update)
    inserted_flag: sa.ColumnElement = sa.literal_column("xmax = 0")
    flags = conn.execute(stmt.returning(inserted_flag)).scalars().all()
    inserted = sum(1 for f in flags if f)
    return inserted, len(flags) - inserted


def incident_class_names(engine: Engine) -> dict[str, str]:
    """``{code: name}`` of the incident subclasses (4-digit codes) in force."""
    c = m.incident_class
    with engine.connect() as conn:
        rows = conn.execute(sa.select(c.c.code, c.c.name).where(sa.func.length(c.c.code) == 4))
        return {code: name for code, name in rows}


def _check_classes(conn: Connection, prepared: PreparedLayer) -> None:
    layer = prepared.schema.name
    table = m.incident_class if layer == "incidents" else m.facility_class
    query = sa.select(table.c.code)
    if layer == "incidents":
        query = query.where(sa.func.length(table.c.code) == 4)
    known = set(conn.execute(query).scalars())
    codes = pd.Series(prepared.frame["class_code"].unique())
    unknown = sorted(set(codes) - known)
    if unknown:
        raise SchemaError(
            f"unknown {table.name.replace('_', ' ')} code(s): {', '.join(unknown[:10])}",
            fix=f"use a code of the {table.name} table, or add the class first",
        )


def load_layer(engine: Engine, prepared: PreparedLayer) -> ImportReport:
    """Write ``prepared`` in one transaction and return its report with row counts.

    Raises
    ------
    gis.errors.InputError
        If the database refuses the data (a constraint); nothing is written.
    """
    layer = prepared.schema.name
    table = TABLES[layer]
    report = prepared.report
    try:
        with engine.begin() as conn:
            if layer in ("facilities", "incidents"):
                _check_classes(conn, prepared)
            staging, names = _staging_table(layer, table)
            staging.create(conn)
            _copy(conn, staging, names, _rows(prepared, COLUMNS[layer]))
            if layer == "incidents":
                report.notes += _load_incidents(conn, staging, report)
            else:
                report.inserted, report.updated = _upsert(conn, layer, table, staging)
            report.notes += link_features(conn)
            conn.execute(
                m.import_log.insert().values(
                    layer=layer, source=report.source, format=report.format,
                    features_read=report.features_read, inserted=report.inserted,
                    updated=report.updated, report=json.loads(json.dumps(report.to_dict())),
                )
            )  # fmt: skip
            audit.record(
                conn, "import", table.name, key=report.source,
                after={"features_read": report.features_read, "inserted": report.inserted,
                       "updated": report.updated, "format": report.format},
            )  # fmt: skip
    except sa.exc.IntegrityError as exc:
        raise _integrity_error(exc) from exc
    return report


def _load_incidents(conn: Connection, staging: sa.Table, report: ImportReport) -> list[str]:
    """Upsert the staged incidents, give new ones their first event, place new and moved ones.

    A stored incident (same ``source_key``) keeps its status, source and history; only
    :data:`INCIDENT_UPDATED` change. Returns report lines.
    """
    i = m.incident
    moved = (
        sa.select(i.c.id)
        .join(staging, staging.c.source_key == i.c.source_key)
        .where(sa.not_(sa.func.ST_Equals(i.c.location, staging.c.location)))
    )
    moved_ids = list(conn.execute(moved).scalars())
    names = [c.name for c in staging.columns]
    stmt = insert(i).from_select(names, sa.select(*staging.columns))
    update: dict[str, sa.ColumnElement] = {n: stmt.excluded[n] for n in INCIDENT_UPDATED}
    update["updated_at"] = sa.func.now()
    stmt = stmt.on_conflict_do_update(index_elements=["source_key"], set_=update)
    rows = conn.execute(stmt.returning(i.c.id, sa.literal_column("xmax = 0"))).all()
    new_ids = [row[0] for row in rows if row[1]]
    report.inserted, report.updated = len(new_ids), len(rows) - len(new_ids)
    _first_events(conn, new_ids, f"imported from {report.source}")
    notes = place_incidents(conn, new_ids + moved_ids)
    if moved_ids:
        notes.append(f"{len(moved_ids)} stored incidents moved: placed again")
    return notes


def _ids(ids: list[int]) -> sa.ColumnElement:
    """``incident.id = ANY(:ids)``, one array parameter however many ids."""
    return m.incident.c.id == sa.any_(sa.literal(ids, ARRAY(sa.Integer)))


def _first_events(conn: Connection, ids: list[int], note: str) -> None:
    """The ``reported`` event of each new incident, by the current actor (the importer)."""
    if not ids:
        return
    who = actor.current()
    e = m.incident_event
    values = sa.select(
        m.incident.c.id, sa.literal("reported"),
        sa.literal(who.user_id if who else None, sa.Integer),
        sa.literal(who.name if who else "system"), sa.literal(note),
    ).where(_ids(ids))  # fmt: skip
    columns = ["incident_id", "to_status", "user_id", "user_name", "note"]
    conn.execute(e.insert().from_select(columns, values))


def placing_update(ids: list[int], today: date | None = None) -> sa.Update:
    """One UPDATE placing incidents ``ids``: community, grid in force, building, facility.

    The same lookups as :func:`api.incidents.placing.place`
    (:func:`api.incidents.placing.lookups`), correlated with each incident's location.
    """
    i = m.incident
    community, grid, building, facility = lookups(i.c.location, today or date.today())
    return (
        i.update()
        .values(community_code=community, grid_code=grid, building_id=building,
                facility_id=facility)
        .where(_ids(ids))
    )  # fmt: skip


def place_incidents(conn: Connection, ids: list[int]) -> list[str]:
    """Place incidents ``ids`` in one statement (:func:`placing_update`); report lines."""
    if not ids:
        return []
    # JIT compiling the four subplans costs more than running them (0.8 s of 1.8 s at 10,000)
    conn.execute(sa.text("SET LOCAL jit = off"))
    conn.execute(placing_update(ids))
    i = m.incident
    counts = conn.execute(
        sa.select(sa.func.count(i.c.community_code), sa.func.count(i.c.grid_code),
                  sa.func.count(i.c.building_id), sa.func.count(i.c.facility_id))
        .where(_ids(ids))
    ).one()  # fmt: skip
    where = ("in a community", "in a grid in force", "at a building",
             f"within {NEAREST_FACILITY_M:.0f} m of a facility")  # fmt: skip
    found = ", ".join(f"{n} {w}" for w, n in zip(where, counts, strict=True))
    return [f"{len(ids)} incidents placed: {found}"]


def _integrity_error(exc: sa.exc.IntegrityError) -> WanggeError:
    detail = str(exc.orig).strip().splitlines()[0]
    if "unique" in detail.lower():
        return ConflictError(f"the data conflict with what is stored: {detail}")
    return SchemaError(f"the database refused the data: {detail}", fix="correct the file")


def _links() -> list[tuple[str, sa.Update]]:
    """The link updates, as (report phrase, statement), in the order they must run."""
    b, c, k, f = m.building, m.compound, m.community, m.facility
    contains = sa.func.ST_Contains
    on_surface = sa.func.ST_PointOnSurface
    return [
        (
            "compounds placed in their community",
            c.update()
            .values(community_code=k.c.code)
            .where(c.c.community_code.is_(None), contains(k.c.boundary, on_surface(c.c.outline))),
        ),
        (
            "buildings linked to their compound by id or name",
            b.update()
            .values(compound_id=c.c.id)
            .where(
                b.c.compound_id.is_(None),
                b.c.compound_ref.is_not(None),
                sa.or_(c.c.source_id == b.c.compound_ref, c.c.name == b.c.compound_ref),
            ),
        ),
        (
            "buildings linked to the compound they stand in",
            b.update()
            .values(compound_id=c.c.id)
            .where(
                b.c.compound_id.is_(None),
                b.c.compound_ref.is_(None),
                contains(c.c.outline, on_surface(b.c.footprint)),
            ),
        ),
        (
            "buildings placed in their community",
            b.update()
            .values(community_code=k.c.code)
            .where(b.c.community_code.is_(None), contains(k.c.boundary, on_surface(b.c.footprint))),
        ),
        (
            "facilities placed in their community",
            f.update()
            .values(community_code=k.c.code)
            .where(f.c.community_code.is_(None), contains(k.c.boundary, f.c.location)),
        ),
    ]


def link_features(conn: Connection) -> list[str]:
    """Fill missing links (community of each feature, compound of each building) spatially.

    Runs after every load, so layers can be imported in any order. Returns report lines.
    """
    notes = []
    for what, statement in _links():
        with warnings.catch_warnings():
            # a spatial predicate is the join condition; SQLAlchemy's linter cannot see that
            warnings.filterwarnings("ignore", "UPDATE statement has a cartesian product")
            count = conn.execute(statement).rowcount
        if count:
            notes.append(f"{count} {what}")
    return notes
