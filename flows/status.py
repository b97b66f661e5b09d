"""The participant lifecycle: the one place that names each value of `participants.status`."""

from __future__ import annotations

from enum import StrEnum


class ParticipantStatus(StrEnum):
    """Stored in `participants.status` (String(20)); digests count per value, reminders go to CONFIRMED."""

    CONTACT = "contact"  # has only talked to the bot
    REGISTERING = "registering"  # consented, questionnaire under way
    REGISTERED = "registered"  # questionnaire complete: in the lottery pool
    CONSENT_DECLINED = "consent_declined"  # declined the privacy notice; nothing else kept
    SELECTED = "selected"  # drawn (or promoted from the reserve), asked to confirm
    CONFIRMED = "confirmed"
    DECLINED = "declined"  # declined the seat, or let the deadline pass
    RESERVE = "reserve"
    NOT_SELECTED = "not_selected"
    WITHDRAWN = "withdrawn"
    FORGOTTEN = "forgotten"  # erased by /forget: an anonymous row kept for counts


IN_POOL = frozenset({ParticipantStatus.REGISTERED})
"""Only complete, current registrations may be drawn."""

AFTER_REGISTRATION = frozenset(
    {
        ParticipantStatus.REGISTERED,
        ParticipantStatus.SELECTED,
        ParticipantStatus.CONFIRMED,
        ParticipantStatus.DECLINED,
        ParticipantStatus.RESERVE,
        ParticipantStatus.NOT_SELECTED,
    }
)
"""Statuses of someone whose questionnaire is done; registration cannot start again."""
