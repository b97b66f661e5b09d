"""Sessions for participants: reminders and schedule notices, RSVP answers, /sessions, check-in, the
calendar file."""

__all__ = ["calendar", "checkin", "notices", "rsvp"]
