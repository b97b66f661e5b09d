"""The full router: the always-available commands, then each feature's commands, buttons and flows."""

from __future__ import annotations

from flows import (
    ballots,
    basics,
    checkin,
    confirmation,
    dashboard,
    digest,
    feedback,
    polls,
    privacy,
    registration,
    roles,
    sessions,
    tables,
)
from flows.engine import Router


def build_router() -> Router:
    router = basics.build_router()
    for feature in (
        registration,
        confirmation,
        privacy,
        sessions,
        checkin,
        roles,
        tables,
        polls,
        ballots,
        feedback,
        digest,
        dashboard,
    ):
        feature.install(router)
    return router
