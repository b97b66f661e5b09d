"""dashboard sign-in links and sessions, and the per-option poll results view

Revision ID: 0007_dashboard
Revises: 0006_views
Create Date: 2026-11-27

`report_poll_options` unpacks the JSON ballots (bot/store/polls.py writes their shapes), so it is the
one view written per dialect: SQLite's json_each and PostgreSQL's json_array_elements_text WITH
ORDINALITY (1-based, hence the `- 1`). Both give the same rows; tests compare them with the count
made in Python.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_dashboard"
down_revision: str | None = "0006_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One row per mark a ballot makes on an option: `vote` 1 when it counts as choosing the option,
# `dots` the dots given (dots polls), `place` its 0-based place in a ranking (ranking polls). Written
# out for each ballot table (open answers, secret ballots) rather than over a shared CTE, so that a
# filter on poll_id reaches the tables' poll_id indexes (a CTE used four times is materialised whole:
# 4.9 s for 100 polls among a million ballots on PostgreSQL).
_MARKS = {
    "sqlite": """
        SELECT poll_id, CAST(json_extract(ballot, '$.c') AS INTEGER) AS option, 1 AS vote, 0 AS dots,
               0 AS place
        FROM {table} WHERE json_extract(ballot, '$.c') IS NOT NULL
        UNION ALL
        SELECT b.poll_id, CAST(j.value AS INTEGER), 1, 0, 0 FROM {table} b, json_each(b.ballot, '$.m') j
        UNION ALL
        SELECT b.poll_id, CAST(j.key AS INTEGER), CASE WHEN CAST(j.value AS INTEGER) > 0 THEN 1 ELSE 0 END,
               CAST(j.value AS INTEGER), 0
        FROM {table} b, json_each(b.ballot, '$.d') j
        UNION ALL
        SELECT b.poll_id, CAST(j.value AS INTEGER), 1, 0, CAST(j.key AS INTEGER)
        FROM {table} b, json_each(b.ballot, '$.r') j
    """,
    "postgresql": """
        SELECT poll_id, CAST(ballot ->> 'c' AS INTEGER) AS option, 1 AS vote, 0 AS dots, 0 AS place
        FROM {table} WHERE ballot ->> 'c' IS NOT NULL
        UNION ALL
        SELECT b.poll_id, CAST(j.value AS INTEGER), 1, 0, 0
        FROM {table} b, json_array_elements_text(b.ballot -> 'm') j(value)
        UNION ALL
        SELECT b.poll_id, CAST(j.idx - 1 AS INTEGER),
               CASE WHEN CAST(j.value AS INTEGER) > 0 THEN 1 ELSE 0 END, CAST(j.value AS INTEGER), 0
        FROM {table} b, json_array_elements_text(b.ballot -> 'd') WITH ORDINALITY j(value, idx)
        UNION ALL
        SELECT b.poll_id, CAST(j.value AS INTEGER), 1, 0, CAST(j.idx - 1 AS INTEGER)
        FROM {table} b, json_array_elements_text(b.ballot -> 'r') WITH ORDINALITY j(value, idx)
    """,
}

_VIEW = """
    CREATE VIEW report_poll_options AS
    SELECT s.assembly_id, m.poll_id, m.option, SUM(m.vote) AS votes, SUM(m.dots) AS dots,
           SUM(m.place) AS place_sum
    FROM ({answers} UNION ALL {ballots}) m
    JOIN polls p ON p.id = m.poll_id JOIN sessions s ON s.id = p.session_id
    GROUP BY s.assembly_id, m.poll_id, m.option
"""


def view_sql(dialect: str) -> str:
    marks = _MARKS["postgresql" if dialect == "postgresql" else "sqlite"]
    return _VIEW.format(
        answers=marks.format(table="poll_answers"), ballots=marks.format(table="poll_ballots")
    )


def upgrade() -> None:
    op.create_table(
        "dashboard_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("assembly_id", sa.String(length=40), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assembly_id"], ["assemblies.id"], name=op.f("fk_dashboard_links_assembly_id_assemblies")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_dashboard_links_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_dashboard_links")),
    )
    op.create_index(
        op.f("ix_dashboard_links_participant_id"), "dashboard_links", ["participant_id"], unique=False
    )
    op.create_table(
        "dashboard_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("assembly_id", sa.String(length=40), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assembly_id"], ["assemblies.id"], name=op.f("fk_dashboard_sessions_assembly_id_assemblies")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_dashboard_sessions_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_dashboard_sessions")),
    )
    op.create_index(
        op.f("ix_dashboard_sessions_participant_id"), "dashboard_sessions", ["participant_id"], unique=False
    )
    op.execute(view_sql(op.get_bind().dialect.name))


def downgrade() -> None:
    op.execute("DROP VIEW report_poll_options")
    op.drop_index(op.f("ix_dashboard_sessions_participant_id"), table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
    op.drop_index(op.f("ix_dashboard_links_participant_id"), table_name="dashboard_links")
    op.drop_table("dashboard_links")
