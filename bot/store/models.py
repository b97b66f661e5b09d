"""SQLAlchemy 2 typed models: the schema that Alembic migrations create."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend; SQLite hands back naive values otherwise."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class AssemblyRow(Base):
    """An assembly known to the store, mirrored from its definition file."""

    __tablename__ = "assemblies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    bot_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    """The bot that speaks for the assembly (its token's number), recorded when the bot starts:
    one bot per assembly, and the link from the assembly to its bot's update log."""


class ParticipantRow(Base):
    """A person in a private chat with an assembly's bot; one row per assembly and Telegram user
    (someone in two assemblies, through their two bots, is two participants)."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("assembly_id", "telegram_user_id"),
        # the report views' counts (migration 0011_read_indexes)
        Index("ix_participants_assembly_status", "assembly_id", "status"),
        Index("ix_participants_assembly_registered", "assembly_id", "registered_at"),
        Index("ix_participants_blocked", "blocked_at"),
        Index("ix_participants_assembly_blocked", "assembly_id", "blocked_at"),  # 0012_report_counts
        Index("ix_participants_assembly_language", "assembly_id", "language"),  # 0014
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20), default="contact")
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    consent_version: Mapped[str | None] = mapped_column(String(40))
    consented_at: Mapped[datetime | None]
    registered_at: Mapped[datetime | None]
    consent_medium: Mapped[str | None] = mapped_column(String(10))
    """`paper` for people registered from a file by staff, `phone` for those an organiser registered by
    phone in the chat (no Telegram either way: `chat_id` 0); NULL for people who registered themselves."""


class ConversationRow(Base):
    """Where a participant is in a multi-step flow, so any restart or worker continues it."""

    __tablename__ = "conversations"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str | None] = mapped_column(String(40))
    step: Mapped[str | None] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InboundUpdate(Base):
    """An update recorded before it is acknowledged to the Bot API; handled exactly once.

    Update ids are numbered per bot, so the key is (bot, update id): two bots sharing the store
    never take each other's updates for redeliveries."""

    __tablename__ = "inbound_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_inbound_updates_pending", "bot_id", "processed_at", "chat_id"),)


