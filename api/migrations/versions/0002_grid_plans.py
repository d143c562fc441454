"""Grid plans: drafts and published partitions, their grids, building assignments, code registry.

A plan is one run of the partitioner over some communities. It starts as a draft, is
published (with an effective date) after its integrity checks pass, and is superseded when
a later plan of the same communities is published. ``grid_code_registry`` records every
grid code ever issued: codes are never reused, a withdrawn code keeps its end date and
reason.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SRID = 4326


def upgrade() -> None:
    op.create_table(
        "grid_plan",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="draft"),
        sa.Column("params", JSONB, nullable=False),
        sa.Column("metrics", JSONB),
        sa.Column("community_codes", ARRAY(sa.Text), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("effective_from", sa.Date),
        sa.Column("effective_to", sa.Date),
        sa.Column("note", sa.Text),
        sa.CheckConstraint("status IN ('draft', 'published', 'superseded')", name="grid_plan_status_known"),
        sa.CheckConstraint(
            "status = 'draft' OR (published_at IS NOT NULL AND effective_from IS NOT NULL)",
            name="grid_plan_published_dated",
        ),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="grid_plan_dates_ordered"
        ),
    )
    op.create_table(
        "grid",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("grid_plan.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code", sa.String(15), nullable=False),
        sa.Column("community_code", sa.String(12), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False, server_default="basic"),
        sa.Column("households", sa.Integer, nullable=False),
        sa.Column("buildings", sa.Integer, nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("flags", sa.Text),
        sa.Column("exception_reason", sa.Text),
        sa.Column("geometry", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False),
        sa.UniqueConstraint("plan_id", "code", name="grid_plan_code_unique"),
        sa.CheckConstraint("code ~ '^[0-9]{15}$'", name="grid_code_format"),
        sa.CheckConstraint("seq BETWEEN 1 AND 999", name="grid_seq_range"),
        sa.CheckConstraint("code = community_code || lpad(seq::text, 3, '0')", name="grid_code_parts"),
        sa.CheckConstraint("kind IN ('basic', 'dedicated')", name="grid_kind_known"),
        sa.CheckConstraint("households >= 0 AND buildings >= 0", name="grid_counts_nonnegative"),
    )
    op.create_index("idx_grid_geometry", "grid", ["geometry"], postgresql_using="gist")
    op.create_table(
        "grid_assignment",
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("grid_plan.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("building_id", sa.Integer, sa.ForeignKey("building.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "grid_id", sa.Integer, sa.ForeignKey("grid.id", ondelete="CASCADE"), nullable=False, index=True
        ),
    )
    op.create_table(
        "grid_code_registry",
        sa.Column("code", sa.String(15), primary_key=True),
        sa.Column("community_code", sa.String(12), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("first_plan_id", sa.Integer, sa.ForeignKey("grid_plan.id"), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("reason", sa.Text),
        sa.CheckConstraint("code ~ '^[0-9]{15}$'", name="grid_code_registry_format"),
        sa.CheckConstraint(
            "code = community_code || lpad(seq::text, 3, '0')", name="grid_code_registry_parts"
        ),
        sa.CheckConstraint("status IN ('active', 'withdrawn')", name="grid_code_registry_status_known"),
        sa.CheckConstraint(
            "(status = 'active' AND valid_to IS NULL) OR (status = 'withdrawn' AND valid_to IS NOT NULL)",
            name="grid_code_registry_withdrawn_dated",
        ),
    )


def downgrade() -> None:
    for table in ("grid_code_registry", "grid_assignment", "grid", "grid_plan"):
        op.drop_table(table)
