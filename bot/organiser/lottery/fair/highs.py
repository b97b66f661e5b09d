"""HiGHS instances set up the same way for every model of the fair draw: silent, one thread, repeatable."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import highspy

_banner_shown = threading.Lock()
_banner_done = False


@contextlib.contextmanager
def stdout_closed() -> Iterator[None]:
    """HiGHS prints its banner from C++ straight to file descriptor 1, before any option can stop it."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _swallow_banner() -> None:
    """The banner comes once per process, with the first instance: create that one with stdout closed."""
    global _banner_done  # noqa: PLW0603  (a once-per-process fact)
    with _banner_shown:
        if not _banner_done:
            with stdout_closed():
                highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's constructor has no annotations
            _banner_done = True


def new_highs(**options: Any) -> highspy.Highs:
    """A silent instance; one thread and a fixed seed make every solve repeatable (a seed repeats a draw)."""
    _swallow_banner()
    solver = highspy.Highs()  # type: ignore[no-untyped-call]
    settings: dict[str, Any] = {"output_flag": False, "threads": 1, "random_seed": 0, **options}
    for name, value in settings.items():
        solver.setOptionValue(name, value)
    return solver