class OutboxMessage(Base):
    """A Bot API call waiting to be sent by the rate-limited sender, with its outcome; only the
    sender of the assembly's own bot sends it (a chat id is the same person in every bot)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_error: Mapped[str | None] = mapped_column(String(300))
    update_id: Mapped[int | None] = mapped_column(BigInteger)
    topic: Mapped[str | None] = mapped_column(String(60), index=True)
    """What the message belongs to ("reminder:s1", "announcement:3"), for progress and reports."""

    purge_after_send: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (Index("ix_outbox_due", "assembly_id", "status", "chat_id", "id"),)


class SessionRow(Base):
    """A session mirrored from the definition: its current times, revision and check-in code.

    `revision` goes up whenever the times change, so a reminder planned for an older revision
    is recognised as stale and never sent (Decidim keeps a checksum of the time for the same reason).
    """

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    key: Mapped[str] = mapped_column(String(20))
    title: Mapped[dict[str, Any]] = mapped_column(JSON)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    revision: Mapped[int] = mapped_column(default=1)
    cancelled_at: Mapped[datetime | None]
    checkin_code: Mapped[str] = mapped_column(String(12), unique=True)

    __table_args__ = (UniqueConstraint("assembly_id", "key"),)


class ReminderDelivery(Base):
    """One reminder for one participant: planned once, whatever restarts happen.

    The unique key (session, revision, offset, participant) makes planning idempotent; the
    outcome of sending is the linked outbox row's status.
    """

    __tablename__ = "reminder_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    revision: Mapped[int]
    offset_minutes: Mapped[int]
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("session_id", "revision", "offset_minutes", "participant_id"),)


class RsvpRow(Base):
    """A participant's answer for a session; the latest answer stands."""

    __tablename__ = "rsvps"
    __table_args__ = (Index("ix_rsvps_session_answer", "session_id", "answer"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    answer: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(1000))
    answered_at: Mapped[datetime]


class AttendanceRow(Base):
    """A participant present at a session, by code or marked by hand."""

    __tablename__ = "attendance"
    __table_args__ = (Index("ix_attendance_session_late", "session_id", "late"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    checked_in_at: Mapped[datetime]
    late: Mapped[bool]
    method: Mapped[str] = mapped_column(String(8))


class AnnouncementRow(Base):
    """An organiser's message to all confirmed participants or those of one session."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    session_key: Mapped[str | None] = mapped_column(String(20))
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvitationRow(Base):
    """A single-use invitation code, stored only as its SHA-256 (the code itself is printed, never kept)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))


class AnswerRow(Base):
    """One registration answer per participant and question, so views can count by stratum."""

    __tablename__ = "answers"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class SelectionRow(Base):
    """One lottery draw: its inputs (seats, seed, algorithm) and the library's report, for audit."""

    __tablename__ = "selections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    seats: Mapped[int]
    seed: Mapped[int] = mapped_column(BigInteger)
    requested_algorithm: Mapped[str] = mapped_column(String(20))
    algorithm: Mapped[str] = mapped_column(String(20))
    pool_size: Mapped[int]
    report: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    input_hash: Mapped[str | None] = mapped_column(String(64))
    versions: Mapped[str | None] = mapped_column(Text)
    gap: Mapped[float | None]
    transparency: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Features, quotas and one row per profile (values, people, probability): no one's identity."""


class ChanceRow(Base):
    """A registrant's selection probability in a draw: one row for everyone in the pool (NULL when
    the algorithm computes no chances). The pool of a draw is exactly its rows, so it can be re-run."""

    __tablename__ = "selection_chances"

    selection_id: Mapped[int] = mapped_column(
        ForeignKey("selections.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), primary_key=True, index=True)
    probability: Mapped[float | None]


class SeatRow(Base):
    """A participant's place in a draw: drawn (`selected`) or `reserve` with its rank, and how it ended."""

    __tablename__ = "selection_members"

    selection_id: Mapped[int] = mapped_column(
        ForeignKey("selections.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    rank: Mapped[int] = mapped_column(default=0)
    offered_at: Mapped[datetime | None]
    deadline: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(12))
    responded_at: Mapped[datetime | None]
    replaces_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_selection_members_deadline", "outcome", "deadline"),)


class RoleInviteRow(Base):
    """A one-time role invite: only the SHA-256 of its 128-bit secret is kept, with expiry and use."""

    __tablename__ = "role_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    role: Mapped[str] = mapped_column(String(12))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))


class RoleRow(Base):
    """A facilitator or organiser role held by a participant, in the participant's assembly."""

    __tablename__ = "roles"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    role: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    """The first name participants see for their facilitator."""
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class DashboardLinkRow(Base):
    """A one-time sign-in link to the dashboard, sent by the bot on /dashboard: only its SHA-256 is kept."""

    __tablename__ = "dashboard_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DashboardSessionRow(Base):
    """A signed-in browser: the SHA-256 of its cookie, whose it is, and until when."""

    __tablename__ = "dashboard_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class TablePin(Base):
    """An organiser's decision that a participant always sits at one table (a hearing loop, a helper)."""

    __tablename__ = "table_pins"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    table_no: Mapped[int]


class TableSeatRow(Base):
    """Where a participant sits in one session."""

    __tablename__ = "table_seats"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    table_no: Mapped[int]


class TableRow(Base):
    """One table of a session and its facilitator."""

    __tablename__ = "session_tables"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    table_no: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))


class PollRow(Base):
    """A poll started by a facilitator; `spec` is what it asks and how it counts, `shown` the answer
    count last shown in the facilitator's live message (the live-count job edits it when it differs)."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    table_no: Mapped[int | None]
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    shown: Mapped[int] = mapped_column(default=0)
    recipients: Mapped[int] = mapped_column(server_default="0")
    """Its rows in `poll_recipients`, counted by triggers (migration 0012) for the reports; the bot
    never writes it."""
    answers: Mapped[int] = mapped_column(server_default="0")
    """Its open answers and secret ballots, counted the same way."""

    __table_args__ = (Index("ix_polls_open", "closed_at"),)


class PollRecipientRow(Base):
    """Who a poll went to, and whether they have answered (never what: see the answer tables)."""

    __tablename__ = "poll_recipients"

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    voted: Mapped[bool] = mapped_column(default=False)


class PollAnswerRow(Base):
    """An open (not secret) answer: the latest one per participant stands."""

    __tablename__ = "poll_answers"

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    ballot: Mapped[dict[str, Any]] = mapped_column(JSON)
    answered_at: Mapped[datetime]


class SecretBallotRow(Base):
    """A secret ballot: a random key, the poll and the choice, nothing else.

    No participant, no time, no sequence: stored without SQLite's rowid, so even the storage order
    follows the random key rather than the order of voting.
    """

    __tablename__ = "poll_ballots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    ballot: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 (SQLAlchemy's declarative form)


class PollOptionCountRow(Base):
    """The marks on one option of a poll, over its open answers and secret ballots: kept by triggers
    as ballots are cast, changed and deleted (migration 0013), so `report_poll_options` reads a few
    rows instead of unpacking every ballot's JSON. Counts only: nothing of who voted."""

    __tablename__ = "poll_option_counts"

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    option: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    votes: Mapped[int]
    """Ballots that choose, rank or give dots to it."""
    dots: Mapped[int]
    place_sum: Mapped[int]
    """The sum of its 0-based places in rankings."""


class FeedbackRequestRow(Base):
    """The evaluation sent to one participant after one session: planned once, like a reminder."""

    __tablename__ = "feedback_requests"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackRatingRow(Base):
    """A 1-5 rating of a session; the latest per question stands."""

    __tablename__ = "feedback_ratings"
    __table_args__ = (Index("ix_feedback_ratings_session_question", "session_id", "question", "value"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    question: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int]


class FeedbackCommentRow(Base):
    """A free-text comment on a session, with its detected language (None when too short to tell)."""

    __tablename__ = "feedback_comments"
    __table_args__ = (Index("ix_feedback_comments_session_language", "session_id", "language"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(String(2000))
    language: Mapped[str | None] = mapped_column(String(8))


class QuotaTarget(Base):
    """A feature value and its quota, mirrored from the definition so SQL views can compare against it.

    `answer` is the value as the `answers` table stores it (its JSON text, e.g. `"woman"`), so the
    views join on plain text on SQLite and PostgreSQL alike. `min_seats`/`max_seats` are the quota's
    bounds for the panel size `digest.seats`; NULL when no size is declared.
    """

    __tablename__ = "quota_targets"

    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"), primary_key=True)
    feature: Mapped[str] = mapped_column(String(24), primary_key=True)
    value: Mapped[str] = mapped_column(String(24), primary_key=True)
    answer: Mapped[str] = mapped_column(String(60))
    min_seats: Mapped[int | None]
    max_seats: Mapped[int | None]


class AnswerCountRow(Base):
    """How many participants of a status gave an answer (its JSON text, as `QuotaTarget.answer`):
    kept by triggers as answers and participants change (migration 0012), so `report_strata` sums a
    few rows instead of grouping every answer at each digest."""

    __tablename__ = "answer_counts"

    assembly_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    answer: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    participants: Mapped[int]


class DigestRow(Base):
    """A scheduled digest that went out: the next one counts new registrations since its time."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assembly_id: Mapped[str] = mapped_column(ForeignKey("assemblies.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int] = mapped_column(default=0)


class AuditRow(Base):
    """One privileged action, append-only (the database refuses updates and deletes): who, as the
    staff member's name or the operator's account, did what, when, in which assembly."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assembly_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class JobRunRow(Base):
    """A timed job's run claimed for one due time: with several workers, the one that inserts it
    runs the job, the others skip that time."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(100), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
