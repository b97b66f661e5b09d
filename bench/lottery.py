"""How fast and how fair the draw is: profile maximin and leximin against the library's maximin, one run.

Run:  python bench/lottery.py [--quick] [--repeats 3] [--leximin-limit 300]

The pool is self-selected the way real recruitment is (women and men alike and 2% of other
genders, more older people, more graduates, more of the worried and of the leafy districts, few young
people), against the example assembly's quotas scaled to the seats. In one run: ours against the
library at 500/20 and 2,000/40 (the library takes minutes at 2,000; `--quick` runs it at 500/20 and
200/12 only), ours alone at 10,000/40 and on the adversarial pool of Flanigan et al. (Nature, 2021),
leximin at 500/20 and, time-limited, 2,000/40 (with how many profiles it settled by then).
Ours is timed as the median of `--repeats` runs, the library once. The library's figures come from
`find_distribution_maximin`, the function its `run_stratification` runs for maximin, so that its exact
probabilities can be compared with ours. Prints a table, then one JSON line with every figure.
Not a test: figures depend on the machine (and on its load: quote medians and ratios).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table
from sortition_algorithms import Settings, read_in_features, read_in_people
from sortition_algorithms.committee_generation import find_distribution_maximin
from sortition_algorithms.utils import set_random_provider

from bot.definition import load_assembly
from bot.organiser.lottery.fair.distribution import FairDistribution
from bot.organiser.lottery.fair.leximin import leximin
from bot.organiser.lottery.fair.maximin import maximin
from bot.organiser.lottery.fair.profiles import Problem, Quotas, group, quotas_of
from bot.organiser.lottery.library import route_library_logging
from bot.settings import EXAMPLE_ASSEMBLY

Pool = list[tuple[int, dict[str, str]]]
Solver = Callable[[Problem, float | None, Callable[[str], None] | None], FairDistribution]

SHARES = {
    "age_band": {"a16_24": 5, "a25_34": 11, "a35_44": 15, "a45_54": 19, "a55_64": 23, "a65": 27},
    "gender": {"woman": 49, "man": 49, "other": 2},
    "district": {"centre": 17, "west": 14, "north": 12, "east": 36, "south": 21},
    "education": {"low": 7, "secondary": 25, "higher": 68},
    "climate": {"very": 52, "somewhat": 32, "little": 11, "not_at_all": 5},
}
"""Percent of registrations per value: self-selection, as organisers see it, against the quotas'
population shares (14/20/19/17/14/16 by age, 30/33/37 by education...)."""


def realistic_pool(people: int, seed: int = 7) -> Pool:
    rng = random.Random(seed)
    return [
        (person, {f: rng.choices(list(shares), list(shares.values()))[0] for f, shares in SHARES.items()})
        for person in range(1, people + 1)
    ]


def flanigan() -> Problem:
    """2,000 people (1 female conservative, 999 female liberals, 1,000 male conservatives), 200 seats."""
    pool: Pool = [(1, {"gender": "female", "politics": "conservative"})]
    pool += [(p, {"gender": "female", "politics": "liberal"}) for p in range(2, 1001)]
    pool += [(p, {"gender": "male", "politics": "conservative"}) for p in range(1001, 2001)]
    quotas = {"gender": {"female": (99, 200), "male": (99, 200)}}
    quotas["politics"] = {"conservative": (99, 200), "liberal": (99, 200)}
    return group(quotas, pool, 200)


def library_maximin(quotas: Quotas, pool: Pool, seats: int) -> tuple[float, float]:
    """(seconds, lowest chance among the people some panel can include) for the library's maximin."""
    rows = [
        {"feature": f, "value": v, "min": str(low), "max": str(high)}
        for f, values in quotas.items()
        for v, (low, high) in values.items()
    ]
    settings = Settings(id_column="id", columns_to_keep=[])
    route_library_logging()
    features, _, _ = read_in_features(["feature", "value", "min", "max"], rows, seats)
    people, _ = read_in_people(
        ["id", *quotas], [{"id": str(p), **values} for p, values in pool], features, settings
    )
    set_random_provider(1)
    started = time.perf_counter()
    committees, probabilities, _ = find_distribution_maximin(features, people, seats, [], "highspy")
    seconds = time.perf_counter() - started
    chances = dict.fromkeys(people, 0.0)
    for committee, probability in zip(committees, probabilities, strict=True):
        for person in committee:
            chances[person] += probability
    return seconds, min(chance for chance in chances.values() if chance > 0)


@dataclass(frozen=True)
class Row:
    case: str
    people: int
    seats: int
    profiles: int
    algorithm: str
    seconds: list[float]
    distribution: FairDistribution
    settled: str = ""
    """Leximin only: how many profiles had their final chance when it stopped."""
    library_seconds: float | None = None
    library_minimum: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run(case: str, problem: Problem, solve: Solver, repeats: int, limit: float | None = None) -> Row:
    seconds, result, lines = [], None, [""]
    for _ in range(repeats):
        result = solve(problem, limit, lines.append)
        seconds.append(result.timings.total)
    assert result is not None
    name = result.algorithm.value
    settled = next((line for line in reversed(lines) if "settled" in line), "")
    return Row(case, problem.people, problem.seats, len(problem.profiles), name, seconds, result, settled)


