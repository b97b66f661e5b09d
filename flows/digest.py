"""The organisers' digest: its figures (computed by the store), its text, CSV and chart, and /digest."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, cast

from flows.actions import Action, SendDocument, SendMessage, SendPhoto, split_text
from flows.assembly import Assembly
from flows.digest_chart import digest_chart
from flows.engine import Router, StepResult, Turn
from flows.ports import Translator
from flows.privacy import STATUS_LABELS
from flows.status import ParticipantStatus


@dataclass(frozen=True)
class Stratum:
    """Registrations with one feature value, against its quota (`None` bounds: no panel size declared)."""

    feature: str
    value: str
    registered: int
    confirmed: int
    min_seats: int | None
    max_seats: int | None
    gap: int


@dataclass(frozen=True)
class SessionFigures:
    key: str
    starts_at: datetime
    cancelled: bool
    coming: int
    absent: int
    attended: int
    late: int


@dataclass(frozen=True)
class DigestSection:
    """A titled block of ready-made lines; poll results and feedback (issue 5) arrive as sections."""

    title: str
    lines: tuple[str, ...]
    csv_rows: tuple[tuple[str, str, str, int], ...] = ()


@dataclass(frozen=True)
class DigestData:
    """Everything one digest shows, already aggregated by the store (SQL views and GROUP BY queries)."""

    generated_at: datetime
    since: datetime | None
    new_registrations: int
    statuses: dict[str, int]
    strata: tuple[Stratum, ...]
    sessions: tuple[SessionFigures, ...]
    next_session: str | None
    blocked_participants: int
    failed_sends: int
    undelivered_blocked: int
    sections: tuple[DigestSection, ...] = field(default=())

    @property
    def confirmed(self) -> int:
        return self.statuses.get(ParticipantStatus.CONFIRMED.value, 0)


class Reports(Protocol):
    """The read side the digest needs; `bot/` computes it in SQL."""

    async def digest_data(self, now: datetime) -> DigestData: ...


def reports(turn: Turn) -> Reports:
    """The reporting view of the turn's store (the SQL store implements every port)."""
    return cast(Reports, turn.ctx.store)


def organisers(assembly: Assembly) -> frozenset[int]:
    """Telegram user ids who receive the digest; the organiser role (role invites) will feed this."""
    return frozenset(assembly.digest.recipients) if assembly.digest else frozenset()


def _value_label(assembly: Assembly, tr: Translator, feature: str, value: str) -> str:
    question = assembly.registration.question(feature) if assembly.registration else None
    choice = question.choice(value) if question else None
    if choice is not None:
        return assembly.text(choice.text, tr.language)
    if value in ("yes", "no"):
        return tr.gettext("Yes") if value == "yes" else tr.gettext("No")
    return value


def _session_title(assembly: Assembly, tr: Translator, key: str) -> str:
    session = assembly.session(key)
    return assembly.text(session.title, tr.language) if session else key


def _stratum_line(assembly: Assembly, tr: Translator, s: Stratum) -> str:
    label = _value_label(assembly, tr, s.feature, s.value)
    line = tr.gettext("{value}: {registered} registered, {confirmed} confirmed").format(
        value=label, registered=tr.number(s.registered), confirmed=tr.number(s.confirmed)
    )
    if s.min_seats is not None and s.max_seats is not None:
        line += " · " + tr.gettext("quota {low}-{high}").format(
            low=tr.number(s.min_seats), high=tr.number(s.max_seats)
        )
    if s.gap:
        line += " · " + tr.ngettext("{count} more needed", "{count} more needed", s.gap).format(
            count=tr.number(s.gap)
        )
    return "  " + line


