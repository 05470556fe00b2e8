from __future__ import annotations

import csv

import pytest
from _brute import min_bins, min_stations

from insource.errors import InsourceError
from insource.plant import (
    TaskGraph,
    check_assignment,
    read_in2,
    read_task_table,
    salbp1,
    salbp2,
    station_bounds,
)


def test_bounds_by_hand():
    # c = 10: LB1 = ceil(27/10) = 3; LB2: 6, 7, 6 > 5 -> 3; LB3: three tasks > 20/3 -> 3
    assert station_bounds([6, 7, 6, 4, 4], 10) == {"LB1": 3, "LB2": 3, "LB3": 3}
    # two tasks of exactly c/2 share one station; weights 1/2 + 1/2 + 1/3 + 1/3 -> 2
    assert station_bounds([5, 5, 3, 3], 10)["LB2"] == 1
    assert station_bounds([4, 4, 3, 3], 9)["LB3"] == 2


def test_salbp1_tiny_needs_three_stations(data):
    # sum t = 20 and c = 10, but no precedence-closed set weighs exactly 10 -> m* = 3
    g = read_in2(data / "tiny.IN2")
    res = salbp1(g, 10, time_limit=5)
    assert (res.status, res.stations, res.bound) == ("optimal", 3, 3)
    assert check_assignment(g, res.assignment, 10) == []


def test_salbp2_tiny_by_enumeration(data):
    # closed prefixes {1}=4, {1,2}=7, {1,3}=9, {1,2,3}=12, {1..4}=14 -> best split 9/11
    g = read_in2(data / "tiny.IN2")
    res = salbp2(g, 2, time_limit=5)
    assert (res.status, res.cycle_time, res.stations) == ("optimal", 11, 2)
    assert check_assignment(g, res.assignment, 11) == []


def test_task_longer_than_cycle_time():
    g = TaskGraph((3, 12, 4), ((0, 1),), name="g")
    with pytest.raises(InsourceError, match="task 2 takes 12, longer than the cycle time 10"):
        salbp1(g, 10)


def test_cpsat_baseline_agrees_with_hybrid(data):
    g = read_in2(data / "tiny.IN2")
    for c in (7, 8, 10, 12):
        assert salbp1(g, c, method="cpsat").objective == salbp1(g, c).objective


def test_mixed_model_cap_per_model(data):
    g = read_task_table(data / "mixed.csv", {"sakura": 1, "ek": 1})
    loose = salbp1(g, 70, model_cycle_time=80)
    assert loose.stations == 2
    tight = salbp1(g, 70, model_cycle_time=65)
    # {a,b} puts 70 s of Sakura work on one station; the only 3-station fix is a|b c|d
    assert (tight.status, tight.stations) == ("optimal", 3)
    assert max(tight.model_loads["sakura"]) <= 65
    assert max(tight.model_loads["ek"]) <= 65


SAMPLE = [
    "MERTENS_c6",
    "JACKSON_c9",
    "MITCHELL_c14",
    "HESKIA_c138",
    "BUXEY_c27",
    "SAWYER30_c25",
    "KILBRID_c56",
    "TONGE70_c176",
    "ARC83_c5048",
    "WARNECKE_c58",  # lower bound 28 < m* = 29: the search proves 28 infeasible
    "MUKHERJE_c201",  # heuristic 23 > m* = 22 = lower bound: the search finds 22
]


@pytest.mark.parametrize("name", SAMPLE)
def test_scholl_sample_hits_published_optimum(shared, name):
    text = (shared / "salbp_scholl1993" / "optima.csv").read_text().splitlines()
    rows = {r["instance"]: r for r in csv.DictReader(text)}
    row = rows[name]
    g = read_in2(shared / "salbp_scholl1993" / row["file"])
    c = int(row["cycle_time"])
    res = salbp1(g, c, time_limit=10)
    assert res.status == "optimal"
    assert res.stations == int(row["m_star"])
    assert check_assignment(g, res.assignment, c) == []


def test_scholl_salbp2_sample(shared):
    text = (shared / "salbp_scholl1993" / "optima_salbp2.csv").read_text().splitlines()
    rows = list(csv.DictReader(text))
    row = next(r for r in rows if r["graph"] == "Buxey" and r["m_stations"] == "7")
    g = read_in2(shared / "salbp_scholl1993" / row["file"])
    res = salbp2(g, 7, time_limit=10)
    assert res.status == "optimal"
    assert res.cycle_time == int(row["c_star_or_bounds"])


