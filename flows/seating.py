"""Who sits at which table: balanced across selection features, new faces each session, some kept together.

GroupSelect (the Sortition Foundation's allocator) is not installable, so this is our own: a seeded
greedy placement followed by pairwise swaps that lower one cost, the sum of

- balance: per table and feature value, the squared gap between its count and its fair share;
- mixing: how many pairs at a table already sat together in earlier sessions;
- clustering: for a "cluster" feature (an interpretation language, a hearing loop), how many more
  tables a value is spread over than it needs.

Table sizes differ by at most one; pinned people never move. Pure: no store, no clock.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

Features = Mapping[int, Mapping[str, str]]
"""participant id -> feature -> value (a participant without a value for a feature is ignored for it)."""

Pair = frozenset[int]

CLUSTER_WEIGHT = 50.0
"""Keeping a cluster together outweighs any balance or mixing gain from splitting it."""

MIX_WEIGHT = 3.0
"""A repeated pair costs as much as three units of squared imbalance (tuned with bench/tables.py)."""


@dataclass(frozen=True)
class Plan:
    """What to optimise: who, into how many tables, by which features, avoiding which earlier pairs."""

    people: Sequence[int]
    tables: int
    features: Features = field(default_factory=dict)
    balance: Sequence[str] = ()
    cluster: Sequence[str] = ()
    met: Mapping[Pair, int] = field(default_factory=dict)
    pins: Mapping[int, int] = field(default_factory=dict)
    """participant id -> table number (1-based)."""


def table_count(people: int, size: int, count: int | None, smallest: int = 1) -> int:
    """A fixed number of tables, or as many as tables of `size` need; never so many that a table has
    fewer than `smallest` people (a table poll needs that many answers to show its own result)."""
    wanted = count if count is not None else math.ceil(people / size)
    return max(1, min(wanted, people // max(1, smallest)))


class _Cost:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        people = list(plan.people)
        self.values = {
            name: {p: plan.features.get(p, {}).get(name) for p in people}
            for name in (*plan.balance, *plan.cluster)
        }
        self.share = {
            name: {
                value: count / len(people)
                for value, count in Counter(v for v in self.values[name].values() if v is not None).items()
            }
            for name in plan.balance
        }
        self.cluster_need = {
            name: {
                value: math.ceil(count / math.ceil(len(people) / plan.tables))
                for value, count in Counter(v for v in self.values[name].values() if v is not None).items()
            }
            for name in plan.cluster
        }

    def table(self, members: Sequence[int]) -> float:
        cost = 0.0
        for name, shares in self.share.items():
            counts = Counter(self.values[name][p] for p in members)
            cost += sum((counts.get(value, 0) - share * len(members)) ** 2 for value, share in shares.items())
        cost += MIX_WEIGHT * sum(self.plan.met.get(frozenset(pair), 0) for pair in combinations(members, 2))
        return cost

    def clusters(self, tables: Sequence[Sequence[int]]) -> float:
        spread = 0.0
        for name, need in self.cluster_need.items():
            for value, tables_needed in need.items():
                used = sum(1 for members in tables if any(self.values[name][p] == value for p in members))
                spread += max(0, used - tables_needed)
        return CLUSTER_WEIGHT * spread


def assign(plan: Plan, seed: int = 0, passes: int = 12) -> dict[int, int]:
    """participant id -> table number (1-based), deterministic for a given plan and seed."""
    if not plan.people:
        return {}
    rng = random.Random(seed)
    cost = _Cost(plan)
    people = list(plan.people)
    n, k = len(people), plan.tables
    capacity = [n // k + (1 if i < n % k else 0) for i in range(k)]
    tables: list[list[int]] = [[] for _ in range(k)]
    pinned = {p: t - 1 for p, t in plan.pins.items() if p in set(people) and 1 <= t <= k}
    for person, index in pinned.items():
        tables[index].append(person)
    free = [p for p in people if p not in pinned]
    rng.shuffle(free)
    # Clustered people first, so the greedy keeps them together before tables fill up.
    free.sort(key=lambda p: tuple(cost.values[c][p] is None for c in plan.cluster))
    for person in free:
        open_tables = [i for i in range(k) if len(tables[i]) < capacity[i]] or list(range(k))
        best = min(
            open_tables,
            key=lambda i: (
                cost.table([*tables[i], person])
                - cost.table(tables[i])
                + cost.clusters([*tables[:i], [*tables[i], person], *tables[i + 1 :]]),
                len(tables[i]),
            ),
        )
        tables[best].append(person)
    _improve(tables, cost, set(pinned), rng, passes)
    return {person: index + 1 for index, members in enumerate(tables) for person in members}


def _improve(tables: list[list[int]], cost: _Cost, fixed: set[int], rng: random.Random, passes: int) -> None:
    """Swap two people at different tables while that lowers the cost; stop at a local optimum."""
    per_table = [cost.table(members) for members in tables]
    spread = cost.clusters(tables)
    for _ in range(passes):
        improved = False
        slots = [(t, i) for t, members in enumerate(tables) for i, p in enumerate(members) if p not in fixed]
        rng.shuffle(slots)
        for (a, i), (b, j) in combinations(slots, 2):
            if a == b:
                continue
            tables[a][i], tables[b][j] = tables[b][j], tables[a][i]
            new_a, new_b = cost.table(tables[a]), cost.table(tables[b])
            new_spread = cost.clusters(tables) if cost.cluster_need else 0.0
            if new_a + new_b + new_spread < per_table[a] + per_table[b] + spread - 1e-9:
                per_table[a], per_table[b], spread, improved = new_a, new_b, new_spread, True
            else:
                tables[a][i], tables[b][j] = tables[b][j], tables[a][i]
        if not improved:
            return


def place_late(seating: Mapping[int, int], tables: int, pinned_to: int | None = None) -> int:
    """The table for someone assigned after the others: their pin, else the least full (lowest number)."""
    if pinned_to is not None and 1 <= pinned_to <= tables:
        return pinned_to
    sizes = Counter(seating.values())
    return min(range(1, tables + 1), key=lambda t: (sizes.get(t, 0), t))


def pairs(seating: Mapping[int, int]) -> set[Pair]:
    """Every pair of people at the same table."""
    by_table: dict[int, list[int]] = {}
    for person, table in seating.items():
        by_table.setdefault(table, []).append(person)
    return {frozenset(pair) for members in by_table.values() for pair in combinations(sorted(members), 2)}


def met_counts(sessions: Iterable[Mapping[int, int]]) -> dict[Pair, int]:
    """How often each pair sat together over earlier seatings."""
    counts: Counter[Pair] = Counter()
    for seating in sessions:
        counts.update(pairs(seating))
    return dict(counts)


def balance_gap(seating: Mapping[int, int], features: Features, names: Sequence[str]) -> float:
    """The largest gap, over tables and feature values, between a value's share at a table and overall."""
    gap = 0.0
    people = list(seating)
    for name in names:
        overall = Counter(features.get(p, {}).get(name) for p in people)
        for table in set(seating.values()):
            members = [p for p in people if seating[p] == table]
            local = Counter(features.get(p, {}).get(name) for p in members)
            for value, count in overall.items():
                if value is not None:
                    gap = max(gap, abs(local.get(value, 0) / len(members) - count / len(people)))
    return gap


def new_pair_share(seating: Mapping[int, int], met: Mapping[Pair, int]) -> float:
    """Of the pairs at a table together now, the share who had never sat together before."""
    now = pairs(seating)
    return sum(1 for pair in now if not met.get(pair)) / len(now) if now else 1.0


def new_people_met(seating: Mapping[int, int], met: Mapping[Pair, int]) -> float:
    """On average, how many people at one's table one had not sat with before."""
    fresh = Counter[int]()
    for pair in pairs(seating):
        if not met.get(pair):
            fresh.update(pair)
    return sum(fresh.get(p, 0) for p in seating) / len(seating) if seating else 0.0