def digest_text(assembly: Assembly, tr: Translator, data: DigestData) -> str:
    """The digest as one text in the reader's language (split before sending if too long)."""
    lines = [
        tr.gettext("Digest for {assembly}, {when}").format(
            assembly=assembly.text(assembly.name, tr.language), when=tr.datetime(data.generated_at, "short")
        ),
        "",
    ]
    if data.since is None:
        lines.append(
            tr.ngettext("{count} registration so far", "{count} registrations so far", data.new_registrations)
        )
    else:
        lines.append(
            tr.ngettext(
                "{count} new registration since the last digest",
                "{count} new registrations since the last digest",
                data.new_registrations,
            )
        )
    lines[-1] = lines[-1].format(count=tr.number(data.new_registrations))
    if data.strata:
        lines += ["", tr.gettext("Registrations against the quotas:")]
        feature = None
        for stratum in data.strata:
            if stratum.feature != feature:
                feature = stratum.feature
                lines.append(f"{feature}:")
            lines.append(_stratum_line(assembly, tr, stratum))
    lines += ["", tr.gettext("Participants by status:")]
    for status in ParticipantStatus:
        if count := data.statuses.get(status.value):
            lines.append(f"  {tr.gettext(STATUS_LABELS[status])}: {tr.number(count)}")
    upcoming = next((s for s in data.sessions if s.key == data.next_session), None)
    if upcoming is not None:
        lines += [
            "",
            tr.gettext("Next session: {title}, {when}").format(
                title=_session_title(assembly, tr, upcoming.key),
                when=tr.datetime(upcoming.starts_at, "short"),
            ),
            "  "
            + tr.gettext("coming: {coming}, can't come: {absent}, no answer yet: {pending}").format(
                coming=tr.number(upcoming.coming),
                absent=tr.number(upcoming.absent),
                pending=tr.number(max(0, data.confirmed - upcoming.coming - upcoming.absent)),
            ),
        ]
    held = [s for s in data.sessions if s.starts_at <= data.generated_at and not s.cancelled]
    if held:
        lines += ["", tr.gettext("Attendance:")]
        lines += [
            "  "
            + tr.gettext("{title}: {present} present, {late} late").format(
                title=_session_title(assembly, tr, s.key),
                present=tr.number(s.attended),
                late=tr.number(s.late),
            )
            for s in held
        ]
    for section in data.sections:
        lines += ["", section.title, *(f"  {line}" for line in section.lines)]
    lines += ["", tr.gettext("Delivery problems:")]
    if data.blocked_participants or data.failed_sends or data.undelivered_blocked:
        lines += [
            "  " + tr.gettext("blocked the bot: {count}").format(count=tr.number(data.blocked_participants)),
            "  " + tr.gettext("failed sends: {count}").format(count=tr.number(data.failed_sends)),
            "  "
            + tr.gettext("messages not delivered (blocked): {count}").format(
                count=tr.number(data.undelivered_blocked)
            ),
        ]
    else:
        lines.append("  " + tr.gettext("none"))
    return "\n".join(lines)


CSV_HEADER = ("section", "item", "detail", "value")


def csv_rows(data: DigestData) -> list[tuple[str, str, str, int]]:
    """The digest's figures as machine-readable rows (identifiers, not translated labels)."""
    rows: list[tuple[str, str, str, int]] = [("registrations", "new", "", data.new_registrations)]
    rows += [("status", status, "", count) for status, count in sorted(data.statuses.items())]
    for s in data.strata:
        item = f"{s.feature}={s.value}"
        rows += [("stratum", item, "registered", s.registered), ("stratum", item, "confirmed", s.confirmed)]
        if s.min_seats is not None and s.max_seats is not None:
            rows += [("stratum", item, "min_seats", s.min_seats), ("stratum", item, "max_seats", s.max_seats)]
        rows.append(("stratum", item, "gap", s.gap))
    for f in data.sessions:
        rows += [
            ("session", f.key, "coming", f.coming),
            ("session", f.key, "absent", f.absent),
            ("session", f.key, "attended", f.attended),
            ("session", f.key, "late", f.late),
        ]
    for section in data.sections:
        rows += list(section.csv_rows)
    rows += [
        ("delivery", "blocked_participants", "", data.blocked_participants),
        ("delivery", "failed_sends", "", data.failed_sends),
        ("delivery", "undelivered_blocked", "", data.undelivered_blocked),
    ]
    return rows


def digest_csv(data: DigestData) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(data))
    return buffer.getvalue().encode()


def digest_actions(assembly: Assembly, tr: Translator, data: DigestData, chat_id: int) -> list[Action]:
    """The digest as messages, a chart image and a CSV file for one organiser's chat."""
    stamp = data.generated_at.astimezone(assembly.zone).strftime("%Y-%m-%d")
    actions: list[Action] = [
        SendMessage(chat_id, part) for part in split_text(digest_text(assembly, tr, data))
    ]
    actions.append(
        SendPhoto(
            chat_id,
            digest_chart(assembly, tr, data),
            filename=f"digest-{stamp}.png",
            caption=tr.gettext("Registrations against the quotas"),
        )
    )
    actions.append(
        SendDocument(
            chat_id,
            digest_csv(data),
            filename=f"digest-{assembly.id}-{stamp}.csv",
            caption=tr.gettext("The digest's figures as a table"),
        )
    )
    return actions


async def digest_command(turn: Turn) -> StepResult:
    """/digest: the digest now, for organisers only."""
    chat = turn.participant.chat_id
    if turn.participant.user_id not in organisers(turn.ctx.assembly):
        refusal = turn.tr.gettext("Only the assembly's organisers can receive the digest.")
        return StepResult((SendMessage(chat, refusal),), turn.state)
    data = await reports(turn).digest_data(turn.ctx.clock.now())
    return StepResult(tuple(digest_actions(turn.ctx.assembly, turn.tr, data, chat)), turn.state)


def install(router: Router) -> None:
    router.commands["digest"] = digest_command
