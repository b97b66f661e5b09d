"""Facilitators' polls: composing and starting them, the ballots, the live count, the tally and results."""

__all__ = ["ballots", "compose", "live", "results", "tally", "votes"]
