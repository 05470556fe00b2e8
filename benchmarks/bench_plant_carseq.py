"""Car sequencing: CSPLib prob001 (tabu search + CP-SAT) and ROADEF 2005 (local search).

Baseline side by side: the greedy sequence (no search) against the full method.
Environment: ``INSOURCE_ROADEF_SECONDS`` (limit per ROADEF instance, default 10) and
``INSOURCE_ROADEF_SETS`` (e.g. ``A,X``: only these sets, in this order).
"""

from __future__ import annotations

import os
import time

from benchmarks._plant_common import machine, rows, shared_dir, summary
from insource.plant import (
    evaluate_sequence,
    greedy_sequence,
    read_csplib,
    read_roadef,
    sequence_cars,
)

TIME_LIMIT = 10.0
ROADEF_TIME = float(os.environ.get("INSOURCE_ROADEF_SECONDS", "10"))
# e.g. "A,X": run only these sets, in this order (default: all, in the data's order)
ROADEF_SETS = os.environ.get("INSOURCE_ROADEF_SETS", "")


def csplib() -> None:
    root = shared_dir("carseq_csplib")
    if root is None:
        return
    best = {r["instance"]: r for r in rows(root / "optima.csv")}
    print(f"machine: {machine()}; CSPLib time limit {TIME_LIMIT:g} s per instance")
    sat200 = []
    lines = []
    for inst in read_csplib(root / "data.txt"):
        t0 = time.perf_counter()
        r = sequence_cars(inst, time_limit=TIME_LIMIT, seed=0)
        dt = time.perf_counter() - t0
        g = evaluate_sequence(inst, greedy_sequence(inst)).violations
        known = int(best[inst.name]["best_known_violations"])
        if inst.n_cars == 200:
            sat200.append((r.evaluation.violations == 0, dt, g))
        else:
            lines.append(
                f"| {inst.name} | {known} | {g} | {r.evaluation.violations} | "
                f"{r.bound:g} | {r.status} | {dt:.1f} |"
            )
    ok = sum(v for v, _, _ in sat200)
    print(
        f"CSPLib 200-car: {ok}/{len(sat200)} with zero violations; "
        f"{summary([d for _, d, _ in sat200])}; greedy alone: "
        f"{sum(g == 0 for _, _, g in sat200)}/{len(sat200)} zero"
    )
    print("| 100-car | best known | greedy | ours | bound | status | s |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(lines))


def roadef() -> None:
    root = shared_dir("carseq_roadef2005")
    if root is None:
        return
    print(f"ROADEF 2005: local search {ROADEF_TIME:g} s per instance (challenge allowed 600 s)")
    print("| set | instance | cars | order | greedy score | LS score | HPRC | PCC | LPRC | batch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    table = rows(root / "optima.csv")
    if ROADEF_SETS:
        order = [x.strip() for x in ROADEF_SETS.split(",")]
        table = sorted((r for r in table if r["set"] in order), key=lambda r: order.index(r["set"]))
    for row in table:
        inst = read_roadef(root / row["path"])
        g = evaluate_sequence(inst, greedy_sequence(inst))
        r = sequence_cars(inst, time_limit=ROADEF_TIME, seed=0)
        ev = r.evaluation
        print(
            f"| {row['set']} | {row['instance']} | {inst.n_cars} | {row['objective_order']} | "
            f"{g.score} | {ev.score} | {ev.hprc} | {ev.pcc} | {ev.lprc} | {ev.batch_violations} |",
            flush=True,
        )


def main() -> None:
    csplib()
    roadef()


if __name__ == "__main__":
    main()
