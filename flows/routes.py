"""The full router: the always-available commands, then each feature's commands, buttons and flows."""

from __future__ import annotations

from flows import basics, confirmation, dashboard, feedback, privacy, roles, tables
from flows.digest import command as digest
from flows.engine import Router
from flows.polls import ballots, compose, live
from flows.registration import by_phone
from flows.registration import entry as registration
from flows.sessions import calendar, checkin, rsvp


def build_router() -> Router:
    router = basics.build_router()
    for feature in (
        by_phone,
        registration,
        confirmation,
        privacy,
        rsvp,
        calendar,
        checkin,
        roles,
        tables,
        compose,
        live,
        ballots,
        feedback,
        digest,
        dashboard,
    ):
        feature.install(router)
    return router
