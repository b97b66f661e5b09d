"""The dashboard's pages: each reads aggregated figures from the store and renders one template."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.dashboard.render import page
from bot.organiser.lottery.transparency import Report
from bot.store import audit, lottery
from bot.store.dashboard_access import Viewer
from bot.store.read import dashboard as dashboard_reports
from bot.store.read import digest as reports
from flows.assembly import Assembly
from flows.digest.chart import quota_chart
from flows.digest.figures import Stratum
from flows.digest.render import in_definition_order, session_title, value_label
from flows.markers import N_
from flows.numbers import parse_id
from flows.polls.ballots import labels, local
from flows.polls.compose import KIND_NAMES
from flows.polls.results import count_axis, result_lines, verdict_lines
from flows.ports import FACILITATOR, ORGANISER, Translator
from flows.privacy import STATUS_LABELS
from flows.sessions.notices import when
from flows.status import AFTER_REGISTRATION, ParticipantStatus

if TYPE_CHECKING:
    from bot.dashboard.app import Dashboard

Handler = Callable[[web.Request, "Dashboard", Viewer], Awaitable[web.StreamResponse]]


def _session_when(assembly: Assembly, tr: Translator, key: str, starts_at: datetime) -> str:
    session = assembly.session(key)
    if session is None:
        return tr.datetime(starts_at, "medium")
    zone = assembly.zone
    return when(tr, session.starts.replace(tzinfo=zone), session.ends.replace(tzinfo=zone))


def _render(dash: Dashboard, viewer: Viewer, template: str, here: str, **context: Any) -> web.Response:
    tr = dash.kit.translations.for_language(viewer.language)
    role = tr.gettext("facilitator") if viewer.role == FACILITATOR else tr.gettext("organiser")
    return page(template, tr, dash.kit.assembly, viewer=viewer, role=role, here=here, **context)


async def overview(request: web.Request, dash: Dashboard, viewer: Viewer) -> web.StreamResponse:
    assembly, tr = dash.kit.assembly, dash.kit.translations.for_language(viewer.language)
    async with dash.db.transaction() as session:
        counts = await reports.statuses(session, assembly.id)
        sessions = await reports.session_figures(session, assembly.id)
        problems = await reports.delivery(session, assembly.id)
        closed, still_open = await dashboard_reports.poll_counts(session, assembly.id)
        ratings, average = await dashboard_reports.rating_average(session, assembly.id)
    coming = reports.next_session(sessions, dash.kit.clock.now())
    upcoming = next((s for s in sessions if s.key == coming), None)
    confirmed = counts.get(ParticipantStatus.CONFIRMED.value, 0)
    return _render(
        dash,
        viewer,
        "overview.html",
        "overview",
        registered=sum(n for status, n in counts.items() if status in AFTER_REGISTRATION),
        confirmed=confirmed,
        statuses=[
            (tr.gettext(STATUS_LABELS[status]), counts[status.value])
            for status in ParticipantStatus
            if counts.get(status.value)
        ],
        upcoming=upcoming,
        upcoming_title=session_title(assembly, tr, upcoming.key) if upcoming else "",
        upcoming_when=_session_when(assembly, tr, upcoming.key, upcoming.starts_at) if upcoming else "",
        pending=max(0, confirmed - upcoming.coming - upcoming.absent) if upcoming else 0,
        polls_closed=closed,
        polls_open=still_open,
        ratings=ratings,
        average=None if average is None else round(average, 1),
        delivery=problems,
    )


async def _strata(dash: Dashboard) -> tuple[Stratum, ...]:
    async with dash.db.transaction() as session:
        return await reports.strata(session, dash.kit.assembly.id)


async def recruitment(request: web.Request, dash: Dashboard, viewer: Viewer) -> web.StreamResponse:
    assembly, tr = dash.kit.assembly, dash.kit.translations.for_language(viewer.language)
    features: dict[str, list[Any]] = {}
    for stratum in in_definition_order(assembly, await _strata(dash)):
        question = assembly.registration.question(stratum.feature) if assembly.registration else None
        title = assembly.text(question.text, tr.language) if question else stratum.feature
        label = value_label(assembly, tr, stratum.feature, stratum.value)
        features.setdefault(title, []).append((label, stratum))
    return _render(
        dash, viewer, "recruitment.html", "recruitment", features=features, draw=await _draw(dash, tr)
    )


async def _draw(dash: Dashboard, tr: Translator) -> dict[str, Any] | None:
    """The latest draw's transparency figures: its spread of chances and its lowest-chance profiles."""
    assembly = dash.kit.assembly
    async with dash.db.transaction() as session:
        row = await lottery.find_draw(session, assembly.id)
    if row is None:
        return None
    report = Report.of(row)

    def percent(chance: float | None) -> str:
        return tr.gettext("{percent}%").format(percent=tr.number(round(100 * (chance or 0.0), 3)))

    lowest = [
        (
            " · ".join(
                value_label(assembly, tr, f, v) for f, v in zip(report.features, profile.values, strict=True)
            ),
            profile.people,
            percent(profile.probability),
        )
        for profile in (report.lowest(10) if report.has_chances else [])
    ]
    spread = [percent(x) for x in report.spread()] if report.has_chances else None
    return {"report": report, "date": tr.datetime(report.drawn_at), "spread": spread, "lowest": lowest}


