"""What the decision report costs next to the compare it reports on.

Runs ``compare`` on the built-in case (the baseline), then times in the same
process: the demand paths, the model-size rebuild the audit uses, building the
report (charts, tables) and writing the HTML page and the workbook. The risk
tables are synthetic but of the real shape (10,000 samples per option), so
the NPV-distribution chart and the workbook carry the full load.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from insource.risk._analyse import summary_table


class _Risk:
    def __init__(self, options: list[str], baseline: str, npv0: dict[str, float], n: int) -> None:
        rng = np.random.default_rng(0)
        frames = [
            pd.DataFrame({"sample": np.arange(n), "option": o, "npv": rng.normal(npv0[o], 8e9, n)})
            for o in options
        ]
        self.npv = pd.concat(frames, ignore_index=True)
        wide = self.npv.pivot(index="sample", columns="option", values="npv")[options]
        self.summary = summary_table(wide.to_numpy(), options, baseline, "JPY")
        ids = [f"input-{i}" for i in range(13)]
        lo = rng.uniform(0, 1e10, 13)
        self.tornado = pd.DataFrame(
            {
                "input": ids,
                "label": ids,
                "low": 1.0,
                "high": 2.0,
                "npv_low": 2e10 - lo,
                "npv_high": 2e10 + lo[::-1],
            }
        )
        self.tornado["swing"] = (self.tornado["npv_high"] - self.tornado["npv_low"]).abs()
        self.sobol = pd.DataFrame(
            {"input": ids, "label": ids, "S1": 0.05, "S1_conf": 0.01, "ST": 0.07, "ST_conf": 0.01}
        )
        self.breakeven = pd.DataFrame(
            {
                "option": options[1:3],
                "input": ids[:2],
                "label": ids[:2],
                "base": [1.0, 2.0],
                "breakeven": [1.1, 1.5],
                "unit": "JPY/unit",
            }
        )
        self.waiting = None
        self.meta = {"samples": n, "seed": 0, "method": "lhs"}


def main() -> None:
    """Print the timings as a table (wall and CPU seconds, and as shares of compare)."""
    from insource.case import load_case
    from insource.plan import compare
    from insource.report import audit_table, build_report, demand_view, write_report
    from insource.report.cli import _model_size

    case = load_case("nissan-kei-ev")
    t: dict[str, float] = {}
    cpu: dict[str, float] = {}
    clock = [0.0, 0.0]

    def start() -> None:
        clock[:] = [time.perf_counter(), time.process_time()]

    def stop(label: str) -> None:
        t[label] = time.perf_counter() - clock[0]
        cpu[label] = time.process_time() - clock[1]

    start()
    cmp = compare(case)
    stop("compare (baseline)")
    opts = [str(o) for o in cmp.summary["option"]]
    npv0 = dict(zip(opts, cmp.summary["npv"].astype(float), strict=True))
    risk = _Risk(opts, cmp.baseline, npv0, 10_000)
    start()
    dv = demand_view(case, paths=1000, seed=0)
    stop("demand paths (1,000)")
    start()
    size = _model_size(cmp.results[cmp.baseline])
    stop("model size (rebuild one MILP)")
    with tempfile.TemporaryDirectory() as tmp:
        for label in ("build report (first, imports plotly)", "build report (again)"):
            start()
            rep = build_report(case, cmp, risk, dv, audit_table(case, cmp, 0, 10_000, size, risk))
            stop(label)
        start()
        html, xlsx = write_report(rep, Path(tmp) / "r.html", Path(tmp) / "r.xlsx")
        stop("write HTML + workbook")
        sizes = (html.stat().st_size, xlsx.stat().st_size)
    base, base_cpu = t["compare (baseline)"], cpu["compare (baseline)"]
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'step':<40} {'wall s':>7} {'/ compare':>10} {'CPU s':>7} {'/ compare':>10}")
    for k, v in t.items():
        c = cpu[k]
        print(f"{k:<40} {v:7.2f} {v / base:10.2f} {c:7.2f} {c / base_cpu:10.2f}")
    print(f"HTML {sizes[0] / 1e6:.2f} MB, workbook {sizes[1] / 1e6:.2f} MB")
