"""indexes for the digest and the dashboard at 100,000 registrations and a million votes

Revision ID: 0011_read_indexes
Revises: 0010_workers
Create Date: 2026-12-01

Each index serves a report view's GROUP BY or COUNT, so it reads an index instead of the table
(bench/digest.py, bench/dashboard.py): statuses and new registrations per assembly, RSVPs and
attendance per session, ratings and comments per session, blocked participants.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_read_indexes"
down_revision: str | None = "0010_workers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_participants_assembly_status": ("participants", ["assembly_id", "status"]),
    "ix_participants_assembly_registered": ("participants", ["assembly_id", "registered_at"]),
    "ix_participants_blocked": ("participants", ["blocked_at"]),
    "ix_rsvps_session_answer": ("rsvps", ["session_id", "answer"]),
    "ix_attendance_session_late": ("attendance", ["session_id", "late"]),
    "ix_feedback_ratings_session_question": ("feedback_ratings", ["session_id", "question", "value"]),
    "ix_feedback_comments_session_language": ("feedback_comments", ["session_id", "language"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
