"""registration, invitations, answers, the lottery and its seats

Revision ID: 0002_registration
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_registration"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "selections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assembly_id", sa.String(length=40), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("requested_algorithm", sa.String(length=20), nullable=False),
        sa.Column("algorithm", sa.String(length=20), nullable=False),
        sa.Column("pool_size", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assembly_id"], ["assemblies.id"], name=op.f("fk_selections_assembly_id_assemblies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selections")),
    )
    op.create_table(
        "answers",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=24), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_answers_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "question_id", name=op.f("pk_answers")),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assembly_id", sa.String(length=40), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assembly_id"], ["assemblies.id"], name=op.f("fk_invitations_assembly_id_assemblies")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_invitations_participant_id_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invitations_code_hash")),
    )
    op.create_table(
        "selection_members",
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_selection_members_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selections.id"],
            name=op.f("fk_selection_members_selection_id_selections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("selection_id", "participant_id", name=op.f("pk_selection_members")),
    )
    with op.batch_alter_table("selection_members", schema=None) as batch_op:
        batch_op.create_index("ix_selection_members_deadline", ["outcome", "deadline"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purge_after_send", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_version", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("registered_at")
        batch_op.drop_column("consented_at")
        batch_op.drop_column("consent_version")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("purge_after_send")

    with op.batch_alter_table("selection_members", schema=None) as batch_op:
        batch_op.drop_index("ix_selection_members_deadline")

    op.drop_table("selection_members")
    op.drop_table("invitations")
    op.drop_table("answers")
    op.drop_table("selections")
