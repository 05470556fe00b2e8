"""Assembly line balancing: SALBP-1, SALBP-2 and mixed-model balancing with CP-SAT.

SALBP-1 assigns every task ``j`` (time ``t_j``) to one of ``m`` ordered stations so
that each station's load is at most the cycle time ``c`` and every precedence
``i -> j`` has ``station(i) <= station(j)``; it minimises ``m``. SALBP-2 fixes ``m``
and minimises ``c``. A mixed-model line uses the mix-weighted task times
``t_j = sum_p w_p t_jp`` (Becker & Scholl 2006) and may also cap the load of each
model at each station.

Approach (after the OR-Tools sample ``line_balancing_sat.py`` and Scholl & Becker 2006):

1. Lower bounds: LB1 = ceil(sum t / c); LB2 counts tasks longer than c/2 (two never
   share a station); LB3 weighs tasks by thirds of c (Scholl 1999, ch. 5).
2. Earliest and latest stations: task j needs the stations of all its predecessors
   before it, ``E_j = ceil((t_j + sum_{i in P*(j)} t_i) / c)``, and leaves room for its
   successors, ``station(j) + ceil((t_j + sum_{i in F*(j)} t_i)/c) - 1 <= m``.
3. A greedy station-oriented heuristic with several priority rules, forwards and
   backwards, gives an upper bound and the solver's hint.
4. The CP-SAT model only creates ``x[j,k]`` for ``E_j <= k <= L_j``.

References
----------
Scholl, A. (1999). *Balancing and Sequencing of Assembly Lines*, 2nd ed. Physica.
Scholl, A., Becker, C. (2006). State-of-the-art exact and heuristic solution procedures
for simple assembly line balancing. *EJOR* 168(3), 666-693.
Becker, C., Scholl, A. (2006). A survey on problems and methods in generalized assembly
line balancing. *EJOR* 168(3), 694-715.

"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from ortools.sat.python import cp_model

from insource.errors import InsourceError
from insource.plant._bbr import StationSearch
from insource.plant._bounds import closures as _closures
from insource.plant._bounds import line_bounds, station_bounds
from insource.plant._hoffmann import HoffmannGrid
from insource.plant._problems import TaskGraph
from insource.plant._tasktimes import station_loads

__all__ = [
    "BalanceResult",
    "balance",
    "check_assignment",
    "greedy_balance",
    "salbp1",
    "salbp2",
    "station_bounds",
]

_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "invalid",
    cp_model.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class BalanceResult:
    """A line balance: which task goes to which station.

    Attributes
    ----------
    problem
        ``"SALBP-1"`` (minimise stations) or ``"SALBP-2"`` (minimise cycle time).
    status
        ``optimal`` (proven), ``feasible`` (not proven) or ``infeasible``.
    stations, cycle_time
        Number of stations and cycle time of the solution.
    objective, bound
        Objective value and its proven lower bound (stations or cycle time).
    assignment
        Station of each task, 1-based.
    loads
        Load (sum of mix-weighted task times) of each station.
    greedy
        Objective of the greedy warm start.
    seconds
        Wall-clock time.

    """

    problem: str
    status: str
    stations: int
    cycle_time: float
    objective: float
    bound: float
    assignment: tuple[int, ...]
    loads: tuple[float, ...]
    greedy: float
    seconds: float
    name: str = ""
    model_loads: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def efficiency(self) -> float:
        """Line efficiency ``sum t / (m c)``."""
        total = sum(self.loads)
        return total / (self.stations * self.cycle_time) if self.stations else 0.0

    def table(self) -> pd.DataFrame:
        """Tidy table: one row per task with its station (1-based) and time."""
        df = pd.DataFrame(
            {"task": range(1, len(self.assignment) + 1), "station": list(self.assignment)}
        )
        df.attrs["name"] = f"{self.problem} balance of {self.name}"
        return df

    def to_dict(self) -> dict[str, object]:
        """Plain dictionary for JSON output."""
        return {
            "problem": self.problem,
            "instance": self.name,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "stations": self.stations,
            "cycle_time": self.cycle_time,
            "efficiency": round(self.efficiency, 6),
            "greedy": self.greedy,
            "seconds": round(self.seconds, 3),
            "solution": {
                "assignment": list(self.assignment),
                "loads": list(self.loads),
                "model_loads": {k: list(v) for k, v in self.model_loads.items()},
            },
        }


# --- graph helpers -------------------------------------------------------------------


def _bits_sum(bits: int, times: Sequence[int]) -> int:
    total = 0
    while bits:
        low = bits & -bits
        total += times[low.bit_length() - 1]
        bits ^= low
    return total


def _scaled_cycle(cycle: float, scale: int) -> int:
    """The cycle time in integer units of ``1 / scale``, rounded down.

    A balance for the rounded cycle is one for ``cycle``. Within ``1e-12``
    relative of an integer it is that integer: a cycle of ``k / scale`` must
    stay ``k`` through the floating-point product.
    """
    x = cycle * scale
    return math.floor(x + 1e-9 + 1e-12 * abs(x))


def _integer_times(times: Sequence[float], cycle: float | None) -> tuple[list[int], int, int]:
    """Scale times (and cycle) to integers; times round up and the cycle down (safe side)."""
    values = [*times, *([cycle] if cycle is not None else [])]
    for scale in (1, 10, 100, 1000, 10000):
        if all(abs(v * scale - round(v * scale)) < 1e-9 for v in values):
            break
    ints = [math.ceil(t * scale - 1e-9) for t in times]
    c = _scaled_cycle(cycle, scale) if cycle is not None else 0
    return ints, c, scale


# --- greedy --------------------------------------------------------------------------


def _greedy_pass(
    times: Sequence[int],
    succ: Sequence[Sequence[int]],
    npred: Sequence[int],
    cycle: int,
    priority: Sequence[float],
) -> list[int]:
    """Station-oriented assignment: fill each station with the best-priority fitting task."""
    n = len(times)
    left = list(npred)
    ready = {j for j in range(n) if left[j] == 0}
    station = [0] * n
    k, load, done = 1, 0, 0
    while done < n:
        best, best_p = -1, -math.inf
        for j in ready:
            if load + times[j] <= cycle and priority[j] > best_p:
                best, best_p = j, priority[j]
        if best < 0:
            k, load = k + 1, 0
            continue
        ready.discard(best)
        station[best] = k
        load += times[best]
        done += 1
        for w in succ[best]:
            left[w] -= 1
            if left[w] == 0:
                ready.add(w)
    return station


def greedy_balance(times: Sequence[int], arcs: Sequence[tuple[int, int]], cycle: int) -> list[int]:
    """Best of several priority-rule heuristics, forwards and backwards (1-based stations).

    Rules: ranked positional weight, task time, number of followers, earliest/latest
    station (Scholl & Voss 1996, "Simple assembly line balancing: heuristic approaches").
    """
    n = len(times)
    pred_bits, succ_bits, _ = _closures(n, arcs)
    best: list[int] = []
    for backwards in (False, True):
        pairs = [(j, i) for i, j in arcs] if backwards else list(arcs)
        follow = pred_bits if backwards else succ_bits
        lead = succ_bits if backwards else pred_bits
        succ: list[list[int]] = [[] for _ in range(n)]
        npred = [0] * n
        for i, j in pairs:
            succ[i].append(j)
            npred[j] += 1
        tail = [times[j] + _bits_sum(follow[j], times) for j in range(n)]
        nfol = [follow[j].bit_count() for j in range(n)]
        head = [times[j] + _bits_sum(lead[j], times) for j in range(n)]
        rules: list[Sequence[float]] = [
            tail,
            [tail[j] + 1e-6 * times[j] for j in range(n)],
            [times[j] + 1e-6 * tail[j] for j in range(n)],
            [nfol[j] + 1e-9 * tail[j] for j in range(n)],
            [-head[j] + 1e-9 * tail[j] for j in range(n)],
            [tail[j] / max(1, nfol[j] + 1) for j in range(n)],
            [math.ceil(tail[j] / cycle) + times[j] / cycle for j in range(n)],
        ]
        for rule in rules:
            st = _greedy_pass(times, succ, npred, cycle, rule)
            if backwards:
                m = max(st)
                st = [m + 1 - s for s in st]
            if not best or max(st) < max(best):
                best = st
    return best


def check_assignment(
    graph: TaskGraph, assignment: Sequence[int], cycle_time: float, tol: float = 1e-6
) -> list[str]:
    """List what is wrong with an assignment (empty when it is a valid balance)."""
    errors = []
    if len(assignment) != graph.n:
        return [f"{len(assignment)} stations given for {graph.n} tasks"]
    for i, j in graph.precedences:
        if assignment[i] > assignment[j]:
            errors.append(f"task {i + 1} (station {assignment[i]}) after task {j + 1}")
    loads: dict[int, float] = {}
    for j, s in enumerate(assignment):
        loads[s] = loads.get(s, 0.0) + graph.times[j]
    for s, load in sorted(loads.items()):
        if load > cycle_time + tol:
            errors.append(f"station {s} load {load:g} exceeds cycle time {cycle_time:g}")
    return errors


# --- CP-SAT --------------------------------------------------------------------------


@dataclass
class _Prepared:
    times: list[int]
    scale: int
    head: list[int]
    tail: list[int]
    pred_bits: list[int]


def _prepare(graph: TaskGraph) -> _Prepared:
    graph.check()
    times, _, scale = _integer_times(graph.times, None)
    pred_bits, succ_bits, _ = _closures(graph.n, graph.precedences)
    head = [times[j] + _bits_sum(pred_bits[j], times) for j in range(graph.n)]
    tail = [times[j] + _bits_sum(succ_bits[j], times) for j in range(graph.n)]
    return _Prepared(times, scale, head, tail, pred_bits)


def _solver(time_limit: float, seed: int, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver


def _model_loads(
    graph: TaskGraph, assignment: Sequence[int], m: int
) -> dict[str, tuple[float, ...]]:
    return {name: station_loads(t, assignment, m) for name, t in graph.model_times.items()}


def _loads(graph: TaskGraph, assignment: Sequence[int], m: int) -> tuple[float, ...]:
    return tuple(_tidy(x) for x in station_loads(graph.times, assignment, m))


def _tidy(x: float) -> float:
    r = round(x, 9)
    return int(r) if float(r).is_integer() else r


def _model_caps(
    graph: TaskGraph, model_cycle_time: float | None, scale: int
) -> dict[str, tuple[list[int], int]]:
    if model_cycle_time is None or not graph.model_times:
        return {}
    out = {}
    for name, times in graph.model_times.items():
        out[name] = (
            [math.ceil(t * scale - 1e-9) for t in times],
            math.floor(model_cycle_time * scale),
        )
        if max(out[name][0]) > out[name][1]:
            j = out[name][0].index(max(out[name][0]))
            raise InsourceError(
                f"task {j + 1} of model {name} takes {times[j]:g}, longer than the model cycle "
                f"time {model_cycle_time:g}",
                "raise --model-cycle-time or split the task",
            )
    return out


def salbp1(
    graph: TaskGraph,
    cycle_time: float,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int = 1,
    method: str = "hybrid",
    model_cycle_time: float | None = None,
    max_stations: int | None = None,
) -> BalanceResult:
    """Fewest stations for a cycle time (SALBP-1).

    ``method="hybrid"`` (default) climbs from the lower bound: for ``m = LB, LB+1, ...``
    it asks whether ``m`` stations suffice with a portfolio that shares the time between
    the members that can prove ``m`` infeasible (exhaustive station-oriented searches
    of :class:`insource.plant._bbr.StationSearch` forwards and backwards, CP-SAT's
    decision model) and those that find balances (dives with restarts, Hoffmann's
    heuristic); see :func:`_decide_search`. The first feasible ``m`` is optimal because
    every smaller one was proven infeasible. ``method="cpsat"`` solves one CP-SAT model minimising ``m``
    (the baseline in ``benchmarks/bench_plant_salbp.py``).

    Parameters
    ----------
    graph
        Tasks, times and precedences (for a mixed-model graph, the weighted times).
    cycle_time
        Cycle time ``c``.
    time_limit, seed, workers
        Overall wall-clock limit, CP-SAT ``random_seed`` and ``num_workers``.
    method
        ``hybrid`` or ``cpsat``.
    model_cycle_time
        Mixed-model lines: cap the load of every single model at every station.
    max_stations
        Only decide whether this many stations suffice (``hybrid``, no caps): the climb
        stops once it is proven that they do not, with ``bound`` above it (used by
        :func:`salbp2`).

    Returns
    -------
    BalanceResult
        ``status`` is ``optimal`` when ``m`` is proven minimal, else ``feasible`` with
        ``bound`` the best proven lower bound.

    """
    start = time.perf_counter()
    deadline = start + time_limit
    if cycle_time <= 0:
        raise InsourceError(f"cycle time {cycle_time:g} must be positive", "")
    prep = _prepare(graph)
    t, scale = prep.times, prep.scale
    c = _scaled_cycle(cycle_time, scale)
    n = graph.n
    long = [j for j in range(n) if t[j] > c]
    if long:
        j = long[0]
        raise InsourceError(
            f"{graph.name}: task {j + 1} takes {graph.times[j]:g}, longer than the cycle time "
            f"{cycle_time:g}",
            f"no station can hold it; use a cycle time >= {max(graph.times):g} or split the task",
        )
    caps = _model_caps(graph, model_cycle_time, scale)
    earliest = [-(-prep.head[j] // c) for j in range(n)]
    after = [-(-prep.tail[j] // c) for j in range(n)]
    lb = max([*station_bounds(t, c).values(), *(earliest[j] + after[j] - 1 for j in range(n))])
    if caps:  # one task per station in topological order is always valid
        topo = _closures(n, graph.precedences)[2]
        best = [0] * n
        for pos, j in enumerate(topo):
            best[j] = pos + 1
    else:
        best = greedy_balance(t, graph.precedences, c)
    ub = max(best)
    if method == "cpsat":
        return _salbp1_cpsat(
            graph, prep, c, caps, lb, best, cycle_time, seed, workers, deadline, start
        )
    if method != "hybrid":
        raise InsourceError(f"unknown method {method!r}", "use hybrid or cpsat")
    if caps:
        return _salbp1_capped(
            graph, prep, c, caps, lb, best, cycle_time, seed, workers, deadline, start
        )
    top = ub if max_stations is None else min(ub, max_stations + 1)  # climb below top
    if lb >= top:  # optimal, or more stations than asked about
        status = "optimal" if lb >= ub else "feasible"
        return _result(graph, "SALBP-1", status, best, cycle_time, ub, lb, ub, start)
    bounds = line_bounds(t, graph.precedences, c, upper=ub - 1)
    # The incremented bounds hold for every m <= ub - 1; above that ub itself is the answer.
    lb = max(lb, min(bounds.lower, ub))
    fwd, rev = list(graph.precedences), [(j, i) for i, j in graph.precedences]
    portfolio: _Portfolio | None = None

    def found(sol: list[int]) -> None:
        # a heuristic balance above m still lowers ub
        nonlocal best, ub
        if max(sol) < ub:
            best, ub = sol, max(sol)

    m = lb
    while m < min(ub, top) and time.perf_counter() < deadline:
        if portfolio is None:
            portfolio = _Portfolio(bounds.times, fwd, rev, c, bounds.after, bounds.earliest)
        cpsat = functools.partial(
            _salbp1_feasibility,
            graph,
            prep,
            c,
            m,
            {},
            bounds.latest(m),
            best,
            seed,
            workers,
            earliest=bounds.earliest,
        )
        verdict, sol = _decide_search(portfolio.members(m, cpsat, found), deadline)
        if sol is not None:
            best, ub = sol, max(sol)
            break
        if verdict != "infeasible":
            break  # undecided within the time limit
        lb = m = m + 1
    status = "optimal" if lb >= ub else "feasible"
    return _result(graph, "SALBP-1", status, best, cycle_time, ub, lb, max(best), start)


PROOF_SHARE = 0.5
"""Share of the decision time for the members that can prove ``m`` infeasible."""

PREFERRED_WEIGHT = 4.0
"""Weight of a search in the preferred direction (:func:`preferred_backward`) over the other."""


def preferred_backward(earliest: Sequence[int], after: Sequence[int], depth: int = 5) -> bool:
    """Whether to prefer the backward direction (on the reversed graph) for the station searches.

    Compares ``prod_{k=1..depth} #{j : E_j <= k}`` with the same product over the
    stations counted from the end, ``#{j : a_j <= k}``, and prefers the direction
    with fewer candidate tasks for its first stations (a smaller tree near the root),
    the rule of the revised BB&R code of Alvarez-Miranda, Pereira & Vila (2023).

    References
    ----------
    Alvarez-Miranda, E., Pereira, J., Vila, M. (2023). Analysis of the simple assembly
    line balancing problem complexity. *Computers & Operations Research* 159, 106323.

    """
    forward = backward = 1
    for k in range(1, depth + 1):
        forward *= sum(e <= k for e in earliest)
        backward *= sum(a <= k for a in after)
    return backward < forward


Verdict = tuple[str, list[int] | None]


@dataclass
class _Member:
    """One member of the portfolio: its share of the time and the time it has used."""

    weight: float
    used: float = 0.0
    done: bool = False

    def turn(self, deadline: float) -> Verdict:  # pragma: no cover - overridden
        raise NotImplementedError


def _flip(sol: list[int], backwards: bool) -> list[int]:
    if not backwards:
        return sol
    top = max(sol)
    return [top + 1 - k for k in sol]


@dataclass
class _Exhaustive(_Member):
    """Exhaustive station search (a proof when it ends); its step budget doubles every turn."""

    search: StationSearch | None = None
    backwards: bool = False
    m: int = 0
    budget: int = 20_000

    def turn(self, deadline: float) -> Verdict:
        assert self.search is not None
        verdict = self.search.solve(self.m, self.budget, deadline)
        self.budget = min(2 * self.budget, 2**62)
        if verdict == "feasible":
            assert self.search.solution is not None
            return "feasible", _flip(self.search.solution, self.backwards)
        return verdict, None


DIVE_WIDTHS = (8, 16, 4)
"""Loads kept per node by the dives, in turn."""

DIVE_DESCENTS = 4
"""A dive's first step budget, in descents through all ``m`` stations at the 5,000
load-enumeration steps per node a heuristic search spends at most (``_bbr._search``)."""


@dataclass
class _Dive(_Member):
    """Diving search with restarts (geometric restart strategy).

    Every turn a new candidate order (:meth:`StationSearch.reorder` with the turn's
    number as seed), the next width in :data:`DIVE_WIDTHS` and a step budget ``sqrt 2``
    times the last one, from :data:`DIVE_DESCENTS` descents. The node key of the
    search (:attr:`StationSearch.idle_key`) stays as built.
    """

    search: StationSearch | None = None
    backwards: bool = False
    m: int = 0
    restarts: int = 0

    def turn(self, deadline: float) -> Verdict:
        assert self.search is not None
        i = self.restarts
        self.restarts += 1
        self.search.reorder(i)
        self.search.batch = DIVE_WIDTHS[i % len(DIVE_WIDTHS)]
        budget = DIVE_DESCENTS * self.m * 5000 * 2 ** (min(i, 60) / 2)  # within int64
        verdict = self.search.solve(self.m, int(budget), deadline)
        if verdict == "feasible":
            assert self.search.solution is not None
            return "feasible", _flip(self.search.solution, self.backwards)
        return "unknown", None


@dataclass
class _CpSat(_Member):
    """CP-SAT's decision model; its time limit doubles every turn (0.25 s first)."""

    solve: Callable[[float], Verdict] | None = None
    limit: float = 0.25

    def turn(self, deadline: float) -> Verdict:
        assert self.solve is not None
        left = deadline - time.perf_counter()
        code, sol = self.solve(min(self.limit, left))
        self.limit *= 2
        return code, sol


