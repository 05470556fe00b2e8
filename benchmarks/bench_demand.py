"""Demand benchmarks.

1. The built-in case ``nissan-kei-ev`` (kei passenger-BEV segment + Sakura
   share, successor from FY2028): fit with 200 bootstrap replicates each, plus
   10,000 sampled paths over the case horizon (FY2026-FY2035). Target < 2 s.
   The bare fit (``n_paths=1``) is timed too, so the cost of the paths shows.
2. Rolling-origin backtest of 1,000 synthetic monthly series (48 months,
   h = 6, season 12) with the statistical models: one statsforecast call per
   window over the long table (``engine="vectorised"``) against a plain loop
   over series and windows with one model object each (``engine="loop"``),
   in the same process. Both engines fit the same models with statsforecast's
   defaults (AutoETS ``model="ZZZ"``; AutoARIMA stepwise search, ``nmodels=94``,
   CSS-ML) and are checked to give the same forecasts.

AutoETS and AutoARIMA are the expensive ones (about 0.1 s and 0.5 s per fit
on the shared 2-core machine), so they run on one window (1,000 fits per
engine); the cheap models on two. Sizes can be overridden with
``BENCH_DEMAND_SERIES`` (default 1000), ``BENCH_DEMAND_WINDOWS`` (windows of
the ETS runs, default 1) and ``BENCH_DEMAND_JOBS`` (worker processes
of the extra vectorised run, default 2; 0 skips it). AutoARIMA (one window)
runs the two engines interleaved, chunk by chunk of 10 series (alternating
which goes first), printing wall and CPU time (``BENCH_DEMAND_ARIMA_SERIES``,
default ``BENCH_DEMAND_SERIES``; ``BENCH_DEMAND_ARIMA_BUDGET`` seconds stops
it early with the ratio so far).
``BENCH_DEMAND_ONLY`` picks parts: ``case,cheap,ets,arima`` (the default).
statsforecast's per-series convergence warnings (``UserWarning`` from its
ARIMA optimiser) are silenced in both engines alike.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from insource.case import load_case
from insource.demand import backtest, forecast_case
from insource.demand._case import read_entries

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = ROOT / "src" / "insource" / "demand" / "data" / "kei_ev_entries.csv"


def _best(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def synthetic(n_series: int, n_months: int = 48, seed: int = 0) -> pd.DataFrame:
    """Seasonal monthly series with trend and noise, long format."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_months)
    level = rng.uniform(50, 500, n_series)[:, None]
    trend = rng.normal(0, 1, n_series)[:, None]
    amp = rng.uniform(0, 0.3, n_series)[:, None]
    y = level * (1 + amp * np.sin(2 * np.pi * t / 12)) + trend * t
    y = np.maximum(y + rng.normal(0, 0.05, y.shape) * level, 0)
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:04d}" for i in range(n_series)], n_months),
            "ds": np.tile(t, n_series),
            "y": y.ravel(),
        }
    )


def bench_case() -> None:
    case = load_case("nissan-kei-ev")
    tables, fy = case.tables, case.calendar.start_month
    entries = read_entries(ENTRIES)
    forecast_case(tables, fy_start=fy, n_paths=100, entries=entries)  # warm-up
    fit = _best(lambda: forecast_case(tables, fy_start=fy, n_paths=1, entries=entries))
    t = _best(lambda: forecast_case(tables, fy_start=fy, n_paths=10_000, entries=entries))
    print(
        f"case fit (2 x 200 bootstrap) + 10,000 paths to FY2035: {t:.3f} s "
        f"(fit alone {fit:.3f} s; target < 2 s; load {_load()})"
    )
    cf = forecast_case(tables, fy_start=fy, n_paths=1, entries=entries)
    bm = cf.market_model
    m_only = _best(lambda: bm.profile_interval(param="m"))
    pq = _best(lambda: (bm.profile_interval(param="p"), bm.profile_interval(param="q")))
    table = _best(cf.parameters)
    print(
        f"profile intervals on the case segment: m {m_only:.3f} s (baseline), p and q "
        f"{pq:.3f} s ({pq / m_only:.2f}x m); parameters() table {table:.3f} s "
        f"(load {_load()})"
    )


def bench_backtest(
    n_series: int, models: tuple[str, ...], n_windows: int, jobs: tuple[int, ...] = (1,)
) -> None:
    df = synthetic(n_series)
    kw = {"h": 6, "n_windows": n_windows, "season_length": 12}
    runs = [("loop", 1)] + [("vectorised", j) for j in jobs]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        backtest(synthetic(2), models, **kw)  # JIT warm-up
        results = {}
        for engine, n_jobs in runs:
            load = _load()
            t = time.perf_counter()
            results[(engine, n_jobs)] = backtest(df, models, engine=engine, n_jobs=n_jobs, **kw)
            rows.append((f"{engine} (n_jobs={n_jobs})", time.perf_counter() - t, load))
    base = rows[0][1]
    fits = n_series * n_windows * len(models)
    print(f"backtest {n_series} series x {n_windows} window(s), models {', '.join(models)}:")
    for name, t, load in rows:
        print(
            f"  {name:24s} {t:8.2f} s  {1000 * t / fits:6.1f} ms/fit  "
            f"speed-up vs loop {base / t:5.2f}x  (load at start {load})"
        )
    key = ["model", "unique_id", "window", "step"]
    ref = results[runs[0]].forecasts.sort_values(key)["mean"].to_numpy()
    for run in runs[1:]:
        other = results[run].forecasts.sort_values(key)["mean"].to_numpy()
        print(f"  max |loop - {run[0]}({run[1]})| forecast: {np.nanmax(np.abs(ref - other)):.3g}")
    print(results[runs[0]].metrics.round(3).to_string(index=False))