# --- bounds, windows and the station-oriented search ------------------------------------


def test_line_bounds_increment_and_windows():
    from insource.plant._bounds import line_bounds

    # c = 10: task 1 (t=7) cannot share a station with anything (all others take 4+),
    # so it counts 10: LB1 = ceil((10 + 4 + 4 + 5) / 10) = 3 instead of ceil(20/10) = 2.
    b = line_bounds([7, 4, 4, 5], [(0, 1), (1, 2), (1, 3)], 10)
    assert b.times == (10, 4, 4, 5)
    assert b.parts["LB1"] == 3
    # task 4 follows 1 and 2: E = ceil((10 + 4 + 5) / 10) = 2; task 1 leads everything
    assert b.earliest == (1, 2, 2, 2)
    assert b.after == (3, 2, 1, 1)
    assert b.lower == 3
    assert b.latest(3) == [1, 2, 3, 3]


def test_station_search_proves_and_finds():
    from insource.plant._bbr import StationSearch
    from insource.plant._bounds import line_bounds

    # tiny.IN2 at c = 10: 2 stations are infeasible (no closed set weighs 10), 3 suffice
    times, arcs = [4, 3, 5, 2, 4, 2], [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (3, 5)]
    b = line_bounds(times, arcs, 10)
    for direction in (arcs, [(j, i) for i, j in arcs]):
        search = StationSearch(b.times, direction, 10, b.after if direction is arcs else b.earliest)
        assert search.solve(2, 10_000, float("inf")) == "infeasible"
        assert search.solve(3, 10_000, float("inf")) == "feasible"
        assert search.solution is not None
        assert max(search.solution) <= 3
        # a valid balance of the graph searched (precedences and cycle time kept)
        graph = TaskGraph(tuple(float(t) for t in times), tuple(direction))
        assert check_assignment(graph, search.solution, 10) == []
    # a budget too small for the proof gives no verdict, not a false one
    search = StationSearch(b.times, arcs, 10, b.after)
    assert search.solve(2, 0, float("inf")) == "unknown"


def test_station_search_agrees_with_brute_force():
    import random

    from insource.plant._bbr import StationSearch

    # the exhaustive search decides "m stations suffice" exactly like enumeration, both
    # ways, on random graphs (no task time incrementing, so the search alone decides)
    rng = random.Random(11)
    for _ in range(40):
        n = rng.randint(4, 8)
        times = [rng.randint(1, 9) for _ in range(n)]
        arcs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.3]
        c = max(times) + rng.randint(0, 6)
        m_star = min_stations(times, arcs, c)
        rev = [(j, i) for i, j in arcs]
        for direction in (arcs, rev):
            search = StationSearch(times, direction, c, [1] * n)
            for order in (0, 3):  # the natural and a perturbed candidate order
                search.reorder(order)
                assert search.solve(m_star - 1, 10**6, float("inf")) == "infeasible"
                assert search.solve(m_star, 10**6, float("inf")) == "feasible"
                graph = TaskGraph(tuple(float(t) for t in times), tuple(direction))
                assert search.solution is not None
                assert check_assignment(graph, search.solution, c) == []


@pytest.mark.parametrize("seed", range(12))
def test_salbp1_matches_brute_force_on_random_graphs(seed):
    import random

    rng = random.Random(seed)
    n = rng.randint(5, 9)
    times = [rng.randint(1, 9) for _ in range(n)]
    arcs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.3]
    c = max(times) + rng.randint(0, 8)
    g = TaskGraph(tuple(times), tuple(arcs), name=f"random{seed}")
    res = salbp1(g, c, time_limit=10)
    assert res.status == "optimal"
    assert res.stations == min_stations(times, arcs, c)
    assert check_assignment(g, res.assignment, c) == []


def test_l2_bound_by_hand_and_against_bin_packing():
    import random
    from collections import Counter

    from insource.plant._bounds import l2_bound

    # c = 10: every 6 needs its own station (6 + 5 > 10) and the 5s pair up -> 3 + 2 = 5,
    # while LB1 = ceil(33/10) = 4 and LB2 = 3
    assert l2_bound([5, 6], [3, 3], 10) == 5
    # alpha = 4: the 7 takes nothing of 4 or more; the 6 leaves room 4 for one 4 -> 2 + 1
    assert l2_bound([4, 6, 7], [2, 1, 1], 10) == 3
    rng = random.Random(3)
    for _ in range(60):
        c = rng.randint(6, 14)
        times = sorted(rng.randint(1, c) for _ in range(rng.randint(1, 8)))
        hist = Counter(times)
        values = sorted(hist)
        bound = l2_bound(values, [hist[v] for v in values], c)
        lb = station_bounds(times, c)
        assert max(lb["LB1"], lb["LB2"]) <= bound <= min_bins(times, c)