@dataclass
class _Hoffmann(_Member):
    """Hoffmann's heuristic over its grid in time slices that double (0.05 s first)."""

    grid: HoffmannGrid | None = None
    m: int = 0
    found: Callable[[list[int]], None] | None = None
    slice: float = 0.05

    def turn(self, deadline: float) -> Verdict:
        assert self.grid is not None
        assert self.found is not None
        sol = self.grid.run(self.m, min(deadline, time.perf_counter() + self.slice))
        self.slice *= 2
        self.done = self.grid.done
        if sol is None:
            return "unknown", None
        self.found(sol)
        return ("feasible", sol) if max(sol) <= self.m else ("unknown", None)


class _Portfolio:
    """The searches of one SALBP-1 instance, built once and shared by every ``m``.

    Exhaustive station searches forwards and backwards (proofs), dives in both
    directions (depth-first with memory, a few fullest loads per node) and Hoffmann's
    grid (its progress carries over from one ``m`` to the next).
    """

    def __init__(
        self,
        times: Sequence[int],
        fwd: Sequence[tuple[int, int]],
        rev: Sequence[tuple[int, int]],
        c: int,
        after: Sequence[int],
        earliest: Sequence[int],
    ) -> None:
        self.backward = preferred_backward(earliest, after)
        self.exhaustive = {
            False: StationSearch(times, fwd, c, after),
            True: StationSearch(times, rev, c, earliest),
        }
        self.dives: dict[tuple[bool, bool], StationSearch] = {}
        for backwards in (False, True):
            for idle_key in (False, True):
                arcs, a = (rev, earliest) if backwards else (fwd, after)
                dive = StationSearch(times, arcs, c, a, batch=DIVE_WIDTHS[0], dive=True)
                dive.idle_key = idle_key
                self.dives[backwards, idle_key] = dive
        self.grid = HoffmannGrid(times, fwd, c)

    def members(
        self,
        m: int,
        cpsat: Callable[[float], Verdict],
        found: Callable[[list[int]], None],
    ) -> list[_Member]:
        """Fresh members for deciding ``m``.

        The proof side (exhaustive searches and CP-SAT) gets :data:`PROOF_SHARE` of the
        time, the other side (dives and Hoffmann) the rest; within each side a search in
        the preferred direction weighs :data:`PREFERRED_WEIGHT`, the other direction and
        CP-SAT (resp. Hoffmann) 1. There are two dives per direction, one with each node
        key (either finds some tight balances the other misses).
        """
        w = {d: PREFERRED_WEIGHT if d == self.backward else 1.0 for d in (False, True)}
        proof = PROOF_SHARE / (w[False] + w[True] + 1.0)
        other = (1.0 - PROOF_SHARE) / (2 * (w[False] + w[True]) + 1.0)
        order = (self.backward, not self.backward)
        out: list[_Member] = [
            _Exhaustive(proof * w[d], search=self.exhaustive[d], backwards=d, m=m) for d in order
        ]
        out += [
            _Dive(other * w[d], search=self.dives[d, k], backwards=d, m=m)
            for d in order
            for k in (False, True)
        ]
        out.append(_CpSat(proof, solve=cpsat))
        if not self.grid.done:
            out.append(_Hoffmann(other, grid=self.grid, m=m, found=found))
        return out


