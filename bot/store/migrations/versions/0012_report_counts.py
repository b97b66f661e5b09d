"""counts kept as rows are written, for `report_strata` and `report_polls`

Revision ID: 0012_report_counts
Revises: 0011_read_indexes
Create Date: 2026-12-02

Both views counted rows at each read, which grows with the store (bench/digest.py at 100,000
registrations and a million votes): now triggers keep the counts in the writing transaction, whoever
writes (the bot, an import, a hand at the SQL prompt), and the views read them.

`report_strata` grouped every registration answer joined to its participant at each digest (5 s at
100,000 registrations, bench/digest.py). `answer_counts` keeps, per assembly, question, answer (its
JSON text, as `quota_targets.answer`) and participant status, how many participants gave it;
`report_strata` sums those few rows. Only answers that are a quota target's value are counted: a
typed answer (a first name) is never copied there, and the table stays as small as the definition
(`bot.store.quotas.sync_quotas` counts the answers of a value that joins the targets later).
Its triggers follow an answer inserted, changed or deleted (erasure
deletes answers; a cascade from a deleted participant finds it gone and leaves the count to the
participant's own trigger), and a participant whose status or assembly changes or who is deleted.
On PostgreSQL the answer's trigger takes a share lock on its participant first, so a status change
under way is waited for and counted once, on one side or the other; counts are bumped with
`ON CONFLICT DO UPDATE`, exact under concurrent writers, in question order (no deadlock between two
participants' changes).

`report_polls` counted every poll's recipients and answers (2,000 polls, 2.1 million rows: about a
second at each digest); `polls.recipients` and `polls.answers` now count them, one more or one fewer
as a recipient, open answer or secret ballot is inserted or deleted (or moved to another poll). On
PostgreSQL those triggers are deferred to the commit, so that the poll's row is locked only while a
vote commits, not while the rest of its transaction runs (votes of one poll queue on that row).

Two reads that needed no counter: `report_statuses` counted participants from the index but looked
each one up in `roles` (to leave staff out): it now counts the index by status and takes off the
staff, found from `roles`; and blocked participants are counted from an index on (assembly,
blocked_at) rather than by reading every participant of the assembly.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_report_counts"
down_revision: str | None = "0011_read_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Statuses of people whose questionnaire is complete (flows/status.py AFTER_REGISTRATION, frozen here
# as a migration must be, as in 0006_views).
_REGISTERED = "'registered', 'selected', 'confirmed', 'declined', 'reserve', 'not_selected'"

_ANSWER = "COALESCE(CAST({row}.value AS TEXT), '')"
"""An answer as counted: its JSON text, as `quota_targets.answer` holds it ('' for none)."""


def _bump(select: str, delta: str) -> str:
    """Add `delta` to the count of each (assembly, question, answer, status) row `select` yields."""
    return f"""INSERT INTO answer_counts (assembly_id, question_id, answer, status, participants)
        {select.format(delta=delta)}
        ON CONFLICT (assembly_id, question_id, answer, status)
        DO UPDATE SET participants = answer_counts.participants + excluded.participants"""


def _target(assembly: str, question: str, answer: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM quota_targets q"
        f" WHERE q.assembly_id = {assembly} AND q.feature = {question} AND q.answer = {answer})"
    )


def _one_answer(row: str) -> str:
    """The count row of answer `row` (OLD or NEW), by its participant's assembly and status."""
    answer = _ANSWER.format(row=row)
    return (
        f"SELECT p.assembly_id, {row}.question_id, {answer}, p.status, {{delta}}"
        f" FROM participants p WHERE p.id = {row}.participant_id"
        f" AND {_target('p.assembly_id', f'{row}.question_id', answer)}"
    )


def _answers_of(row: str) -> str:
    """The count rows of every answer of participant `row` (OLD or NEW), with its assembly and status."""
    answer = _ANSWER.format(row="a")
    return (
        f"SELECT {row}.assembly_id, a.question_id, {answer}, {row}.status, {{delta}}"
        f" FROM answers a WHERE a.participant_id = {row}.id"
        f" AND {_target(f'{row}.assembly_id', 'a.question_id', answer)} ORDER BY a.question_id"
    )


_MOVED = "OLD.status IS DISTINCT FROM NEW.status OR OLD.assembly_id IS DISTINCT FROM NEW.assembly_id"

