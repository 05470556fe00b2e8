"""OR-Library capacitated facility location through the planner.

``python -m benchmarks --only plan_orlib``: imports every instance of
``../shared/benchmarks/orlib_cap/optima.csv`` (``BENCH_ORLIB`` selects a
comma-separated subset, e.g. ``cap41,capa_8000``), plans it with lost sales
forbidden (time limit ``BENCH_ORLIB_LIMIT``, 300 s; 2 threads) and compares the
cost with the published optimum.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from insource.case import load_case
from insource.plan import PlanSettings, build_model, plan_data, select_option, solve_model
from insource.plan._model import objective_constant
from insource.plan._orlib import write_orlib_case

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "orlib_cap"
LIMIT = float(os.environ.get("BENCH_ORLIB_LIMIT", "300"))


def main() -> None:
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} is absent")
        return
    optima = pd.read_csv(SHARED / "optima.csv")
    wanted = os.environ.get("BENCH_ORLIB")
    if wanted:
        optima = optima[optima["instance"].isin(wanted.split(","))]
    settings = PlanSettings(allow_lost_sales=False, inventory=False)
    print(f"time limit {LIMIT:.0f} s, 2 threads")
    print("instance     optimum          found            rel.err    build_s  solve_s  status")
    with tempfile.TemporaryDirectory() as tmp:
        for _, row in optima.iterrows():
            cap = None if pd.isna(row["capacity"]) else float(row["capacity"])
            folder = write_orlib_case(SHARED / row["file"], Path(tmp) / row["instance"], cap)
            t0 = time.perf_counter()
            case = load_case(folder)
            d = plan_data(case, select_option(case, "optimise"), settings)
            m = build_model(d)
            build = time.perf_counter() - t0
            out = solve_model(m, time_limit=LIMIT, gap=1e-9, threads=2)
            cost = -(out.objective + objective_constant(d))
            err = (cost - row["value"]) / row["value"]
            status = out.status if out.status == "optimal" else f"gap {out.gap:.3%}"
            print(
                f"{row['instance']:12s} {row['value']:<16,.3f} {cost:<16,.3f} {err:<10.2e} "
                f"{build:7.2f}  {out.seconds:7.2f}  {status}",
                flush=True,
            )


if __name__ == "__main__":
    main()
