"""Every interface flows need from the outside world, and the values they exchange; `bot/` implements them.

Import from here (`from flows.ports import Store`): the modules below only sort the ports by feature.
"""

from flows.ports.adapters import (
    CalendarEvent,
    Calendars,
    Charts,
    Clock,
    LanguageDetector,
    QuotaBar,
    Translations,
    Translator,
)
from flows.ports.people import FACILITATOR, ORGANISER, ROLES, DashboardAccess, Participant, RoleStore
from flows.ports.polls import Poll, PollSpec, PollStore
from flows.ports.registrations import InvitationOutcome, Reachable, RegistrationStore, Reserve, Seat
from flows.ports.reports import Reports
from flows.ports.sessions import FeedbackStore, Presence, Rsvp, SessionStore, TableStore
from flows.ports.store import Store

__all__ = [
    "FACILITATOR",
    "ORGANISER",
    "ROLES",
    "CalendarEvent",
    "Calendars",
    "Charts",
    "Clock",
    "DashboardAccess",
    "FeedbackStore",
    "InvitationOutcome",
    "LanguageDetector",
    "Participant",
    "Poll",
    "PollSpec",
    "PollStore",
    "Presence",
    "QuotaBar",
    "Reachable",
    "RegistrationStore",
    "Reports",
    "Reserve",
    "RoleStore",
    "Rsvp",
    "Seat",
    "SessionStore",
    "Store",
    "TableStore",
    "Translations",
    "Translator",
]
