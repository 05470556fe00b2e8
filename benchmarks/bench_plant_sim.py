"""Line simulation checks: analytical throughput and availability, and buffer effect."""

from __future__ import annotations

import time

from benchmarks._plant_common import machine
from insource.plant import simulate_line

TIMES = [50.0, 60.0, 55.0, 58.0]


def main() -> None:
    print(f"machine: {machine()}")
    t0 = time.perf_counter()
    det = simulate_line(TIMES, hours=8, replications=3)
    print(
        f"no breakdowns, no buffers: {det.throughput[0]:.6f} jobs/h vs analytical "
        f"3600/max t = {3600 / max(TIMES):.6f} ({time.perf_counter() - t0:.2f} s)"
    )
    for buffers in (0, 2, 5):
        t0 = time.perf_counter()
        res = simulate_line(
            TIMES, mtbf=1800, mttr=180, buffers=buffers, hours=40, replications=20, seed=1
        )
        st = res.stations
        inside = (
            (st["availability_low"] <= st["availability_theory"])
            & (st["availability_theory"] <= st["availability_high"])
        ).sum()
        mean, low, high = res.throughput
        print(
            f"MTBF 1800 s, MTTR 180 s, buffers {buffers}: throughput {mean:.2f} "
            f"[{low:.2f}, {high:.2f}] jobs/h; availability "
            f"{', '.join(f'{a:.4f}' for a in st['availability'])} (theory "
            f"{st['availability_theory'].iloc[0]:.4f}), {inside}/{len(st)} intervals cover it "
            f"({time.perf_counter() - t0:.1f} s)"
        )


if __name__ == "__main__":
    main()
