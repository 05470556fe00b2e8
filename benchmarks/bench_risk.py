"""Risk benchmarks (issue 5).

1. Evaluator throughput on the built-in case ``nissan-kei-ev``: the fused
   Numba kernel (``engine="fused"``, the default) against the previous NumPy
   evaluator (``engine="numpy"``, kept as the reference), each with 1 and 2
   threads (interleaved in one process, best of 3, wall and CPU time): three
   options (status quo, insource FY2028, status quo with LFP) x 120 months x 2
   products, in sample x month x product cells per second (cells counted per
   option), against a straightforward pandas implementation in the same run:
   each sample's money lines through ``insource.finance.cash_flow`` and ``npv``
   (the planner's reporting path), which also checks that both give the same
   NPV. Then the issue's own example, measured: 100,000 samples x 3 options x
   132 months (the case with its horizon extended to 2037-03) x 2 products;
   and the cost of the first call in a fresh process, with Numba's cache empty
   (compiling the kernel) and filled.
2. Peak memory of ``analyse`` (what ``insource risk`` runs: sampling,
   evaluation in chunks on a local Dask cluster, the NPV table, metrics,
   tornado, Sobol indices, break-evens) with 10 million samples, in a fresh
   subprocess: the resident memory of it and its Dask workers, sampled every
   0.2 s (``psutil``), and ``ru_maxrss``.
3. Block size of the evaluator: blocks of 256, 1024 (the default) and 4096
   samples, interleaved in one process (best of 3 each), for both engines;
   then the NumPy engine in a child process with the ``MALLOC_*`` environment
   as well. The NumPy engine asks glibc (``mallopt``) to keep freed memory:
   with malloc's defaults, temporaries above the mmap threshold are mapped and
   unmapped on every numpy operation and larger blocks get slower, not faster
   (benchmarks/RESULTS.md).
4. Scaling of ``analyse``'s chunk job (sample + evaluate) with 1 and 2 local
   Dask worker processes against the same run in this process on 1 and 2
   threads.

``python -m benchmarks --only risk`` (``RISK_BENCH_SAMPLES`` overrides the
10 million of part 2; ``RISK_BENCH_STUB=1`` replaces its evaluation by random
NPVs of the same shape, to measure the memory of everything else at full size
on a loaded machine).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from insource.case import load_case
from insource.finance import cash_flow, depreciation_schedule, npv
from insource.plan import compare
from insource.risk import evaluate_policy, risk_model, sample
from insource.risk._analyse import CHUNK, RiskModel, chunk_function
from insource.risk._cluster import dask_client, map_chunks
from insource.risk._evaluate import ENGINES, evaluate

OPTIONS = ["contract", "insource-fy2028", "contract-lfp"]


def _model() -> RiskModel:
    case = load_case("nissan-kei-ev")
    cmp = compare(case)
    cmp.results = {k: cmp.results[k] for k in OPTIONS}
    return risk_model(case, cmp)


def _pandas_npv(model: RiskModel, option: str, x: np.ndarray) -> np.ndarray:
    """One sample at a time: volumes, then tidy money lines, then cash flow and NPV in pandas."""
    pol = model.policies[model.options.index(option)]
    periods = pd.period_range(model.case.finance["start"], periods=pol.n_months, freq="M")
    out = np.empty(len(x))
    sc = model.scenario_column
    for s, row in enumerate(x):
        dx = (row - model.x0)[None, :]
        scen = None
        if sc is not None:
            scen = np.array([int(row[sc])])
            dx[:, sc] = 0.0
        rec: dict[str, object] = {}
        evaluate_policy(pol, dx, scen, record=rec)
        wins = rec["windows"]
        pieces = []

        def line(
            item: str, amount: np.ndarray, lo: int, source: str = "", pieces: list = pieces
        ) -> None:
            pieces.append(
                pd.DataFrame(
                    {
                        "period": periods[lo : lo + len(amount)],
                        "product": "",
                        "site": "",
                        "source": source,
                        "item": item,
                        "amount": amount,
                    }
                )
            )

        for i in range(len(pol.markets)):
            lo, hi = wins[i]  # type: ignore[index]
            dem, lost = rec["demand"][i][0], rec["lost"][i][0]  # type: ignore[index]
            price = pol.price[i].at(dx, lo, hi)[0]
            line("revenue", price * (dem - lost), lo)
            line("penalty", -pol.penalty[i].at(dx, lo, hi)[0] * lost, lo)
        for j, r in enumerate(pol.routes):
            lo, hi = wins[r.market]  # type: ignore[index]
            v = rec["volume"][j][0]  # type: ignore[index]
            mat = pol.material[r.market].at(dx, lo, hi)[0]
            bat = pol.battery[r.market].at(dx, lo, hi)[0]
            if r.kind == "inhouse":
                line("material", -mat * v, lo, "line")
                line("battery", -bat * v, lo, "line")
                line("conversion", -r.cost.at(dx, lo, hi)[0] * v, lo, "line")
            else:
                pc = pol.price_c[r.unit].at(dx, lo, hi)[0]
                line("contract", -pc * v, lo, "contract")
                line("jv_profit", pol.jv_share[r.unit] * pc * v, lo, "contract")
                line("logistics", -r.cost.at(dx, lo, hi)[0] * v, lo, "contract")
                if r.consign:
                    line("material", -(mat + bat) * v, lo, "contract")
        T = pol.n_months
        for k in range(len(pol.fixed)):
            line("fixed", -pol.fixed[k].at(dx)[0] * pol.producing[k], 0, "line")
            if not np.isnan(pol.capex_spend[k]):
                cap = float(pol.capex[k].at(dx).reshape(-1)[0])
                years = float(pol.dep_years[k].at(dx).reshape(-1)[0])
                spend = int(pol.capex_spend[k])
                pieces.append(
                    pd.DataFrame(
                        {
                            "period": [periods[0] + spend],
                            "product": "",
                            "site": "",
                            "source": "line",
                            "item": "capex",
                            "amount": [-cap],
                        }
                    )
                )
                dep = depreciation_schedule(T, np.array([pol.capex_start[k]]), years)[0]
                line("depreciation", -cap * dep, 0, "line")
        for li in range(len(pol.shift_money)):
            line("shift", pol.shift_money[li].at(dx)[0], 0, "line")
        for c in range(len(pol.price_c)):
            if pol.exit_month[c] >= 0:
                amount = np.zeros(T)
                amount[pol.exit_month[c]] = -float(pol.exit_cost[c].at(dx).reshape(-1)[0])
                line("exit", amount, 0, "contract")
        line("dev_cost", pol.constant, 0)
        lines = pd.concat(pieces, ignore_index=True)
        rate = float(pol.discount_rate.at(dx).reshape(-1)[0])
        tax = float(pol.tax_rate.at(dx).reshape(-1)[0])
        cash = cash_flow(lines, tax)
        out[s] = npv(cash.groupby("period")["cash"].sum(), periods[0], rate)
    return out


def _timed(fn: object, best: dict, key: object, loads: list) -> np.ndarray:
    """Run ``fn()`` once, keep the best wall time (and its CPU time) under ``key``."""
    t, c = time.perf_counter(), time.process_time()
    got = fn()  # type: ignore[operator]
    dt, dc = time.perf_counter() - t, time.process_time() - c
    if dt < best.get(key, (np.inf, 0.0))[0]:
        best[key] = (dt, dc)
    loads.append(os.getloadavg()[0])
    return got


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def _time_engines(
    model: RiskModel, x: np.ndarray, reps: int
) -> tuple[
    dict[tuple[str, int], tuple[float, float]], dict[tuple[str, int], np.ndarray], list[float], int
]:
    """Every (engine, threads) pair ``reps`` times, interleaved: best (wall, CPU), results, loads, cells."""
    best: dict[tuple[str, int], tuple[float, float]] = {}
    got: dict[tuple[str, int], np.ndarray] = {}
    loads: list[float] = []
    for _ in range(reps):
        for engine in ENGINES:
            for k in THREADS:
                got[engine, k] = _timed(
                    lambda e=engine, k=k: evaluate(
                        model.policies, x, model.x0, model.scenario_column, threads=k, engine=e
                    ),
                    best,
                    (engine, k),
                    loads,
                )
    pol = model.policies[0]
    return best, got, loads, len(x) * len(model.policies) * pol.n_months * len(pol.markets)


def bench_throughput(
    model: RiskModel, n: int = 100_000, n_pandas: int = 30, reps: int = 3
) -> dict[tuple[str, int], tuple[float, float]]:
    """Fused kernel against the NumPy evaluator against pandas, 1 and 2 threads, one process.

    Every (engine, threads) pair runs ``reps`` times, interleaved; the best
    wall time and the CPU time of that run are reported. Returns them.
    """
    x = sample(model.marginals, n, "lhs", 0, model.correlation).values
    for engine in ENGINES:  # warm-up (and the kernel loaded from Numba's cache)
        evaluate(model.policies, x[:2048], model.x0, model.scenario_column, engine=engine)
    print(f"  {_uptime()}")
    best, got, loads, cells = _time_engines(model, x, reps)
    T = model.policies[0].n_months
    M = len(model.policies[0].markets)
    print(
        f"evaluator: {n:,} samples x {len(model.policies)} options x {T} months x {M} products "
        f"= {cells / 1e6:.0f} M cells; load {min(loads):.1f}-{max(loads):.1f} during the runs"
    )
    for engine in ENGINES:
        for k in THREADS:
            wall, cpu = best[engine, k]
            print(
                f"  {engine:5} {k} thread(s): {wall:.2f} s wall (best of {reps}): "
                f"{cells / wall / 1e6:.1f} M cells/s; {cpu:.2f} s CPU: "
                f"{cells / cpu / 1e6:.1f} M cells per CPU-second"
            )
    f1, f2, n1, n2 = best["fused", 1], best["fused", 2], best["numpy", 1], best["numpy", 2]
    print(
        f"  fused vs numpy: {n1[0] / f1[0]:.2f}x wall and {n1[1] / f1[1]:.2f}x CPU on 1 thread, "
        f"{n2[0] / f2[0]:.2f}x wall and {n2[1] / f2[1]:.2f}x CPU on 2 threads"
    )
    for engine in ENGINES:
        one, two = best[engine, 1], best[engine, 2]
        same = np.array_equal(got[engine, 1], got[engine, 2])
        print(
            f"  {engine}: 2 threads vs 1: {one[0] / two[0]:.2f}x wall, CPU {two[1] / one[1]:.2f}x of 1 "
            f"thread's; on 2 idle cores (CPU-based): {2 * cells / two[1] / 1e6:.1f} M cells/s; "
            f"identical results for 1 and 2 threads: {same}"
        )
    ref = got["numpy", 1]
    scale = np.median(np.abs(ref), axis=0)
    diff = np.abs(got["fused", 1] - ref)
    print(
        f"  fused vs numpy NPVs: largest difference {np.max(diff / scale):.1e} of the option's "
        f"median |NPV|, {np.max(diff / np.maximum(np.abs(ref), scale)):.1e} relative"
    )
    t, c = time.perf_counter(), time.process_time()
    slow = np.column_stack([_pandas_npv(model, o, x[:n_pandas]) for o in model.options])
    per_sample_pandas = (time.perf_counter() - t) / n_pandas
    cpu_pandas = (time.process_time() - c) / n_pandas
    v = got["fused", 1]
    err = np.max(np.abs(slow - v[:n_pandas]) / np.maximum(np.abs(v[:n_pandas]), 1.0))
    print(
        f"pandas (money lines -> cash_flow -> npv, one sample at a time): "
        f"{per_sample_pandas * 1e3:.1f} ms/sample wall, {cpu_pandas * 1e3:.1f} ms CPU ({n_pandas} samples); "
        + ", ".join(
            f"{e} {k} thread(s) {best[e, k][0] / n * 1e6:.2f} us/sample: ratio "
            f"{per_sample_pandas * n / best[e, k][0]:,.0f}x wall, {cpu_pandas * n / best[e, k][1]:,.0f}x CPU"
            for e in ENGINES
            for k in THREADS
        )
        + f"; largest relative NPV difference (fused vs pandas) {err:.1e}"
    )
    return best


def _model_132() -> RiskModel:
    """The built-in case's three options over 132 months (finance end 2037-03)."""
    case = load_case("nissan-kei-ev").with_overrides("finance.end.value=2037-03")
    cmp = compare(case)
    cmp.results = {k: cmp.results[k] for k in OPTIONS}
    return risk_model(case, cmp)


