"""SALBP-1 on Scholl (1993, 269 instances) and Otto et al. (2013, n = 20/50/100).

Hybrid method (bounds, branch-bound-and-remember searches and CP-SAT decision models)
against the baseline of one CP-SAT model minimising m with the greedy hint, side by
side in the same process on a sample. Prints the load average before and after, since
the machine is shared.
"""

from __future__ import annotations

import os
import time

from benchmarks._plant_common import machine, rows, shared_dir, summary
from insource.plant import check_assignment, read_alb, read_in2, salbp1

TIME_LIMIT = 10.0
BASELINE_EVERY = 10  # baseline on every 10th Scholl instance
OTTO_SAMPLE = {20: 1, 50: 5, 100: 15}  # every k-th instance per size (file order)


def warm_up() -> float:
    """Seconds of the first call of the compiled searches (Numba compile or cache load)."""
    from insource.plant._bbr import StationSearch
    from insource.plant._hoffmann import hoffmann_balance

    t0 = time.perf_counter()
    times, arcs = [4, 3, 5, 2, 4, 2], [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (3, 5)]
    StationSearch(times, arcs, 10, [1] * 6).solve(3, 1000, float("inf"))
    hoffmann_balance(times, arcs, 10, 3, float("inf"))
    return time.perf_counter() - t0


def scholl() -> None:
    root = shared_dir("salbp_scholl1993")
    if root is None:
        return
    print(f"first call of the compiled searches: {warm_up():.2f} s (not counted below)")
    graphs = {}
    res_h, res_b = [], []
    misses = []
    cpus: list[float] = []
    for k, row in enumerate(rows(root / "optima.csv")):
        g = graphs.setdefault(row["file"], read_in2(root / row["file"]))
        c, m_star = int(row["cycle_time"]), int(row["m_star"])
        t0, p0 = time.perf_counter(), time.process_time()
        r = salbp1(g, c, time_limit=TIME_LIMIT, seed=0, workers=1)
        dt, cpu = time.perf_counter() - t0, time.process_time() - p0
        cpus.append(cpu)
        assert not check_assignment(g, r.assignment, c), row["instance"]
        assert r.objective >= m_star, row["instance"]  # never below a published optimum
        ok = r.status == "optimal" and r.objective == m_star
        res_h.append((ok, dt, r.objective == m_star))
        if not ok:
            misses.append(f"{row['instance']} ({r.objective}/{r.bound} vs {m_star})")
        print(
            f"  {row['instance']}: {r.objective:g} (bound {r.bound:g}, {r.status}) {dt:.2f} s "
            f"(CPU {cpu:.2f} s)",
            flush=True,
        )
        if k % BASELINE_EVERY == 0:
            t1 = time.perf_counter()
            b = salbp1(g, c, time_limit=TIME_LIMIT, seed=0, workers=1, method="cpsat")
            res_b.append(
                (b.status == "optimal" and b.objective == m_star, time.perf_counter() - t1, ok, dt)
            )
    n = len(res_h)
    print(f"machine: {machine()}; time limit {TIME_LIMIT:g} s per instance, 1 CP-SAT worker")
    print(
        f"Scholl SALBP-1: {sum(o for o, _, _ in res_h)}/{n} proven optimal = published m*, "
        f"{sum(e for _, _, e in res_h)}/{n} equal to m* (proven or not); "
        f"{summary([d for _, d, _ in res_h])}; over 10 s: {sum(d > 10 for _, d, _ in res_h)}"
    )
    print(f"  CPU time of the process per instance: {summary(cpus)}")
    print(f"  not proven: {', '.join(misses)}")
    hb = [x[3] for x in res_b]
    bb = [x[1] for x in res_b]
    print(
        f"Side by side on {len(res_b)} instances (every {BASELINE_EVERY}th): hybrid "
        f"{sum(x[2] for x in res_b)} optimal, total {sum(hb):.1f} s; baseline one-model CP-SAT "
        f"{sum(x[0] for x in res_b)} optimal, total {sum(bb):.1f} s; time ratio "
        f"baseline/hybrid {sum(bb) / max(sum(hb), 1e-9):.2f}"
    )


def otto() -> None:
    root = shared_dir("salbp_otto2013")
    if root is None:
        return
    table = rows(root / "optima.csv")
    for size, every in OTTO_SAMPLE.items():
        sel = [r for r in table if int(r["n_tasks"]) == size][::every]
        proven = equal = 0
        times = []
        for row in sel:
            g = read_alb(root / row["file"])
            c = int(row["cycle_time"])
            t0 = time.perf_counter()
            r = salbp1(g, c, time_limit=TIME_LIMIT)
            times.append(time.perf_counter() - t0)
            assert not check_assignment(g, r.assignment, c)
            proven += r.status == "optimal"
            if row["m_star"]:
                equal += r.objective == int(row["m_star"])
        listed = f", {equal}/{len(sel)} equal to the listed m*" if size == 20 else ""
        print(
            f"Otto n={size}: {proven}/{len(sel)} proven optimal within {TIME_LIMIT:g} s"
            f"{listed}; {summary(times)} (every {every}th instance)"
        )


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    print(f"before: {_load()}")
    scholl()
    print(f"after Scholl: {_load()}")
    otto()
    print(f"after Otto: {_load()}")


if __name__ == "__main__":
    main()
