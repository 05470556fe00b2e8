"""Exact bin packing decisions (`_binpack.py`) and their use at the station search's nodes."""

from __future__ import annotations

import csv
import random

from _brute import min_bins, min_stations

from insource.plant import TaskGraph, check_assignment, read_in2
from insource.plant._bbr import StationSearch
from insource.plant._binpack import FITS, NO_FIT, UNDECIDED, BinPackMemo, fits_bins
from insource.plant._bounds import line_bounds


def test_decide_by_hand():
    # c = 14, 41 of 42 units in 3 bins: at most 1 unit idle. The 9s need separate bins
    # (18 > 14); only one 5 exists, so the other 9 takes at most a 3 (9 + 3 + 3 > 14):
    # that bin idles >= 2. LB1 = L2 = 3, but the items need 4 bins.
    times = [9, 9, 6, 6, 5, 3, 3]
    assert line_bounds(times, [], 14).lower == 3
    assert fits_bins(times, 14, 3) == NO_FIT
    assert fits_bins(times, 14, 4) == FITS  # {9,5} {9,3} {6,6} {3}
    # c = 10: 6 + 4 and 5 + 5 fill two bins exactly
    assert fits_bins([6, 5, 5, 4], 10, 2) == FITS
    # c = 10: no 6 shares a bin with the 6 or the 5, so three bins
    assert fits_bins([6, 6, 5, 3], 10, 2) == NO_FIT
    assert fits_bins([6, 6, 5, 3], 10, 3) == FITS
    assert fits_bins([], 10, 0) == FITS


def test_tasks_of_zero_time():
    # a size-0 item fits anywhere (it once divided by its size): same answers as
    # without it, and SALBP-1 and SALBP-2 solve lines with zero-time tasks
    times = [9, 9, 6, 6, 5, 3, 3]
    assert fits_bins([*times, 0, 0], 14, 3) == NO_FIT
    assert fits_bins([*times, 0], 14, 4) == FITS
    assert fits_bins([0, 0], 14, 0) == FITS
    from insource.plant import salbp1, salbp2

    g = TaskGraph((9, 9, 6, 6, 5, 3, 3, 0), ((7, 0),), name="zero")
    r1 = salbp1(g, 14, time_limit=10)
    assert (r1.status, r1.stations) == ("optimal", 4)
    assert check_assignment(g, r1.assignment, 14) == []
    r2 = salbp2(g, 3, time_limit=10)
    assert (r2.status, r2.cycle_time) == ("optimal", 15)  # {9,6} {9,6} {5,3,3,0}


def test_decide_against_brute_force():
    rng = random.Random(1)
    for _ in range(600):
        c = rng.randint(5, 30)
        times = [rng.randint(1, c) for _ in range(rng.randint(1, 10))]
        opt = min_bins(times, c)
        for bins in range(max(1, opt - 2), opt + 2):
            assert fits_bins(times, c, bins) == (FITS if bins >= opt else NO_FIT), (times, c)


def test_small_budget_is_undecided_never_wrong():
    # over budget the answer is "undecided", never a false "no" (or a false "fits")
    rng = random.Random(2)
    undecided = 0
    for _ in range(300):
        c = rng.randint(8, 30)
        times = [rng.randint(1, c) for _ in range(rng.randint(4, 10))]
        opt = min_bins(times, c)
        for bins in (opt - 1, opt):
            verdict = fits_bins(times, c, bins, budget=rng.randint(1, 40))
            assert verdict in (UNDECIDED, FITS if bins >= opt else NO_FIT)
            undecided += verdict == UNDECIDED
    assert undecided > 0