def bench_issue_example(n: int = 100_000, reps: int = 3) -> None:
    """The issue's own example measured: 100,000 samples x 3 options x 132 months x 2 products."""
    model = _model_132()
    x = sample(model.marginals, n, "lhs", 0, model.correlation).values
    evaluate(model.policies, x[:2048], model.x0, model.scenario_column)
    best, got, loads, cells = _time_engines(model, x, reps)
    T = model.policies[0].n_months
    M = len(model.policies[0].markets)
    print(
        f"issue example: {n:,} samples x {len(model.policies)} options x {T} months x {M} products "
        f"= {cells / 1e6:.1f} M cells (target: within 3 s, 60 M cells/s); "
        f"load {min(loads):.1f}-{max(loads):.1f}"
    )
    for engine in ENGINES:
        for k in THREADS:
            wall, cpu = best[engine, k]
            print(
                f"  {engine:5} {k} thread(s): {wall:.2f} s wall (best of {reps}), {cells / wall / 1e6:.1f} M cells/s; "
                f"{cpu:.2f} s CPU, {cells / cpu / 1e6:.1f} M cells per CPU-second"
            )
    f2, n2 = best["fused", 2], best["numpy", 2]
    print(
        f"  fused vs numpy on 2 threads: {n2[0] / f2[0]:.2f}x wall, {n2[1] / f2[1]:.2f}x CPU; "
        f"identical for 1 and 2 threads: {np.array_equal(got['fused', 1], got['fused', 2])}"
    )


