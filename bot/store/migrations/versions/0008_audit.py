"""the append-only audit log of privileged actions

Revision ID: 0008_audit
Revises: 0007_dashboard
Create Date: 2026-12-01

Triggers make the table append-only on both databases: a DELETE fails, and so does an UPDATE, so a
mistake in the code (or a curious hand at the SQL prompt) cannot rewrite what happened. The one
change allowed is the erasure of a staff member: their name as the actor becomes the fixed
ERASED_ACTOR text, everything else of the row unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_audit"
down_revision: str | None = "0008_staff_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ERASED_ACTOR = "an erased staff member"
"""The same text as `bot.store.audit.ERASED_ACTOR` (a migration keeps its own copy of what it needs)."""

_SQLITE = [
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        WHEN NEW.actor IS NOT '{ERASED_ACTOR}' OR NEW.id IS NOT OLD.id
          OR NEW.assembly_id IS NOT OLD.assembly_id OR NEW.at IS NOT OLD.at
          OR NEW.action IS NOT OLD.action OR NEW.detail IS NOT OLD.detail
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]
_POSTGRESQL = [
    f"""CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND NEW.actor = '{ERASED_ACTOR}' AND NEW.id = OLD.id
             AND NEW.assembly_id = OLD.assembly_id AND NEW.at = OLD.at AND NEW.action = OLD.action
             AND NEW.detail::text = OLD.detail::text THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'the audit log is append-only';
        END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assembly_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_assembly_id"), "audit_log", ["assembly_id"], unique=False)
    for statement in _POSTGRESQL if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_assembly_id"), table_name="audit_log")
    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_log_append_only()")