def bench_backtest_interleaved(
    n_series: int, models: tuple[str, ...], chunk: int = 10, budget_s: float = float("inf")
) -> None:
    """Loop and vectorised engine side by side on the same chunks of series.

    For the expensive models the two engines are timed chunk by chunk in
    alternation (loop on chunk 1, vectorised on chunk 1, loop on chunk 2,
    ...), so a load that changes over the run weighs on both alike, and a
    running total is printed after every chunk: a run stopped early (or cut
    by ``budget_s``, seconds) still gives a like-for-like ratio on the series
    done so far. Both wall-clock and CPU time of this process are reported:
    with one worker everything runs in this process, so its CPU time is the
    work done, far less disturbed than the wall clock by other jobs on a
    shared machine. Within a chunk the vectorised engine makes one
    statsforecast call over the chunk's series.
    """
    df = synthetic(n_series)
    ids = df["unique_id"].unique()
    kw = {"h": 6, "n_windows": 1, "season_length": 12}
    wall = {"loop": 0.0, "vectorised": 0.0}
    cpu = {"loop": 0.0, "vectorised": 0.0}
    done, diff = 0, 0.0
    start = time.perf_counter()
    print(
        f"backtest {n_series} series x 1 window, models {', '.join(models)}, "
        f"loop and vectorised interleaved in chunks of {chunk} series:"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        backtest(synthetic(2), models, **kw)  # JIT warm-up
        for k, lo in enumerate(range(0, n_series, chunk)):
            part = df[df["unique_id"].isin(ids[lo : lo + chunk])]
            res = {}
            order = ("loop", "vectorised") if k % 2 == 0 else ("vectorised", "loop")
            for engine in order:
                t, c = time.perf_counter(), time.process_time()
                res[engine] = backtest(part, models, engine=engine, **kw)
                wall[engine] += time.perf_counter() - t
                cpu[engine] += time.process_time() - c
            key = ["model", "unique_id", "window", "step"]
            a, b = (res[e].forecasts.sort_values(key)["mean"].to_numpy() for e in order)
            diff = max(diff, float(np.nanmax(np.abs(a - b))))
            done += part["unique_id"].nunique()
            fits = done * len(models)
            over = time.perf_counter() - start > budget_s and done < n_series
            if (k + 1) % 5 == 0 or done == n_series or over:
                print(
                    f"  {done:5d} series  wall: loop {wall['loop']:7.1f} s, vectorised "
                    f"{wall['vectorised']:7.1f} s ({wall['loop'] / wall['vectorised']:4.2f}x)  "
                    f"CPU: loop {cpu['loop']:6.1f} s ({1000 * cpu['loop'] / fits:4.0f} ms/fit), "
                    f"vectorised {cpu['vectorised']:6.1f} s ({1000 * cpu['vectorised'] / fits:4.0f} "
                    f"ms/fit) ({cpu['loop'] / cpu['vectorised']:4.2f}x)  max |diff| {diff:.3g}  "
                    f"load {_load()}  {time.strftime('%H:%M:%S')}",
                    flush=True,
                )
            if over:
                print(f"  stopped after {done} of {n_series} series (budget {budget_s:.0f} s)")
                break


def main() -> None:
    n = int(os.environ.get("BENCH_DEMAND_SERIES", "1000"))
    windows = int(os.environ.get("BENCH_DEMAND_WINDOWS", "1"))
    extra = int(os.environ.get("BENCH_DEMAND_JOBS", "2"))
    jobs = (1, extra) if extra > 1 else (1,)
    only = os.environ.get("BENCH_DEMAND_ONLY", "case,cheap,ets,arima").split(",")
    if "case" in only:
        bench_case()
    if "cheap" in only:
        bench_backtest(n, ("theta", "snaive"), 2, jobs)
    if "ets" in only:
        bench_backtest(n, ("ets",), windows, jobs)
    if "arima" in only:
        n_arima = int(os.environ.get("BENCH_DEMAND_ARIMA_SERIES", str(n)))
        budget = float(os.environ.get("BENCH_DEMAND_ARIMA_BUDGET", "inf"))
        bench_backtest_interleaved(n_arima, ("arima",), chunk=10, budget_s=budget)


if __name__ == "__main__":
    main()
