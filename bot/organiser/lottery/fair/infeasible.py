"""Why no panel meets the quotas, in the library's words, with the relaxation it suggests."""

from __future__ import annotations

from typing import Any

from sortition_algorithms import Settings
from sortition_algorithms.committee_generation import find_any_committee
from sortition_algorithms.errors import InfeasibleQuotasError, SelectionMultilineError, SortitionBaseError
from sortition_algorithms.features import check_desired, iterate_feature_collection
from sortition_algorithms.people import check_enough_people_for_every_feature_value

from bot.organiser.lottery.fair.profiles import Problem, Quotas
from bot.organiser.lottery.library import library_tables, route_library_logging
from bot.organiser.lottery.options import DrawError


class InfeasibleQuotas(DrawError):
    """The quotas cannot all be met by this pool; `relaxed` is the library's nearest feasible quota set
    (empty when it found none)."""

    def __init__(self, lines: list[str], relaxed: Quotas) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.relaxed = relaxed

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuilt from its own arguments when it crosses from the draw's worker process."""
        return (type(self), (self.lines, self.relaxed))


def explain(problem: Problem) -> InfeasibleQuotas:
    """Run the library's own checks and relaxation on the same pool: organisers get the message they
    know, and the relaxation is computed person by person, exactly as the library's draw would.

    Called only once our model has proven the quotas infeasible, so its slower model costs nothing
    on a draw that succeeds."""
    route_library_logging()
    try:
        features, people = library_tables(problem, Settings(id_column="id", columns_to_keep=[]))
        check_desired(features, problem.seats)
        check_enough_people_for_every_feature_value(features, people)
        find_any_committee(features, people, problem.seats, [])
    except InfeasibleQuotasError as error:
        relaxed: dict[str, dict[str, tuple[int, int]]] = {}
        for feature, value, bounds in iterate_feature_collection(error.features):
            relaxed.setdefault(feature, {})[value] = (bounds.min, bounds.max)
        return InfeasibleQuotas(error.lines(), relaxed)
    except SelectionMultilineError as error:
        return InfeasibleQuotas(error.lines(), {})
    except SortitionBaseError as error:
        return InfeasibleQuotas([str(error)], {})
    return InfeasibleQuotas(["no panel meets the quotas (the library found one: please report this)"], {})
