"""The digest rendered: one text in the reader's language, and the same figures as CSV rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from flows.assembly import Assembly
from flows.digest.figures import DigestData, Stratum
from flows.ports import Translator
from flows.privacy import STATUS_LABELS
from flows.status import ParticipantStatus


def value_label(assembly: Assembly, tr: Translator, feature: str, value: str) -> str:
    question = assembly.registration.question(feature) if assembly.registration else None
    choice = question.choice(value) if question else None
    if choice is not None:
        return assembly.text(choice.text, tr.language)
    if value in ("yes", "no"):
        return tr.gettext("Yes") if value == "yes" else tr.gettext("No")
    return value


def feature_label(assembly: Assembly, tr: Translator, feature: str) -> str:
    """A selection feature as staff read it: its question in their language."""
    question = assembly.registration.question(feature) if assembly.registration else None
    return assembly.text(question.text, tr.language) if question else feature


def in_definition_order(assembly: Assembly, strata: Sequence[Stratum]) -> list[Stratum]:
    """Features in the questionnaire's order and values in their choices' order (an age band or a
    scale reads in its own order, not alphabetically); unknown ones last, as they came."""
    questions = assembly.registration.questions if assembly.registration else []
    rank = {q.id: (i, {v: j for j, v in enumerate(q.values)}) for i, q in enumerate(questions)}

    def key(stratum: Stratum) -> tuple[int, int]:
        place, values = rank.get(stratum.feature, (len(rank), {}))
        return place, values.get(stratum.value, len(values))

    return sorted(strata, key=key)


def session_title(assembly: Assembly, tr: Translator, key: str) -> str:
    session = assembly.session(key)
    return assembly.text(session.title, tr.language) if session else key


def _stratum_line(assembly: Assembly, tr: Translator, s: Stratum) -> str:
    label = value_label(assembly, tr, s.feature, s.value)
    registered = tr.ngettext("{count} registered", "{count} registered", s.registered).format(
        count=tr.number(s.registered)
    )
    confirmed = tr.ngettext("{count} confirmed", "{count} confirmed", s.confirmed).format(
        count=tr.number(s.confirmed)
    )
    line = tr.gettext("{value}: {registered}, {confirmed}").format(
        value=label, registered=registered, confirmed=confirmed
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


def _when(tr: Translator, moment: datetime) -> str:
    """A date and time written out in the reader's language ("7 mars 2027, 10:00", "7 مارس 2027")."""
    return tr.gettext("{date}, {time}").format(date=tr.date(moment, "long"), time=tr.time(moment))


def _retention_lines(assembly: Assembly, tr: Translator, data: DigestData) -> list[str]:
    """When the retention period ends and personal data is erased, as the privacy notice promised."""
    due = assembly.erasure_due()
    if due is None:
        return []
    if data.generated_at < due:
        text = tr.gettext("Personal data will be erased on {date}, at the end of the retention period.")
    else:
        text = tr.gettext("The retention period ended on {date}: personal data is being erased.")
    return ["", text.format(date=tr.date(due))]