async def lottery_report(request: web.Request, dash: Dashboard, viewer: Viewer) -> web.StreamResponse:
    """The latest draw's transparency report as CSV (no names: one row per profile)."""
    async with dash.db.transaction() as session:
        row = await lottery.find_draw(session, dash.kit.assembly.id)
    if row is None:
        raise web.HTTPNotFound
    return web.Response(
        text=Report.of(row).csv(),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="draw-{row.id}.csv"'},
    )


async def recruitment_chart(request: web.Request, dash: Dashboard, viewer: Viewer) -> web.StreamResponse:
    tr = dash.kit.translations.for_language(viewer.language)
    strata = await _strata(dash)
    drawn = dash.quota_charts.get(tr.language)
    if drawn is None or drawn[0] != strata:
        drawn = strata, quota_chart(dash.kit.charts, tr, dash.kit.assembly, strata)
        dash.quota_charts[tr.language] = drawn
    return web.Response(body=drawn[1], content_type="image/png")


async def sessions(request: web.Request, dash: Dashboard, viewer: Viewer) -> web.StreamResponse:
    assembly, tr = dash.kit.assembly, dash.kit.translations.for_language(viewer.language)
    async with dash.db.transaction() as session:
        figures = await reports.session_figures(session, assembly.id)
        confirmed = (await reports.statuses(session, assembly.id)).get(ParticipantStatus.CONFIRMED.value, 0)
    now = dash.kit.clock.now()
    rows = [
        {
            "figures": f,
            "title": session_title(assembly, tr, f.key),
            "when": _session_when(assembly, tr, f.key, f.starts_at),
            "state": (
                tr.gettext("cancelled")
                if f.cancelled
                else tr.gettext("held")
                if f.starts_at <= now
                else tr.gettext("upcoming")
            ),
            "pending": max(0, confirmed - f.coming - f.absent),
        }
        for f in figures
    ]
    return _render(dash, viewer, "sessions.html", "sessions", rows=rows, confirmed=confirmed)


def _poll_card(assembly: Assembly, tr: Translator, result: dashboard_reports.PollResult) -> dict[str, Any]:
    poll, tally = result.poll, result.tally
    where = session_title(assembly, tr, poll.session)
    if poll.table is not None:
        where = tr.gettext("{session}, table {table}").format(session=where, table=poll.table)
    return {
        "id": poll.id,
        "question": local(poll.spec.question, tr.language),
        "where": where,
        "kind": tr.gettext(KIND_NAMES.get(poll.spec.kind, poll.spec.kind)),
        "secret": poll.spec.secret,
        "closed": poll.closed,
        "answers": result.answers,
        "recipients": result.recipients,
        "hidden": result.too_few,
        "texts": list(tally.texts) if tally and poll.spec.kind == "text" else [],
        "lines": result_lines(tr, poll.spec, tally) if tally and poll.spec.kind != "text" else [],
        "verdict": verdict_lines(tr, poll.spec, tally) if tally else [],
        "chart": tally is not None and poll.spec.kind != "text" and tally.answers > 0,
    }


async def polls(request: web.Request, dash: Dashboard, viewer: Viewer) -> web.StreamResponse:
    assembly, tr = dash.kit.assembly, dash.kit.translations.for_language(viewer.language)
    chosen = request.query.get("session")
    if chosen is not None and assembly.session(chosen) is None:
        chosen = None
    async with dash.db.transaction() as session:
        results = await dashboard_reports.poll_results(
            session, assembly.id, minimum=assembly.tables.min_result, session_key=chosen
        )
    return _render(
        dash,
        viewer,
        "polls.html",
        "polls",
        cards=[_poll_card(assembly, tr, result) for result in results],
        sessions=[(s.id, assembly.text(s.title, tr.language)) for s in assembly.sessions],
        chosen=chosen,
    )


