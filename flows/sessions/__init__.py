"""Sessions for participants: reminders and schedule notices, RSVP answers, /sessions, check-in."""

__all__ = ["checkin", "notices", "rsvp"]
