"""roles and invites, tables and seats, participant features, polls and ballots, feedback

Revision ID: 0005_polls
Revises: 0003_sessions
Create Date: 2026-11-26 23:12:58.401592
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_polls"
down_revision: str | None = "0003_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_comments",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_feedback_comments_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_feedback_comments_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "participant_id", name=op.f("pk_feedback_comments")),
    )
    op.create_table(
        "feedback_ratings",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_feedback_ratings_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_feedback_ratings_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "participant_id", "question", name=op.f("pk_feedback_ratings")),
    )
    op.create_table(
        "feedback_requests",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_feedback_requests_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_feedback_requests_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "participant_id", name=op.f("pk_feedback_requests")),
    )
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("table_no", sa.Integer(), nullable=True),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shown", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["participants.id"],
            name=op.f("fk_polls_facilitator_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_polls_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index("ix_polls_open", ["closed_at"], unique=False)

    op.create_table(
        "role_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assembly_id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assembly_id"], ["assemblies.id"], name=op.f("fk_role_invites_assembly_id_assemblies")
        ),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["participants.id"],
            name=op.f("fk_role_invites_used_by_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_invites")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_role_invites_code_hash")),
    )
    op.create_table(
        "roles",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_roles_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "role", name=op.f("pk_roles")),
    )
    op.create_table(
        "session_tables",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("table_no", sa.Integer(), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["participants.id"],
            name=op.f("fk_session_tables_facilitator_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_tables_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "table_no", name=op.f("pk_session_tables")),
    )
    op.create_table(
        "table_pins",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("table_no", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_table_pins_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_table_pins")),
    )
    op.create_table(
        "table_seats",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("table_no", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_table_seats_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_table_seats_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "participant_id", name=op.f("pk_table_seats")),
    )
    op.create_table(
        "poll_answers",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("ballot", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_poll_answers_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_answers_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("poll_id", "participant_id", name=op.f("pk_poll_answers")),
    )
    op.create_table(
        "poll_ballots",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("ballot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_ballots_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_ballots")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("poll_ballots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_ballots_poll_id"), ["poll_id"], unique=False)

    op.create_table(
        "poll_recipients",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("voted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_poll_recipients_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_recipients_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("poll_id", "participant_id", name=op.f("pk_poll_recipients")),
    )


def downgrade() -> None:
    op.drop_table("poll_recipients")
    with op.batch_alter_table("poll_ballots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_ballots_poll_id"))

    op.drop_table("poll_ballots")
    op.drop_table("poll_answers")
    op.drop_table("table_seats")
    op.drop_table("table_pins")
    op.drop_table("session_tables")
    op.drop_table("roles")
    op.drop_table("role_invites")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index("ix_polls_open")

    op.drop_table("polls")
    op.drop_table("feedback_requests")
    op.drop_table("feedback_ratings")
    op.drop_table("feedback_comments")
