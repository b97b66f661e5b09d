"""Draws by `sortition-algorithms` itself (`--algorithm library-...`): the same pool and quotas, its
algorithms, for comparison. Its random generator is process-wide, so its draws run one at a time."""

from __future__ import annotations

import logging
import threading

from sortition_algorithms import Settings, read_in_features, read_in_people, run_stratification
from sortition_algorithms.committee_generation import GUROBI_AVAILABLE
from sortition_algorithms.committee_generation.diversimax import DIVERSIMAX_AVAILABLE
from sortition_algorithms.errors import SelectionMultilineError, SortitionBaseError
from sortition_algorithms.features import FeatureCollection
from sortition_algorithms.people import People
from sortition_algorithms.utils import override_logging_handlers

from bot.organiser.lottery.fair.highs import stdout_closed
from bot.organiser.lottery.fair.profiles import Problem
from bot.organiser.lottery.options import DrawError

log = logging.getLogger(__name__)

_one_at_a_time = threading.Lock()

_UNAVAILABLE = {
    "leximin": (
        GUROBI_AVAILABLE,
        "library-leximin needs the commercial Gurobi solver (gurobipy), which is not installed;"
        " --algorithm leximin computes leximin without it",
    ),
    "diversimax": (
        DIVERSIMAX_AVAILABLE,
        "library-diversimax needs pandas and scikit-learn, which are not installed",
    ),
}


class _ToOurLog(logging.Handler):
    """The library logs its progress to stdout by default; keep it in our debug log instead."""

    def emit(self, record: logging.LogRecord) -> None:
        log.debug("sortition: %s", record.getMessage())


def route_library_logging() -> None:
    override_logging_handlers([_ToOurLog()], [_ToOurLog()])


def library_tables(problem: Problem, settings: Settings) -> tuple[FeatureCollection, People]:
    """The library's features and people tables for a grouped pool (one row per person)."""
    rows = [
        {"feature": row.feature, "value": row.value, "min": str(row.low), "max": str(row.high)}
        for row in problem.rows
    ]
    people_rows = [
        {"id": str(member), **dict(zip(problem.features, profile.values, strict=True))}
        for profile in problem.profiles
        for member in profile.members
    ]
    features, _, _ = read_in_features(["feature", "value", "min", "max"], rows, problem.seats)
    people, _ = read_in_people(["id", *problem.features], people_rows, features, settings)
    return features, people


def explain_error(error: BaseException) -> str:
    if isinstance(error, SelectionMultilineError):
        return "\n".join(error.lines())
    return str(error)


def library_panel(
    problem: Problem, algorithm: str, seed: int, max_seconds: int = 600
) -> tuple[list[int], str]:
    """The library's `run_stratification` with `algorithm`: the panel's ids and the library's report.
    An algorithm the library would replace by another (leximin without Gurobi) is refused instead."""
    available, missing = _UNAVAILABLE.get(algorithm, (True, ""))
    if not available:
        raise DrawError(missing)
    settings = Settings(
        id_column="id", columns_to_keep=[], selection_algorithm=algorithm, random_number_seed=seed
    )
    with _one_at_a_time:
        route_library_logging()
        try:
            features, people = library_tables(problem, settings)
            with stdout_closed():
                success, panels, report = run_stratification(
                    features, people, problem.seats, settings, max_seconds=max_seconds
                )
        except SortitionBaseError as error:
            raise DrawError(explain_error(error)) from None
    if not success or not panels:
        last = report.last_error()
        raise DrawError(explain_error(last) if last else report.as_text(include_logged=False))
    return sorted(int(pid) for pid in panels[0]), report.as_text()
