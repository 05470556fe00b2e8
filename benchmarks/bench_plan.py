"""Planner benchmark: synthetic cases of growing size, strong vs textbook formulation.

``python -m benchmarks --only plan`` (sizes from ``BENCH_PLAN_SIZES``, e.g.
``5x4x120,20x10x60``; time limit per solve from ``BENCH_PLAN_LIMIT``, 120 s;
variants from ``BENCH_PLAN_VARIANTS``, default all three; ``BENCH_PLAN_BUILD_ONLY=1``
measures the build alone). For each size and variant: build time (planning
data and model, wall and CPU), microseconds per variable, peak memory of the
process after the build (ru_maxrss), time to a 0.5% gap (or the gap at the
limit) and the gap at 60 s (read from the HiGHS log), on 2 threads.

Variants: *strong+fo* (bounds from capacity and demand, the shift floor,
starts on a quarterly grid; the MIP on a copy of the model in a background
thread for its bound from the first second; the LP relaxation, the status quo
and the relaxation rounded as candidate starts, improved by fix-and-optimise
over groups of lines and of products, alternating, for three quarters of the
time, then the MIP from the best plan: what ``insource plan`` does on large
models), *strong+fo-lines* (the fourth pass's heuristic: line groups only,
half the time, no background bound), *strong+start* (the status quo alone
as the MIP start),
*strong* (no start), *textbook* (big-M with an arbitrary constant and a
start binary every month) and, on request, *strong+lpround* (the start
rounded from the LP relaxation, no fix-and-optimise).
"""

from __future__ import annotations

import os
import re
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import write_case
from insource.case import load_case
from insource.plan import PlanSettings, build_model, plan_data, select_option, solve_model
from insource.plan._solve import HEURISTIC_SHARE
from insource.plan._start import line_groups, neighbourhoods, relaxation_start, status_quo_start

SIZES = os.environ.get("BENCH_PLAN_SIZES", "5x4x120,20x10x60,20x10x120,50x30x120")
LIMIT = float(os.environ.get("BENCH_PLAN_LIMIT", "120"))
BUILD_ONLY = os.environ.get("BENCH_PLAN_BUILD_ONLY", "") not in ("", "0")
VARIANTS = {
    "strong+fo": (PlanSettings(start_step=3), "fix_and_optimise"),
    "strong+fo-lines": (PlanSettings(start_step=3), "fix_and_optimise_lines"),
    "strong+start": (PlanSettings(start_step=3), "status_quo"),
    "strong": (PlanSettings(start_step=3), ""),
    "textbook": (PlanSettings(start_step=1, formulation="textbook"), ""),
    "strong+lpround": (PlanSettings(start_step=3), "rounded"),
}
CHOSEN = os.environ.get(
    "BENCH_PLAN_VARIANTS", "strong+fo,strong+fo-lines,strong+start,textbook"
).split(",")
_TIME = re.compile(r"^\d+(\.\d+)?s$")
_GAP = re.compile(r"^(\d+(\.\d+)?%|inf|Large)$")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def gap_at(log: Path, seconds: float) -> str:
    """The MIP gap HiGHS logged last at or before ``seconds`` (its B&B progress table)."""
    last = "-"
    if not log.exists():
        return last
    for line in log.read_text(errors="replace").splitlines():
        tokens = line.split()  # ... dual primal gap cuts inlp confl lpiters time
        row = len(tokens) >= 10 and _TIME.match(tokens[-1]) and _GAP.match(tokens[-6])
        if row and float(tokens[-1][:-1]) <= seconds:
            last = tokens[-6]
    return last


