"""an index of each assembly's participants by the language they use with the bot

Revision ID: 0014_participant_language
Revises: 0013_poll_option_counts
Create Date: 2026-12-02

The dashboard's feedback page, filtered by language, looked up the participant of each of the
assembly's ratings and comments (some 135,000 at 100,000 registrations) to read their language.
It now reads the ids of the people who use that language from this index, once per query
(bench/dashboard.py, SQLite: the ratings' query 122 -> 47 ms).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_participant_language"
down_revision: str | None = "0013_poll_option_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_participants_assembly_language", "participants", ["assembly_id", "language"])


def downgrade() -> None:
    op.drop_index("ix_participants_assembly_language", table_name="participants")
