"""What a draw can be asked for, and how it fails; light to import (the solvers themselves are heavy)."""

from __future__ import annotations

import secrets

OURS = ("maximin", "leximin")
"""Computed over profiles (bot/organiser/lottery/fair): the library's optimum, in seconds."""

LIBRARY = ("maximin", "leximin", "nash", "legacy", "diversimax")
"""The algorithms of `sortition-algorithms`, offered as `library-<name>` for comparison."""

LIBRARY_PREFIX = "library-"

ALGORITHMS = (*OURS, *(LIBRARY_PREFIX + name for name in LIBRARY))


class DrawError(Exception):
    """The draw cannot be made as asked (infeasible quotas, too few people); the message says why."""


def new_seed() -> int:
    """A non-zero seed (zero would make the library use `secrets` and the draw unrepeatable)."""
    return secrets.randbelow(2**31 - 2) + 1