def digest_text(assembly: Assembly, tr: Translator, data: DigestData) -> str:
    """The digest as one text in the reader's language (split before sending if too long)."""
    lines = [
        tr.gettext("Digest for {assembly}, {when}").format(
            assembly=assembly.text(assembly.name, tr.language), when=_when(tr, data.generated_at)
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
        for stratum in in_definition_order(assembly, data.strata):
            if stratum.feature != feature:
                feature = stratum.feature
                lines.append(feature_label(assembly, tr, feature))
            lines.append(_stratum_line(assembly, tr, stratum))
    lines += ["", tr.gettext("Participants by status:")]
    for status in ParticipantStatus:
        if count := data.statuses.get(status.value):
            label = tr.gettext("{status}: {count}").format(
                status=tr.gettext(STATUS_LABELS[status]), count=tr.number(count)
            )
            lines.append("  " + label)
    upcoming = next((s for s in data.sessions if s.key == data.next_session), None)
    if upcoming is not None:
        lines += [
            "",
            tr.gettext("Next session: {title}, {when}").format(
                title=session_title(assembly, tr, upcoming.key),
                when=_when(tr, upcoming.starts_at),
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
            + tr.gettext("{title}: {present}, {late}").format(
                title=session_title(assembly, tr, s.key),
                present=tr.ngettext("{count} checked in", "{count} checked in", s.attended).format(
                    count=tr.number(s.attended)
                ),
                late=tr.ngettext("{count} of them late", "{count} of them late", s.late).format(
                    count=tr.number(s.late)
                ),
            )
            for s in held
        ]
    lines += _poll_lines(assembly, tr, data) + _feedback_lines(assembly, tr, data)
    lines += _retention_lines(assembly, tr, data)
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


POLL_LINES = 20
"""The digest lists the newest polls only: a first digest late in an assembly would otherwise run to
dozens of messages (bench/digest.py: 2,000 polls gave 78). The CSV holds them all."""


def _poll_lines(assembly: Assembly, tr: Translator, data: DigestData) -> list[str]:
    if not data.polls:
        return []
    lines = ["", tr.gettext("Polls since the last digest:")]
    listed = data.polls[-POLL_LINES:]
    if earlier := len(data.polls) - len(listed):
        lines.append(
            "  "
            + tr.gettext(
                "Earlier polls not listed here: {count} (the CSV file and the dashboard have them all)"
            ).format(count=tr.number(earlier))
        )
    for poll in listed:
        where = session_title(assembly, tr, poll.session_key)
        if poll.table_no is not None:
            where = tr.gettext("{session}, table {table}").format(session=where, table=poll.table_no)
        state = tr.gettext("closed") if poll.closed else tr.gettext("open")
        lines.append(
            "  "
            + tr.gettext("{where}: {question} – {answers} of {asked} answered ({state})").format(
                where=where,
                question=assembly.text(dict(poll.question), tr.language),
                answers=tr.number(poll.answers),
                asked=tr.number(poll.recipients),
                state=state,
            )
        )
    return lines


def _feedback_lines(assembly: Assembly, tr: Translator, data: DigestData) -> list[str]:
    if not data.feedback:
        return []
    prompts = {r.id: r.text for r in assembly.feedback.ratings}
    lines = ["", tr.gettext("Feedback:")]
    for f in data.feedback:
        title = session_title(assembly, tr, f.session_key)
        if f.kind == "rating" and f.average is not None:
            prompt = assembly.text(prompts[f.item], tr.language) if f.item in prompts else f.item
            lines.append(
                "  "
                + tr.gettext("{session} – {question}: average {average} of 5 ({count} answers)").format(
                    session=title,
                    question=prompt,
                    average=tr.number(round(f.average, 1)),
                    count=tr.number(f.answers),
                )
            )
        else:
            language = tr.language_name(f.item) if f.item != "und" else tr.gettext("language not detected")
            lines.append(
                "  "
                + tr.gettext("{session} – comments in {language}: {count}").format(
                    session=title, language=language, count=tr.number(f.answers)
                )
            )
    return lines


CSV_HEADER = ("section", "item", "detail", "value")


def csv_rows(data: DigestData) -> list[tuple[str, str, str, float]]:
    """The digest's figures as machine-readable rows (identifiers, not translated labels)."""
    rows: list[tuple[str, str, str, float]] = [("registrations", "new", "", data.new_registrations)]
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
    for poll in data.polls:
        item = f"{poll.session_key}:{'session' if poll.table_no is None else f'table {poll.table_no}'}"
        rows += [("poll", item, "asked", poll.recipients), ("poll", item, "answered", poll.answers)]
    for given in data.feedback:
        detail = "average" if given.kind == "rating" else "comments"
        value = round(given.average, 2) if given.average is not None else given.answers
        rows.append(("feedback", f"{given.session_key}:{given.item}", detail, value))
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
