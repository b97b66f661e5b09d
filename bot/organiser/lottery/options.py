"""What a draw can be asked for, and how it fails; light to import (the library itself is heavy)."""

from __future__ import annotations

import secrets

ALGORITHMS = ("maximin", "leximin", "nash", "legacy")


class DrawError(Exception):
    """The draw cannot be made as asked (infeasible quotas, too few people); the message says why."""


def new_seed() -> int:
    """A non-zero seed (zero would make the library use `secrets` and the draw unrepeatable)."""
    return secrets.randbelow(2**31 - 2) + 1