def test_quarter_weight_bound_by_hand_and_against_bin_packing():
    import random

    from insource.plant._bounds import line_bounds, quarter_weights

    # c = 22: the 22 is alone (weight 1); no three of 11, 10, 9, 7, 7 fit (7 + 7 + 9 = 23),
    # so each weighs 1/2: 1 + 5/2 -> 4 stations, where LB1 = ceil(66/22) = 3, L2 = 3 and
    # LB3 = 3 (the 7s are below c/3 and weigh nothing there)
    times = [22, 11, 10, 9, 7, 7]
    w, k = quarter_weights(times, 22)
    assert (w, k) == ([4, 2, 2, 2, 2, 2], 4)
    assert min_bins(times, 22) == 4
    b = line_bounds(times, [], 22)
    assert b.parts["LB3b"] == 4
    assert b.parts["L2"] == 3
    assert b.parts["LB3"] == 3
    assert b.lower == 4
    # property: ceil(w(J) / K) never exceeds the optimal number of bins
    rng = random.Random(11)
    for _ in range(400):
        c = rng.randint(6, 30)
        times = [rng.randint(1, c) for _ in range(rng.randint(1, 8))]
        w, k = quarter_weights(times, c)
        assert -(-sum(w) // k) <= min_bins(times, c)


def test_line_bounds_hold_at_the_optimum():
    import random

    from insource.plant._bounds import line_bounds

    # c = 4, times 2, 3, 4, 1, arcs 1->2, 1->3, 2->3, 2->4: {1} {2,4} {3} is a balance with
    # 3 stations, so raising task 4 (t = 1) to c is wrong: it can share with task 2, whose
    # window overlaps its own (an earlier version raised it and claimed m >= 4)
    times, arcs = [2, 3, 4, 1], [(0, 1), (0, 2), (1, 2), (1, 3)]
    assert min_stations(times, arcs, 4) == 3
    b = line_bounds(times, arcs, 4, upper=3)
    assert b.times[3] == 1
    assert b.lower == 3
    # property: the bounds given upper = m* never exceed m*
    rng = random.Random(7)
    for _ in range(150):
        n = rng.randint(4, 6)
        times = [rng.randint(1, 9) for _ in range(n)]
        arcs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.5]
        c = max(times) + rng.randint(0, 3)
        m_star = min_stations(times, arcs, c)
        assert line_bounds(times, arcs, c, upper=m_star).lower <= m_star


def test_idle_bound_and_dive():
    from insource.plant._bbr import StationSearch
    from insource.plant._bounds import line_bounds

    # c = 10, three tasks of 6 and 3, 3, 3, 2 (sum 29): LB1 = L2 = 3, but each 6 can be
    # topped up by at most 3 (no subset of {3, 3, 3, 2} sums to 4), so with 3 stations the
    # three 6-stations idle >= 3 > 30 - 29 = 1: 3 stations are infeasible, 4 suffice
    times, arcs = [6, 6, 6, 3, 3, 3, 2], [(0, 3), (1, 4), (2, 5)]
    assert line_bounds(times, arcs, 10).lower == 3
    assert min_stations(times, arcs, 10) == 4
    search = StationSearch(times, arcs, 10, [1] * 7)
    # the idle bound prunes the root: the proof takes a single step
    assert search.solve(3, 10_000, float("inf")) == "infeasible"
    assert search.steps == 1
    # a depth-first search keeping the single fullest load per node finds the balance
    dive = StationSearch(times, arcs, 10, [1] * 7, batch=1, dive=True)
    assert dive.solve(4, 10_000, float("inf")) == "feasible"
    assert dive.solution is not None
    assert max(dive.solution) == 4
    graph = TaskGraph(tuple(float(t) for t in times), tuple(arcs))
    assert check_assignment(graph, dive.solution, 10) == []
    # a heuristic search that runs dry proves nothing
    assert dive.solve(3, 10_000, float("inf")) in ("exhausted", "infeasible")
