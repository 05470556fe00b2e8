"""Planner benchmark: synthetic cases of growing size, strong vs textbook formulation.

``python -m benchmarks --only plan`` (sizes from ``BENCH_PLAN_SIZES``, e.g.
``5x4x120,20x10x60``; time limit per solve from ``BENCH_PLAN_LIMIT``, 120 s).
For each size and formulation: build time (data + model), microseconds per
variable, peak memory of the process after the build (ru_maxrss), time to a 0.5% gap (or the
gap at the limit), on 2 threads. The textbook formulation is a big-M with an
arbitrary constant and a start binary every month; the strong one has bounds
from capacity and demand and starts on a quarterly grid.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import write_case
from insource.case import load_case
from insource.plan import PlanSettings, build_model, plan_data, select_option, solve_model

SIZES = os.environ.get("BENCH_PLAN_SIZES", "5x4x120,20x10x60,20x10x120,50x30x120")
LIMIT = float(os.environ.get("BENCH_PLAN_LIMIT", "120"))
FORMULATIONS = {
    "strong": PlanSettings(start_step=3),
    "textbook": PlanSettings(start_step=1, formulation="textbook"),
}


def run_one(folder: Path, settings: PlanSettings) -> dict[str, float | str]:
    case = load_case(folder)
    t0 = time.perf_counter()
    d = plan_data(case, select_option(case, "optimise"), settings)
    m = build_model(d)
    build = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # process peak so far
    outcome = solve_model(m, time_limit=LIMIT, gap=0.005, threads=2)
    reached = outcome.status == "optimal"
    return {
        "vars": m.nvars,
        "ints": m.binaries.nvars + m.integers.nvars,
        "build_s": build,
        "us_per_var": build / max(m.nvars, 1) * 1e6,
        "peak_mb": peak / 2**20,
        "solve_s": outcome.seconds,
        "to_0.5%": f"{outcome.seconds:.1f} s"
        if reached
        else f"gap {outcome.gap:.2%} at {LIMIT:.0f} s",
        "status": outcome.status,
        "gap": outcome.gap,
    }


def main() -> None:
    print(f"time limit {LIMIT:.0f} s per solve, 2 threads, target gap 0.5%")
    header = "size         formulation  vars     ints   build_s  us/var  peak_MB  to 0.5%"
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES.split(","):
            n_p, n_l, n_t = (int(v) for v in size.split("x"))
            folder = write_case(Path(tmp) / size, n_p, n_l, n_t, seed=7)
            times = {}
            for name, settings in FORMULATIONS.items():
                r = run_one(folder, settings)
                times[name] = r
                print(
                    f"{size:12s} {name:12s} {r['vars']:<8} {r['ints']:<6} {r['build_s']:7.2f} "
                    f"{r['us_per_var']:7.1f} {r['peak_mb']:8.1f}  {r['to_0.5%']}",
                    flush=True,
                )
            s, b = times["strong"], times["textbook"]
            if s["status"] == "optimal" and b["status"] == "optimal":
                print(
                    f"{size:12s} ratio textbook/strong solve time: {float(b['solve_s']) / float(s['solve_s']):.2f}"
                )


if __name__ == "__main__":
    main()