async def poll_chart(request: web.Request, dash: Dashboard, viewer: Viewer) -> web.StreamResponse:
    assembly, tr = dash.kit.assembly, dash.kit.translations.for_language(viewer.language)
    poll_id = parse_id(request.match_info["poll"])
    if poll_id is None:
        raise web.HTTPNotFound
    async with dash.db.transaction() as session:
        found = await dashboard_reports.poll_results(
            session, assembly.id, minimum=assembly.tables.min_result, poll_id=poll_id
        )
    card = _poll_card(assembly, tr, found[0]) if found else None
    if card is None or not card["chart"] or found[0].tally is None:
        raise web.HTTPNotFound
    spec = found[0].poll.spec
    chart = dash.kit.charts.bars(
        card["question"], labels(tr, spec), found[0].tally.counts, axis=count_axis(tr, spec)
    )
    return web.Response(body=chart, content_type="image/png")


async def feedback(request: web.Request, dash: Dashboard, viewer: Viewer) -> web.StreamResponse:
    assembly, tr = dash.kit.assembly, dash.kit.translations.for_language(viewer.language)
    language = request.query.get("language")
    if language not in assembly.languages:
        language = None
    async with dash.db.transaction() as session:
        figures = await dashboard_reports.feedback(session, assembly.id, language)
    prompts = {rating.id: rating.text for rating in assembly.feedback.ratings}

    def language_name(code: str | None) -> str:
        return tr.language_name(code) if code and code != "und" else tr.gettext("language not detected")

    return _render(
        dash,
        viewer,
        "feedback.html",
        "feedback",
        figures=figures,
        filters=[(code, tr.language_name(code)) for code in assembly.languages],
        ratings=[
            (
                session_title(assembly, tr, r.session_key),
                assembly.text(prompts[r.question], tr.language) if r.question in prompts else r.question,
                r,
            )
            for r in figures.ratings
        ],
        by_language=sorted(
            ((language_name(code), n) for code, n in figures.comments_by_language.items()),
            key=lambda item: -item[1],
        ),
        comments=[
            (session_title(assembly, tr, c.session_key), c.text, language_name(c.language))
            for c in figures.comments
        ],
    )


AUDIT_LABELS = {
    "role_granted": N_("Role granted"),
    "role_revoked": N_("Role withdrawn"),
    "poll_started": N_("Poll started"),
    "poll_closed": N_("Poll closed"),
    "tables_assigned": N_("Tables assigned"),
    "pin": N_("Seat pinned"),
    "lottery": N_("Lottery draw"),
    "confirmations_expired": N_("Confirmation deadlines passed"),
    "export": N_("Data exported"),
    "announcement": N_("Announcement sent"),
    "digest_sent": N_("Digest sent"),
    "dashboard_sign_in": N_("Dashboard sign-in"),
    "erasure": N_("Data erased at a participant's request"),
    "phone_registration": N_("Registration taken by phone"),
}


async def audit_log(request: web.Request, dash: Dashboard, viewer: Viewer) -> web.StreamResponse:
    """Organisers only: the newest privileged actions (the command line exports them all)."""
    tr = dash.kit.translations.for_language(viewer.language)
    if viewer.role != ORGANISER:
        return _render(dash, viewer, "audit.html", "audit", allowed=False, status=403)
    async with dash.db.transaction() as session:
        entries = await audit.latest(session, dash.kit.assembly.id)
    actors = {
        audit.BOT: tr.gettext("the bot"),
        audit.NOBODY: tr.gettext("not recorded"),
        audit.NAMED_ORGANISER: tr.gettext("an organiser named in the definition"),
        audit.ERASED_ACTOR: tr.gettext("an erased staff member"),
    }
    rows = [
        {
            "when": tr.datetime(entry.at, "medium"),
            "who": actors.get(entry.actor, entry.actor),
            "what": tr.gettext(AUDIT_LABELS[entry.action]) if entry.action in AUDIT_LABELS else entry.action,
            "detail": ", ".join(f"{key}={value}" for key, value in entry.detail.items() if value is not None),
        }
        for entry in entries
    ]
    return _render(dash, viewer, "audit.html", "audit", allowed=True, rows=rows)


ROUTES: dict[str, Handler] = {
    "/": overview,
    "/recruitment": recruitment,
    "/recruitment.png": recruitment_chart,
    "/lottery.csv": lottery_report,
    "/sessions": sessions,
    "/polls": polls,
    "/polls/{poll}.png": poll_chart,
    "/feedback": feedback,
    "/audit": audit_log,
}
