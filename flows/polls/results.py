"""A poll's results: the count per answer, the verdict (quorum, threshold, block), and sending them out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from flows.actions import Action, SendMessage, SendPhoto, split_text
from flows.engine import Context
from flows.polls.ballots import labels, local, size
from flows.polls.disclosure import disclose
from flows.polls.tally import Tally, count, passed
from flows.polls.votes import Ballot
from flows.ports import Participant, Poll, PollSpec, Translator


def _percent(tr: Translator, part: float, whole: float) -> str:
    return f"{tr.number(round(100 * part / whole))} %" if whole else "–"


def result_lines(tr: Translator, spec: PollSpec, tally: Tally) -> list[str]:
    """One line per answer (or per point), in the reader's language."""
    names = labels(tr, spec)
    if spec.kind == "text":
        return [f"• {text}" for text in tally.texts]
    if spec.kind == "score":
        lines = [
            tr.gettext("Average {average}, median {median}").format(
                average=tr.number(round(tally.average or 0, 1)), median=tr.number(tally.middle or 0)
            )
        ]
        return lines + [f"{names[v]}: {tr.number(n)}" for v, n in enumerate(tally.counts) if n]
    if spec.kind == "dots":
        total = sum(tally.counts)
        return [
            f"{name}: {tr.number(n)} ({_percent(tr, n, total)})"
            for name, n in zip(names, tally.counts, strict=True)
        ]
    if spec.kind == "ranking":
        order = sorted(range(len(names)), key=lambda i: (-tally.counts[i], i))
        lines = [
            tr.gettext("{rank}. {option}: {points} Borda points").format(
                rank=tr.number(rank), option=names[i], points=tr.number(tally.counts[i])
            )
            for rank, i in enumerate(order, start=1)
        ]
        if spec.method == "irv" and tally.winner is not None:
            lines.append(
                tr.gettext("Instant runoff winner after {rounds} rounds: {option}").format(
                    rounds=tr.number(len(tally.rounds)), option=names[tally.winner]
                )
            )
        return lines
    return [
        f"{name}: {tr.number(n)} ({_percent(tr, n, tally.answers)})"
        for name, n in zip(names, tally.counts, strict=True)
    ]


def verdict_lines(tr: Translator, spec: PollSpec, tally: Tally) -> list[str]:
    outcome = passed(tally, spec.quorum, spec.threshold)
    if outcome is None:
        return []
    lines: list[str] = []
    if spec.quorum is not None:
        count = {"answers": tr.number(tally.answers), "quorum": tr.number(spec.quorum)}
        if tally.answers >= spec.quorum:
            reached = tr.ngettext(
                "Quorum reached: {answers} answer, at least {quorum} were needed.",
                "Quorum reached: {answers} answers, at least {quorum} were needed.",
                tally.answers,
            )
            lines.append(reached.format(**count))
        else:
            missed = tr.ngettext(
                "Quorum not reached: {answers} answer, at least {quorum} are needed.",
                "Quorum not reached: {answers} answers, at least {quorum} are needed.",
                tally.answers,
            )
            lines.append(missed.format(**count))
    if tally.blocked:
        lines.append(tr.gettext("Blocked: at least one participant blocked it."))
    if spec.threshold is not None and tally.support is not None:
        lines.append(
            tr.gettext("Support {support}, threshold {threshold}.").format(
                support=_percent(tr, tally.support, 1), threshold=_percent(tr, spec.threshold, 1)
            )
        )
    lines.append("✅ " + tr.gettext("Passed.") if outcome else "❌ " + tr.gettext("Not passed."))
    return lines


def results(
    tr: Translator, ctx: Context, poll: Poll, tally: Tally, *, total: Tally | None, chat_id: int
) -> list[Action]:
    """Results as text and as a chart, as far as `disclose` allows; `total` is the session total
    offered for a table poll too small to show alone."""
    spec = poll.spec
    head = [
        "📊 " + tr.gettext("Results: {question}").format(question=local(spec.question, tr.language)),
        tr.ngettext("{count} answer", "{count} answers", tally.answers).format(
            count=tr.number(tally.answers)
        ),
    ]
    minimum = ctx.assembly.tables.min_result
    disclosure = disclose(poll, tally, minimum, total=total)
    if disclosure.too_few and spec.secret:
        head.append(
            tr.gettext(
                "Too few answers to show the result of this secret ballot (at least {minimum} are needed)."
            ).format(minimum=tr.number(minimum))
        )
    elif disclosure.too_few:
        head.append(
            tr.gettext(
                "Too few answers at this table to show them on their own (at least {minimum} are needed); "
                "they count in the session total."
            ).format(minimum=tr.number(minimum))
        )
    shown = disclosure.tally
    if shown is None:
        return [SendMessage(chat_id, "\n".join(head))]
    if disclosure.session_total:
        head.append(
            tr.ngettext(
                "Session total, {count} answer:", "Session total, {count} answers:", shown.answers
            ).format(count=tr.number(shown.answers))
        )
    lines = [*head, "", *result_lines(tr, spec, shown), *verdict_lines(tr, spec, shown)]
    actions: list[Action] = [SendMessage(chat_id, part) for part in split_text("\n".join(lines))]
    if spec.kind != "text" and shown.answers:
        chart = ctx.charts.bars(
            local(spec.question, tr.language), labels(tr, spec), shown.counts, axis=count_axis(tr, spec)
        )
        actions.append(SendPhoto(chat_id, chart, "results.png"))
    return actions


def count_axis(tr: Translator, spec: PollSpec) -> str:
    """What a results chart's bars count: points for dots and rankings, answers otherwise."""
    return tr.gettext("points") if spec.kind in ("dots", "ranking") else tr.gettext("answers")


def tally_of(poll: Poll, ballots: Sequence[Ballot]) -> Tally:
    return count(poll.spec.kind, ballots, size(poll.spec), scale=poll.spec.scale, method=poll.spec.method)


async def close_poll(ctx: Context, poll: Poll) -> list[Action]:
    """Close by button or timer: results to the facilitator, and to participants when the poll says so."""
    store = ctx.store.polls
    if not await store.close(poll.id, ctx.clock.now()):
        return []
    poll = dataclasses.replace(poll, closed=True)
    tally = tally_of(poll, await store.ballots(poll.id))
    total = None
    if disclose(poll, tally, ctx.assembly.tables.min_result).too_few and not poll.spec.secret:
        total = tally_of(poll, await store.sibling_ballots(poll))
    actions: list[Action] = []
    for facilitator in await ctx.store.participants([poll.facilitator_id]):
        tr = ctx.translations.for_language(facilitator.language)
        actions += results(tr, ctx, poll, tally, total=total, chat_id=facilitator.chat_id)
    if poll.spec.share_results:
        people: list[Participant] = await store.recipients(poll.id)
        for person in people:
            tr = ctx.translations.for_language(person.language)
            actions += results(tr, ctx, poll, tally, total=total, chat_id=person.chat_id)
    return actions
