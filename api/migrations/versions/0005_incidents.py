"""Incidents and disputes: their classification, the incidents and the closed-loop history.

``incident_class`` is the two-level classification (2-digit major, 4-digit subclass; majors
01–49 are events 事件, 51–99 disputes 矛盾纠纷) with the handling deadline in hours, seeded
from a frozen copy of :mod:`gis.incidents.classes`. ``incident`` holds each report: a point,
the class, source, the reporter's contact and the dispute parties (personal data: masked by
the API for roles that do not need them), ``time_known`` (false when the source gave a
date without a time of day, stored at 00:00 local), and the grid, community, building and
nearest facility assigned from the location; ``status`` follows the closed loop. ``incident_event``
records every transition with who made it and when.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen copies (gis.incidents at this revision): a migration must not change with the code.
CLASSES = [
    ("01", "市容环境", None),
    ("0101", "私搭乱建", 4.0),
    ("0102", "暴露垃圾", 4.0),
    ("0103", "建筑垃圾", 24.0),
    ("0104", "道路不洁", 24.0),
    ("0105", "绿化损毁", 120.0),
    ("02", "宣传广告", None),
    ("0201", "违规小广告", 24.0),
    ("0202", "违规户外广告", 72.0),
    ("03", "施工管理", None),
    ("0301", "施工噪音", 8.0),
    ("0302", "施工扬尘", 8.0),
    ("0303", "占道施工", 8.0),
    ("04", "街面秩序", None),
    ("0401", "无照经营游商", 4.0),
    ("0402", "占道经营", 4.0),
    ("0403", "店外揽客", 8.0),
    ("0404", "消防通道堵塞", 4.0),
    ("05", "突发事件", None),
    ("0501", "水管爆裂", 2.0),
    ("0502", "道路塌陷", 2.0),
    ("0503", "燃气泄漏", 1.0),
    ("06", "设施损坏", None),
    ("0601", "路灯损坏", 48.0),
    ("0602", "井盖缺失", 2.0),
    ("0603", "井盖破损", 24.0),
    ("09", "其他事件", None),
    ("0901", "其他事件", 72.0),
    ("51", "邻里纠纷", None),
    ("5101", "邻里纠纷", 168.0),
    ("52", "婚姻家庭纠纷", None),
    ("5201", "婚姻家庭纠纷", 168.0),
    ("53", "物业纠纷", None),
    ("5301", "物业纠纷", 168.0),
    ("54", "劳资纠纷", None),
    ("5401", "劳资纠纷", 168.0),
    ("55", "征地拆迁纠纷", None),
    ("5501", "征地拆迁纠纷", 336.0),
    ("56", "消费纠纷", None),
    ("5601", "消费纠纷", 168.0),
    ("59", "其他纠纷", None),
    ("5901", "其他纠纷", 168.0)
]
SOURCES = ("patrol", "resident", "hotline", "other")
STATUSES = ("reported", "accepted", "dispatched", "handled", "checked", "closed", "rejected")


def upgrade() -> None:
    op.create_table(
        "incident_class",
        sa.Column("code", sa.String(4), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_code", sa.String(2), sa.ForeignKey("incident_class.code")),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("deadline_hours", sa.Float),
        sa.Column("builtin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.CheckConstraint("code ~ '^[0-9]{2}([0-9]{2})?$'", name="incident_class_code_format"),
        sa.CheckConstraint(
            "(length(code) = 2 AND parent_code IS NULL) OR parent_code = left(code, 2)",
            name="incident_class_parent",
        ),
        sa.CheckConstraint("kind IN ('event', 'dispute')", name="incident_class_kind"),
        sa.CheckConstraint(
            "deadline_hours IS NULL OR deadline_hours > 0", name="incident_class_deadline"
        ),
    )
    classes = sa.table(
        "incident_class", sa.column("code"), sa.column("name"), sa.column("parent_code"),
        sa.column("kind"), sa.column("deadline_hours"), sa.column("builtin"),
    )
    op.bulk_insert(
        classes,
        [
            {
                "code": code, "name": name, "parent_code": code[:2] if len(code) == 4 else None,
                "kind": "dispute" if int(code[:2]) > 50 else "event",
                "deadline_hours": hours, "builtin": True,
            }
            for code, name, hours in CLASSES
        ],
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_key", sa.Text, unique=True),
        sa.Column(
            "class_code", sa.String(4),
            sa.ForeignKey("incident_class.code", onupdate="CASCADE"), nullable=False, index=True,
        ),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("reporter_name", sa.Text),
        sa.Column("reporter_phone", sa.Text),
        sa.Column("parties", sa.Text),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("time_known", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("location", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("building_id", sa.Integer, sa.ForeignKey("building.id", ondelete="SET NULL")),
        sa.Column("grid_code", sa.String(15), index=True),
        sa.Column("community_code", sa.String(12), index=True),
        sa.Column("facility_id", sa.Integer, sa.ForeignKey("facility.id", ondelete="SET NULL")),
        sa.Column("status", sa.Text, nullable=False, server_default="reported", index=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True)),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("handled_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("reopened", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"source IN {SOURCES!r}", name="incident_source_known"),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="incident_status_known"),
    )
    op.create_index("idx_incident_location", "incident", ["location"], postgresql_using="gist")
    op.create_table(
        "incident_event",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "incident_id", sa.Integer, sa.ForeignKey("incident.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("user_id", sa.Integer),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.execute(
        "CREATE TRIGGER incident_class_audit AFTER INSERT OR UPDATE OR DELETE ON incident_class "
        "FOR EACH ROW EXECUTE FUNCTION wangge_audit()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS incident_class_audit ON incident_class")
    op.drop_table("incident_event")
    op.drop_index("idx_incident_location", table_name="incident")
    op.drop_table("incident")
    op.drop_table("incident_class")
