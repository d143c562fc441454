"""Tables of wangge, as SQLAlchemy Core metadata with GeoAlchemy2 geometry columns.

The schema itself is built by the Alembic migrations in ``api/migrations``; these
definitions mirror it for queries, and a test checks that the two agree. Geometries are
stored in EPSG:4326 (WGS84 longitude/latitude) with GiST indexes.
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

SRID = 4326

metadata = MetaData()


def _stamps() -> list[Column]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


street = Table(
    "street",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(9), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("source_id", Text),
    Column("boundary", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False),
    *_stamps(),
    CheckConstraint("code ~ '^[0-9]{9}$'", name="street_code_format"),
)

community = Table(
    "community",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(12), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("street_code", String(9), nullable=False, index=True),
    Column("street_name", Text),
    Column("source_id", Text),
    Column("boundary", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False),
    *_stamps(),
    CheckConstraint("code ~ '^[0-9]{12}$'", name="community_code_format"),
    CheckConstraint("street_code = left(code, 9)", name="community_in_street"),
)

compound = Table(
    "compound",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_key", Text, nullable=False, unique=True),
    Column("source_id", Text, index=True),
    Column("name", Text),
    Column("community_code", String(12), index=True),
    Column("outline", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False),
    *_stamps(),
)

building = Table(
    "building",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_key", Text, nullable=False, unique=True),
    Column("source_id", Text, index=True),
    Column("name", Text),
    Column("address", Text),
    Column("use", Text),
    Column("residential", Boolean, nullable=False),
    Column("floors", Integer),
    Column("height_m", Float),
    Column("households", Integer, nullable=False),
    Column("households_estimated", Boolean, nullable=False),
    Column("footprint_m2", Float, nullable=False),
    Column("compound_ref", Text),
    Column("compound_id", Integer, ForeignKey("compound.id", ondelete="SET NULL"), index=True),
    Column("community_code", String(12), index=True),
    Column("footprint", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False),
    *_stamps(),
    CheckConstraint("households >= 0", name="building_households_nonnegative"),
    CheckConstraint("floors IS NULL OR floors > 0", name="building_floors_positive"),
)

facility_class = Table(
    "facility_class",
    metadata,
    Column("code", String(4), primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("name_en", Text),
    Column("major_code", String(2), nullable=False),
    Column("major_name", Text, nullable=False),
    Column("builtin", Boolean, nullable=False, server_default="false"),
    CheckConstraint("code ~ '^[0-9]{4}$'", name="facility_class_code_format"),
    CheckConstraint("major_code = left(code, 2)", name="facility_class_major"),
)

facility = Table(
    "facility",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_key", Text, nullable=False, unique=True),
    Column("source_id", Text, index=True),
    Column("code", String(16)),
    Column(
        "class_code",
        String(4),
        ForeignKey("facility_class.code", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", Text),
    Column("status", Text, nullable=False, server_default="intact"),
    Column("community_code", String(12), index=True),
    Column("location", Geometry("POINT", srid=SRID, spatial_index=True), nullable=False),
    *_stamps(),
    CheckConstraint(
        "status IN ('intact', 'damaged', 'lost', 'removed')", name="facility_status_known"
    ),
    CheckConstraint("code IS NULL OR code ~ '^[0-9]{16}$'", name="facility_code_format"),
)

import_log = Table(
    "import_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("layer", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("features_read", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("report", JSONB, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

#: Plan statuses: a draft is checked and published; publishing a later plan of the same
#: communities supersedes it.
PLAN_STATUSES = ("draft", "published", "superseded")

grid_plan = Table(
    "grid_plan",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="draft"),
    Column("params", JSONB, nullable=False),
    Column("metrics", JSONB),
    Column("community_codes", ARRAY(Text), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("effective_from", Date),
    Column("effective_to", Date),
    Column("note", Text),
    Column("version", Integer, nullable=False, server_default="1"),  # 0006: edits check it
    CheckConstraint("version >= 1", name="grid_plan_version_positive"),
    CheckConstraint(
        "status IN ('draft', 'published', 'superseded')", name="grid_plan_status_known"
    ),
    CheckConstraint(
        "status = 'draft' OR (published_at IS NOT NULL AND effective_from IS NOT NULL)",
        name="grid_plan_published_dated",
    ),
    CheckConstraint(
        "effective_to IS NULL OR effective_to >= effective_from", name="grid_plan_dates_ordered"
    ),
)

grid = Table(
    "grid",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("grid_plan.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(15), nullable=False),
    Column("community_code", String(12), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("kind", Text, nullable=False, server_default="basic"),
    Column("households", Integer, nullable=False),
    Column("buildings", Integer, nullable=False),
    Column("area_m2", Float, nullable=False),
    Column("flags", Text),
    Column("exception_reason", Text),
    Column("geometry", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False),
    Column("locked", Boolean, nullable=False, server_default=false()),  # 0007: re-runs keep it
    UniqueConstraint("plan_id", "code", name="grid_plan_code_unique"),
    CheckConstraint("code ~ '^[0-9]{15}$'", name="grid_code_format"),
    CheckConstraint("seq BETWEEN 1 AND 999", name="grid_seq_range"),
    CheckConstraint("code = community_code || lpad(seq::text, 3, '0')", name="grid_code_parts"),
    CheckConstraint("kind IN ('basic', 'dedicated')", name="grid_kind_known"),
    CheckConstraint("households >= 0 AND buildings >= 0", name="grid_counts_nonnegative"),
)

grid_assignment = Table(
    "grid_assignment",
    metadata,
    Column("plan_id", Integer, ForeignKey("grid_plan.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "building_id",
        Integer,
        ForeignKey("building.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,  # migration 0003: a building's grid without knowing the plan (tiles)
    ),
    Column(
        "grid_id", Integer, ForeignKey("grid.id", ondelete="CASCADE"), nullable=False, index=True
    ),
)

#: Kinds and statuses of background plan jobs (migration 0007, :mod:`api.plans.jobs`).
PLAN_JOB_KINDS = ("partition", "rerun")
PLAN_JOB_STATUSES = ("queued", "running", "done", "failed")

plan_job = Table(
    "plan_job",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="queued"),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("message", Text),
    Column("error", Text),
    Column("plan_id", Integer, ForeignKey("grid_plan.id", ondelete="SET NULL")),
    Column("community_codes", ARRAY(Text), nullable=False),
    Column("created_by", Text, nullable=False),
    *_stamps(),
    CheckConstraint(f"kind IN {PLAN_JOB_KINDS!r}", name="plan_job_kind_known"),
    CheckConstraint(f"status IN {PLAN_JOB_STATUSES!r}", name="plan_job_status_known"),
    CheckConstraint("done >= 0 AND total >= 0", name="plan_job_counts_nonnegative"),
)

#: Every grid code ever issued. Codes are never reused: a withdrawn code keeps its row,
#: with the date it ended and why.
grid_code_registry = Table(
    "grid_code_registry",
    metadata,
    Column("code", String(15), primary_key=True),
    Column("community_code", String(12), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("first_plan_id", Integer, ForeignKey("grid_plan.id"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("reason", Text),
    CheckConstraint("code ~ '^[0-9]{15}$'", name="grid_code_registry_format"),
    CheckConstraint(
        "code = community_code || lpad(seq::text, 3, '0')", name="grid_code_registry_parts"
    ),
    CheckConstraint("status IN ('active', 'withdrawn')", name="grid_code_registry_status_known"),
    CheckConstraint(
        "(status = 'active' AND valid_to IS NULL) "
        "OR (status = 'withdrawn' AND valid_to IS NOT NULL)",
        name="grid_code_registry_withdrawn_dated",
    ),
)

#: Post of a grid worker under the AB-post system (AB岗): A answers for a specialised duty,
#: B for their grid; each stands in for the other.
STAFF_POSTS = ("A", "B")

#: The people who answer for a grid, by grid code (codes are never reused, so a person stays
#: attached to the code they were given).
grid_staff = Table(
    "grid_staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "grid_code", String(15), ForeignKey("grid_code_registry.code"), nullable=False, index=True
    ),
    Column("name", Text, nullable=False),
    Column("post", String(1), nullable=False),
    Column("duties", Text, nullable=False, server_default=""),
    Column("phone", Text, nullable=False),
    Column("photo_path", Text),
    *_stamps(),
    CheckConstraint("post IN ('A', 'B')", name="grid_staff_post_known"),
    CheckConstraint("phone ~ '^[0-9][0-9-]*[0-9]$'", name="grid_staff_phone_digits"),
    CheckConstraint("length(btrim(name)) > 0", name="grid_staff_named"),
)

#: Login roles, lowest first (``public`` needs no account); see :mod:`api.auth.roles`.
LOGIN_ROLES = ("grid_worker", "community_staff", "street_office", "admin")

app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("scope_code", String(15)),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column(
        "password_changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    CheckConstraint(f"role IN {LOGIN_ROLES!r}", name="app_user_role_known"),
    CheckConstraint(
        "scope_code IS NULL OR scope_code ~ '^[0-9]{9}([0-9]{3}([0-9]{3})?)?$'",
        name="app_user_scope_code_format",
    ),
    CheckConstraint("role = 'admin' OR scope_code IS NOT NULL", name="app_user_scoped"),
    CheckConstraint("length(btrim(name)) > 0", name="app_user_named"),
)

auth_session = Table(
    "auth_session",
    metadata,
    Column("token_hash", LargeBinary, primary_key=True),
    Column(
        "user_id",
        Integer,
        ForeignKey("app_user.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now(), index=True),
    Column("user_id", Integer),
    Column("user_name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("entity", Text, nullable=False, index=True),
    Column("entity_key", Text),
    Column("before", JSONB),
    Column("after", JSONB),
)

#: Incident sources and statuses (see :mod:`gis.incidents`).
INCIDENT_SOURCES = ("patrol", "resident", "hotline", "other")
INCIDENT_STATUSES = (
    "reported", "accepted", "dispatched", "handled", "checked", "closed", "rejected",
)  # fmt: skip

incident_class = Table(
    "incident_class",
    metadata,
    Column("code", String(4), primary_key=True),
    Column("name", Text, nullable=False),
    Column("parent_code", String(2), ForeignKey("incident_class.code")),
    Column("kind", Text, nullable=False),
    Column("deadline_hours", Float),
    Column("builtin", Boolean, nullable=False, server_default=false()),
    CheckConstraint("code ~ '^[0-9]{2}([0-9]{2})?$'", name="incident_class_code_format"),
    CheckConstraint(
        "(length(code) = 2 AND parent_code IS NULL) OR parent_code = left(code, 2)",
        name="incident_class_parent",
    ),
    CheckConstraint("kind IN ('event', 'dispute')", name="incident_class_kind"),
    CheckConstraint("deadline_hours IS NULL OR deadline_hours > 0", name="incident_class_deadline"),
)

incident = Table(
    "incident",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_key", Text, unique=True),
    Column(
        "class_code",
        String(4),
        ForeignKey("incident_class.code", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),  # fmt: skip
    Column("description", Text, nullable=False, server_default=""),
    Column("source", Text, nullable=False),
    Column("reporter_name", Text),
    Column("reporter_phone", Text),
    Column("parties", Text),
    Column("reported_at", DateTime(timezone=True), nullable=False, index=True),
    Column("time_known", Boolean, nullable=False, server_default=true()),
    Column("location", Geometry("POINT", srid=SRID, spatial_index=True), nullable=False),
    Column("building_id", Integer, ForeignKey("building.id", ondelete="SET NULL")),
    Column("grid_code", String(15), index=True),
    Column("community_code", String(12), index=True),
    Column("facility_id", Integer, ForeignKey("facility.id", ondelete="SET NULL")),
    Column("status", Text, nullable=False, server_default="reported", index=True),
    Column("dispatched_at", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True)),
    Column("handled_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("reopened", Integer, nullable=False, server_default="0"),
    *_stamps(),
    CheckConstraint(f"source IN {INCIDENT_SOURCES!r}", name="incident_source_known"),
    CheckConstraint(f"status IN {INCIDENT_STATUSES!r}", name="incident_status_known"),
)

incident_event = Table(
    "incident_event",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "incident_id",
        Integer,
        ForeignKey("incident.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),  # fmt: skip
    Column("from_status", Text),
    Column("to_status", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("user_id", Integer),
    Column("user_name", Text, nullable=False),
    Column("note", Text),
)

#: Tables whose every row change the ``wangge_audit`` trigger writes to ``audit_log``.
AUDITED_TABLES = ("grid_staff", "app_user", "facility_class", "grid_plan", "incident_class")
#: Tables audited only on some changes (migration 0007): a grid's lock, a job's status.
PARTLY_AUDITED = {"grid": "UPDATE OF locked", "plan_job": "INSERT OR DELETE OR UPDATE OF status"}

#: Trigram (pg_trgm) indexes behind partial-match search (ILIKE '%…%'): (table, column).
TRIGRAM_COLUMNS = (
    (building, "name"),
    (building, "address"),
    (compound, "name"),
    (facility, "name"),
    (facility, "code"),
)
for _table, _column in TRIGRAM_COLUMNS:
    Index(
        f"ix_{_table.name}_{_column}_trgm",
        _table.c[_column],
        postgresql_using="gin",
        postgresql_ops={_column: "gin_trgm_ops"},
    )
del _table, _column

#: The importable layers and their tables, in the order a full load should run.
LAYER_TABLES: dict[str, Table] = {
    "streets": street,
    "communities": community,
    "compounds": compound,
    "buildings": building,
    "facilities": facility,
}

#: Name of the geometry column of each layer table.
GEOMETRY_COLUMN: dict[str, str] = {
    "street": "boundary",
    "community": "boundary",
    "compound": "outline",
    "building": "footprint",
    "facility": "location",
    "grid": "geometry",
}
