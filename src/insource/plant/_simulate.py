"""Discrete-event simulation of a serial (mixed-model) assembly line with SimPy.

Jobs follow the model sequence (repeated) through stations ``1..m``. A station
works on one job at a time for that model's station time. Between stations ``i``
and ``i+1`` sits a buffer of ``B_i`` places; with ``B_i = 0`` a finished job stays
in station ``i`` until station ``i+1`` is free (blocking after service). The first
station never starves (the body shop always has a car) and the last never blocks.

Breakdowns: each station fails after an exponential time to failure (mean MTBF)
and is repaired after an exponential repair time (mean MTTR). Failures are
time-based (they also happen while idle or blocked) and a job in progress resumes
where it stopped (preemptive resume), so the long-run availability is exactly
``MTBF / (MTBF + MTTR)`` (an alternating renewal process; Ross 1996, thm 3.4.4).

Without breakdowns and times fixed, departure times obey the recursion
``S[j,i] = max(D[j,i-1], D[j-1,i])``, ``D[j,i] = max(S[j,i] + t[j,i], D[j-B_i-1,i+1])``
(Dallery & Gershwin 1992), implemented in :func:`deterministic_departures` and used
to check the simulation.

Estimates are means over seeded replications with a Student-t confidence interval
``mean +/- t_{1-a/2, R-1} s / sqrt(R)`` (Law 2015, ch. 9).

References
----------
Dallery, Y., Gershwin, S.B. (1992). Manufacturing flow line systems: a review of
models and analytical results. *Queueing Systems* 12, 3-94.
Law, A.M. (2015). *Simulation Modeling and Analysis*, 5th ed. McGraw-Hill.

"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy
from scipy import stats

from insource.errors import InsourceError

__all__ = [
    "SimulationResult",
    "confidence_interval",
    "deterministic_departures",
    "simulate_line",
]


def confidence_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval ``(mean, low, high)`` of replication values."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class SimulationResult:
    """Throughput, utilisation and availability estimates with confidence intervals.

    Attributes
    ----------
    throughput
        ``(mean, low, high)`` jobs per hour.
    stations
        One row per station: ``utilisation`` (share of time processing), ``blocked``,
        ``availability``, each with ``_low``/``_high`` interval bounds, and the
        theoretical availability ``MTBF/(MTBF+MTTR)``.
    replications
        One row per replication: ``replication``, ``jobs``, ``throughput``.

    """

    throughput: tuple[float, float, float]
    stations: pd.DataFrame
    replications: pd.DataFrame
    level: float

    def to_dict(self) -> dict[str, object]:
        """Plain dictionary for JSON output."""
        mean, low, high = self.throughput
        return {
            "throughput_per_hour": {"mean": mean, "low": low, "high": high, "level": self.level},
            "stations": self.stations.to_dict(orient="records"),
            "replications": self.replications.to_dict(orient="records"),
        }


def deterministic_departures(
    times: Sequence[Sequence[float]], buffers: Sequence[int]
) -> list[list[float]]:
    """Departure time of each job from each station of a line with fixed times.

    ``times[j][i]`` is job ``j``'s time at station ``i``; ``buffers[i]`` the places
    after station ``i``. Returns ``D[j][i]``, the time job ``j`` leaves station ``i``.
    """
    n = len(times)
    m = len(times[0]) if n else 0
    D = [[0.0] * m for _ in range(n)]
    S = [[0.0] * m for _ in range(n)]
    for j in range(n):
        for i in range(m):
            arrive = D[j][i - 1] if i > 0 else (D[j - 1][0] if j > 0 else 0.0)
            free = D[j - 1][i] if j > 0 else 0.0
            S[j][i] = max(arrive, free)
            done = S[j][i] + times[j][i]
            if i + 1 < m:
                back = j - buffers[i] - 1
                # the place downstream frees when job `back` leaves station i+1; that
                # value is only known after job `back` went through, which it has.
                done = max(done, D[back][i + 1] if back >= 0 else 0.0)
            D[j][i] = done
    return D


class _Station:
    def __init__(self, env: simpy.Environment, index: int) -> None:
        self.env = env
        self.index = index
        self.resource = simpy.Resource(env, capacity=1)
        self.down = False
        self.fail_event = env.event()
        self.repair_event = env.event()
        self.busy = 0.0
        self.blocked = 0.0
        self.downtime = 0.0

    def work(self, duration: float):  # type: ignore[no-untyped-def]
        """Process for ``duration`` of work, pausing while the station is down."""
        remaining = duration
        while remaining > 1e-12:
            if self.down:
                yield self.repair_event
                continue
            begin = self.env.now
            timer = self.env.timeout(remaining)
            yield timer | self.fail_event
            self.busy += self.env.now - begin
            remaining -= self.env.now - begin
            if timer.processed or remaining <= 1e-12:
                remaining = 0.0

    def breakdowns(self, rng: random.Random, mtbf: float, mttr: float, horizon: float):  # type: ignore[no-untyped-def]
        while True:
            yield self.env.timeout(rng.expovariate(1.0 / mtbf))
            self.down = True
            self.fail_event.succeed()
            self.fail_event = self.env.event()
            repair = rng.expovariate(1.0 / mttr)
            start = self.env.now
            yield self.env.timeout(repair)
            self.downtime += min(self.env.now, horizon) - min(start, horizon)
            self.down = False
            self.repair_event.succeed()
            self.repair_event = self.env.event()


def _run_once(
    station_times: Mapping[str, Sequence[float]],
    sequence: Sequence[str],
    buffers: Sequence[int],
    mtbf: Sequence[float | None],
    mttr: Sequence[float | None],
    warmup: float,
    horizon: float,
    rng_seed: str,
) -> tuple[list[float], list[_Station]]:
    env = simpy.Environment()
    m = len(buffers) + 1
    stations = [_Station(env, i) for i in range(m)]
    stores = [simpy.Resource(env, capacity=b) if b > 0 else None for b in buffers]
    departures: list[float] = []
    end = warmup + horizon
    for i, st in enumerate(stations):
        if mtbf[i] is not None and mttr[i] is not None:
            rng = random.Random(f"{rng_seed}/station{i}")
            env.process(st.breakdowns(rng, float(mtbf[i]), float(mttr[i]), end))  # type: ignore[arg-type]

    def job(model: str, entered: simpy.Event):  # type: ignore[no-untyped-def]
        req = stations[0].resource.request()
        yield req
        entered.succeed()
        for i in range(m):
            st = stations[i]
            t = station_times[model][i]
            if env.now < end:
                pass
            yield from st.work(t)
            if i == m - 1:
                st.resource.release(req)
                departures.append(env.now)
                return
            done = env.now
            store = stores[i]
            if store is not None:
                slot = store.request()
                yield slot
                st.blocked += env.now - done
                st.resource.release(req)
                req = stations[i + 1].resource.request()
                yield req
                store.release(slot)
            else:
                nxt = stations[i + 1].resource.request()
                yield nxt
                st.blocked += env.now - done
                st.resource.release(req)
                req = nxt

    def source():  # type: ignore[no-untyped-def]
        k = 0
        while True:
            entered = env.event()
            env.process(job(sequence[k % len(sequence)], entered))
            k += 1
            yield entered

    env.process(source())

    # Measure busy/blocked only over [warmup, end]: reset counters at warm-up.
    def reset():  # type: ignore[no-untyped-def]
        yield env.timeout(warmup)
        for st in stations:
            st.busy = st.blocked = 0.0

    env.process(reset())
    env.run(until=end)
    return departures, stations


def simulate_line(
    station_times: Mapping[str, Sequence[float]] | Sequence[float],
    sequence: Sequence[str] | None = None,
    *,
    buffers: int | Sequence[int] = 0,
    mtbf: float | Sequence[float | None] | None = None,
    mttr: float | Sequence[float | None] | None = None,
    hours: float = 8.0,
    warmup_hours: float = 1.0,
    replications: int = 10,
    seed: int = 0,
    seconds_per_unit: float = 1.0,
    level: float = 0.95,
) -> SimulationResult:
    """Simulate the line and estimate throughput and utilisation with confidence intervals.

    Parameters
    ----------
    station_times
        ``{model: [time at station 1, ..., station m]}`` or one list for a single model.
    sequence
        Model launch order, repeated (default: the models in turn).
    buffers
        Places between consecutive stations (one number for all, or ``m-1`` numbers).
    mtbf, mttr
        Mean time between failures and to repair, in the time unit (per station or one
        for all); ``None`` = no breakdowns.
    hours, warmup_hours
        Measured horizon and warm-up discarded before it.
    replications, seed
        Independent replications; replication ``r`` uses streams seeded from ``(seed, r)``.
    seconds_per_unit
        Seconds per time unit of the task times (1 = times in seconds).
    level
        Confidence level of the intervals.

    Returns
    -------
    SimulationResult
        Throughput in jobs per hour: ``(k - 1) / (d_k - d_1)`` over the ``k`` departures
        in the measured horizon, so a periodic line is measured without end effects.

    """
    if not isinstance(station_times, Mapping):
        station_times = {"model": list(station_times)}
    models = list(station_times)
    if not models:
        raise InsourceError("no station times given", "")
    m = len(station_times[models[0]])
    if m == 0 or any(len(v) != m for v in station_times.values()):
        raise InsourceError("every model needs one time per station", "")
    if any(t < 0 for v in station_times.values() for t in v):
        raise InsourceError("station times must be >= 0", "")
    seq = list(sequence) if sequence else models
    unknown = sorted(set(seq) - set(models))
    if unknown:
        raise InsourceError(
            f"sequence names unknown models {unknown}", f"models: {', '.join(models)}"
        )
    buf = [buffers] * (m - 1) if isinstance(buffers, int) else list(buffers)
    if len(buf) != m - 1 or any(b < 0 for b in buf):
        raise InsourceError(f"give {m - 1} non-negative buffer sizes", "")
    fail = _per_station(mtbf, m, "mtbf")
    fix = _per_station(mttr, m, "mttr")
    if replications < 1:
        raise InsourceError("replications must be >= 1", "")
    unit = 3600.0 / seconds_per_unit  # time units per hour
    warmup, horizon = warmup_hours * unit, hours * unit
    rows, st_rows = [], []
    for r in range(replications):
        deps, stations = _run_once(
            station_times, seq, buf, fail, fix, warmup, horizon, f"{seed}/{r}"
        )
        inside = [d for d in deps if d >= warmup]
        rate = (len(inside) - 1) / (inside[-1] - inside[0]) * unit if len(inside) >= 2 else 0.0
        rows.append({"replication": r, "jobs": len(inside), "throughput": rate})
        for st in stations:
            st_rows.append(
                {
                    "replication": r,
                    "station": st.index + 1,
                    "utilisation": st.busy / horizon,
                    "blocked": st.blocked / horizon,
                    "availability": 1.0 - st.downtime / (warmup + horizon),
                }
            )
    reps = pd.DataFrame(rows)
    per = pd.DataFrame(st_rows)
    table = []
    for i in range(m):
        sub = per[per["station"] == i + 1]
        row: dict[str, float] = {"station": i + 1}
        for col in ("utilisation", "blocked", "availability"):
            mean, low, high = confidence_interval(sub[col].tolist(), level)
            row[col], row[f"{col}_low"], row[f"{col}_high"] = mean, low, high
        a, b = fail[i], fix[i]
        row["availability_theory"] = a / (a + b) if a is not None and b is not None else 1.0
        table.append(row)
    stations_df = pd.DataFrame(table)
    stations_df.attrs["name"] = "station statistics"
    reps.attrs["name"] = "replications"
    return SimulationResult(
        confidence_interval(reps["throughput"].tolist(), level), stations_df, reps, level
    )


def _per_station(
    value: float | Sequence[float | None] | None, m: int, name: str
) -> list[float | None]:
    if value is None:
        return [None] * m
    if isinstance(value, int | float):
        vals: list[float | None] = [float(value)] * m
    else:
        vals = list(value)
    if len(vals) != m:
        raise InsourceError(f"give one {name} per station ({m}) or one for all", "")
    if any(v is not None and v <= 0 for v in vals):
        raise InsourceError(f"{name} must be positive", "")
    return vals
