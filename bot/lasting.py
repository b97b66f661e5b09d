"""Loading what lasts as long as the process, without paying the garbage collector for it.

Importing the bot's modules, aiogram's (some 700 pydantic models) or PTB's builds classes, table
mappings and models that are never freed; the collections their import sets off traverse them again
and again and free nothing: a tenth of the bot's start-up, a quarter of aiogram's import."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def lasting() -> Iterator[None]:
    """Collection paused inside; what was built meanwhile is then frozen out of later collections
    (`gc.freeze`), which go on for everything built after. Meant for imports that happen once."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
