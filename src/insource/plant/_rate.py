"""Achievable line rate: balance the tasks for a takt time, then simulate the line.

This is the plant side of the loop with the planner (issue 7, part 4): the planner
proposes a takt time and a model mix, :func:`achievable_rate` answers with the rate
the line actually sustains (jobs per hour, with a confidence interval), which the
planner writes back as line capacity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from insource.errors import InsourceError
from insource.plant._balance import BalanceResult, salbp1
from insource.plant._problems import TaskGraph
from insource.plant._simulate import SimulationResult, simulate_line
from insource.plant._tasktimes import mix_times

__all__ = ["RateResult", "achievable_rate", "mix_sequence"]


def mix_sequence(mix: Mapping[str, float], length: int | None = None) -> list[str]:
    """Build a launch sequence that spreads the models evenly in proportion to ``mix``.

    Uses the goal-chasing rule of Toyota (Monden 1983): position ``k`` takes the model
    with the largest shortfall ``k r_p - x_p`` (``r_p`` its share, ``x_p`` cars of it so
    far). Default length: the smallest that represents shares rounded to 1/100.
    """
    models = [p for p, w in mix.items() if w > 0]
    if not models:
        raise InsourceError("the model mix is empty", "give at least one model a positive share")
    total = sum(mix[p] for p in models)
    shares = {p: mix[p] / total for p in models}
    if length is None:
        g = 0
        for p in models:
            g = math.gcd(g, round(100 * shares[p]))
        length = max(1, 100 // g) if g else 100
    placed = dict.fromkeys(models, 0)
    seq = []
    for k in range(1, length + 1):
        p = max(models, key=lambda q: (k * shares[q] - placed[q], shares[q]))
        placed[p] += 1
        seq.append(p)
    return seq


@dataclass(frozen=True)
class RateResult:
    """Achievable rate of a line for a takt time and model mix.

    ``rate`` is the simulated throughput ``(mean, low, high)`` in jobs per hour;
    ``nominal_rate`` = 3600 / (bottleneck station's mix-weighted load).
    """

    rate: tuple[float, float, float]
    nominal_rate: float
    takt_rate: float
    balance: BalanceResult
    simulation: SimulationResult
    sequence: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Plain dictionary for JSON output."""
        mean, low, high = self.rate
        return {
            "rate_per_hour": {"mean": mean, "low": low, "high": high},
            "nominal_rate_per_hour": self.nominal_rate,
            "takt_rate_per_hour": self.takt_rate,
            "stations": self.balance.stations,
            "balance_status": self.balance.status,
            "sequence": list(self.sequence),
            "simulation": self.simulation.to_dict(),
        }


def achievable_rate(
    tasks: TaskGraph,
    mix: Mapping[str, float] | None,
    takt_time: float,
    *,
    buffers: int | Sequence[int] = 0,
    mtbf: float | None = None,
    mttr: float | None = None,
    hours: float = 8.0,
    replications: int = 10,
    seed: int = 0,
    time_limit: float = 10.0,
    seconds_per_unit: float = 1.0,
) -> RateResult:
    """Balance ``tasks`` for ``takt_time`` and simulate the line with the model ``mix``.

    Parameters
    ----------
    tasks
        Task graph; with ``model_times`` the per-model times are re-weighted by ``mix``.
    mix
        Model shares, e.g. ``{"sakura": 0.7, "ek": 0.3}``; ``None`` for a single model.
    takt_time
        Cycle time the balance must meet (time units, seconds by default).
    buffers, mtbf, mttr, hours, replications, seed
        As in :func:`insource.plant.simulate_line`.
    time_limit
        Seconds for the balancing solver.
    seconds_per_unit
        Seconds per time unit of the task times.

    Returns
    -------
    RateResult
        The rate the line sustains, at most ``3600 / takt_time`` per hour.

    """
    graph = tasks
    if mix and tasks.model_times:
        # the mix given here replaces the weights the task times were read with
        graph = replace(tasks, times=mix_times(tasks.model_times, mix))
    bal = salbp1(graph, takt_time, time_limit=time_limit, seed=seed)
    if graph.model_times and mix:
        station_times = {p: list(bal.model_loads[p]) for p in mix if mix[p] > 0}
        seq = mix_sequence({p: mix[p] for p in station_times})
    else:
        station_times = {"model": [float(x) for x in bal.loads]}
        seq = ["model"]
    sim = simulate_line(
        station_times,
        seq,
        buffers=buffers,
        mtbf=mtbf,
        mttr=mttr,
        hours=hours,
        replications=replications,
        seed=seed,
        seconds_per_unit=seconds_per_unit,
    )
    unit = 3600.0 / seconds_per_unit
    return RateResult(
        rate=sim.throughput,
        nominal_rate=unit / max(bal.loads),
        takt_rate=unit / takt_time,
        balance=bal,
        simulation=sim,
        sequence=tuple(seq),
    )