def bench_compile() -> None:
    """First ``evaluate`` call in a fresh process: Numba's cache empty (cold), then filled (warm)."""
    import tempfile

    code = (
        "import time, numpy as np\n"
        "from benchmarks.bench_risk import _model\n"
        "from insource.risk._evaluate import evaluate\n"
        "m = _model()\n"
        "t, c = time.perf_counter(), time.process_time()\n"
        "evaluate(m.policies, m.x0[None, :], m.x0, m.scenario_column)\n"
        "print(f'{time.perf_counter() - t:.2f} s wall, {time.process_time() - c:.2f} s CPU')\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for what in ("cold (empty Numba cache: compiles)", "warm (loads the compiled kernel)"):
            res = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True
            )
            out = res.stdout.strip() or res.stderr.strip().splitlines()[-1]
            print(
                f"first evaluate call in a fresh process, {what}: {out} (load {os.getloadavg()[0]:.1f})"
            )


THREADS = (1, 2)


BLOCKS = (256, 1024, 4096)


def bench_blocks(model: RiskModel | None = None, n: int = 50_000, engine: str = "fused") -> None:
    """Seconds per evaluation of ``n`` samples at each block size, interleaved (best of 3)."""
    model = model or _model()
    x = sample(model.marginals, n, "lhs", 0, model.correlation).values
    best = dict.fromkeys(BLOCKS, np.inf)
    for _ in range(3):
        for b in BLOCKS:
            t = time.perf_counter()
            evaluate(model.policies, x, model.x0, model.scenario_column, block=b, engine=engine)
            best[b] = min(best[b], time.perf_counter() - t)
    T = model.policies[0].n_months
    cells = n * len(model.policies) * T * len(model.policies[0].markets)
    print(
        f"  {engine}, load {os.getloadavg()[0]:.1f}; {n:,} samples: "
        + ", ".join(
            f"block {b}: {best[b]:.2f} s ({cells / best[b] / 1e6:.1f} M cells/s, "
            f"{best[1024] / best[b]:.2f}x vs 1024)"
            for b in BLOCKS
        )
    )


