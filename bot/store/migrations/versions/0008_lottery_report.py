"""every registrant's chance in a draw, what the transparency report of a draw needs, and consent
given on paper (people registered by staff from a file)

Revision ID: 0008_lottery_report
Revises: 0007_dashboard
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_lottery_report"
down_revision: str | None = "0007_dashboard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not in a batch: on SQLite a batch copies the table, which the report views would then lose.
    op.add_column("participants", sa.Column("consent_medium", sa.String(length=10), nullable=True))
    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("input_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("versions", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("gap", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("transparency", sa.JSON(), nullable=True))
    op.create_table(
        "selection_chances",
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_selection_chances_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selections.id"],
            name=op.f("fk_selection_chances_selection_id_selections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("selection_id", "participant_id", name=op.f("pk_selection_chances")),
    )
    op.create_index(
        op.f("ix_selection_chances_participant_id"), "selection_chances", ["participant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_selection_chances_participant_id"), table_name="selection_chances")
    op.drop_table("selection_chances")
    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.drop_column("transparency")
        batch_op.drop_column("gap")
        batch_op.drop_column("versions")
        batch_op.drop_column("input_hash")
    op.execute("ALTER TABLE participants DROP COLUMN consent_medium")  # SQLite 3.35+ and PostgreSQL
