"""How long a draw takes: a synthetic, skewed pool against the example assembly's quotas.

Run:  python bench/lottery.py [--people 2000] [--seats 40] [--algorithms maximin,legacy] [--repeats 3]
Prints one line per algorithm (median, min, max seconds over the repeats) and the ratio to `legacy`.
Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.definition import load_assembly
from bot.organiser.lottery.draw import Candidate, draw
from bot.organiser.lottery.options import DrawError
from bot.settings import EXAMPLE_ASSEMBLY


def synthetic_pool(people: int, seed: int = 7) -> list[Candidate]:
    """Registrations skewed the way self-selected pools are: more educated, more worried, more central."""
    registration = load_assembly(EXAMPLE_ASSEMBLY).registration
    assert registration is not None
    rng = random.Random(seed)
    skew = {"higher": 3.0, "very": 2.5, "centre": 1.8, "east": 1.5, "a65": 1.4, "a16_24": 0.6, "low": 0.6}
    pool = []
    for pid in range(1, people + 1):
        values = {}
        for question in registration.features:
            options = list(question.values)
            values[question.id] = rng.choices(options, [skew.get(v, 1.0) for v in options])[0]
        pool.append(Candidate(pid, values))
    return pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=40)
    parser.add_argument("--algorithms", default="maximin,legacy")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    registration = load_assembly(EXAMPLE_ASSEMBLY).registration
    assert registration is not None
    pool = synthetic_pool(args.people)
    timings: dict[str, list[float]] = {}
    for algorithm in args.algorithms.split(","):
        for repeat in range(args.repeats):
            start = time.perf_counter()
            try:
                result = draw(registration, pool, args.seats, seed=1000 + repeat, algorithm=algorithm)
                outcome = f"{len(result.selected)} drawn"
            except DrawError as error:  # legacy is a greedy heuristic: it can miss tight quotas
                outcome = "failed: " + str(error).splitlines()[0]
            elapsed = time.perf_counter() - start
            timings.setdefault(algorithm, []).append(elapsed)
            print(f"{algorithm} run {repeat + 1}: {elapsed:.2f} s ({outcome})", flush=True)
    baseline = statistics.median(timings["legacy"]) if "legacy" in timings else None
    print(f"\n{args.people} registrations, {args.seats} seats, {len(registration.features)} features")
    for algorithm, values in timings.items():
        median = statistics.median(values)
        ratio = f", {median / baseline:.0f}x legacy" if baseline and algorithm != "legacy" else ""
        print(
            f"{algorithm:8} median {median:8.2f} s  (min {min(values):.2f}, max {max(values):.2f},"
            f" n={len(values)}){ratio}"
        )


if __name__ == "__main__":
    main()
