"""Grid staff (AB岗) and trigram indexes for partial-match search.

``grid_staff`` holds the people who answer for each grid: name, post (A = a specialised
duty, B = their grid), duties, phone and an optional photo. Staff refer to a grid by its
code in ``grid_code_registry``; codes are never reused, so the reference stays meaningful.

The ``pg_trgm`` extension (shipped with PostgreSQL) gives GIN trigram indexes on the names,
addresses and codes searched with ``ILIKE '%…%'``. An index on
``grid_assignment.building_id`` finds a building's grid without scanning every assignment
(the grid code of buildings in tiles and GeoJSON).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-11
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copy of api.models.TRIGRAM_COLUMNS at the time of this migration.
TRIGRAM_COLUMNS = (
    ("building", "name"),
    ("building", "address"),
    ("compound", "name"),
    ("facility", "name"),
    ("facility", "code"),
)


def upgrade() -> None:
    op.create_table(
        "grid_staff",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "grid_code", sa.String(15), sa.ForeignKey("grid_code_registry.code"), nullable=False,
            index=True,
        ),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("post", sa.String(1), nullable=False),
        sa.Column("duties", sa.Text, nullable=False, server_default=""),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("photo_path", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("post IN ('A', 'B')", name="grid_staff_post_known"),
        sa.CheckConstraint("phone ~ '^[0-9][0-9-]*[0-9]$'", name="grid_staff_phone_digits"),
        sa.CheckConstraint("length(btrim(name)) > 0", name="grid_staff_named"),
    )
    op.create_index("ix_grid_assignment_building_id", "grid_assignment", ["building_id"])
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in TRIGRAM_COLUMNS:
        op.create_index(
            f"ix_{table}_{column}_trgm", table, [column], postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    for table, column in TRIGRAM_COLUMNS:
        op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
    op.drop_index("ix_grid_assignment_building_id", table_name="grid_assignment")
    op.drop_table("grid_staff")
    # pg_trgm stays: other objects of the database may use it.
