"""What of a poll's result may be shown: the one rule every surface asks (the live message, the results
in chat and their chart, the dashboard), so that none of them can show a secret ballot by itself.

- While a poll is open, a running result is shown only for an open (not secret) poll whose results
  are not hidden, that counts choices (not open text), and that has at least the minimum number of
  answers when it is a table poll. A secret poll never shows a running result: with "who has
  answered" it would give away each vote as it arrives.
- Once closed, a result is shown when it holds at least the minimum number of answers (a poll for the
  whole session that is not secret is always shown). An open table poll with too few answers may be
  shown as the session total of its template instead; a secret one never is: the total minus the
  other tables' results would give the small table's ballots back.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.polls.tally import Tally
from flows.ports import Poll


@dataclass(frozen=True)
class Disclosure:
    """What may be shown: `tally` (None: only how many answered), whether it is the session total of a
    table poll too small to show alone, and whether the poll's own result is withheld for too few
    answers."""

    tally: Tally | None
    session_total: bool = False
    too_few: bool = False


def shows_running_result(poll: Poll) -> bool:
    """Whether an open poll may ever show its running result (the live message asks before counting)."""
    spec = poll.spec
    return not poll.closed and not spec.secret and not spec.hide_results and spec.kind != "text"


def disclose(poll: Poll, tally: Tally | None, minimum: int, *, total: Tally | None = None) -> Disclosure:
    """What of `tally` (the poll's own count) may be shown; `total` is the session total of the
    template, offered for a table poll with fewer than `minimum` answers."""
    if tally is None:
        return Disclosure(None)
    enough = tally.answers >= minimum
    if not poll.closed:
        running = shows_running_result(poll) and (poll.table is None or enough)
        return Disclosure(tally if running else None)
    if enough or (poll.table is None and not poll.spec.secret):
        return Disclosure(tally)
    if poll.table is not None and not poll.spec.secret and total is not None and total.answers >= minimum:
        return Disclosure(total, session_total=True, too_few=True)
    return Disclosure(None, too_few=True)
