"""Tables of wangge, as SQLAlchemy Core metadata with GeoAlchemy2 geometry columns.

The schema itself is built by the Alembic migrations in ``api/migrations``; these
definitions mirror it for queries, and a test checks that the two agree. Geometries are
stored in EPSG:4326 (WGS84 longitude/latitude) with GiST indexes.
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

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
}
