"""per-option poll counts kept by triggers, read by report_poll_options

Revision ID: 0013_poll_option_counts
Revises: 0012_report_counts
Create Date: 2026-12-02

`report_poll_options` unpacked the JSON of every ballot of the polls it was asked about: the
dashboard's poll page counts its 100 newest polls, some 50,000 ballots at a million votes
(bench/dashboard.py: 0.3 s on SQLite, over a second on PostgreSQL). `poll_option_counts` now keeps,
per poll and option, the view's sums (votes, dots, places), and the view reads them. Triggers on
both ballot tables unpack the one ballot inserted, changed (/forget scrubs an answer's reason) or
deleted (a record deleted whole, a poll deleted), whoever writes. A count of a poll that is gone
is not written back (its rows go with it by cascade).

On PostgreSQL the triggers are deferred to the commit, as the poll counts of 0012 are, and named to
run after those: a vote's transaction locks its poll's row first, then its options' rows, so votes
of one poll queue on that row and never deadlock on the options. Options are bumped in order.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0013_poll_option_counts"
down_revision: str | None = "0012_report_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("poll_answers", "poll_ballots")

# The marks one ballot `{row}.ballot` makes, as 0007's view unpacks them: `vote` 1 when it counts as
# choosing the option, `dots` the dots given, `place` its 0-based place in a ranking.
_MARKS = {
    "sqlite": """
        SELECT CAST(json_extract({row}.ballot, '$.c') AS INTEGER) AS option, 1 AS vote, 0 AS dots,
               0 AS place
        WHERE json_extract({row}.ballot, '$.c') IS NOT NULL
        UNION ALL
        SELECT CAST(j.value AS INTEGER), 1, 0, 0 FROM json_each({row}.ballot, '$.m') j
        UNION ALL
        SELECT CAST(j.key AS INTEGER), CASE WHEN CAST(j.value AS INTEGER) > 0 THEN 1 ELSE 0 END,
               CAST(j.value AS INTEGER), 0
        FROM json_each({row}.ballot, '$.d') j
        UNION ALL
        SELECT CAST(j.value AS INTEGER), 1, 0, CAST(j.key AS INTEGER) FROM json_each({row}.ballot, '$.r') j
    """,
    "postgresql": """
        SELECT CAST({row}.ballot ->> 'c' AS INTEGER) AS option, 1 AS vote, 0 AS dots, 0 AS place
        WHERE {row}.ballot ->> 'c' IS NOT NULL
        UNION ALL
        SELECT CAST(j.value AS INTEGER), 1, 0, 0 FROM json_array_elements_text({row}.ballot -> 'm') j(value)
        UNION ALL
        SELECT CAST(j.idx - 1 AS INTEGER), CASE WHEN CAST(j.value AS INTEGER) > 0 THEN 1 ELSE 0 END,
               CAST(j.value AS INTEGER), 0
        FROM json_array_elements_text({row}.ballot -> 'd') WITH ORDINALITY j(value, idx)
        UNION ALL
        SELECT CAST(j.value AS INTEGER), 1, 0, CAST(j.idx - 1 AS INTEGER)
        FROM json_array_elements_text({row}.ballot -> 'r') WITH ORDINALITY j(value, idx)
    """,
}


def _bump(dialect: str, row: str, sign: str) -> str:
    """Add (`sign` "+") or take off ("-") the marks of ballot `row` (NEW or OLD) to its poll's counts."""
    marks = _MARKS[dialect].format(row=row)
    return f"""INSERT INTO poll_option_counts (poll_id, option, votes, dots, place_sum)
        SELECT {row}.poll_id, m.option, {sign}SUM(m.vote), {sign}SUM(m.dots), {sign}SUM(m.place)
        FROM ({marks}) m
        WHERE EXISTS (SELECT 1 FROM polls WHERE id = {row}.poll_id)
        GROUP BY m.option ORDER BY m.option
        ON CONFLICT (poll_id, option) DO UPDATE SET votes = poll_option_counts.votes + excluded.votes,
            dots = poll_option_counts.dots + excluded.dots,
            place_sum = poll_option_counts.place_sum + excluded.place_sum"""


_SQLITE = [
    statement
    for table in _TABLES
    for statement in (
        f"""CREATE TRIGGER {table}_options_counted_insert AFTER INSERT ON {table}
            BEGIN {_bump("sqlite", "NEW", "")}; END""",
        f"""CREATE TRIGGER {table}_options_counted_delete AFTER DELETE ON {table}
            BEGIN {_bump("sqlite", "OLD", "-")}; END""",
        f"""CREATE TRIGGER {table}_options_counted_update AFTER UPDATE OF poll_id, ballot ON {table}
            BEGIN {_bump("sqlite", "OLD", "-")}; {_bump("sqlite", "NEW", "")}; END""",
    )
]
_POSTGRESQL = [
    f"""CREATE FUNCTION poll_options_counted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND OLD.poll_id IS NOT DISTINCT FROM NEW.poll_id
             AND CAST(OLD.ballot AS TEXT) IS NOT DISTINCT FROM CAST(NEW.ballot AS TEXT) THEN
            RETURN NULL;
          END IF;
          IF TG_OP IN ('UPDATE', 'DELETE') THEN {_bump("postgresql", "OLD", "-")}; END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN {_bump("postgresql", "NEW", "")}; END IF;
          RETURN NULL;
        END $$""",
    *(
        f"""CREATE CONSTRAINT TRIGGER {table}_options_counted AFTER INSERT OR UPDATE OR DELETE ON {table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION poll_options_counted()"""
        for table in _TABLES
    ),
]

_VIEW = """
    CREATE VIEW report_poll_options AS
    SELECT s.assembly_id, c.poll_id, c.option, c.votes, c.dots, c.place_sum
    FROM poll_option_counts c JOIN polls p ON p.id = c.poll_id JOIN sessions s ON s.id = p.session_id
"""


def _unpacking_view(dialect: str) -> str:
    """0007's view, which unpacks every ballot at each read (what a downgrade restores)."""
    spec = importlib.util.spec_from_file_location(
        "dashboard_0007", Path(__file__).with_name("0007_dashboard.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sql: str = module.view_sql(dialect)
    return sql


def upgrade() -> None:
    op.create_table(
        "poll_option_counts",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("option", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("dots", sa.Integer(), nullable=False),
        sa.Column("place_sum", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_option_counts_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("poll_id", "option", name=op.f("pk_poll_option_counts")),
    )
    op.execute(
        "INSERT INTO poll_option_counts (poll_id, option, votes, dots, place_sum)"
        " SELECT poll_id, option, votes, dots, place_sum FROM report_poll_options"
    )
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRESQL if dialect == "postgresql" else _SQLITE:
        op.execute(statement)
    op.execute("DROP VIEW report_poll_options")
    op.execute(_VIEW)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP VIEW report_poll_options")
    op.execute(_unpacking_view(dialect))
    for table in _TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER {table}_options_counted ON {table}")
        else:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {table}_options_counted_{event}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION poll_options_counted()")
    op.drop_table("poll_option_counts")
