"""SALBP-2 (fewest-stations given, shortest cycle time): decisions by bisection vs brute force."""

from __future__ import annotations

import itertools
import random

import pytest

from insource.errors import InsourceError
from insource.plant import TaskGraph, check_assignment, salbp1, salbp2


def _brute_force_cycle(times: list[int], arcs: list[tuple[int, int]], m: int) -> int:
    """Shortest cycle time over every assignment of tasks to ``m`` stations."""
    best = sum(times)
    for s in itertools.product(range(m), repeat=len(times)):
        if all(s[i] <= s[j] for i, j in arcs):
            loads = [0] * m
            for j, k in enumerate(s):
                loads[k] += times[j]
            best = min(best, max(loads))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_salbp2_matches_brute_force_on_random_graphs(seed):
    rng = random.Random(seed)
    n = rng.randint(5, 7)
    times = [rng.randint(1, 12) for _ in range(n)]
    arcs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.3]
    m = rng.randint(2, 4)
    g = TaskGraph(tuple(times), tuple(arcs), name=f"random{seed}")
    want = _brute_force_cycle(times, arcs, m)
    for method in ("hybrid", "cpsat"):
        res = salbp2(g, m, time_limit=10, method=method)
        assert (res.status, res.cycle_time, res.bound) == ("optimal", want, want), method
        assert res.stations == m
        assert check_assignment(g, res.assignment, want) == []
        assert max(res.assignment) <= m


def test_salbp2_optimum_is_where_salbp1_turns():
    # c* is the smallest cycle time at which m stations suffice: SALBP-1 needs at most
    # m stations at c* and more at c* - 1
    rng = random.Random(5)
    n = 12
    times = [rng.randint(2, 20) for _ in range(n)]
    arcs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.2]
    g = TaskGraph(tuple(times), tuple(arcs), name="g12")
    for m in (3, 4, 5):
        res = salbp2(g, m, time_limit=10)
        assert res.status == "optimal"
        c = int(res.cycle_time)
        assert salbp1(g, c, time_limit=10).stations <= m
        below = salbp1(g, c - 1, time_limit=10)
        assert below.status == "optimal"
        assert below.stations > m


def test_salbp1_max_stations_stops_at_the_question():
    # a chain 6, 5, 6, 5, ... at c = 10: no two neighbours share a station, m* = 8; the
    # root bound is 6. Asked about 6 stations, salbp1 proves 6 infeasible (bound 7) and
    # stops there, not proven optimal; unasked, it climbs to 8
    g = TaskGraph((6, 5) * 4, tuple((j, j + 1) for j in range(7)), name="chain")
    res = salbp1(g, 10, max_stations=6)
    assert (res.status, res.bound, res.stations) == ("feasible", 7, 8)
    assert salbp1(g, 10, max_stations=5).bound == 6  # the root bound already exceeds 5
    full = salbp1(g, 10)
    assert (full.status, full.bound, full.stations) == ("optimal", 8, 8)


def test_salbp2_bad_input():
    g = TaskGraph((3, 4), ((0, 1),), name="g")
    with pytest.raises(InsourceError, match="stations must be >= 1"):
        salbp2(g, 0)
    with pytest.raises(InsourceError, match="unknown method"):
        salbp2(g, 2, method="magic")
