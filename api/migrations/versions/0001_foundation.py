"""Foundation: streets, communities, compounds, buildings, facilities and their classes.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SRID = 4326

# Frozen copy of gis.facility_classes at the time of this migration: a migration must not
# change when the code's defaults do.
MAJOR = {
    "01": "公用设施",
    "02": "道路交通",
    "03": "市容环境",
    "04": "园林绿化",
    "05": "房屋土地",
    "06": "其他设施",
    "90": "便民服务点",
}
CLASSES = [
    ("0101", "上水井盖", "water-supply manhole cover"),
    ("0102", "污水井盖", "sewage manhole cover"),
    ("0103", "雨水井盖", "storm-water manhole cover"),
    ("0105", "电力井盖", "power manhole cover"),
    ("0107", "通信井盖", "telecom manhole cover"),
    ("0110", "热力井盖", "heating manhole cover"),
    ("0111", "燃气井盖", "gas manhole cover"),
    ("0115", "消火栓", "fire hydrant"),
    ("0116", "电线杆", "utility pole"),
    ("0117", "路灯", "street lamp"),
    ("0118", "变压器", "transformer"),
    ("0119", "监控电子眼", "surveillance camera"),
    ("0120", "配电箱", "switch box"),
    ("0121", "公用电话亭", "telephone booth"),
    ("0122", "报刊亭", "newsstand"),
    ("0123", "邮筒", "mailbox"),
    ("0201", "公交站亭", "bus shelter"),
    ("0202", "停车场", "car park"),
    ("0301", "公共厕所", "public toilet"),
    ("0304", "垃圾箱", "trash bin"),
    ("0305", "垃圾收集点", "waste collection point"),
    ("0401", "古树名木", "heritage tree"),
    ("0402", "街头绿地", "pocket green space"),
    ("0601", "其他设施", "other facility"),
    ("9001", "社区服务站/居委会", "community service station / committee office"),
    ("9002", "社区卫生服务站", "community health station"),
    ("9003", "警务室", "police room"),
    ("9004", "医院", "hospital"),
    ("9005", "学校", "school"),
    ("9006", "便民服务点", "other convenience service point"),
]


def _stamps():
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    ]


def _geom(name, kind, nullable=False):
    return sa.Column(name, Geometry(kind, srid=SRID, spatial_index=False), nullable=nullable)


def _gist(table, column):
    op.create_index(f"idx_{table}_{column}", table, [column], postgresql_using="gist")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "street",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(9), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("source_id", sa.Text),
        _geom("boundary", "MULTIPOLYGON"),
        *_stamps(),
        sa.CheckConstraint("code ~ '^[0-9]{9}$'", name="street_code_format"),
    )
    _gist("street", "boundary")
    op.create_table(
        "community",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(12), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("street_code", sa.String(9), nullable=False, index=True),
        sa.Column("street_name", sa.Text),
        sa.Column("source_id", sa.Text),
        _geom("boundary", "MULTIPOLYGON"),
        *_stamps(),
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name="community_code_format"),
        sa.CheckConstraint("street_code = left(code, 9)", name="community_in_street"),
    )
    _gist("community", "boundary")
    op.create_table(
        "compound",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_key", sa.Text, nullable=False, unique=True),
        sa.Column("source_id", sa.Text, index=True),
        sa.Column("name", sa.Text),
        sa.Column("community_code", sa.String(12), index=True),
        _geom("outline", "MULTIPOLYGON"),
        *_stamps(),
    )
    _gist("compound", "outline")
    op.create_table(
        "building",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_key", sa.Text, nullable=False, unique=True),
        sa.Column("source_id", sa.Text, index=True),
        sa.Column("name", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("use", sa.Text),
        sa.Column("residential", sa.Boolean, nullable=False),
        sa.Column("floors", sa.Integer),
        sa.Column("height_m", sa.Float),
        sa.Column("households", sa.Integer, nullable=False),
        sa.Column("households_estimated", sa.Boolean, nullable=False),
        sa.Column("footprint_m2", sa.Float, nullable=False),
        sa.Column("compound_ref", sa.Text),
        sa.Column(
            "compound_id",
            sa.Integer,
            sa.ForeignKey("compound.id", ondelete="SET NULL"),
            index=True,
        ),
        sa.Column("community_code", sa.String(12), index=True),
        _geom("footprint", "MULTIPOLYGON"),
        *_stamps(),
        sa.CheckConstraint("households >= 0", name="building_households_nonnegative"),
        sa.CheckConstraint("floors IS NULL OR floors > 0", name="building_floors_positive"),
    )
    _gist("building", "footprint")
    op.create_table(
        "facility_class",
        sa.Column("code", sa.String(4), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("name_en", sa.Text),
        sa.Column("major_code", sa.String(2), nullable=False),
        sa.Column("major_name", sa.Text, nullable=False),
        sa.Column("builtin", sa.Boolean, nullable=False, server_default="false"),
        sa.CheckConstraint("code ~ '^[0-9]{4}$'", name="facility_class_code_format"),
        sa.CheckConstraint("major_code = left(code, 2)", name="facility_class_major"),
    )
    classes = sa.table(
        "facility_class",
        sa.column("code"),
        sa.column("name"),
        sa.column("name_en"),
        sa.column("major_code"),
        sa.column("major_name"),
        sa.column("builtin"),
    )
    op.bulk_insert(
        classes,
        [
            {
                "code": code,
                "name": name,
                "name_en": name_en,
                "major_code": code[:2],
                "major_name": MAJOR[code[:2]],
                "builtin": True,
            }
            for code, name, name_en in CLASSES
        ],
    )
    op.create_table(
        "facility",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_key", sa.Text, nullable=False, unique=True),
        sa.Column("source_id", sa.Text, index=True),
        sa.Column("code", sa.String(16)),
        sa.Column(
            "class_code",
            sa.String(4),
            sa.ForeignKey("facility_class.code", onupdate="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.Text),
        sa.Column("status", sa.Text, nullable=False, server_default="intact"),
        sa.Column("community_code", sa.String(12), index=True),
        _geom("location", "POINT"),
        *_stamps(),
        sa.CheckConstraint(
            "status IN ('intact', 'damaged', 'lost', 'removed')", name="facility_status_known"
        ),
        sa.CheckConstraint("code IS NULL OR code ~ '^[0-9]{16}$'", name="facility_code_format"),
    )
    _gist("facility", "location")
    op.create_table(
        "import_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("layer", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("features_read", sa.Integer, nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("report", JSONB, nullable=False),
        sa.Column(
            "imported_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    for table in ("import_log", "facility", "facility_class", "building", "compound",
                  "community", "street"):
        op.drop_table(table)