_SQLITE = [
    f"""CREATE TRIGGER answer_counts_insert AFTER INSERT ON answers
        BEGIN {_bump(_one_answer("NEW"), "1")}; END""",
    f"""CREATE TRIGGER answer_counts_update AFTER UPDATE ON answers
        BEGIN {_bump(_one_answer("OLD"), "-1")}; {_bump(_one_answer("NEW"), "1")}; END""",
    f"""CREATE TRIGGER answer_counts_delete AFTER DELETE ON answers
        BEGIN {_bump(_one_answer("OLD"), "-1")}; END""",
    f"""CREATE TRIGGER answer_counts_participant_update AFTER UPDATE OF status, assembly_id ON participants
        WHEN {_MOVED.replace("IS DISTINCT FROM", "IS NOT")}
        BEGIN {_bump(_answers_of("OLD"), "-1")}; {_bump(_answers_of("NEW"), "1")}; END""",
    f"""CREATE TRIGGER answer_counts_participant_delete BEFORE DELETE ON participants
        BEGIN {_bump(_answers_of("OLD"), "-1")}; END""",
]
_POSTGRESQL = [
    f"""CREATE FUNCTION answer_counts_answer() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM 1 FROM participants WHERE id = OLD.participant_id FOR SHARE;
            {_bump(_one_answer("OLD"), "-1")};
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM 1 FROM participants WHERE id = NEW.participant_id FOR SHARE;
            {_bump(_one_answer("NEW"), "1")};
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER answer_counts_answer AFTER INSERT OR UPDATE OR DELETE ON answers
        FOR EACH ROW EXECUTE FUNCTION answer_counts_answer()""",
    f"""CREATE FUNCTION answer_counts_participant() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            {_bump(_answers_of("OLD"), "-1")};
            RETURN OLD;
          END IF;
          IF {_MOVED} THEN
            {_bump(_answers_of("OLD"), "-1")};
            {_bump(_answers_of("NEW"), "1")};
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER answer_counts_participant_update AFTER UPDATE OF status, assembly_id ON participants
        FOR EACH ROW EXECUTE FUNCTION answer_counts_participant()""",
    """CREATE TRIGGER answer_counts_participant_delete BEFORE DELETE ON participants
        FOR EACH ROW EXECUTE FUNCTION answer_counts_participant()""",
]

_POLL_COUNTS = {"poll_recipients": "recipients", "poll_answers": "answers", "poll_ballots": "answers"}
"""Each table whose rows a poll's count counts, and that count."""


def _add(column: str, row: str, delta: str) -> str:
    return f"UPDATE polls SET {column} = {column} {delta} 1 WHERE id = {row}.poll_id"


_SQLITE_POLLS = [
    statement
    for table, column in _POLL_COUNTS.items()
    for statement in (
        f"""CREATE TRIGGER {table}_counted_insert AFTER INSERT ON {table}
            BEGIN {_add(column, "NEW", "+")}; END""",
        f"""CREATE TRIGGER {table}_counted_delete AFTER DELETE ON {table}
            BEGIN {_add(column, "OLD", "-")}; END""",
        f"""CREATE TRIGGER {table}_counted_update AFTER UPDATE OF poll_id ON {table}
            BEGIN {_add(column, "OLD", "-")}; {_add(column, "NEW", "+")}; END""",
    )
]
_POSTGRESQL_POLLS = [
    *(
        f"""CREATE FUNCTION poll_{column}_counted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'UPDATE' AND OLD.poll_id IS NOT DISTINCT FROM NEW.poll_id THEN
                RETURN NULL;
              END IF;
              IF TG_OP IN ('UPDATE', 'DELETE') THEN {_add(column, "OLD", "-")}; END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add(column, "NEW", "+")}; END IF;
              RETURN NULL;
            END $$"""
        for column in sorted(set(_POLL_COUNTS.values()))
    ),
    *(
        f"""CREATE CONSTRAINT TRIGGER {table}_counted AFTER INSERT OR UPDATE OR DELETE ON {table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION poll_{column}_counted()"""
        for table, column in _POLL_COUNTS.items()
    ),
]

_POLLS = """
    SELECT s.assembly_id, p.id AS poll_id, s.key AS session_key, p.table_no, p.created_at,
           p.closed_at, {counts}
    FROM polls p JOIN sessions s ON s.id = p.session_id
"""
_POLLS_KEPT = "p.recipients, p.answers"
_RECIPIENTS_OF = "(SELECT COUNT(*) FROM poll_recipients r WHERE r.poll_id = {poll})"
_ANSWERS_OF = (
    "(SELECT COUNT(*) FROM poll_answers a WHERE a.poll_id = {poll})"
    " + (SELECT COUNT(*) FROM poll_ballots b WHERE b.poll_id = {poll})"
)
_POLLS_COUNTED = (
    f"{_RECIPIENTS_OF.format(poll='p.id')} AS recipients, {_ANSWERS_OF.format(poll='p.id')} AS answers"
)

_STATUSES = {
    "counted": """
        SELECT assembly_id, status, SUM(n) AS participants FROM (
            SELECT p.assembly_id, p.status, COUNT(*) AS n
            FROM participants p
            WHERE p.assembly_id IS NOT NULL
            GROUP BY p.assembly_id, p.status
            UNION ALL
            SELECT p.assembly_id, p.status, -COUNT(*) AS n
            FROM participants p
            WHERE p.assembly_id IS NOT NULL AND p.id IN (SELECT r.participant_id FROM roles r)
            GROUP BY p.assembly_id, p.status
        ) c
        GROUP BY assembly_id, status
        HAVING SUM(n) > 0
    """,
    "looked_up": """
        SELECT p.assembly_id, p.status, COUNT(*) AS participants
        FROM participants p
        WHERE p.assembly_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.participant_id = p.id)
        GROUP BY p.assembly_id, p.status
    """,
}
"""`report_statuses`: people who hold no staff role, by assembly and status (as 0008_staff_counts)."""