def _bench_blocks_both() -> None:
    print("evaluator block size, this process (the NumPy engine with evaluate's mallopt settings):")
    model = _model_cache[0] if _model_cache else None
    for engine in ENGINES:
        bench_blocks(model, engine=engine)
    env = dict(
        os.environ,
        MALLOC_MMAP_THRESHOLD_=str(2**28),
        MALLOC_TRIM_THRESHOLD_=str(2**30),
        MALLOC_TOP_PAD_=str(2**26),
    )
    print("NumPy engine's block size, child process with the MALLOC_* environment as well:")
    code = "from benchmarks.bench_risk import bench_blocks; bench_blocks(engine='numpy')"
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    print(res.stdout.rstrip() or res.stderr.strip().splitlines()[-1])


def _stub_chunk(
    start: int, stop: int, seed: int, *, marginals: list, correlation: np.ndarray, n_opt: int
) -> np.ndarray:
    """``analyse``'s chunk job with the evaluation replaced by random NPVs of the same shape."""
    sample(marginals, stop - start, "lhs", seed, correlation)
    return np.random.default_rng(seed).normal(1e10, 1e10, (stop - start, n_opt))


def _memory_child(samples: int, stub: bool = False) -> None:
    """Run ``analyse`` (as ``insource risk`` does) and print the peak memory of the process tree.

    ``stub``: the chunks sample their inputs but return random NPVs instead of
    evaluating the policies (minutes instead of an hour on a loaded machine);
    everything else (the cluster, the transport, the tables and metrics at full
    size, the tornado, Sobol indices and break-evens) is ``analyse``'s own.
    """
    import functools
    import resource
    import threading

    import psutil

    import insource.risk._analyse as analyse_module
    from insource.risk import analyse

    if stub:

        def stub_function(model: RiskModel, method: str, threads: int | None = None) -> object:
            return functools.partial(
                _stub_chunk,
                marginals=model.marginals,
                correlation=model.correlation,
                n_opt=len(model.options),
            )

        analyse_module.chunk_function = stub_function  # type: ignore[assignment]

    peak = {"tree": 0, "main": 0}
    stop = threading.Event()

    def watch() -> None:
        me = psutil.Process()
        while not stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a worker may just have gone
                    total += proc.memory_info().rss
            peak["tree"] = max(peak["tree"], total)
            peak["main"] = max(peak["main"], me.memory_info().rss)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    case = load_case("nissan-kei-ev")
    t = time.perf_counter()
    res = analyse(case, samples=samples, seed=0)
    dt = time.perf_counter() - t
    stop.set()
    watcher.join()
    mb = 2**20
    print(
        f"memory: analyse(nissan-kei-ev, samples={samples:,}{', stub evaluator' if stub else ''}) ({res.meta['where']}, "
        f"{res.meta['workers']} workers; {len(res.meta['options'])} options, {len(res.npv):,} NPV rows): "
        f"{dt:.0f} s; peak RSS sampled every 0.2 s: this process {peak['main'] / mb:,.0f} MB, "
        f"with its Dask workers {peak['tree'] / mb:,.0f} MB; ru_maxrss this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB, largest child "
        f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:,.0f} MB "
        f"(load {os.getloadavg()[0]:.1f})"
    )


