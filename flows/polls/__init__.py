"""Facilitators' polls: composing and starting them, the ballots, the live count, the tally, what of
it may be shown, and results."""

__all__ = ["ballots", "compose", "disclosure", "live", "results", "tally", "votes"]