def test_memory_shared_across_questions():
    # one table for many sub-multisets of one line (also a tiny table, so that states
    # overwrite each other): every answer stays exact
    rng = random.Random(3)
    for slots in (16, 1 << 12):
        for _ in range(40):
            c = rng.randint(8, 30)
            line = [rng.randint(1, c) for _ in range(11)]
            memo = BinPackMemo(line, c, slots=slots)
            for _ in range(12):
                sub = [t for t in line if rng.random() < 0.7] or line[:1]
                opt = min_bins(sub, c)
                for bins in (opt - 1, opt):
                    assert memo.decide(sub, bins, 10**6) == (FITS if bins >= opt else NO_FIT)


def test_node_bound_prunes_the_root_and_agrees_with_enumeration():
    # the hand case above as a line without precedences: the bin packing question at
    # the root proves 3 stations infeasible at once; without it the search branches
    times = [9, 9, 6, 6, 5, 3, 3]
    search = StationSearch(times, [], 14, [1] * 7)
    assert search.solve(3, 10_000, float("inf")) == "infeasible"
    assert search.bp_stats[3] == 1  # one node pruned by bin packing
    plain = StationSearch(times, [], 14, [1] * 7, bin_packing=0)
    assert plain.solve(3, 10_000, float("inf")) == "infeasible"
    assert plain.steps > search.steps
    assert search.solve(4, 10_000, float("inf")) == "feasible"


def test_search_with_bin_packing_agrees_with_brute_force():
    # random lines with times in c/4..c/2 + 2 (where LB1 is tight and bin packing prunes):
    # with and without the node bound, the exhaustive search decides m* - 1 and m* alike
    rng = random.Random(4)
    pruned = 0
    for _ in range(60):
        n = rng.randint(6, 9)
        c = rng.randint(10, 24)
        times = [rng.randint(c // 4, c // 2 + 2) for _ in range(n)]
        arcs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.15]
        m_star = min_stations(times, arcs, c)
        for budget in (0, 200_000):
            search = StationSearch(times, arcs, c, [1] * n, bin_packing=budget)
            assert search.solve(m_star - 1, 10**6, float("inf")) == "infeasible"
            assert search.solve(m_star, 10**6, float("inf")) == "feasible"
            assert search.solution is not None
            graph = TaskGraph(tuple(float(t) for t in times), tuple(arcs))
            assert check_assignment(graph, search.solution, c) == []
            pruned += int(search.bp_stats[3])
    assert pruned > 0  # the node bound did take part


def test_wee_mag_47_needs_bin_packing_at_the_nodes(shared):
    # WEE-MAG c = 47, m* = 33: the root bounds give 32 and the items alone fit 32 bins;
    # the forward search proves 32 stations infeasible with the node bound in well
    # under a million steps, and not within that budget without it
    root = shared / "salbp_scholl1993"
    text = (root / "optima.csv").read_text().splitlines()
    rows = {r["instance"]: r for r in csv.DictReader(text)}
    assert rows["WEE-MAG_c47"]["m_star"] == "33"
    g = read_in2(root / "WEE-MAG.IN2")
    times = [int(t) for t in g.times]
    b = line_bounds(times, g.precedences, 47, upper=32)
    assert b.lower == 32
    assert fits_bins(b.times, 47, 32) == FITS
    search = StationSearch(b.times, g.precedences, 47, b.after)
    assert search.solve(32, 1_000_000, float("inf")) == "infeasible"
    plain = StationSearch(b.times, g.precedences, 47, b.after, bin_packing=0)
    assert plain.solve(32, 1_000_000, float("inf")) == "unknown"


def test_bbr_names_the_binpack_source_it_was_compiled_with():
    # Numba caches _bbr._search by _bbr.py alone; the digest of _binpack.py written in
    # _bbr.py makes an edit of the kernel touch _bbr.py too (so the cache is rebuilt)
    import hashlib
    from pathlib import Path

    from insource.plant import _bbr, _binpack

    digest = hashlib.sha256(Path(_binpack.__file__).read_bytes()).hexdigest()[:16]
    assert digest == _bbr.BINPACK_SHA256, (
        f"_binpack.py changed: set BINPACK_SHA256 = {digest!r} in _bbr.py"
    )
