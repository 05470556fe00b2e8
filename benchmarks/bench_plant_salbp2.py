"""SALBP-2 on Scholl (1993): 302 instances (graph, m) with published optimal cycle times.

``optima_salbp2.csv`` lists ``c*`` (288 proven) or ``[lower,upper]`` bounds (14 open).
For each instance: our cycle time must never beat a proven ``c*`` or the listed lower
bound (that would be a wrong answer), and counts as solved when proven optimal at
``c*``. ``BENCH_SALBP2_EVERY=k`` runs every k-th instance (default 1: all);
``BENCH_SALBP2_LIMIT`` sets the time limit per instance (default 10 s). The baseline,
one CP-SAT model minimising ``c`` (``salbp2(method="cpsat")``), runs side by side on
every ``BENCH_SALBP2_BASELINE_EVERY``-th instance run (default 5).
"""

from __future__ import annotations

import os
import time

from benchmarks._plant_common import machine, rows, shared_dir, summary
from insource.plant import check_assignment, read_in2, salbp2

TIME_LIMIT = float(os.environ.get("BENCH_SALBP2_LIMIT", "10"))
EVERY = int(os.environ.get("BENCH_SALBP2_EVERY", "1"))
BASELINE_EVERY = int(os.environ.get("BENCH_SALBP2_BASELINE_EVERY", "5"))


def _published(text: str) -> tuple[int, int]:
    """``(lower, upper)`` of a published ``c*`` or ``[lower,upper]``."""
    text = text.strip().strip('"')
    if text.startswith("["):
        lo, hi = text.strip("[]").split(",")
        return int(lo), int(hi)
    return int(text), int(text)


def scholl2() -> None:
    root = shared_dir("salbp_scholl1993")
    if root is None:
        return
    table = rows(root / "optima_salbp2.csv")[::EVERY]
    graphs = {}
    times, cpus, misses = [], [], []
    side: list[tuple[bool, float, bool, float]] = []  # hybrid ok, s; baseline ok, s
    proven = equal = open_better = 0
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for k, row in enumerate(table):
        g = graphs.setdefault(row["file"], read_in2(root / row["file"]))
        m = int(row["m_stations"])
        lo, hi = _published(row["c_star_or_bounds"])
        t0, p0 = time.perf_counter(), time.process_time()
        r = salbp2(g, m, time_limit=TIME_LIMIT)
        dt, cpu = time.perf_counter() - t0, time.process_time() - p0
        times.append(dt)
        cpus.append(cpu)
        c = round(r.cycle_time)
        assert not check_assignment(g, r.assignment, c), (row["file"], m)
        assert max(r.assignment) <= m, (row["file"], m)
        assert c >= lo, (row["file"], m, c, lo)  # never below a proven bound
        assert r.bound <= hi, (row["file"], m, r.bound, hi)  # nor a bound above a known c
        assert r.status != "optimal" or (lo == hi and c == lo) or lo <= c <= hi, (row["file"], m)
        name = f"{row['file'].removesuffix('.IN2')}_m{m}"
        ok = r.status == "optimal" and c == lo == hi
        proven += ok
        equal += c <= hi
        open_better += lo < hi and c < hi
        if lo == hi and not ok:
            misses.append(f"{name} ({c}/{r.bound:g} vs {lo})")
        print(f"  {name}: {c} (bound {r.bound:g}, {r.status}) {dt:.2f} s (CPU {cpu:.2f} s)")
        if k % BASELINE_EVERY == 0:
            t1 = time.perf_counter()
            b = salbp2(g, m, time_limit=TIME_LIMIT, method="cpsat")
            b_ok = b.status == "optimal" and round(b.cycle_time) == lo == hi
            side.append((ok, dt, b_ok, time.perf_counter() - t1))
    closed = sum(len(set(_published(row["c_star_or_bounds"]))) == 1 for row in table)
    print(f"machine: {machine()}; time limit {TIME_LIMIT:g} s per instance; every {EVERY}th")
    print(
        f"Scholl SALBP-2: {proven}/{closed} proven optimal = published c* "
        f"({len(table)} instances, {len(table) - closed} open); {equal}/{len(table)} at or "
        f"below the published (upper) value; {open_better} open ones improved; "
        f"{summary(times)}; CPU {summary(cpus)}"
    )
    print(f"  not proven: {', '.join(misses)}")
    hyb, base = sum(x[1] for x in side), sum(x[3] for x in side)
    print(
        f"Side by side on {len(side)} instances (every {BASELINE_EVERY}th run): hybrid "
        f"{sum(x[0] for x in side)} proven, {hyb:.1f} s; one-model CP-SAT "
        f"{sum(x[2] for x in side)} proven, {base:.1f} s; time ratio baseline/hybrid "
        f"{base / max(hyb, 1e-9):.2f}"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    scholl2()


if __name__ == "__main__":
    main()
