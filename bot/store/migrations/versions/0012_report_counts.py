"""registration answers counted per value and status as they are written, for `report_strata`

Revision ID: 0012_answer_counts
Revises: 0011_read_indexes
Create Date: 2026-12-02

`report_strata` grouped every registration answer joined to its participant at each digest (5 s at
100,000 registrations, bench/digest.py). `answer_counts` keeps, per assembly, question, answer (its
JSON text, as `quota_targets.answer`) and participant status, how many participants gave it;
`report_strata` sums those few rows. Triggers keep it in the writing transaction, whoever writes
(the bot, an import, a hand at the SQL prompt): an answer inserted, changed or deleted (erasure
deletes answers; a cascade from a deleted participant finds it gone and leaves the count to the
participant's own trigger), and a participant whose status or assembly changes or who is deleted.
On PostgreSQL the answer's trigger takes a share lock on its participant first, so a status change
under way is waited for and counted once, on one side or the other; counts are bumped with
`ON CONFLICT DO UPDATE`, exact under concurrent writers, in question order (no deadlock between two
participants' changes).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_answer_counts"
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


def _one_answer(row: str) -> str:
    """The count row of answer `row` (OLD or NEW), by its participant's assembly and status."""
    return (
        f"SELECT p.assembly_id, {row}.question_id, {_ANSWER.format(row=row)}, p.status, {{delta}}"
        f" FROM participants p WHERE p.id = {row}.participant_id"
    )


def _answers_of(row: str) -> str:
    """The count rows of every answer of participant `row` (OLD or NEW), with its assembly and status."""
    return (
        f"SELECT {row}.assembly_id, a.question_id, {_ANSWER.format(row='a')}, {row}.status, {{delta}}"
        f" FROM answers a WHERE a.participant_id = {row}.id ORDER BY a.question_id"
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
        f" SELECT p.assembly_id, a.question_id, {_ANSWER.format(row='a')}, p.status, COUNT(*)"
        " FROM answers a JOIN participants p ON p.id = a.participant_id"
        f" GROUP BY p.assembly_id, a.question_id, {_ANSWER.format(row='a')}, p.status"
    )
    for statement in _POSTGRESQL if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)
    op.execute("DROP VIEW report_strata")
    op.execute("CREATE VIEW report_strata AS " + _STRATA.format(counts=_COUNTED))


def downgrade() -> None:
    op.execute("DROP VIEW report_strata")
    op.execute("CREATE VIEW report_strata AS " + _STRATA.format(counts=_GROUPED))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER answer_counts_participant_delete ON participants")
        op.execute("DROP TRIGGER answer_counts_participant_update ON participants")
        op.execute("DROP TRIGGER answer_counts_answer ON answers")
        op.execute("DROP FUNCTION answer_counts_participant()")
        op.execute("DROP FUNCTION answer_counts_answer()")
    else:
        for name in ("insert", "update", "delete", "participant_update", "participant_delete"):
            op.execute(f"DROP TRIGGER answer_counts_{name}")
    op.drop_table("answer_counts")
