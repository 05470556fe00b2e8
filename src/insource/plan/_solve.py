"""Solve a model with HiGHS: limits, status, gap, quiet output."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import linopy

__all__ = ["SolveOutcome", "solve_model"]


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


def solve_model(
    m: linopy.Model,
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
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

    """
    options: dict[str, Any] = {"output_flag": False, "log_to_console": False}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    if gap is not None:
        options["mip_rel_gap"] = float(gap)
    if threads is not None:
        options["threads"] = int(threads)
    t0 = time.perf_counter()
    with _quiet():
        _, termination = m.solve(
            solver_name="highs",
            io_api="direct",
            progress=False,
            sanitize_infinities=False,  # the model has no infinite right-hand side
            **options,
        )
    seconds = time.perf_counter() - t0
    h = m.solver_model
    info = h.getInfo() if h is not None else None
    has_plan = info is not None and int(info.primal_solution_status) == 2
    mip = bool(m.binaries.nvars or m.integers.nvars) if hasattr(m, "binaries") else True
    rel_gap = float(info.mip_gap) if (info is not None and mip) else 0.0
    if termination == "optimal":
        status = "optimal"
        rel_gap = min(rel_gap, 1.0) if mip else 0.0
    elif termination in ("infeasible", "infeasible_or_unbounded"):
        status = "infeasible"
    elif has_plan:
        status = "feasible"
    else:
        status = "no_solution"
    objective = (
        float(m.objective.value) if has_plan and m.objective.value is not None else float("nan")
    )
    return SolveOutcome(status, str(termination), objective, rel_gap, seconds)
