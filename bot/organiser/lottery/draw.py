"""One stratified draw with `sortition-algorithms`: quotas and pool in, panel and reserve list out.

The library's random generator is process-wide, so draws run one at a time (a lock), in a worker
thread (the caller uses `asyncio.to_thread`), never on the bot's event loop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sortition_algorithms import Settings, read_in_features, read_in_people, run_stratification
from sortition_algorithms.committee_generation import GUROBI_AVAILABLE
from sortition_algorithms.errors import SelectionMultilineError, SortitionBaseError
from sortition_algorithms.utils import override_logging_handlers

from bot.organiser.lottery.options import ALGORITHMS, DrawError
from flows.questionnaire import Registration

log = logging.getLogger(__name__)

_one_at_a_time = threading.Lock()


@dataclass(frozen=True)
class Candidate:
    """A complete registration in the pool: its participant id and its value for each feature."""

    participant_id: int
    features: dict[str, str]


@dataclass(frozen=True)
class Draw:
    selected: list[int]
    reserves: list[int]
    seed: int
    requested_algorithm: str
    algorithm: str
    report: str
    note: str = ""


class _ToOurLog(logging.Handler):
    """The library logs its progress to stdout by default; keep it in our debug log instead."""

    def emit(self, record: logging.LogRecord) -> None:
        log.debug("sortition: %s", record.getMessage())


def route_library_logging() -> None:
    override_logging_handlers([_ToOurLog()], [_ToOurLog()])


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
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


def quota_rows(registration: Registration, seats: int) -> list[dict[str, str]]:
    """The library's features table: one row per value of every feature, unlisted values unbounded."""
    rows = []
    for question in registration.features:
        for value in question.values:
            quota = question.quotas.get(value)
            low, high = quota.bounds(seats) if quota is not None else (0, seats)
            rows.append({"feature": question.id, "value": value, "min": str(low), "max": str(high)})
    return rows


def _explain(error: BaseException) -> str:
    if isinstance(error, SelectionMultilineError):
        return "\n".join(error.lines())
    return str(error)


def draw(
    registration: Registration,
    pool: Sequence[Candidate],
    seats: int,
    *,
    seed: int,
    algorithm: str = "maximin",
    reserves: int = 0,
    max_seconds: int = 600,
) -> Draw:
    """Draw `seats` people meeting the quotas, then rank `reserves` of the others by the same seed."""
    if algorithm not in ALGORITHMS:
        raise DrawError(f"unknown algorithm '{algorithm}'; choose from {', '.join(ALGORITHMS)}")
    if seed == 0:
        raise DrawError("the seed must not be 0 (0 means an unrepeatable draw)")
    features = [q.id for q in registration.features]
    if not features:
        raise DrawError("the assembly definition marks no question as a selection feature")
    if len(pool) < seats:
        raise DrawError(f"only {len(pool)} complete registrations for {seats} seats")
    effective, note = algorithm, ""
    if algorithm == "leximin" and not GUROBI_AVAILABLE:
        effective = "maximin"
        note = "leximin needs the commercial Gurobi solver (gurobipy), not installed: used maximin instead"
    settings = Settings(
        id_column="id", columns_to_keep=[], selection_algorithm=effective, random_number_seed=seed
    )
    people_rows = [{"id": str(c.participant_id), **c.features} for c in pool]
    with _one_at_a_time:
        route_library_logging()
        try:
            table, _, _ = read_in_features(
                ["feature", "value", "min", "max"], quota_rows(registration, seats), seats
            )
            people, _ = read_in_people(["id", *features], people_rows, table, settings)
            with _quiet_stdout():
                success, panels, report = run_stratification(
                    table, people, seats, settings, max_seconds=max_seconds
                )
        except SortitionBaseError as error:
            raise DrawError(_explain(error)) from None
    if not success or not panels:
        last = report.last_error()
        raise DrawError(_explain(last) if last else report.as_text(include_logged=False))
    selected = sorted(int(pid) for pid in panels[0])
    chosen = set(selected)
    others = sorted(c.participant_id for c in pool if c.participant_id not in chosen)
    random.Random(seed).shuffle(others)
    return Draw(
        selected=selected,
        reserves=others[:reserves],
        seed=seed,
        requested_algorithm=algorithm,
        algorithm=effective,
        report=report.as_text(),
        note=note,
    )