def run_one(folder: Path, settings: PlanSettings, start: str, log: Path) -> dict[str, object]:
    case = load_case(folder)
    t0, c0 = time.perf_counter(), _cpu()
    d = plan_data(case, select_option(case, "optimise"), settings)
    t1, c1 = time.perf_counter(), _cpu()
    m = build_model(d)
    t2, c2 = time.perf_counter(), _cpu()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # process peak so far
    out: dict[str, object] = {
        "vars": m.nvars,
        "ints": m.binaries.nvars + m.integers.nvars,
        "data_s": t1 - t0,
        "model_s": t2 - t1,
        "build_s": t2 - t0,
        "build_cpu_s": c2 - c0,
        "us_per_var": (c2 - c0) / max(m.nvars, 1) * 1e6,
        "model_us_per_var": (c2 - c1) / max(m.nvars, 1) * 1e6,
        "peak_mb": peak / 2**20,
    }
    if BUILD_ONLY:
        return out
    log.unlink(missing_ok=True)
    fo = start.startswith("fix_and_optimise")
    lines_only = start == "fix_and_optimise_lines"
    c3 = _cpu()
    outcome = solve_model(
        m,
        time_limit=LIMIT,
        gap=0.005,
        threads=2,
        start=status_quo_start(d) if start == "status_quo" or fo else None,
        rounded_start=relaxation_start(d) if start == "rounded" or fo else None,
        neighbourhoods=(line_groups(d) if lines_only else neighbourhoods(d)) if fo else None,
        options={"output_flag": True, "log_to_console": False, "log_file": str(log)},
        heuristic_share=0.5 if lines_only else HEURISTIC_SHARE,
        background_bound=fo and not lines_only,
    )
    reached = outcome.status == "optimal"
    out.update(
        solve_cpu_s=_cpu() - c3,
        load=os.getloadavg()[0],
        solve_s=outcome.seconds,
        status=outcome.status,
        gap=outcome.gap,
        to_gap=f"{outcome.seconds:.1f} s" if reached else f"gap {outcome.gap:.2%} at {LIMIT:.0f} s",
        # with fix-and-optimise the log holds several solves: its table is the MIP's
        gap_60=(gap_at(log, 60.0) if not fo else "-") if outcome.seconds > 60 else "(done)",
    )
    return out


def main() -> None:
    print(f"time limit {LIMIT:.0f} s per solve, 2 threads, target gap 0.5%; CPU times in us/var")
    print(
        "size         variant         vars     ints   data_s model_s cpu_s  us/var model_us/var"
        "  peak_MB  to 0.5%            gap@60s  solve_cpu_s  load"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES.split(","):
            n_p, n_l, n_t = (int(v) for v in size.split("x"))
            folder = write_case(Path(tmp) / size, n_p, n_l, n_t, seed=7)
            times = {}
            for name in CHOSEN:
                settings, start = VARIANTS[name]
                r = run_one(folder, settings, start, Path(tmp) / "highs.log")
                times[name] = r
                cpu, load = r.get("solve_cpu_s"), r.get("load")
                print(
                    f"{size:12s} {name:15s} {r['vars']:<8} {r['ints']:<6} {r['data_s']:6.2f} "
                    f"{r['model_s']:7.2f} {r['build_cpu_s']:5.2f} {r['us_per_var']:7.1f} "
                    f"{r['model_us_per_var']:12.1f} {r['peak_mb']:8.1f}  "
                    f"{r.get('to_gap', '-'):18s} {r.get('gap_60', '-'):8s} "
                    f"{'-' if cpu is None else f'{cpu:11.1f}'}  "
                    f"{'-' if load is None else f'{load:.1f}'}",
                    flush=True,
                )
            if BUILD_ONLY or "textbook" not in times:
                continue
            b = times["textbook"]
            for name, s in times.items():
                if name == "textbook":
                    continue
                if s["status"] == "optimal" and b["status"] == "optimal":
                    ratio = float(b["solve_s"]) / float(s["solve_s"])  # type: ignore[arg-type]
                    print(f"{size:12s} ratio textbook/{name} time to 0.5%: {ratio:.2f}")
                elif b["status"] in ("optimal", "feasible") and s["status"] in (
                    "optimal",
                    "feasible",
                ):
                    ratio = float(b["gap"]) / max(float(s["gap"]), 1e-9)  # type: ignore[arg-type]
                    print(f"{size:12s} ratio textbook/{name} gap at the end: {ratio:.1f}")


if __name__ == "__main__":
    main()
