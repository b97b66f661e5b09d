"""Seating and counting, pure: balance, rotation, clusters, pins; Borda, instant runoff, thresholds."""

from __future__ import annotations

import random

from flows.polls.tally import count, instant_runoff, passed
from flows.polls.votes import Choice, Ranking
from flows.seating import Plan, assign, balance_gap, met_counts, new_pair_share, place_late, table_count


def _people(n: int) -> dict[int, dict[str, str]]:
    rng = random.Random(7)
    return {
        p: {"gender": rng.choice(["woman", "man"]), "age": rng.choice(["16-29", "30-44", "45-64", "65+"])}
        for p in range(1, n + 1)
    }


def test_tables_are_even_balanced_and_rotate_better_than_chance() -> None:
    features = _people(48)
    people = list(features)
    first = assign(Plan(people, 6, features, balance=["gender", "age"]))
    sizes = sorted(list(first.values()).count(t) for t in range(1, 7))
    assert sizes == [8] * 6
    rng = random.Random(1)
    shuffled = people[:]
    rng.shuffle(shuffled)
    chance = {p: i % 6 + 1 for i, p in enumerate(shuffled)}
    assert balance_gap(first, features, ["gender", "age"]) < balance_gap(chance, features, ["gender", "age"])
    met = met_counts([first])
    second = assign(Plan(people, 6, features, balance=["gender", "age"], met=met), seed=2)
    assert new_pair_share(second, met) > new_pair_share(chance, met)


def test_clusters_stay_together_and_pins_hold() -> None:
    features = _people(20)
    for p in (3, 9, 14, 17):
        features[p] = {**features[p], "interpretation": "ar"}
    seating = assign(
        Plan(list(features), 4, features, balance=["gender"], cluster=["interpretation"], pins={5: 2})
    )
    assert len({seating[p] for p in (3, 9, 14, 17)}) == 1
    assert seating[5] == 2
    assert place_late(seating, 4) in range(1, 5)
    assert place_late(seating, 4, pinned_to=3) == 3
    assert table_count(50, 8, None) == 7
    assert table_count(4, 8, 6) == 4


def test_counts_and_verdicts() -> None:
    orders = [[0, 1, 2], [1, 0, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]]
    borda = count("ranking", [Ranking(tuple(o)) for o in orders], 3)
    assert borda.counts == (5.0, 6.0, 4.0)
    assert borda.winner == 1
    winner, rounds = instant_runoff(orders, 3)
    assert (winner, rounds) == (1, ((2, 2, 1), (2, 3, 0)))
    proposal = count("proposal", [Choice(0)] * 4 + [Choice(2), Choice(1)], 4)
    assert proposal.support == 0.8
    assert passed(proposal, quorum=5, threshold=0.8) is True
    assert passed(proposal, quorum=7, threshold=0.8) is False
    blocked = count("proposal", [Choice(0)] * 9 + [Choice(3, reason="no")], 4)
    assert blocked.reasons == ("no",)
    assert passed(blocked, quorum=None, threshold=0.5) is False
    assert passed(count("single", [Choice(0)], 2), quorum=None, threshold=None) is None
