"""Locked grids and background plan jobs.

``grid.locked`` marks the grids of a draft that a re-run of the partition keeps as they
are (polygon, buildings and code). ``plan_job`` records a partition or re-run working in
the background: its progress (communities ``done`` of ``total``), its end (``done`` or
``failed`` with the error's message) and the plan it made or re-ran; ``community_codes``
are the communities it works on, for the scope check of whoever polls it.

Both are audited with the ``wangge_audit`` trigger of 0004, on the changes that matter:
a grid when it is locked or unlocked (not each grid a partition writes), a job when it
is made, changes status or is deleted (not each progress step).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Frozen copies of api.plans.jobs.KINDS and STATUSES at this revision.
KINDS = ("partition", "rerun")
STATUSES = ("queued", "running", "done", "failed")


def upgrade() -> None:
    """Add ``grid.locked`` and the ``plan_job`` table, with their audit triggers."""
    op.add_column(
        "grid", sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.create_table(
        "plan_job",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("grid_plan.id", ondelete="SET NULL")),
        sa.Column("community_codes", ARRAY(sa.Text), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="plan_job_kind_known"),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="plan_job_status_known"),
        sa.CheckConstraint("done >= 0 AND total >= 0", name="plan_job_counts_nonnegative"),
    )
    op.execute(
        "CREATE TRIGGER grid_locked_audit AFTER UPDATE OF locked ON grid "
        "FOR EACH ROW EXECUTE FUNCTION wangge_audit()"
    )
    op.execute(
        "CREATE TRIGGER plan_job_audit AFTER INSERT OR DELETE OR UPDATE OF status ON plan_job "
        "FOR EACH ROW EXECUTE FUNCTION wangge_audit()"
    )


def downgrade() -> None:
    """Drop ``plan_job`` and ``grid.locked``."""
    op.execute("DROP TRIGGER IF EXISTS grid_locked_audit ON grid")
    op.drop_table("plan_job")
    op.drop_column("grid", "locked")
