"""Solve a model with HiGHS: limits, status, gap, quiet output."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import highspy
import linopy
import numpy as np
import xarray as xr
from linopy.solvers import Solver

__all__ = ["HEURISTIC_SHARE", "Resolver", "SolveOutcome", "solve_model"]

Start = dict[str, Any]
_T = TypeVar("_T")
#: Share of the time limit after which fix-and-optimise stops and the MIP
#: runs from its plan (the background MIP, if any, runs until the MIP ends).
HEURISTIC_SHARE = 0.75
Bounds = dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class SolveOutcome:
    """What the solver returned.

    Parameters
    ----------
    status
        ``optimal``, ``feasible`` (stopped with a plan and a gap),
        ``infeasible`` or ``no_solution`` (stopped before any plan).
    gap
        Relative MIP gap of the returned plan (0 when optimal).
    seconds
        Wall time of the solve.

    """

    status: str
    termination: str
    objective: float
    gap: float
    seconds: float


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Drop what HiGHS prints on file descriptor 1 (its banner), keeping stdout clean for JSON."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)


def _index(labels: np.ndarray) -> np.ndarray:
    """Position of each label in ``labels`` (-1 for labels not in it)."""
    out = np.full(int(labels.max()) + 1 if len(labels) else 0, -1, dtype=np.int64)
    out[labels] = np.arange(len(labels))
    return out


def _start_entries(
    m: linopy.Model, start: Start, column: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """HiGHS column indices and values of a (partial) start, from values by variable name.

    linopy passes the model's active variables to HiGHS in label order
    (``m.variables.label_index.vlabels``), so column ``j`` is label ``vlabels[j]``;
    ``column`` (label -> column, :func:`_index`) when the caller keeps it.
    """
    if column is None:
        column = _index(np.asarray(m.variables.label_index.vlabels))
    idx, val = [], []
    for name, values in start.items():
        v = np.broadcast_to(np.asarray(values, dtype=float), m.variables[name].shape).reshape(-1)
        cols, pos = _columns(m, name, column)
        idx.append(cols)
        val.append(v[pos])
    i = np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64)
    x = np.concatenate(val) if val else np.zeros(0)
    return i.astype(np.int32), x


def _relaxation(m: linopy.Model, h: Any) -> Callable[[str], np.ndarray | None]:
    """Solve the LP relaxation on ``h``; return the value of a variable by name."""
    h.setOptionValue("solve_relaxation", True)
    h.run()
    col = np.asarray(h.getSolution().col_value, dtype=float)
    vlabels = np.asarray(m.variables.label_index.vlabels)
    by_label = np.full(int(vlabels.max()) + 1 if len(vlabels) else 0, np.nan)
    if len(col) == len(vlabels):
        by_label[vlabels] = col

    def value(name: str) -> np.ndarray | None:
        if name not in m.variables:
            return None
        labels = m.variables[name].labels.to_numpy()
        return np.where(labels >= 0, by_label[np.maximum(labels, 0)], np.nan)

    return value


@dataclass
class _Incumbent:
    """The best complete plan the heuristic holds: column values and objective."""

    x: np.ndarray
    objective: float


class _BoundSolve:
    """A copy of the HiGHS model solved as a MIP in a background thread, for its bound.

    HiGHS's simplex is serial, so while the heuristic runs on one core the
    other is mostly idle; this copy (``Highs.passModel(h.getModel())``, with
    the caller's bounds) runs branch and bound there from the start of the
    solve (``Highs.startSolve``, which releases the GIL), started from
    ``start``. Its dual bound after its root's cuts is much tighter than the
    LP relaxation's (``benchmarks/RESULTS.md``, fifth pass). Its bound so far
    is kept in :attr:`live` (from HiGHS's MIP interrupt callback), which
    :meth:`closes` compares with the main solve's plan. :meth:`stop` cancels
    it (highspy's user interrupt, checked by HiGHS's callbacks, so it stops
    within about a second) and returns its final bound.
    """

    def __init__(self, h: Any, time_limit: float, start: tuple[Any, Any] | None):
        self.highs: Any = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.passModel(h.getModel())
        log = str(h.getOptionValue("log_file")[1])  # highspy: (status, value)
        if bool(h.getOptionValue("output_flag")[1]) and log:
            self.highs.setOptionValue("log_file", log + ".bound")
            self.highs.setOptionValue("output_flag", True)
            self.highs.setOptionValue("log_to_console", False)
        self.highs.setOptionValue("time_limit", max(float(time_limit), 1.0))
        # its own gap is 0: stopping at a gap against its own plan would freeze
        # the bound while the main solve goes on
        self.highs.setOptionValue("mip_rel_gap", 0.0)
        if start is not None and len(start[0]):
            self.highs.setSolution(len(start[0]), start[0], start[1])
        #: its dual bound so far (NaN before its first callback); written by its thread
        self.live = float("nan")
        self.highs.cbMipInterrupt.subscribe(self._record)
        self.highs.HandleUserInterrupt = True  # else cancelSolve is never looked at
        self.thread = self.highs.startSolve()

    def _record(self, event: Any) -> None:
        self.live = float(event.data_out.mip_dual_bound)

    @contextlib.contextmanager
    def stopping(self, h: Any, gap: float | None) -> Iterator[None]:
        """While open, the MIP on ``h`` stops as soon as :attr:`live` closes its gap.

        Two callbacks on ``h``: each improving plan's objective is recomputed
        from its columns, ``z = c^T x + c_0`` (as :func:`_checked` does, since
        HiGHS 1.16 can misreport it), and HiGHS's MIP interrupt callback stops
        the solve once ``z`` is within ``gap`` (HiGHS's default 1e-4 when
        ``None``) of the bound ``b`` (:func:`_within`; a ``b`` on the wrong side
        of ``z`` is no bound on it and stops nothing). Both solves share the
        model, so ``b`` and ``z`` are in the same (the user's) sense. Without it
        the main solve would run on to its own gap or the time limit with a
        plan already proven good enough.
        """
        lp = h.getLp()
        cost, offset = np.asarray(lp.col_cost_, dtype=float), float(lp.offset_)
        sense = 1.0 if h.getObjectiveSense()[1] == highspy.ObjSense.kMaximize else -1.0
        tol = 1e-4 if gap is None else float(gap)
        plan = [float("nan")]

        def improved(event: Any) -> None:
            plan[0] = float(cost @ np.asarray(event.data_out.mip_solution)) + offset

        def check(event: Any) -> None:
            slack = _slack(self.live, plan[0], sense)
            # set either way: HiGHS 1.16 keeps the flag from one run of a Highs to the next
            event.data_in.user_interrupt = bool(
                not np.isnan(slack) and _within(slack, plan[0], tol)
            )

        h.cbMipImprovingSolution.subscribe(improved)
        h.cbMipInterrupt.subscribe(check)
        try:
            yield
        finally:
            h.cbMipInterrupt.unsubscribe(check)
            h.cbMipImprovingSolution.unsubscribe(improved)

    def stop(self) -> float:
        """Stop the solve (if still running); its dual bound, NaN without a valid one."""
        self.highs.cancelSolve()
        self.thread.join()
        self.highs.cbMipInterrupt.unsubscribe(self._record)  # (a reference cycle otherwise)
        info = self.highs.getInfo()
        ok = self.highs.getModelStatus() not in (
            highspy.HighsModelStatus.kNotset,
            highspy.HighsModelStatus.kSolveError,
            highspy.HighsModelStatus.kModelError,
        )
        bound = float(info.mip_dual_bound)
        return bound if ok and bool(info.valid) and np.isfinite(bound) else float("nan")


def _columns(m: linopy.Model, name: str, column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HiGHS columns of variable ``name`` and their positions in its flattened labels."""
    labels = m.variables[name].labels.to_numpy().reshape(-1)
    pos = np.flatnonzero(labels >= 0)
    col = column[labels[pos]]
    keep = col >= 0
    return col[keep], pos[keep]


def _run_fixed(
    h: Any,
    cols: np.ndarray,
    values: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    cost: tuple[np.ndarray, float],
    warm: np.ndarray | None = None,
) -> _Incumbent | None:
    """Solve with the integer columns ``cols`` fixed at ``values``, then free them again.

    With every integer column fixed this is an LP after presolve; with some
    left free (a neighbourhood), a small MIP started from the full plan
    ``warm``. ``cost``: the column costs and offset; the plan's objective is
    computed from them, since HiGHS 1.16 can report a neighbourhood's
    objective wrongly when its presolve keeps the start "in the reduced
    space" (seen on 50x30x120: the start of objective -3.8190e12 reported
    as -3.8155e12, which then stalled fix-and-optimise at a value no plan
    had).
    """
    v = np.clip(np.round(values), lower[cols], upper[cols])
    h.changeColsBounds(len(cols), cols.astype(np.int32), v, v)
    h.clearSolver()
    if warm is not None:
        every = np.arange(h.getNumCol(), dtype=np.int32)
        h.setSolution(len(every), every, warm)
    h.run()
    out = None
    if int(h.getInfo().primal_solution_status) == 2:
        x = np.asarray(h.getSolution().col_value, dtype=float)
        out = _Incumbent(x, float(cost[0] @ x) + cost[1])
    h.changeColsBounds(len(cols), cols.astype(np.int32), lower[cols], upper[cols])
    return out


def _fix_and_optimise(
    m: linopy.Model,
    h: Any,
    candidates: list[Start],
    groups: dict[str, np.ndarray],
    deadline: float,
    gap: float,
    hard_deadline: float = float("inf"),
    column: np.ndarray | None = None,
) -> _Incumbent | None:
    """Best of ``candidates`` (completed by HiGHS), then improved group by group.

    The candidates are completed even after ``deadline`` (each is an LP
    after presolve; ``hard_deadline``: the end of the caller's time limit).

    Fix-and-optimise (Helber and Sahling 2010, *A fix-and-optimize approach
    for the multi-level capacitated lot sizing problem*, IJPE 123): every
    integer decision is fixed at the incumbent except one group's, HiGHS
    solves that small MIP from the incumbent (``Highs.setSolution``), and the
    plan it returns (never worse) becomes the incumbent; each neighbourhood
    is solved to ``gap / 100``, since its gain is small against the whole
    objective. Groups are visited in order; sweeps repeat until one improves
    the objective by less than ``gap / 10`` relative, or the deadline.
    """
    if column is None:
        column = _index(np.asarray(m.variables.label_index.vlabels))
    lp = h.getLp()
    lower = np.asarray(lp.col_lower_, dtype=float)
    upper = np.asarray(lp.col_upper_, dtype=float)
    cost = (np.asarray(lp.col_cost_, dtype=float), float(lp.offset_))
    names = [n for n in groups if n in m.variables]
    where = {n: _columns(m, n, column) for n in names}
    cols = np.concatenate([where[n][0] for n in names]).astype(np.int64)
    maximise = h.getObjectiveSense()[1] == highspy.ObjSense.kMaximize
    sign = 1.0 if maximise else -1.0

    def ints(start: Start) -> np.ndarray:
        vals = []
        for n in names:
            v = np.broadcast_to(np.asarray(start.get(n, 0.0), float), m.variables[n].shape)
            vals.append(np.nan_to_num(v.reshape(-1)[where[n][1]]))
        return np.concatenate(vals)

    best: _Incumbent | None = None
    for start in candidates:  # each an LP after presolve: run to its end
        h.setOptionValue("time_limit", max(hard_deadline - time.perf_counter(), 1.0))
        got = _run_fixed(h, cols, ints(start), lower, upper, cost=cost)
        if got is not None and (best is None or sign * (got.objective - best.objective) > 0):
            best = got
    if best is None:
        return None
    member = np.concatenate(
        [groups[n].reshape(groups[n].shape[0], -1)[:, where[n][1]] for n in names], axis=1
    )
    # a neighbourhood's gain is small against the whole objective: solve it tight
    h.setOptionValue("mip_rel_gap", gap / 100)
    while time.perf_counter() < deadline:
        before = best.objective
        for g in range(member.shape[0]):  # over neighbourhoods
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            fix = cols[~member[g]]
            h.setOptionValue("time_limit", max(left / (member.shape[0] - g), 1.0))
            got = _run_fixed(h, fix, best.x[fix], lower, upper, warm=best.x, cost=cost)
            if got is not None and sign * (got.objective - best.objective) > 0:
                best = got
        if sign * (best.objective - before) <= abs(before) * gap / 10:
            break
    return best


def _relaxation_bound(h: Any, m: linopy.Model) -> tuple[float, Callable[[str], np.ndarray | None]]:
    """The LP relaxation's optimum (a valid bound; NaN if not solved) and its values.

    The objective is scaled for this solve (``user_objective_scale``) so
    that its largest cost is below 1e6: money in yen otherwise makes HiGHS's
    dual simplex take several times more iterations.
    """
    cost = np.abs(np.asarray(h.getLp().col_cost_, dtype=float))
    top = float(cost.max()) if cost.size else 0.0
    scale = -int(np.ceil(np.log2(top / 1e6))) if top > 1e6 else 0
    h.setOptionValue("user_objective_scale", scale)
    value = _relaxation(m, h)
    h.setOptionValue("user_objective_scale", 0)
    h.setOptionValue("solve_relaxation", False)
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    bound = float(h.getInfo().objective_function_value) if optimal else float("nan")
    return bound, value


def _primed_run(
    run: Callable[[], _T],
    m: linopy.Model,
    h: Any,
    start: Start | None,
    rounded_start: Callable[[Callable[[str], np.ndarray | None]], Start] | None,
    neighbourhoods: dict[str, np.ndarray] | None,
    t0: float,
    time_limit: float | None,
    gap: float | None,
    share: float,
    column: np.ndarray | None = None,
    background: bool = False,
) -> tuple[_T, tuple[float, ...]]:
    """:func:`_prime` ``h`` (same arguments), then ``run()`` the MIP; its result and the bounds.

    With ``background``, ``neighbourhoods`` and a time limit, the MIP is first
    started on a copy of the model in a background thread
    (:class:`_BoundSolve`), before anything else. The bounds are the
    relaxation's optimum and that MIP's dual bound, read when it is stopped,
    which it always is, also when priming or ``run`` raises. The MIP ``run``
    stops as soon as that bound closes its gap (:meth:`_BoundSolve.stopping`).
    """
    bg = None
    if background and neighbourhoods is not None and time_limit is not None:
        entries = _start_entries(m, start, column) if start else None
        bg = _BoundSolve(h, t0 + float(time_limit) - time.perf_counter(), entries)
    bound = float("nan")
    try:
        bound = _prime(
            m, h, start, rounded_start, neighbourhoods, t0, time_limit, gap, share, column
        )
        with bg.stopping(h, gap) if bg is not None else contextlib.nullcontext():
            out = run()
    finally:
        bounds = (bound,) if bg is None else (bound, bg.stop())
    return out, bounds


def _heuristic_start(
    m: linopy.Model,
    h: Any,
    start: Start | None,
    rounded_start: Callable[[Callable[[str], np.ndarray | None]], Start] | None,
    neighbourhoods: dict[str, np.ndarray],
    deadline: float,
    end: float,
    gap: float | None,
    column: np.ndarray | None,
) -> float:
    """Relaxation, candidate starts, fix-and-optimise; hand the best plan to ``h``.

    Leaves ``h`` ready for the MIP: the caller's gap, the time left, the plan
    found set as its solution. Returns the relaxation's bound (NaN if the
    relaxation did not finish).
    """
    # the relaxation may take up to half the time left after the heuristic's share
    # (without it there is neither a bound nor a rounded plan)
    cap = (deadline + end) / 2 if np.isfinite(end) else end
    h.setOptionValue("time_limit", max(cap - time.perf_counter(), 1.0))
    bound, value = _relaxation_bound(h, m)
    candidates = [start or {}]
    if rounded_start is not None and np.isfinite(bound):  # only a finished relaxation
        candidates.append(rounded_start(value))
    best = _fix_and_optimise(
        m, h, candidates, neighbourhoods, deadline, 1e-4 if gap is None else gap, end, column
    )
    h.clearSolver()
    h.setOptionValue("mip_rel_gap", 1e-4 if gap is None else float(gap))
    h.setOptionValue("time_limit", max(end - time.perf_counter(), 1.0))
    if best is not None:
        every = np.arange(h.getNumCol(), dtype=np.int32)
        h.setSolution(len(every), every, best.x)
    return bound


def _slack(bound: float, primal: float, sense: float) -> float:
    """How far ``bound`` lies beyond the plan's ``primal``, ``sense (bound - primal) >= 0``.

    ``sense`` is 1 when maximising, -1 when minimising. NaN when there is no
    bound (NaN, infinite) or when it lies on the wrong side of the plan beyond
    rounding (``1e-6`` relative): it is then no bound on this plan.
    """
    if not np.isfinite(bound) or not np.isfinite(primal):
        return float("nan")
    slack = sense * (bound - primal)
    if slack < -1e-6 * max(1.0, abs(primal)):
        return float("nan")
    return max(slack, 0.0)


def _within(slack: float, primal: float, tol: float) -> bool:
    """Whether a plan ``slack`` below its bound is within the relative gap ``tol``.

    ``slack / |primal| <= tol`` (up to rounding), or ``slack <= 1e-6`` absolute.
    """
    return bool(slack / max(abs(primal), 1e-9) <= tol * (1 + 1e-9) or slack <= 1e-6)


def _checked(h: Any, bounds: tuple[float, ...], gap: float | None) -> tuple[float, float, bool]:
    """The plan's objective, its relative gap, and whether it is proven within ``gap``.

    The objective is recomputed from the column values and costs
    (``c^T x + c_0``): HiGHS 1.16 can report a wrong objective for a solve
    started from a solution found in a presolved space (``RESULTS.md``, fifth
    pass). The gap is the smallest of ``|bound - objective| / |objective|``
    over HiGHS's dual bound and ``bounds`` (the relaxation's optimum, the
    background MIP's dual bound; NaN where there is none), each a bound on
    the optimum; a bound on the wrong side of the plan is ignored
    (:func:`_slack`). With no bound at all, HiGHS's own gap. The plan is
    proven within ``gap`` (HiGHS's default 1e-4) when :func:`_within` holds
    for the smallest slack; never on HiGHS's own gap alone when its bound
    lies on the wrong side of the recomputed objective.
    """
    lp = h.getLp()
    x = np.asarray(h.getSolution().col_value, dtype=float)
    primal = float(np.asarray(lp.col_cost_, dtype=float) @ x + float(lp.offset_))
    sense = 1.0 if h.getObjectiveSense()[1] == highspy.ObjSense.kMaximize else -1.0
    info = h.getInfo()
    tol = 1e-4 if gap is None else float(gap)
    given = [float(info.mip_dual_bound), *bounds]
    slacks = [v for v in (_slack(b, primal, sense) for b in given) if not np.isnan(v)]
    if not slacks:  # no bound, or none on the right side of the plan
        rel = float(info.mip_gap)
        proven = not any(np.isfinite(b) for b in given) and rel <= tol * (1 + 1e-9)
        return primal, rel, proven
    slack = min(slacks)
    rel = slack / max(abs(primal), 1e-9)
    rel = 0.0 if rel < 1e-12 else rel  # rounding in c'x, not a gap
    return primal, rel, _within(slack, primal, tol)


def _classify(
    h: Any, mip: bool, bounds: tuple[float, ...], gap: float | None
) -> tuple[str, float, float]:
    """Status, objective and relative gap of HiGHS's last run on ``h``.

    A MIP's plan is ``optimal`` when :func:`_checked` proves it within
    ``gap`` against a valid bound, whatever made HiGHS stop (its own gap, the
    time limit, or the background bound closing the gap), and ``feasible``
    otherwise, also when HiGHS claims optimality its bound does not bear out.
    Otherwise HiGHS's model status decides: ``optimal``, ``infeasible``,
    ``feasible`` (a plan, stopped early) or ``no_solution``.
    """
    info = h.getInfo()
    has_plan = int(info.primal_solution_status) == 2
    if has_plan and mip:
        objective, rel_gap, holds = _checked(h, bounds, gap)
        if holds:  # (within 1e-6 absolute of a bound near 0: no relative gap to speak of)
            return "optimal", objective, min(rel_gap, 1.0)
        return "feasible", objective, rel_gap
    objective = float(h.getObjectiveValue()) if has_plan else float("nan")
    kind = highspy.HighsModelStatus
    model_status = h.getModelStatus()
    if model_status == kind.kOptimal:
        return "optimal", objective, 0.0
    if model_status in (kind.kInfeasible, kind.kUnboundedOrInfeasible):
        return "infeasible", objective, 0.0
    rel_gap = float(info.mip_gap) if mip else 0.0
    return ("feasible" if has_plan else "no_solution"), objective, rel_gap


def _prime(
    m: linopy.Model,
    h: Any,
    start: Start | None,
    rounded_start: Callable[[Callable[[str], np.ndarray | None]], Start] | None,
    neighbourhoods: dict[str, np.ndarray] | None,
    t0: float,
    time_limit: float | None,
    gap: float | None,
    share: float,
    column: np.ndarray | None = None,
) -> float:
    """Hand ``h`` its MIP start: fix-and-optimise, the rounded relaxation or ``start``.

    Returns the relaxation's bound when fix-and-optimise solved it (NaN
    otherwise); the time limit left for the MIP is set on ``h``.
    """
    if neighbourhoods is not None:
        end = float("inf") if time_limit is None else t0 + float(time_limit)
        deadline = float("inf") if time_limit is None else t0 + share * float(time_limit)
        return _heuristic_start(
            m, h, start, rounded_start, neighbourhoods, deadline, end, gap, column
        )
    if rounded_start is not None:
        start = rounded_start(_relaxation(m, h))
        h.setOptionValue("solve_relaxation", False)
        if time_limit is not None:
            h.setOptionValue("time_limit", max(float(time_limit) - (time.perf_counter() - t0), 1.0))
    if start:
        idx, val = _start_entries(m, start, column)
        h.setSolution(len(idx), idx, val)
    return float("nan")


def solve_model(
    m: linopy.Model,
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
    start: Start | None = None,
    rounded_start: Callable[[Callable[[str], np.ndarray | None]], Start] | None = None,
    options: dict[str, Any] | None = None,
    neighbourhoods: dict[str, np.ndarray] | None = None,
    heuristic_share: float = HEURISTIC_SHARE,
    background_bound: bool = False,
) -> SolveOutcome:
    """Solve ``m`` with HiGHS and classify the outcome.

    Parameters
    ----------
    time_limit
        Seconds before HiGHS stops (with the best plan found, if any).
    gap
        Relative MIP gap at which to stop (HiGHS default 1e-4 when ``None``).
    threads
        Threads HiGHS may use.
    start
        A MIP start: values by variable name (arrays shaped like the
        variable; typically the integer decisions only, which HiGHS completes
        by solving the LP over the rest). Handed to HiGHS with
        ``Highs.setSolution`` on the model linopy builds.
    rounded_start
        Build the start from the LP relaxation instead: HiGHS first solves the
        relaxation (``solve_relaxation``, within the time limit), this
        function turns its values (by variable name) into a start, then HiGHS
        solves the MIP from it in the time left (see :mod:`._start`).
    options
        Further HiGHS options (e.g. ``mip_max_improving_sols``).
    neighbourhoods
        Improve the start by fix-and-optimise before the MIP (see
        :func:`._start.neighbourhoods`): HiGHS solves the LP relaxation (its
        optimum bounds the gap), completes ``start`` and the relaxation
        rounded by ``rounded_start`` (when given), keeps the better, and
        re-optimises each neighbourhood with every other integer decision
        fixed. The plan found is the MIP's start. Fix-and-optimise stops at
        ``heuristic_share`` of ``time_limit`` (the relaxation alone may run
        to halfway between that and the limit); the gap reported is the
        smaller of HiGHS's and the one against the relaxation.
    background_bound
        With ``neighbourhoods`` and a time limit: solve the MIP on a copy of
        the model in a background thread from the start, for its dual bound
        (see :class:`_BoundSolve`); the gap reported is then the smallest of
        the three.

    """
    options = {"output_flag": False, "log_to_console": False, **(options or {})}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    if gap is not None:
        options["mip_rel_gap"] = float(gap)
    if threads is not None:
        options["threads"] = int(threads)
    t0 = time.perf_counter()
    mip = bool(m.binaries.nvars or m.integers.nvars)
    with _quiet():
        # linopy's Model.solve() in its steps, with a hook between building the
        # HiGHS model and running it (linopy's own warm start is file based)
        solver = Solver.from_name("highs", model=m, io_api="direct", options=options)
        h = solver.solver_model
        result, bounds = _primed_run(
            solver.solve,
            m,
            h,
            start,
            rounded_start,
            neighbourhoods,
            t0,
            time_limit,
            gap,
            heuristic_share,
            background=background_bound,
        )
        if mip and result.solution is not None:
            result.solution.dual = np.zeros(0)  # a MIP has no duals: do not assign them
        # linopy logs a warning for a run HiGHS did not finish (time limit, our
        # interrupt); the outcome is classified below, with the gap that decides it
        linopy_log = logging.getLogger("linopy.constants")
        level = linopy_log.level
        linopy_log.setLevel(logging.ERROR)
        try:
            _, termination = m.assign_result(result, solver)
        finally:
            linopy_log.setLevel(level)
    seconds = time.perf_counter() - t0
    status, objective, rel_gap = _classify(h, mip, bounds, gap)
    if not mip and not np.isnan(objective) and m.objective.value is not None:
        objective = float(m.objective.value)  # linopy's own sum, as the tables use
    return SolveOutcome(status, str(termination), objective, rel_gap, seconds)


class Resolver:
    """One linopy model handed to HiGHS once, then solved under different bounds.

    linopy builds the HiGHS model (``Solver.from_name(..., io_api="direct")``,
    as :func:`solve_model` does); each :meth:`solve` resets every column and
    row to the model's own bounds, applies the given ones
    (``Highs.changeColsBounds`` / ``changeRowsBounds``), clears HiGHS's
    previous solution and basis (``Highs.clearSolver``, so a solve does not
    depend on the ones before it) and runs. Solving a policy this way costs
    a bound change instead of a model build and a matrix export.
    """

    def __init__(self, m: linopy.Model, threads: int | None = None) -> None:
        options: dict[str, Any] = {"output_flag": False, "log_to_console": False}
        if threads is not None:
            options["threads"] = int(threads)
        with _quiet():
            solver = Solver.from_name("highs", model=m, io_api="direct", options=options)
        self.model = m
        self.highs: Any = solver.solver_model
        self._col = _index(np.asarray(m.variables.label_index.vlabels))
        self._row = _index(np.asarray(m.constraints.label_index.clabels))
        lp = self.highs.getLp()
        self._col_bounds = (np.asarray(lp.col_lower_), np.asarray(lp.col_upper_))
        self._row_bounds = (np.asarray(lp.row_lower_), np.asarray(lp.row_upper_))
        self._costs = np.asarray(lp.col_cost_, dtype=float)
        self._shapes = {name: m.variables[name].labels for name in m.variables}
        self._labels = {name: da.to_numpy() for name, da in self._shapes.items()}
        self._mip = bool(m.binaries.nvars or m.integers.nvars)
        #: as in :func:`solve_model`, for solves with ``neighbourhoods``
        self.heuristic_share = HEURISTIC_SHARE
        self.background_bound = False

    def _entries(
        self, index: np.ndarray, labels: np.ndarray, lower: Any, upper: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lab = labels.reshape(-1)
        lo = np.broadcast_to(np.asarray(lower, dtype=float), labels.shape).reshape(-1)
        up = np.broadcast_to(np.asarray(upper, dtype=float), labels.shape).reshape(-1)
        ok = (lab >= 0) & (lab < len(index))
        pos = np.full(lab.shape, -1, dtype=np.int64)
        pos[ok] = index[lab[ok]]
        ok = pos >= 0  # a row without terms is not in the HiGHS model
        return pos[ok].astype(np.int32), lo[ok], up[ok]

    def solve(
        self,
        columns: Bounds | None = None,
        rows: Bounds | None = None,
        time_limit: float | None = None,
        gap: float | None = None,
        start: Start | None = None,
        objective: list[tuple[np.ndarray, np.ndarray]] | None = None,
        rounded_start: Callable[[Callable[[str], np.ndarray | None]], Start] | None = None,
        neighbourhoods: dict[str, np.ndarray] | None = None,
    ) -> tuple[SolveOutcome, dict[str, xr.DataArray]]:
        """Solve under ``columns`` (by variable) and ``rows`` (by constraint) bounds.

        ``objective``: other objective coefficients than the model's, as
        ``(coefficients, variable labels)`` pairs (``Highs.changeColsCost``).
        ``rounded_start``, ``neighbourhoods``: improve ``start`` first, as in
        :func:`solve_model`.

        Returns the outcome (classified as in :func:`solve_model`) and the
        value of every variable by name, over the variable's coordinates
        (NaN where masked or without a plan).
        """
        h, m = self.highs, self.model
        t0 = time.perf_counter()
        n_col, n_row = len(self._col_bounds[0]), len(self._row_bounds[0])
        every = np.arange(n_col, dtype=np.int32)
        h.changeColsBounds(n_col, every, *self._col_bounds)
        cost = self._costs
        if objective is not None:
            cost = np.zeros(n_col)
            for coef, labels in objective:
                pos, c, _ = self._entries(self._col, labels, coef, coef)
                np.add.at(cost, pos, c)
        h.changeColsCost(n_col, every, cost)
        if n_row:
            h.changeRowsBounds(n_row, np.arange(n_row, dtype=np.int32), *self._row_bounds)
        for name, (lower, upper) in (columns or {}).items():
            pos, lo, up = self._entries(self._col, self._labels[name], lower, upper)
            h.changeColsBounds(len(pos), pos, lo, up)
        for name, (lower, upper) in (rows or {}).items():
            labels = m.constraints[name].labels.to_numpy()
            pos, lo, up = self._entries(self._row, labels, lower, upper)
            h.changeRowsBounds(len(pos), pos, lo, up)
        h.setOptionValue("time_limit", float("inf") if time_limit is None else float(time_limit))
        h.setOptionValue("mip_rel_gap", 1e-4 if gap is None else float(gap))
        h.clearSolver()
        with _quiet():
            _, bounds = _primed_run(
                h.run,
                m,
                h,
                start,
                rounded_start,
                neighbourhoods,
                t0,
                time_limit,
                gap,
                self.heuristic_share,
                self._col,
                self.background_bound,
            )
        seconds = time.perf_counter() - t0
        status, value, rel_gap = _classify(h, self._mip, bounds, gap)
        model_status = h.getModelStatus()
        if model_status == highspy.HighsModelStatus.kOptimal:
            termination = "optimal" if status == "optimal" else "optimal claimed, gap not closed"
        else:
            termination = h.modelStatusToString(model_status)
        has_plan = not np.isnan(value)
        values: dict[str, xr.DataArray] = {}
        col = np.asarray(h.getSolution().col_value, dtype=float) if has_plan else None
        for name, labels in self._labels.items():
            if col is None or len(col) != len(self._col_bounds[0]):
                x = np.full(labels.shape, np.nan)
            else:
                pos = self._col[np.maximum(labels, 0)] if len(self._col) else labels
                x = np.where(labels >= 0, col[pos], np.nan)
            values[name] = self._shapes[name].copy(data=x)
        return SolveOutcome(status, termination, value, rel_gap, seconds), values