def table(rows: list[Row]) -> Table:
    grid = Table(title="The draw: profile maximin / leximin against the library's maximin (HiGHS)")
    grid.add_column("people/seats")
    grid.add_column("algorithm")
    for header in ("profiles", "ours s: median (range)", "library s", "speed-up", "lowest chance ours"):
        grid.add_column(header, justify="right")
    for header in ("lowest chance library", "ours/library", "gap", "done"):
        grid.add_column(header, justify="right")
    for row in rows:
        d = row.distribution
        library = row.library_seconds
        ratio = row.library_minimum and d.minimum / row.library_minimum
        grid.add_row(
            row.case if row.case != "flanigan" else f"Flanigan {row.people:,}/{row.seats}",
            row.algorithm,
            str(row.profiles),
            f"{row.median:.2f} ({min(row.seconds):.2f}-{max(row.seconds):.2f}, n={len(row.seconds)})",
            "-" if library is None else f"{library:.1f}",
            "-" if library is None else f"{library / row.median:.0f}x",
            f"{d.minimum:.6%}",
            "-" if row.library_minimum is None else f"{row.library_minimum:.6%}",
            "-" if not ratio else f"{ratio:.9f}",
            f"{d.gap:.1e}",
            ("yes" if d.complete else "time limit") + (f" ({row.settled})" if row.settled else ""),
        )
    return grid


def figures(rows: list[Row]) -> dict[str, float | bool | str | None]:
    by = {(row.case, row.algorithm): row for row in rows}
    out: dict[str, float | bool | str | None] = {}
    for (case, algorithm), row in by.items():
        key = case.replace(",", "").replace("/", "_").replace(" ", "_")
        prefix = "lottery" if algorithm == "maximin" else "lottery_leximin"
        out[f"{prefix}_seconds_{key}"] = round(row.median, 3)
        out[f"{prefix}_min_probability_{key}"] = row.distribution.minimum
        out[f"{prefix}_gap_{key}"] = row.distribution.gap
        if algorithm == "leximin":
            out[f"{prefix}_complete_{key}"] = row.distribution.complete
            out[f"{prefix}_settled_{key}"] = row.settled
        if row.library_seconds is not None and row.library_minimum is not None:
            out[f"library_seconds_{key}"] = round(row.library_seconds, 3)
            out[f"library_min_probability_{key}"] = row.library_minimum
            out[f"lottery_min_probability_ratio_{key}"] = row.distribution.minimum / row.library_minimum
    out["lottery_seconds_2000"] = out.get("lottery_seconds_2000_40")
    compared = [row for row in rows if row.library_minimum]
    largest = max(compared, key=lambda row: row.people)
    out["lottery_min_probability_ratio"] = largest.distribution.minimum / (largest.library_minimum or 1.0)
    out["lottery_min_probability_ratio_at"] = largest.people
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the library at 500/20 and 200/12 only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--leximin-limit", type=float, default=300.0, help="seconds for leximin at 2,000/40")
    args = parser.parse_args()
    registration = load_assembly(EXAMPLE_ASSEMBLY).registration
    assert registration is not None
    console = Console(width=max(170, shutil.get_terminal_size().columns))
    library_sizes = [(200, 12), (500, 20)] if args.quick else [(500, 20), (2000, 40)]
    rows: list[Row] = []
    for people, seats in sorted({*library_sizes, (2000, 40), (10000, 40)}):
        quotas = quotas_of(registration, seats)
        pool = realistic_pool(people)
        row = run(f"{people}/{seats}", group(quotas, pool, seats), maximin, args.repeats)
        if (people, seats) in library_sizes:
            console.print(f"library maximin at {people:,}/{seats}...")
            seconds, minimum = library_maximin(quotas, pool, seats)
            row = dataclasses.replace(row, library_seconds=seconds, library_minimum=minimum)
        rows.append(row)
        console.print(f"{row.case}: ours {row.median:.2f} s, lowest chance {row.distribution.minimum:.6%}")
    rows.append(run("flanigan", flanigan(), maximin, args.repeats))
    rows.append(run("flanigan", flanigan(), leximin, args.repeats))
    for people, seats, repeats, limit in ((500, 20, args.repeats, None), (2000, 40, 1, args.leximin_limit)):
        problem = group(quotas_of(registration, seats), realistic_pool(people), seats)
        rows.append(run(f"{people}/{seats}", problem, leximin, repeats, limit))
        console.print(f"leximin {people:,}/{seats}: {rows[-1].median:.2f} s")
    console.print(table(rows))
    print(json.dumps(figures(rows)))


if __name__ == "__main__":
    main()
