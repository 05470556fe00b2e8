"""Demand benchmarks.

1. The built-in case ``nissan-kei-ev`` (kei passenger-BEV segment + Sakura
   share, successor from FY2028): fit with 200 bootstrap replicates each, plus
   10,000 sampled paths over the case horizon (FY2026-FY2035). Target < 2 s.
2. Rolling-origin backtest of many synthetic monthly series (48 months, h = 6,
   2 windows) with the statistical models: one statsforecast call per window
   over the long table (``engine="vectorised"``, 1 and 2 worker processes)
   against a plain loop over series and windows with one model object each
   (``engine="loop"``), in the same process.
"""

from __future__ import annotations

import time
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
    t = _best(lambda: forecast_case(tables, fy_start=fy, n_paths=10_000, entries=entries))
    print(f"case fit (2 x 200 bootstrap) + 10,000 paths to FY2035: {t:.3f} s (target < 2 s)")


def bench_backtest(n_series: int, models: tuple[str, ...]) -> None:
    df = synthetic(n_series)
    kw = {"h": 6, "n_windows": 2, "season_length": 12}
    backtest(synthetic(4), models, **kw)  # JIT warm-up
    rows = []
    for engine, jobs in (("loop", 1), ("vectorised", 1), ("vectorised", 2)):
        t = time.perf_counter()
        res = backtest(df, models, engine=engine, n_jobs=jobs, **kw)
        rows.append((f"{engine} (n_jobs={jobs})", time.perf_counter() - t))
    base = rows[0][1]
    print(f"backtest {n_series} series x 2 windows, models {', '.join(models)}:")
    for name, t in rows:
        print(f"  {name:24s} {t:8.2f} s   speed-up vs loop {base / t:5.2f}x")
    print(res.metrics.round(3).to_string(index=False))


def main() -> None:
    bench_case()
    bench_backtest(1000, ("theta", "snaive"))
    bench_backtest(100, ("ets", "theta", "snaive"))
    bench_backtest(20, ("arima",))


if __name__ == "__main__":
    main()
