"""Users, login sessions and the audit log.

``app_user`` holds accounts: a unique name, an argon2 password hash, a role (public is not a
role one logs in with) and a scope: the 9-digit street, 12-digit community or 15-digit grid
code the account answers for (codes nest by prefix), none for admins. ``auth_session`` keeps
the SHA-256 of each bearer token with its expiry, so logout and disabling a user take effect
at once. ``audit_log`` records every change: row triggers on the curated tables write who
(from the transaction-local setting ``wangge.actor``, which the app and the CLI set), when,
what, and the row before and after; password hashes never reach the log. Bulk imports write
one summary entry from the loader instead of a row per building.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copies of api.auth.roles.LOGIN_ROLES and api.models.AUDITED_TABLES at this revision.
ROLES = ("grid_worker", "community_staff", "street_office", "admin")
AUDITED = ("grid_staff", "app_user", "facility_class", "grid_plan")

AUDIT_FUNCTION = """
CREATE OR REPLACE FUNCTION wangge_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor jsonb := nullif(current_setting('wangge.actor', true), '')::jsonb;
    old_row jsonb;
    new_row jsonb;
    row_key text;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - 'password_hash'; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - 'password_hash'; END IF;
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN RETURN NULL; END IF;
    row_key := coalesce(new_row, old_row) ->> (CASE WHEN TG_TABLE_NAME = 'facility_class'
                                                    THEN 'code' ELSE 'id' END);
    INSERT INTO audit_log (user_id, user_name, role, action, entity, entity_key, before, after)
    VALUES ((actor ->> 'id')::integer,
            coalesce(actor ->> 'name', 'system:' || session_user),
            coalesce(actor ->> 'role', 'system'),
            lower(TG_OP), TG_TABLE_NAME, row_key, old_row, new_row);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("scope_code", sa.String(15)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"role IN {ROLES!r}", name="app_user_role_known"),
        sa.CheckConstraint(
            "scope_code IS NULL OR scope_code ~ '^[0-9]{9}([0-9]{3}([0-9]{3})?)?$'",
            name="app_user_scope_code_format",
        ),
        sa.CheckConstraint("role = 'admin' OR scope_code IS NOT NULL", name="app_user_scoped"),
        sa.CheckConstraint("length(btrim(name)) > 0", name="app_user_named"),
    )
    op.create_table(
        "auth_session",
        sa.Column("token_hash", sa.LargeBinary, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now(), index=True),
        sa.Column("user_id", sa.Integer),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("entity", sa.Text, nullable=False, index=True),
        sa.Column("entity_key", sa.Text),
        sa.Column("before", JSONB),
        sa.Column("after", JSONB),
    )
    op.execute(AUDIT_FUNCTION)
    for table in AUDITED:
        op.execute(
            f"CREATE TRIGGER {table}_audit AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION wangge_audit()"
        )


def downgrade() -> None:
    for table in AUDITED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_audit ON {table}")
    op.execute("DROP FUNCTION IF EXISTS wangge_audit()")
    op.drop_table("audit_log")
    op.drop_table("auth_session")
    op.drop_table("app_user")