def bench_memory(samples: int, stub: bool = False) -> None:
    """Peak memory of ``analyse`` with ``samples`` samples, in a fresh process."""
    code = f"from benchmarks.bench_risk import _memory_child; _memory_child({samples}, {stub})"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    print(res.stdout.rstrip() or res.stderr.strip().splitlines()[-1])


def bench_workers(model: RiskModel, n: int = 262_144) -> None:
    """``analyse``'s chunk job in this process (1 and 2 threads) and on 1 and 2 Dask workers."""
    print(
        f"sample + evaluate {n:,} samples in chunks of {CHUNK:,} (load {os.getloadavg()[0]:.1f}):"
    )
    base: dict[int, float] = {}
    here = np.empty(0)
    for k in THREADS:
        fn = chunk_function(model, "lhs", threads=k)
        t, c = time.perf_counter(), time.process_time()
        here = np.concatenate(map_chunks(fn, n, CHUNK, 0))
        base[k] = time.perf_counter() - t
        print(
            f"  in this process, {k} thread(s): {base[k]:.2f} s ({time.process_time() - c:.2f} s CPU)"
        )
    fn = chunk_function(model, "lhs", threads=1)  # as analyse runs it on a cluster
    for k in (1, 2):
        with dask_client(workers=k) as client:
            client.submit(lambda: 0).result()  # workers up
            cpu0 = client.run(time.process_time)
            t = time.perf_counter()
            got = np.concatenate(map_chunks(fn, n, CHUNK, 0, client=client))
            dt = time.perf_counter() - t
            cpu1 = client.run(time.process_time)
        worker_cpu = sum(cpu1[w] - cpu0[w] for w in cpu1)
        same = np.array_equal(got, here)
        print(
            f"  {k} Dask worker process(es): {dt:.2f} s, {base[1] / dt:.2f}x vs in-process 1 thread, "
            f"{base[2] / dt:.2f}x vs 2 threads; workers' CPU {worker_cpu:.2f} s; "
            f"identical results: {same} (load {os.getloadavg()[0]:.1f})"
        )


_model_cache: list[RiskModel] = []


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores)")
    model = _model()
    _model_cache.append(model)
    bench_throughput(model)
    bench_issue_example()
    bench_compile()
    _bench_blocks_both()
    bench_workers(model)
    bench_memory(
        int(os.environ.get("RISK_BENCH_SAMPLES", "10000000")),
        stub=os.environ.get("RISK_BENCH_STUB", "") == "1",
    )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
