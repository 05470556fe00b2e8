"""Car sequencing: CSPLib prob001 (move search, tabu search, CP-SAT) and ROADEF 2005.

Baseline side by side: the greedy sequence (no search) against the full method.
Environment: ``INSOURCE_ROADEF_SECONDS`` (limit per ROADEF instance, default 10),
``INSOURCE_ROADEF_MOVES`` (a move budget instead: the same result under any load) and
``INSOURCE_ROADEF_SETS`` (e.g. ``A,X``: only these sets, in this order);
``INSOURCE_CARSEQ_BOUND_SECONDS`` and ``INSOURCE_CARSEQ_BOUND_ARCS`` for the proven
lower bounds on the 100-car CSPLib instances (``csplib_bounds``).
"""

from __future__ import annotations

import os
import time

from benchmarks._plant_common import machine, rows, shared_dir, summary
from insource.plant import (
    evaluate_sequence,
    greedy_sequence,
    local_search_sequence,
    read_csplib,
    read_roadef,
    restart_search,
    sequence_cars,
)
from insource.plant._seqbounds import interaction_bound, score_lower_bound
from insource.plant._sequence import _weights

TIME_LIMIT = 10.0
ROADEF_TIME = float(os.environ.get("INSOURCE_ROADEF_SECONDS", "10"))
# move budget per ROADEF instance instead of the clock (fair under load), e.g. 20000000
ROADEF_MOVES = int(os.environ.get("INSOURCE_ROADEF_MOVES", "0")) or None
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
    instances = read_csplib(root / "data.txt")
    restart_search(instances[0], time_limit=None, max_moves=1)  # load (or compile) the kernel
    for inst in instances:
        t0, c0 = time.perf_counter(), time.process_time()
        r = sequence_cars(inst, time_limit=TIME_LIMIT, seed=0)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        g = evaluate_sequence(inst, greedy_sequence(inst)).violations
        known = int(best[inst.name]["best_known_violations"])
        if inst.n_cars == 200:
            sat200.append((r.evaluation.violations == 0, dt, g))
        else:
            # baseline side by side: the previous strategy (tabu search, then CP-SAT)
            t1 = time.perf_counter()
            old = sequence_cars(inst, time_limit=TIME_LIMIT, seed=0, method="tabu")
            dt_old = time.perf_counter() - t1
            lines.append(
                f"| {inst.name} | {known} | {g} | {old.evaluation.violations} ({dt_old:.1f} s) | "
                f"{r.evaluation.violations} | {r.bound:g} | {r.status} | {r.method} | {dt:.1f} | "
                f"{cpu:.1f} |"
            )
    ok = sum(v for v, _, _ in sat200)
    print(
        f"CSPLib 200-car: {ok}/{len(sat200)} with zero violations; "
        f"{summary([d for _, d, _ in sat200])}; greedy alone: "
        f"{sum(g == 0 for _, _, g in sat200)}/{len(sat200)} zero"
    )
    print(
        "| 100-car | best known | greedy | tabu + CP-SAT (old) | ours | bound | status | by "
        "| wall s | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    print(f"load average {os.getloadavg()}")


def roadef() -> None:
    root = shared_dir("carseq_roadef2005")
    if root is None:
        return
    limit = f"{ROADEF_MOVES} moves" if ROADEF_MOVES else f"{ROADEF_TIME:g} s"
    print(f"ROADEF 2005: local search {limit} per instance (challenge allowed 600 s)")
    print(
        "| set | instance | cars | order | greedy score | LS score | HPRC | PCC | LPRC | batch "
        "| bound | status | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    table = rows(root / "optima.csv")
    if ROADEF_SETS:
        order = [x.strip() for x in ROADEF_SETS.split(",")]
        table = sorted((r for r in table if r["set"] in order), key=lambda r: order.index(r["set"]))
    for row in table:
        inst = read_roadef(root / row["path"])
        g = evaluate_sequence(inst, greedy_sequence(inst))
        cpu = time.process_time()
        r = sequence_cars(inst, time_limit=ROADEF_TIME, seed=0, max_moves=ROADEF_MOVES)
        cpu = time.process_time() - cpu
        ev = r.evaluation
        print(
            f"| {row['set']} | {row['instance']} | {inst.n_cars} | {row['objective_order']} | "
            f"{g.score} | {ev.score} | {ev.hprc} | {ev.pcc} | {ev.lprc} | {ev.batch_violations} "
            f"| {r.bound:.0f} | {r.status} | {cpu:.1f} |",
            flush=True,
        )


def roadef_side_by_side() -> None:
    """Old swap local search (Python) against the compiled move search, same wall time each.

    ``INSOURCE_ROADEF_SETS`` picks the sets (default ``A``), ``INSOURCE_ROADEF_SECONDS``
    the time per instance and method; the two run one after the other in this process.
    """
    root = shared_dir("carseq_roadef2005")
    if root is None:
        return
    sets = [x.strip() for x in (ROADEF_SETS or "A").split(",")]
    print(f"machine: {machine()}; {ROADEF_TIME:g} s per instance and method")
    print("| set | instance | cars | greedy | swap LS (old) | move search (new) | new/old |")
    print("|---|---|---|---|---|---|---|")
    better = worse = 0
    for row in rows(root / "optima.csv"):
        if row["set"] not in sets:
            continue
        inst = read_roadef(root / row["path"])
        g = evaluate_sequence(inst, greedy_sequence(inst)).score
        old = local_search_sequence(inst, time_limit=ROADEF_TIME, seed=0, temperature=0.0)
        new = restart_search(inst, time_limit=ROADEF_TIME, seed=0)
        a, b = old.evaluation.score, new.evaluation.score
        better += b < a
        worse += b > a
        ratio = f"{b / a:.3f}" if a else "-"
        print(
            f"| {row['set']} | {row['instance']} | {inst.n_cars} | {g} | {a} | {b} | {ratio} |",
            flush=True,
        )
    print(f"new better on {better}, worse on {worse}; load {os.getloadavg()}")


def csplib_bounds() -> None:
    """Proven lower bounds on the 100-car CSPLib instances, with their CPU time.

    Rule by rule (exact LP), then groups of interacting rules (flow LP,
    ``interaction_bound``) with ``INSOURCE_CARSEQ_BOUND_SECONDS`` (default 120) and
    ``INSOURCE_CARSEQ_BOUND_ARCS`` (default 200000) per instance.
    """
    root = shared_dir("carseq_csplib")
    if root is None:
        return
    seconds = float(os.environ.get("INSOURCE_CARSEQ_BOUND_SECONDS", "120"))
    max_arcs = int(os.environ.get("INSOURCE_CARSEQ_BOUND_ARCS", "200000"))
    best = {r["instance"]: r for r in rows(root / "optima.csv")}
    print(f"machine: {machine()}; group bounds: {seconds:g} s, {max_arcs} arcs per instance")
    print("| 100-car | best known | rule bounds | group bound | CPU s |")
    print("|---|---|---|---|---|")
    for inst in read_csplib(root / "data.txt")[:9]:
        cpu = time.process_time()
        total, per_rule = score_lower_bound(inst, _weights(inst), partial_end=False)
        weights = [1] * len(inst.ratios)
        grouped = interaction_bound(inst, weights, per_rule, time_limit=seconds, max_arcs=max_arcs)
        cpu = time.process_time() - cpu
        known = best[inst.name]["best_known_violations"]
        print(f"| {inst.name} | {known} | {total} | {grouped} | {cpu:.1f} |", flush=True)


def main() -> None:
    csplib()
    csplib_bounds()
    roadef()


if __name__ == "__main__":
    main()
