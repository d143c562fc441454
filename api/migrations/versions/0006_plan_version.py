"""A version number on grid plans, so that two people editing one draft do not overwrite each other.

Every edit of a draft checks the version the editor loaded and bumps it; an edit made on
a stale version is refused (409) with a message to reload.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``grid_plan.version`` (1 for every existing plan)."""
    op.add_column("grid_plan", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.create_check_constraint("grid_plan_version_positive", "grid_plan", "version >= 1")


def downgrade() -> None:
    """Drop ``grid_plan.version``."""
    op.drop_constraint("grid_plan_version_positive", "grid_plan", type_="check")
    op.drop_column("grid_plan", "version")
