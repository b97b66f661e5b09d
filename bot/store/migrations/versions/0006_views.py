"""report views over the store, quota targets mirrored from the definition, and digests

Revision ID: 0006_views
Revises: 0005_polls
Create Date: 2026-11-26

The views are plain portable SQL (no dialect functions), so the same statements run on SQLite
and PostgreSQL; README.md documents each one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_views"
down_revision: str | None = "0005_polls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Statuses of people whose questionnaire is complete (flows/status.py AFTER_REGISTRATION, frozen here
# as a migration must be).
_REGISTERED = "'registered', 'selected', 'confirmed', 'declined', 'reserve', 'not_selected'"

VIEWS = {
    "report_statuses": """
        SELECT p.assembly_id, p.status, COUNT(*) AS participants
        FROM participants p
        WHERE p.assembly_id IS NOT NULL
        GROUP BY p.assembly_id, p.status
    """,
    # Answers are counted in one grouped pass, then matched to the quota rows (a join per quota row
    # would rescan the answers once per value).
    "report_strata": f"""
        SELECT q.assembly_id, q.feature, q.value, q.min_seats, q.max_seats,
               COALESCE(c.registered, 0) AS registered,
               COALESCE(c.confirmed, 0) AS confirmed,
               CASE WHEN COALESCE(c.registered, 0) < COALESCE(q.min_seats, 0)
                    THEN COALESCE(q.min_seats, 0) - COALESCE(c.registered, 0) ELSE 0 END AS gap
        FROM quota_targets q
        LEFT JOIN (
            SELECT p.assembly_id, a.question_id, CAST(a.value AS TEXT) AS answer,
                   COUNT(*) AS registered,
                   SUM(CASE WHEN p.status = 'confirmed' THEN 1 ELSE 0 END) AS confirmed
            FROM answers a JOIN participants p ON p.id = a.participant_id
            WHERE p.status IN ({_REGISTERED})
            GROUP BY p.assembly_id, a.question_id, CAST(a.value AS TEXT)
        ) c ON c.assembly_id = q.assembly_id AND c.question_id = q.feature AND c.answer = q.answer
    """,
    "report_sessions": """
        SELECT s.assembly_id, s.key AS session_key, s.starts_at, s.ends_at, s.cancelled_at,
               (SELECT COUNT(*) FROM rsvps r WHERE r.session_id = s.id AND r.answer = 'coming') AS coming,
               (SELECT COUNT(*) FROM rsvps r WHERE r.session_id = s.id AND r.answer = 'absent') AS absent,
               (SELECT COUNT(*) FROM attendance t WHERE t.session_id = s.id) AS attended,
               (SELECT COUNT(*) FROM attendance t WHERE t.session_id = s.id AND t.late) AS late
        FROM sessions s
    """,
    # The bot talks in private chats, where the chat id is the user id: joining on the unique
    # telegram_user_id uses its index (participants.chat_id has none).
    "report_delivery": """
        SELECT p.assembly_id, 'blocked_participants' AS problem, COUNT(*) AS total
        FROM participants p
        WHERE p.blocked_at IS NOT NULL
        GROUP BY p.assembly_id
        UNION ALL
        SELECT p.assembly_id, 'failed_sends' AS problem, COUNT(*) AS total
        FROM outbox o LEFT JOIN participants p ON p.telegram_user_id = o.chat_id
        WHERE o.status = 'failed'
        GROUP BY p.assembly_id
        UNION ALL
        SELECT p.assembly_id, 'undelivered_blocked' AS problem, COUNT(*) AS total
        FROM outbox o LEFT JOIN participants p ON p.telegram_user_id = o.chat_id
        WHERE o.status = 'blocked'
        GROUP BY p.assembly_id
    """,
    # One row per poll: who was asked, how many answered (open answers and secret ballots alike).
    "report_polls": """
        SELECT s.assembly_id, p.id AS poll_id, s.key AS session_key, p.table_no, p.created_at,
               p.closed_at,
               (SELECT COUNT(*) FROM poll_recipients r WHERE r.poll_id = p.id) AS recipients,
               (SELECT COUNT(*) FROM poll_answers a WHERE a.poll_id = p.id)
               + (SELECT COUNT(*) FROM poll_ballots b WHERE b.poll_id = p.id) AS answers
        FROM polls p JOIN sessions s ON s.id = p.session_id
    """,
    # Ratings per session and question (count and average), comments per session and language.
    "report_feedback": """
        SELECT s.assembly_id, s.key AS session_key, 'rating' AS kind, r.question AS item,
               COUNT(*) AS answers, AVG(r.value) AS average
        FROM feedback_ratings r JOIN sessions s ON s.id = r.session_id
        GROUP BY s.assembly_id, s.key, r.question
        UNION ALL
        SELECT s.assembly_id, s.key AS session_key, 'comments' AS kind,
               COALESCE(c.language, 'und') AS item, COUNT(*) AS answers, NULL AS average
        FROM feedback_comments c JOIN sessions s ON s.id = c.session_id
        GROUP BY s.assembly_id, s.key, COALESCE(c.language, 'und')
    """,
}


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assembly_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assembly_id"], ["assemblies.id"], name=op.f("fk_digests_assembly_id_assemblies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
    )
    op.create_table(
        "quota_targets",
        sa.Column("assembly_id", sa.String(length=40), nullable=False),
        sa.Column("feature", sa.String(length=24), nullable=False),
        sa.Column("value", sa.String(length=24), nullable=False),
        sa.Column("answer", sa.String(length=60), nullable=False),
        sa.Column("min_seats", sa.Integer(), nullable=True),
        sa.Column("max_seats", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assembly_id"], ["assemblies.id"], name=op.f("fk_quota_targets_assembly_id_assemblies")
        ),
        sa.PrimaryKeyConstraint("assembly_id", "feature", "value", name=op.f("pk_quota_targets")),
    )
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {body}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW {name}")
    op.drop_table("quota_targets")
    op.drop_table("digests")