def _decide_search(
    members: Sequence[_Member],
    deadline: float,
    clock: Callable[[], float] = time.perf_counter,
) -> Verdict:
    """Decide whether ``m`` stations suffice by sharing the time among ``members``.

    Every turn goes to the member that has used the least time for its weight (ties:
    the first in ``members``); a member's turns grow geometrically (step budgets or
    time limits), so each member's time stays within a small factor of its share of
    the time spent, whatever a step of it costs. Returns ``(verdict, solution)``:
    ``feasible`` with a balance of at most ``m`` stations, ``infeasible`` (a proof) or
    ``unknown`` at the deadline.

    Fixed shares replace the budget factor of the dives used before (``DIVE_BUDGET``,
    salbp6): that factor traded the time of the proofs against the dives' and which
    value found a given tight balance was a matter of chance (RESULTS.md).
    """
    while clock() < deadline:
        live = [x for x in members if not x.done]
        if not live:
            break
        member = min(live, key=lambda x: x.used / x.weight)
        t0 = clock()
        verdict, sol = member.turn(deadline)
        member.used += clock() - t0
        if verdict in ("feasible", "infeasible"):
            return verdict, sol
        if verdict == "exhausted":
            member.done = True
    return "unknown", None


def _salbp1_capped(
    graph: TaskGraph,
    prep: _Prepared,
    c: int,
    caps: Mapping[str, tuple[list[int], int]],
    lb: int,
    best: list[int],
    cycle_time: float,
    seed: int,
    workers: int,
    deadline: float,
    start: float,
) -> BalanceResult:
    """SALBP-1 with per-model caps: CP-SAT decision models for ``m = LB, LB+1, ...``."""
    n = graph.n
    ub = max(best)
    after = [-(-prep.tail[j] // c) for j in range(n)]
    earliest = [-(-prep.head[j] // c) for j in range(n)]
    m = lb
    while m < ub and time.perf_counter() < deadline:
        latest = [m - after[j] + 1 for j in range(n)]
        if any(earliest[j] > latest[j] for j in range(n)):
            lb = m = m + 1
            continue
        code, found = _salbp1_feasibility(
            graph, prep, c, m, caps, latest, best, seed, workers, deadline - time.perf_counter()
        )
        if found is not None:
            best, ub = found, m
            break
        if code != "infeasible":
            break
        lb = m = m + 1
    status = "optimal" if lb >= ub else "feasible"
    return _result(graph, "SALBP-1", status, best, cycle_time, ub, lb, max(best), start)


def _assignment_variables(
    model: cp_model.CpModel, earliest: Sequence[int], latest: Sequence[int]
) -> tuple[dict[tuple[int, int], cp_model.IntVar], list[cp_model.IntVar]]:
    """Task-to-station booleans ``x[j,k]`` for ``E_j <= k <= L_j`` and station numbers ``s_j``.

    Adds ``sum_k x[j,k] = 1`` (every task at exactly one station) and
    ``s_j = sum_k k x[j,k]``, shared by the SALBP-1 and SALBP-2 models.
    """
    n = len(earliest)
    x = {
        (j, k): model.new_bool_var(f"x[{j},{k}]")
        for j in range(n)
        for k in range(earliest[j], latest[j] + 1)
    }
    s = [model.new_int_var(earliest[j], latest[j], f"s[{j}]") for j in range(n)]
    for j in range(n):
        ks = range(earliest[j], latest[j] + 1)
        model.add_exactly_one(x[j, k] for k in ks)
        model.add(s[j] == sum(k * x[j, k] for k in ks))
    return x, s


def _salbp1_feasibility(
    graph: TaskGraph,
    prep: _Prepared,
    c: int,
    m: int,
    caps: Mapping[str, tuple[list[int], int]],
    latest: Sequence[int],
    hint: Sequence[int],
    seed: int,
    workers: int,
    time_limit: float,
    earliest: Sequence[int] | None = None,
) -> tuple[str, list[int] | None]:
    """Decide with CP-SAT whether a balance with ``m`` stations exists (SALBP-1 decision).

    ``sum_k x[j,k] = 1``; ``sum_j t_j x[j,k] <= c``; ``s_i <= s_j`` for ``i -> j``;
    ``x[j,k]`` only for ``E_j <= k <= L_j(m)``; the redundant minimum load
    ``sum_j t_j x[j,k] >= sum t - (m-1) c`` (no station can idle more than the total
    idle time ``m c - sum t``); and ``AllDifferent(s_j : t_j > c/2)`` (two such tasks
    never share a station, the clique behind LB2).
    """
    # 1. Data
    t, n = prep.times, graph.n
    if earliest is None:
        earliest = [-(-prep.head[j] // c) for j in range(n)]
    if any(earliest[j] > latest[j] for j in range(n)):
        return "infeasible", None
    min_load = sum(t) - (m - 1) * c

    # 2. Variables
    model = cp_model.CpModel()
    # (with 3.1: every task at exactly one station; s_j is its number)
    x, s = _assignment_variables(model, earliest, latest)

    # 3. Constraints
    for k in range(1, m + 1):
        tasks = [j for j in range(n) if (j, k) in x]
        load = sum(t[j] * x[j, k] for j in tasks)
        # 3.2 Capacity: the load never exceeds the cycle time (per model too).
        model.add(load <= c)
        for times_p, cap in caps.values():
            model.add(sum(times_p[j] * x[j, k] for j in tasks) <= cap)
        # 3.3 Redundant: no station idles more than the whole line may.
        if min_load > 0:
            model.add(load >= min_load)
    # 3.4 Precedence.
    for i, j in graph.precedences:
        model.add(s[i] <= s[j])
    # 3.5 Redundant: two tasks longer than c/2 never share a station.
    big = [j for j in range(n) if 2 * t[j] > c]
    if len(big) > 1:
        model.add_all_different(s[j] for j in big)

    # 4. Objective: none (decision problem); hint the greedy stations clipped to the windows.
    for j in range(n):
        model.add_hint(s[j], min(max(hint[j], earliest[j]), latest[j]))

    # 5. Solve
    solver = _solver(time_limit, seed, workers)
    code = solver.solve(model)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return "feasible", [solver.value(v) for v in s]
    return ("infeasible" if code == cp_model.INFEASIBLE else "unknown"), None


def _salbp1_cpsat(
    graph: TaskGraph,
    prep: _Prepared,
    c: int,
    caps: Mapping[str, tuple[list[int], int]],
    lb: int,
    greedy: Sequence[int],
    cycle_time: float,
    seed: int,
    workers: int,
    deadline: float,
    start: float,
) -> BalanceResult:
    """One CP-SAT model minimising the number of stations (baseline formulation).

    Model (stations ``k = 1..UB``, ``UB`` from the greedy heuristic)::

        min  m
        s.t. sum_k x[j,k] = 1                      every task at one station
             sum_j t_j x[j,k] <= c                 station capacity
             s_i <= s_j             (i -> j)       precedence
             s_j + ceil(F_j / c) - 1 <= m          room for task j's followers
             m >= max(LB1, LB2, LB3)               bin-packing bounds
    """
    # 1. Data
    t, n = prep.times, graph.n
    ub = max(greedy)
    earliest = [-(-prep.head[j] // c) for j in range(n)]
    after = [-(-prep.tail[j] // c) for j in range(n)]
    if ub <= lb:
        return _result(graph, "SALBP-1", "optimal", greedy, cycle_time, ub, lb, ub, start)

    # 2. Variables
    model = cp_model.CpModel()
    m = model.new_int_var(lb, ub, "stations")
    # (with 3.1: every task at exactly one station; s_j is its number)
    x, s = _assignment_variables(model, earliest, [ub - after[j] + 1 for j in range(n)])

    # 3. Constraints
    # 3.2 Station capacity: the load never exceeds the cycle time (per model too).
    for k in range(1, ub + 1):
        tasks = [j for j in range(n) if (j, k) in x]
        if tasks:
            model.add(sum(t[j] * x[j, k] for j in tasks) <= c)
            for times_p, cap in caps.values():
                model.add(sum(times_p[j] * x[j, k] for j in tasks) <= cap)
    # 3.3 Precedence: a task never sits at a later station than its successor.
    for i, j in graph.precedences:
        model.add(s[i] <= s[j])
    # 3.4 Followers of j need ceil(F_j / c) - 1 more stations after s_j (latest station).
    for j in range(n):
        model.add(s[j] + after[j] - 1 <= m)

    # 4. Objective, with the greedy solution as hint.
    model.minimize(m)
    for (j, k), var in x.items():
        model.add_hint(var, int(greedy[j] == k))
    model.add_hint(m, ub)

    # 5. Solve
    solver = _solver(deadline - time.perf_counter(), seed, workers)
    code = solver.solve(model)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        assign = [solver.value(s[j]) for j in range(n)]
        best = int(solver.objective_value)
        bound = max(lb, math.ceil(solver.best_objective_bound - 1e-9))
        status = "optimal" if bound >= best else "feasible"
        return _result(graph, "SALBP-1", status, assign, cycle_time, best, bound, ub, start)
    if code == cp_model.INFEASIBLE:
        raise InsourceError(f"{graph.name}: no balance meets the per-model cycle time", "raise it")
    return _result(graph, "SALBP-1", "feasible", greedy, cycle_time, ub, lb, ub, start)


def _result(
    graph: TaskGraph,
    problem: str,
    status: str,
    assign: Sequence[int],
    cycle_time: float,
    objective: float,
    bound: float,
    greedy: float,
    start: float,
) -> BalanceResult:
    m = max(assign)
    return BalanceResult(
        problem=problem,
        status=status,
        stations=m,
        cycle_time=_tidy(cycle_time),
        objective=_tidy(objective),
        bound=_tidy(bound),
        assignment=tuple(int(a) for a in assign),
        loads=_loads(graph, assign, m),
        greedy=_tidy(greedy),
        seconds=time.perf_counter() - start,
        name=graph.name,
        model_loads=_model_loads(graph, assign, m),
    )


def salbp2(
    graph: TaskGraph,
    stations: int,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int = 1,
    method: str = "hybrid",
    use_hint: bool = True,
) -> BalanceResult:
    """Shortest cycle time for a number of stations (SALBP-2).

    Bounds: ``c >= max(max_j t_j, ceil(sum t / m))``; the greedy upper bound is the
    smallest ``c`` for which the SALBP-1 heuristic needs at most ``m`` stations
    (bisection). Feasibility is monotone in ``c`` (a balance for ``c`` is one for every
    larger ``c``), so a proof that ``m`` stations do not suffice for ``c`` rules out
    every smaller ``c`` too, and the optimum can be found by bisection on decisions.

    ``method="hybrid"`` (default), after the search strategy of Klein & Scholl (1996):
    first the smallest ``c`` whose SALBP-1 root lower bound (LB1-LB3 and the heads and
    tails bound ``ceil(h_j / c) + ceil(f_j / c) - 1``) is at most ``m`` (bisection on
    the bound alone: cheap); then bisection on ``c`` between that bound and the best
    cycle time known, each step a SALBP-1 decision ("do ``m`` stations suffice for
    ``c``?", :func:`salbp1` with ``max_stations=m``: bounds, the branch, bound and
    remember searches, CP-SAT) in half the time left. A step left undecided stops the
    proofs below it but not the search for better balances above it; when the interval
    above is used up, the bisection starts again from the proven bound with all the
    time left. It ends optimal when the bound and the best cycle meet, else at the
    time limit with both.
    ``method="cpsat"``: one CP-SAT model ``min c`` subject to the SALBP-1 constraints
    with ``m`` fixed and ``sum_j t_j x[j,k] <= c`` (the baseline in
    ``benchmarks/bench_plant_salbp2.py``; ``use_hint``: start it from the greedy
    balance).

    References
    ----------
    Klein, R., Scholl, A. (1996). Maximizing the production rate in simple assembly
    line balancing - a branch and bound procedure. *EJOR* 91(2), 367-385.

    """
    start = time.perf_counter()
    deadline = start + time_limit
    if stations < 1:
        raise InsourceError(f"stations must be >= 1, got {stations}", "")
    if method not in ("hybrid", "cpsat"):
        raise InsourceError(f"unknown method {method!r}", "use hybrid or cpsat")
    prep = _prepare(graph)
    t, scale = prep.times, prep.scale
    n = graph.n

    # 1. Data: bounds and greedy upper bound on c.
    c_lb = max(max(t), -(-sum(t) // stations))
    lo, hi = c_lb, max(c_lb, sum(t))
    best = greedy_balance(t, graph.precedences, hi)
    while lo < hi:
        mid = (lo + hi) // 2
        trial = greedy_balance(t, graph.precedences, mid)
        if max(trial) <= stations:
            hi, best = mid, trial
        else:
            lo = mid + 1
    c_ub = hi
    if max(best) > stations:  # pragma: no cover - c = sum t always fits one station
        best = [1] * n
    if c_ub <= c_lb:
        return _scaled2(graph, "optimal", best, c_ub, c_lb, c_ub, scale, stations, start)
    if method == "cpsat":
        return _salbp2_cpsat(
            graph, prep, stations, c_lb, c_ub, best, seed, workers, use_hint, deadline, start
        )

    def root_bound(c: int) -> int:
        ends = max(-(-prep.head[j] // c) + -(-prep.tail[j] // c) - 1 for j in range(n))
        return max(ends, *station_bounds(t, c).values())

    # 2. The root bound: every c below the smallest with root_bound(c) <= m is infeasible.
    lo, hi = c_lb, c_ub
    while lo < hi:
        mid = (lo + hi) // 2
        if root_bound(mid) > stations:
            lo = mid + 1
        else:
            hi = mid
    hi = c_ub

    # 3. Bisection on SALBP-1 decisions, each in half the time left: ``lo`` is the
    #    proven bound, ``low`` the bottom of the interval left (above an undecided c);
    #    once that is empty, again from ``lo`` with all the time left
    low = lo
    share = 0.5
    while lo < hi and time.perf_counter() < deadline:
        if low >= hi:
            low, share = lo, 1.0
        mid = (low + hi) // 2
        r = salbp1(
            graph,
            mid / scale,
            time_limit=share * (deadline - time.perf_counter()),
            seed=seed,
            workers=workers,
            max_stations=stations,
        )
        if r.stations <= stations:
            hi, best = mid, list(r.assignment)
        elif r.bound > stations:  # also rules out every undecided c below mid
            lo = low = mid + 1
        else:
            low = mid + 1  # undecided: look for better balances above it
    status = "optimal" if lo >= hi else "feasible"
    return _scaled2(graph, status, best, hi, lo, c_ub, scale, stations, start)


def _salbp2_cpsat(
    graph: TaskGraph,
    prep: _Prepared,
    stations: int,
    c_lb: int,
    c_ub: int,
    best: list[int],
    seed: int,
    workers: int,
    use_hint: bool,
    deadline: float,
    start: float,
) -> BalanceResult:
    """SALBP-2 as one CP-SAT model (``salbp2(method="cpsat")``)."""
    t, scale, n = prep.times, prep.scale, graph.n
    earliest = [-(-prep.head[j] // c_ub) for j in range(n)]
    latest = [stations - (-(-prep.tail[j] // c_ub)) + 1 for j in range(n)]

    # 2. Variables
    model = cp_model.CpModel()
    c = model.new_int_var(c_lb, c_ub, "cycle")
    # (with 3.1: every task at exactly one station; s_j is its number)
    x, s = _assignment_variables(model, earliest, latest)

    # 3. Constraints
    # 3.2 Station load at most the cycle time.
    for k in range(1, stations + 1):
        tasks = [j for j in range(n) if (j, k) in x]
        if tasks:
            model.add(sum(t[j] * x[j, k] for j in tasks) <= c)
    # 3.3 Precedence.
    for i, j in graph.precedences:
        model.add(s[i] <= s[j])

    # 4. Objective
    model.minimize(c)
    if use_hint:
        for (j, k), var in x.items():
            model.add_hint(var, int(best[j] == k))
        model.add_hint(c, c_ub)

    # 5. Solve
    solver = _solver(deadline - time.perf_counter(), seed, workers)
    code = solver.solve(model)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        assign = [solver.value(s[j]) for j in range(n)]
        value = solver.value(c)
        bound = max(c_lb, math.ceil(solver.best_objective_bound - 1e-9))
        status = "optimal" if bound >= value else "feasible"
        return _scaled2(graph, status, assign, value, bound, c_ub, scale, stations, start)
    return _scaled2(graph, "feasible", best, c_ub, c_lb, c_ub, scale, stations, start)


def _scaled2(
    graph: TaskGraph,
    status: str,
    assign: Sequence[int],
    value: int,
    bound: int,
    greedy: int,
    scale: int,
    stations: int,
    start: float,
) -> BalanceResult:
    res = _result(
        graph,
        "SALBP-2",
        status,
        assign,
        value / scale,
        value / scale,
        bound / scale,
        greedy / scale,
        start,
    )
    if res.stations == stations:
        return res
    loads = (*res.loads, *([0] * (stations - res.stations)))
    return BalanceResult(**{**res.__dict__, "stations": stations, "loads": loads})


def balance(
    graph: TaskGraph,
    *,
    cycle_time: float | None = None,
    stations: int | None = None,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int = 1,
    model_cycle_time: float | None = None,
) -> BalanceResult:
    """Balance a line: SALBP-1 with ``cycle_time`` or SALBP-2 with ``stations``."""
    if (cycle_time is None) == (stations is None):
        raise InsourceError(
            "give exactly one of cycle time or stations", "--cycle-time or --stations"
        )
    if cycle_time is not None:
        return salbp1(
            graph,
            cycle_time,
            time_limit=time_limit,
            seed=seed,
            workers=workers,
            model_cycle_time=model_cycle_time,
        )
    assert stations is not None
    return salbp2(graph, stations, time_limit=time_limit, seed=seed, workers=workers)
