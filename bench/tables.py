"""Table assignment: balance and mixing over six sessions, ours against a random seating.

Run: `python -m bench.tables` (50 participants, 6 tables, 6 sessions; prints one row per session).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Mapping

from flows.seating import Features, Plan, assign, balance_gap, met_counts, new_pair_share, new_people_met

FEATURES = {
    "age": ["16-29", "30-44", "45-64", "65+"],
    "gender": ["woman", "man", "other"],
    "district": ["north", "centre", "south", "east", "west"],
    "education": ["low", "middle", "high"],
    "attitude": ["worried", "neutral", "sceptical"],
}
WEIGHTS = {"gender": [48, 48, 4], "attitude": [50, 30, 20]}


def population(n: int, rng: random.Random) -> Features:
    people: dict[int, dict[str, str]] = {}
    for pid in range(1, n + 1):
        people[pid] = {
            name: rng.choices(values, WEIGHTS.get(name, [1] * len(values)))[0]
            for name, values in FEATURES.items()
        }
    return people


def random_seating(people: list[int], tables: int, rng: random.Random) -> dict[int, int]:
    shuffled = people[:]
    rng.shuffle(shuffled)
    return {p: i % tables + 1 for i, p in enumerate(shuffled)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--tables", type=int, default=6)
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    features = population(args.people, rng)
    people = list(features)
    names = list(FEATURES)
    history: dict[str, list[Mapping[int, int]]] = {"ours": [], "random": []}
    print(f"{args.people} participants, {args.tables} tables, features: {', '.join(names)}")
    print("session | method | max share gap | new pairs | new people met | seconds")
    totals: dict[str, list[float]] = {"ours": [0, 0, 0], "random": [0, 0, 0]}
    for session in range(1, args.sessions + 1):
        for method in ("ours", "random"):
            met = met_counts(history[method])
            started = time.perf_counter()
            if method == "ours":
                plan = Plan(people, args.tables, features, balance=names, met=met)
                seating = assign(plan, seed=session)
            else:
                seating = random_seating(people, args.tables, rng)
            took = time.perf_counter() - started
            gap, fresh, met_new = (
                balance_gap(seating, features, names),
                new_pair_share(seating, met),
                new_people_met(seating, met),
            )
            for i, value in enumerate((gap, fresh, met_new)):
                totals[method][i] += value / args.sessions
            history[method].append(seating)
            print(f"{session:7} | {method:6} | {gap:13.3f} | {fresh:9.1%} | {met_new:14.2f} | {took:7.2f}")
    for method, (gap, fresh, met_new) in totals.items():
        print(f"mean    | {method:6} | {gap:13.3f} | {fresh:9.1%} | {met_new:14.2f} |")


if __name__ == "__main__":
    main()