_STRATA = """
    SELECT q.assembly_id, q.feature, q.value, q.min_seats, q.max_seats,
           COALESCE(c.registered, 0) AS registered,
           COALESCE(c.confirmed, 0) AS confirmed,
           CASE WHEN COALESCE(c.registered, 0) < COALESCE(q.min_seats, 0)
                THEN COALESCE(q.min_seats, 0) - COALESCE(c.registered, 0) ELSE 0 END AS gap
    FROM quota_targets q
    LEFT JOIN ({counts}) c
      ON c.assembly_id = q.assembly_id AND c.question_id = q.feature AND c.answer = q.answer
"""
_COUNTED = f"""
    SELECT assembly_id, question_id, answer, SUM(participants) AS registered,
           SUM(CASE WHEN status = 'confirmed' THEN participants ELSE 0 END) AS confirmed
    FROM answer_counts WHERE status IN ({_REGISTERED})
    GROUP BY assembly_id, question_id, answer
"""
_GROUPED = f"""
    SELECT p.assembly_id, a.question_id, CAST(a.value AS TEXT) AS answer,
           COUNT(*) AS registered,
           SUM(CASE WHEN p.status = 'confirmed' THEN 1 ELSE 0 END) AS confirmed
    FROM answers a JOIN participants p ON p.id = a.participant_id
    WHERE p.status IN ({_REGISTERED})
    GROUP BY p.assembly_id, a.question_id, CAST(a.value AS TEXT)
"""


def upgrade() -> None:
    op.create_table(
        "answer_counts",
        sa.Column("assembly_id", sa.String(length=40), nullable=False),
        sa.Column("question_id", sa.String(length=24), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "assembly_id", "question_id", "answer", "status", name=op.f("pk_answer_counts")
        ),
    )
    op.execute(
        "INSERT INTO answer_counts (assembly_id, question_id, answer, status, participants)"
        " SELECT p.assembly_id, a.question_id, q.answer, p.status, COUNT(*)"
        " FROM answers a JOIN participants p ON p.id = a.participant_id"
        " JOIN quota_targets q ON q.assembly_id = p.assembly_id AND q.feature = a.question_id"
        f" AND q.answer = {_ANSWER.format(row='a')}"
        " GROUP BY p.assembly_id, a.question_id, q.answer, p.status"
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRESQL if postgresql else _SQLITE:
        op.execute(statement)
    op.execute("DROP VIEW report_strata")
    op.execute("CREATE VIEW report_strata AS " + _STRATA.format(counts=_COUNTED))

    for column in ("recipients", "answers"):
        op.add_column("polls", sa.Column(column, sa.Integer(), server_default="0", nullable=False))
    op.execute(
        f"UPDATE polls SET recipients = {_RECIPIENTS_OF.format(poll='polls.id')},"
        f" answers = {_ANSWERS_OF.format(poll='polls.id')}"
    )
    for statement in _POSTGRESQL_POLLS if postgresql else _SQLITE_POLLS:
        op.execute(statement)
    op.execute("DROP VIEW report_polls")
    op.execute("CREATE VIEW report_polls AS " + _POLLS.format(counts=_POLLS_KEPT))

    op.execute("DROP VIEW report_statuses")
    op.execute("CREATE VIEW report_statuses AS " + _STATUSES["counted"])
    op.create_index("ix_participants_assembly_blocked", "participants", ["assembly_id", "blocked_at"])


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_participants_assembly_blocked", table_name="participants")
    op.execute("DROP VIEW report_statuses")
    op.execute("CREATE VIEW report_statuses AS " + _STATUSES["looked_up"])

    op.execute("DROP VIEW report_polls")
    op.execute("CREATE VIEW report_polls AS " + _POLLS.format(counts=_POLLS_COUNTED))
    for table in _POLL_COUNTS:
        for event in ("",) if postgresql else ("_insert", "_delete", "_update"):
            op.execute(f"DROP TRIGGER {table}_counted{event}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for column in sorted(set(_POLL_COUNTS.values())):
            op.execute(f"DROP FUNCTION poll_{column}_counted()")
    for column in ("answers", "recipients"):
        op.drop_column("polls", column)

    op.execute("DROP VIEW report_strata")
    op.execute("CREATE VIEW report_strata AS " + _STRATA.format(counts=_GROUPED))
    if postgresql:
        op.execute("DROP TRIGGER answer_counts_participant_delete ON participants")
        op.execute("DROP TRIGGER answer_counts_participant_update ON participants")
        op.execute("DROP TRIGGER answer_counts_answer ON answers")
        op.execute("DROP FUNCTION answer_counts_participant()")
        op.execute("DROP FUNCTION answer_counts_answer()")
    else:
        for name in ("insert", "update", "delete", "participant_update", "participant_delete"):
            op.execute(f"DROP TRIGGER answer_counts_{name}")
    op.drop_table("answer_counts")
