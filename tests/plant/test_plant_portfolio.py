"""The SALBP-1 portfolio: direction rule, time sharing, restarts and Hoffmann's grid."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from insource.plant import TaskGraph, check_assignment
from insource.plant._balance import (
    _decide_search,
    _Member,
    preferred_backward,
)
from insource.plant._bbr import StationSearch
from insource.plant._bounds import line_bounds
from insource.plant._hoffmann import HoffmannGrid, hoffmann_balance


def test_direction_rule_by_hand():
    # earliest stations [1, 1, 1, 1, 2]: forward counts 4, 5, 5, 5, 5 -> 2500;
    # stations from the end [2, 2, 2, 2, 1]: backward counts 1, 5, 5, 5, 5 -> 625
    assert preferred_backward([1, 1, 1, 1, 2], [2, 2, 2, 2, 1])
    assert not preferred_backward([2, 2, 2, 2, 1], [1, 1, 1, 1, 2])
    # a tie keeps the forward direction
    assert not preferred_backward([1, 2, 3], [1, 2, 3])


def test_direction_rule_on_a_fan():
    # five unrelated tasks all before one sink, no two in one station (4 + 4 > 7):
    # forward, five tasks can open the line; backward only the sink can (the others
    # need the sink's station after theirs), so the backward tree is narrower
    times = [4, 4, 4, 4, 4, 4]
    arcs = [(j, 5) for j in range(5)]
    b = line_bounds(times, arcs, 7)
    assert preferred_backward(b.earliest, b.after)
    rev = [(j, i) for i, j in arcs]
    b = line_bounds(times, rev, 7)
    assert not preferred_backward(b.earliest, b.after)


class _Stub(_Member):
    """A member whose turns take ``cost * growth**k`` time on a fake clock."""

    def __init__(self, weight, clock, cost, growth, answer_at=None, answer="unknown"):
        super().__init__(weight)
        self.clock, self.cost, self.growth = clock, cost, growth
        self.turns = 0
        self.answer_at, self.answer = answer_at, answer

    def turn(self, deadline):
        self.clock[0] += self.cost * self.growth**self.turns
        self.turns += 1
        if self.answer_at is not None and self.turns >= self.answer_at:
            return self.answer, [1] if self.answer == "feasible" else None
        return "unknown", None


def test_scheduler_gives_each_member_its_share():
    clock = [0.0]
    # cheap constant turns, doubling turns, and one ten times costlier per turn
    members = [
        _Stub(0.5, clock, 0.001, 1.0),
        _Stub(0.25, clock, 0.001, 2.0),
        _Stub(0.25, clock, 0.01, 1.5),
    ]
    verdict, sol = _decide_search(members, 100.0, clock=lambda: clock[0])
    assert (verdict, sol) == ("unknown", None)
    spent = clock[0]
    assert spent >= 100.0
    for x in members:
        # time used per unit of weight within a factor 2 of the fair share (the
        # overshoot of one geometric turn), and nobody starved
        assert 0.5 * spent <= x.used / x.weight <= 2.0 * spent
    assert sum(x.used for x in members) == pytest.approx(spent)


def test_scheduler_stops_on_a_verdict_and_skips_finished_members():
    clock = [0.0]
    finished = _Stub(1.0, clock, 1.0, 1.0)
    finished.done = True
    prover = _Stub(1.0, clock, 0.01, 2.0, answer_at=5, answer="infeasible")
    finder = _Stub(1.0, clock, 0.01, 2.0)
    verdict, sol = _decide_search([finished, prover, finder], 100.0, clock=lambda: clock[0])
    assert (verdict, sol) == ("infeasible", None)
    assert finished.turns == 0
    assert prover.turns == 5
    assert finder.turns in (4, 5)  # alternating turns of equal cost
    clock[0] = 0.0
    finder = _Stub(1.0, clock, 0.01, 2.0, answer_at=3, answer="feasible")
    verdict, sol = _decide_search([finder], 100.0, clock=lambda: clock[0])
    assert (verdict, sol) == ("feasible", [1])


def test_reorder_permutes_the_candidates_reproducibly():
    rng = np.random.default_rng(5)
    times = rng.integers(1, 9, 12).tolist()
    arcs = [(i, j) for i in range(12) for j in range(i + 1, 12) if rng.random() < 0.2]
    search = StationSearch(times, arcs, 12, [1] * 12)
    natural = search.rank.copy()
    assert sorted(natural.tolist()) == list(range(12))
    # longest first in the natural order
    assert all(times[a] >= times[b] for a, b in itertools.pairwise(natural))
    search.reorder(7)
    perturbed = search.rank.copy()
    assert sorted(perturbed.tolist()) == list(range(12))
    search.reorder(7)
    assert (search.rank == perturbed).all()
    search.reorder(0)
    assert (search.rank == natural).all()
    # the seeds do change the order (ties and near ties of the times are reshuffled)
    orders = set()
    for seed in range(1, 9):
        search.reorder(seed)
        orders.add(tuple(search.rank.tolist()))
    assert len(orders) > 1
    assert tuple(natural.tolist()) not in orders or len(orders) > 2


def test_dive_restarts_find_a_valid_balance():
    # tiny.IN2 at c = 10 needs 3 stations; every perturbed order of the dive finds one
    times, arcs = [4, 3, 5, 2, 4, 2], [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (3, 5)]
    graph = TaskGraph(tuple(float(t) for t in times), tuple(arcs))
    dive = StationSearch(times, arcs, 10, [1] * 6, batch=2, dive=True)
    for seed in range(6):
        dive.reorder(seed)
        assert dive.solve(3, 10_000, float("inf")) == "feasible"
        assert dive.solution is not None
        assert check_assignment(graph, dive.solution, 10) == []


def test_hoffmann_grid_in_slices_matches_one_run():
    rng = np.random.default_rng(2)
    n = 14
    times = rng.integers(1, 10, n).tolist()
    arcs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.25]
    whole = hoffmann_balance(times, arcs, 12, 0, float("inf"))
    grid = HoffmannGrid(times, arcs, 12)
    turns = 0
    while not grid.done:
        grid.run(0, float("-inf"))  # a deadline already past: one grid point per call
        turns += 1
    assert turns == 200
    assert grid.best == whole
    graph = TaskGraph(tuple(float(t) for t in times), tuple(arcs))
    assert whole is not None
    assert check_assignment(graph, whole, 12) == []


def test_dive_member_after_many_restarts():
    from insource.plant._balance import _Dive

    # a dive that runs dry at once gets turn after turn; its budget must stay an int64
    times, arcs = [6, 6, 6, 3, 3, 3, 2], [(0, 3), (1, 4), (2, 5)]
    search = StationSearch(times, arcs, 10, [1] * 7, batch=8, dive=True)
    dive = _Dive(1.0, search=search, m=3, restarts=500)
    assert dive.turn(float("inf")) == ("unknown", None)  # 3 stations are too few
    dive = _Dive(1.0, search=search, m=4, restarts=500)
    verdict, sol = dive.turn(float("inf"))
    assert verdict == "feasible"
    assert sol is not None
    graph = TaskGraph(tuple(float(t) for t in times), tuple(arcs))
    assert check_assignment(graph, sol, 10) == []
