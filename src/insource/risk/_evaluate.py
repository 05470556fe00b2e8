r"""Evaluation of fixed policies on sampled inputs: the fused kernel and its NumPy reference.

A policy is one option's optimised plan (:class:`~insource.risk._policy.Policy`):
its tooling starts, contract exits and shifts stay as planned, and the
volumes follow a **recourse rule** when the sampled demand or capacity differs
from the plan. For each sample, market :math:`m` (product and region) and month:

1. *Less demand* (:math:`D < D^0`): the shortfall :math:`D^0 - D` first
   removes the plan's lost sales, then contract volume, then in-house volume
   (the sunk in-house fixed costs make it the preferred source).
2. *Capacity*: every route keeps its (reduced) planned volume as far as the
   sampled capacity allows, routes in order (own lines first, then
   contracts). In-house capacity is the ramp-up limit and the hours of the
   planned shifts left after the other models' load; contract capacity is its
   capacity while the contract is active, and within the policy's contract
   share of demand.
3. *More demand* (or volume a smaller capacity pushed out): goes to the spare
   capacity of own lines first, then contracts; the rest is lost.

At the case's own input values every step is the identity, so the evaluator
returns the planner's NPV (checked to 1e-6 in the tests). Money then follows
the planner's terms (:mod:`insource.plan._terms`) with the finance functions
of :mod:`insource.finance`:

.. math::

    \text{NPV} = \sum_t \delta_t (1-\tau)\,\text{EBITDA}_t
    + \sum_k K_k\Big(-\delta_{s_k} + \tau \sum_t D_{k,t}\,\delta_t\Big),
    \qquad \delta_t = (1+r)^{-(t+1/2)/12}

with the discount rate :math:`r`, tax :math:`\tau`, capex :math:`K_k` and
depreciation life all per sample. Take-or-pay shortfalls are charged per
fiscal year as in the planner.

:func:`evaluate` computes the discounted EBITDA with the compiled kernel of
:mod:`insource.risk._kernel` (``engine="fused"``, the default: no
(sample x month) arrays); :func:`evaluate_policy` is the same rule over whole
(sample x month) NumPy arrays, kept as the reference the kernel is tested
against (``engine="numpy"``) and for its ``record`` of volumes. Both share the
discount factors (:func:`discount`) and the tax and capex terms.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from insource.errors import InsourceError
from insource.finance import depreciation_schedule, discount_factor
from insource.risk._policy import Policy

__all__ = ["BLOCK", "ENGINES", "default_threads", "discount", "evaluate", "evaluate_policy"]

#: Samples evaluated at once (bounds the memory of the per-sample discount
#: factors, and of the NumPy reference's (sample x month) arrays: about 1 MB
#: each at 120 months).
BLOCK = 1024

#: glibc ``mallopt`` settings (parameter, value) the NumPy reference engine asks for: serve
#: blocks' temporaries from the heap (mmap threshold 32 MB) and keep up to
#: 64 MB of freed memory instead of handing it back after every block. With
#: glibc's defaults every temporary above 128 KiB is mapped and unmapped, and
#: blocks of 1024 samples ran 2-3x slower than with these settings
#: (benchmarks/RESULTS.md, Risk).
_MALLOPT = (
    (-3, 32 * 2**20),
    (-1, 64 * 2**20),
    (-2, 16 * 2**20),
)  # MMAP_THRESHOLD, TRIM_THRESHOLD, TOP_PAD
_malloc_tuned: list[bool] = []


def _tune_malloc() -> None:
    """Apply :data:`_MALLOPT` once per process (glibc only; elsewhere nothing happens)."""
    if _malloc_tuned:
        return
    _malloc_tuned.append(True)
    try:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        return
    if mallopt is not None:
        for param, value in _MALLOPT:
            mallopt(param, value)


def discount(T: int, rate: np.ndarray) -> np.ndarray:
    """:func:`insource.finance.discount_factor` per sample: ``rate`` of shape (n, 1) -> (n, T)."""
    return discount_factor(rate, np.arange(T, dtype=float))


def _capex_factor(
    T: int,
    spend: float,
    start: float,
    years: np.ndarray,
    rate: np.ndarray,
    tax: np.ndarray,
    df: np.ndarray,
) -> np.ndarray:
    r"""NPV of one unit of capex per sample (:func:`insource.finance.capex_npv_factor`, vectorised).

    :math:`-\delta_{\text{spend}} + \tau \sum_t D_t\,\delta_t` with the schedule
    from :func:`insource.finance.depreciation_schedule` and the discount
    factors ``df`` (n, T) of :func:`discount`.
    """
    from insource.risk._kernel import row_dot  # numba: loaded when first evaluated

    r = rate.reshape(-1)
    paid = discount_factor(r, spend)
    yrs = years.reshape(-1)
    sched = depreciation_schedule(T, np.full(len(yrs), start), yrs)
    # each sample's sum in month order: the same whichever samples share its block
    shield = row_dot(np.ascontiguousarray(sched), np.ascontiguousarray(df, dtype=float))
    return -paid + tax.reshape(-1) * shield


def _sub(full: np.ndarray, lo: int, hi: int, a: np.ndarray) -> np.ndarray:
    """``full`` with ``a`` taken off months ``lo:hi`` (widened to ``a``'s samples if needed).

    ``full`` must be owned by the caller (it is changed in place).
    """
    if full.shape[0] < a.shape[0]:
        full = np.broadcast_to(full, (a.shape[0], full.shape[1])).copy()
    full[:, lo:hi] -= a
    return full


def evaluate_policy(
    pol: Policy,
    dx: np.ndarray,
    scen: np.ndarray | None = None,
    df: np.ndarray | None = None,
    record: dict[str, Any] | None = None,
) -> np.ndarray:
    """NPV of one policy for input deviations ``dx`` (n, d) from the case's values.

    Parameters
    ----------
    pol
        The policy.
    dx
        Sampled inputs minus the case's own values, one column per input.
    scen
        Demand scenario index per sample (``-1``: the plan's demand); ``None``
        means the plan's demand for every sample.
    df
        Discount factors (n, T) for the policy's discount rate, if already
        computed (they are shared by every option).
    record
        If given, filled with the months window of each market (``windows``)
        and the (n, months) arrays ``demand`` and ``lost`` per market and
        ``volume`` per route (for checks and reports).

    Returns
    -------
    ndarray
        NPV per sample, in the case currency.

    """
    n = dx.shape[0]
    T = pol.n_months
    M = len(pol.markets)
    rows = (
        np.full(n, pol.base_scenario)
        if scen is None
        else np.where(scen < 0, pol.base_scenario, scen).astype(int)
    )
    one_row = bool(np.all(rows == rows[0]))
    # ---- demand (each market on its own window of months) ----------------------
    win = pol.windows
    D, lost = [], []
    target: dict[int, np.ndarray] = {}
    for i in range(M):
        lo, hi = win[i]
        dem = pol.demand[rows[0], i, lo:hi][None, :] if one_row else pol.demand[rows, i, lo:hi]
        Di = dem * pol.scale[i].at(dx).reshape(-1, 1)
        D.append(Di)
        cut = np.maximum(pol.d0[i, lo:hi] - Di, 0.0)
        lost0 = pol.lost0[i, lo:hi]
        from_lost = np.minimum(lost0, cut)
        lost.append(lost0 - from_lost)
        rem = cut - from_lost
        for j in reversed(pol.market_routes[i]):  # contracts first, then own lines
            v0 = pol.routes[j].v0[lo:hi]
            if not v0.any():
                target[j] = np.zeros((1, hi - lo))
                continue
            take = np.minimum(v0, rem)
            target[j] = v0 - take
            rem = rem - take
    # ---- capacity -------------------------------------------------------------
    hours_left = [
        np.maximum(pol.hours[li] - pol.other_hours[li].at(dx), 0.0) for li in range(len(pol.hours))
    ]
    ramp_left = [pol.ramp_cap[k][None, :].copy() for k in range(len(pol.ramp_cap))]
    speed = np.where(pol.speed > 0, pol.speed, 1.0)
    # an unlimited contract (capacity inf) has none outside its active months
    ccap_left = [
        np.where(pol.active[c] != 0, pol.ccap[c].at(dx), 0.0) * pol.active[c]
        for c in range(len(pol.ccap))
    ]
    share_left: dict[int, np.ndarray] = {}
    for p in range(len(pol.products)):
        if np.any(pol.share_cap[p] < 1):
            total = np.zeros((1, T))
            for i in map(int, np.flatnonzero(pol.product_of_market == p)):
                lo, hi = win[i]
                part = np.zeros((D[i].shape[0], T))
                part[:, lo:hi] = D[i]
                total = total + part
            share_left[p] = np.where(pol.share_cap[p] < 1, pol.share_cap[p] * total, np.inf)

    def room(j: int) -> np.ndarray:
        r = pol.routes[j]
        lo, hi = win[r.market]
        if r.kind == "inhouse":
            li = pol.cap_line[r.unit]
            out = np.minimum(
                ramp_left[r.unit][:, lo:hi], hours_left[li][:, lo:hi] * speed[r.unit, lo:hi]
            )
        else:
            out = ccap_left[r.unit][:, lo:hi]
            p = int(pol.product_of_market[r.market])
            if p in share_left:
                out = np.minimum(out, share_left[p][:, lo:hi])
        return np.maximum(out, 0.0)

    def use(j: int, a: np.ndarray) -> None:
        r = pol.routes[j]
        lo, hi = win[r.market]
        if r.kind == "inhouse":
            ramp_left[r.unit] = _sub(ramp_left[r.unit], lo, hi, a)
            li = pol.cap_line[r.unit]
            hours_left[li] = _sub(hours_left[li], lo, hi, a / speed[r.unit, lo:hi])
        else:
            ccap_left[r.unit] = _sub(ccap_left[r.unit], lo, hi, a)
            p = int(pol.product_of_market[r.market])
            if p in share_left:
                share_left[p] = _sub(share_left[p], lo, hi, a)

    volume: list[np.ndarray] = []
    excess = [D[i] - lost[i] for i in range(M)]
    for j, r in enumerate(pol.routes):
        v = np.minimum(target[j], room(j))
        use(j, v)
        volume.append(v)
        excess[r.market] = excess[r.market] - v
    excess = [np.maximum(e, 0.0) for e in excess]
    for j, r in enumerate(pol.routes):
        if not np.any(excess[r.market] > 0):
            continue
        a = np.minimum(excess[r.market], room(j))
        use(j, a)
        volume[j] = volume[j] + a
        excess[r.market] = excess[r.market] - a
    lost = [lost[i] + excess[i] for i in range(M)]
    if record is not None:
        record.update(windows=list(win), demand=D, lost=lost, volume=volume)

    # ---- money ----------------------------------------------------------------
    ebitda = np.zeros((n, T))
    ebitda += pol.constant
    mat = []
    for i in range(M):
        lo, hi = win[i]
        mat.append(pol.material[i].at(dx, lo, hi) + pol.battery[i].at(dx, lo, hi))
        price = pol.price[i].at(dx, lo, hi)
        pen = pol.penalty[i].at(dx, lo, hi)
        ebitda[:, lo:hi] += price * D[i] - (price + pen) * lost[i]
    bought = [np.zeros((1, T)) for _ in pol.price_c]
    for j, r in enumerate(pol.routes):
        lo, hi = win[r.market]
        v = volume[j]
        if r.kind == "inhouse":
            ebitda[:, lo:hi] -= (mat[r.market] + r.cost.at(dx, lo, hi)) * v
        else:
            pc = pol.price_c[r.unit].at(dx, lo, hi)
            unit = pc * (1.0 - pol.jv_share[r.unit]) + r.cost.at(dx, lo, hi)
            if r.consign:
                unit = unit + r.consign * mat[r.market]
            ebitda[:, lo:hi] -= unit * v
            bought[r.unit] = _sub(bought[r.unit], lo, hi, -v)
    for k in range(len(pol.fixed)):
        ebitda -= pol.fixed[k].at(dx) * pol.producing[k]
    for li in range(len(pol.shift_money)):
        ebitda += pol.shift_money[li].at(dx)
    for c in range(len(pol.price_c)):
        if pol.exit_month[c] >= 0:
            ebitda[:, pol.exit_month[c]] -= pol.exit_cost[c].at(dx).reshape(-1)
        cmin = pol.cmin[c].at(dx) * pol.active[c]
        if np.any(cmin > 0):
            gap = np.maximum((cmin - bought[c]) @ pol.fy_matrix, 0.0)
            per_unit = pol.top_margin[c] * (pol.price_c[c].at(dx) @ pol.fy_mean)
            ebitda[:, pol.top_pay] -= per_unit * gap
    rate = pol.discount_rate.at(dx).reshape(-1, 1)
    if df is None:
        df = discount(T, rate)
    value = np.einsum("it,it->i", ebitda, np.broadcast_to(df, (n, T)))
    return _after_tax(pol, dx, value, df)


def _after_tax(pol: Policy, dx: np.ndarray, value: np.ndarray, df: np.ndarray) -> np.ndarray:
    r"""NPV per sample from the discounted EBITDA ``value``: tax, then capex and its tax shield.

    :math:`(1-\tau)\,\text{value} + \sum_k K_k f_k` with :math:`f_k` from
    :func:`_capex_factor` (the same for the NumPy and the fused evaluator).
    """
    n = dx.shape[0]
    T = pol.n_months
    rate = pol.discount_rate.at(dx).reshape(-1, 1)
    tax = pol.tax_rate.at(dx).reshape(-1, 1)
    # (1 - tax) * df is insource.finance.npv_weights
    value = value * (1.0 - tax.reshape(-1))
    for k in range(len(pol.capex)):
        if np.isnan(pol.capex_spend[k]):
            continue
        cap = pol.capex[k].at(dx).reshape(-1)
        if not np.any(cap != 0):
            continue
        years = pol.dep_years[k].at(dx).reshape(-1)
        f = _capex_factor(
            T, float(pol.capex_spend[k]), float(pol.capex_start[k]), years, rate, tax, df
        )
        value = value + cap * f
    return np.broadcast_to(value, (n,)).copy()


def _same_rate(first: Policy, pol: Policy) -> int:
    """Key of ``pol``'s discount factors: shared with the first option when the rate is the same."""
    a, b = first.discount_rate, pol.discount_rate
    same = (
        first.n_months == pol.n_months
        and np.array_equal(a.base, b.base)
        and len(a.slopes) == len(b.slopes)
        and all(
            k1 == k2 and np.array_equal(s1, s2)
            for (k1, s1), (k2, s2) in zip(a.slopes, b.slopes, strict=True)
        )
    )
    return id(a) if same else id(b)


def default_threads() -> int:
    """Threads :func:`evaluate` uses by default: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


#: Evaluation engines: the compiled kernel (default) and the NumPy reference.
ENGINES = ("fused", "numpy")


def evaluate(
    policies: list[Policy],
    x: np.ndarray,
    x0: np.ndarray,
    scenario_column: int | None = None,
    block: int = BLOCK,
    threads: int | None = None,
    engine: str = "fused",
) -> np.ndarray:
    """NPV of every policy for sampled inputs ``x`` (n, d), in blocks of ``block`` samples.

    ``x0`` are the case's own input values; ``scenario_column`` is the column
    holding a drawn demand scenario (if any).

    Per block, the discount factors (:func:`discount`, one row per sample when
    the rate is uncertain) are computed once for the options that share a
    rate; each option's discounted EBITDA comes from the fused kernel
    (:func:`insource.risk._kernel.discounted_ebitda`) or, with
    ``engine="numpy"``, from the reference :func:`evaluate_policy`; tax and
    capex are applied by the same code for both.

    The blocks are independent: with ``threads`` > 1 they are shared out to a
    pool of threads (the compiled kernel and numpy's array operations release
    the GIL), each writing its own rows of the preallocated result. A sample's
    arithmetic depends neither on the block it is in nor on the thread that
    runs it, so the result is bit-identical for any number of threads and,
    with the fused kernel, for any block size (tested).

    Parameters
    ----------
    policies
        The options to evaluate, one column of the result each.
    x
        Sampled inputs, shape (n, d).
    x0
        The case's own input values, shape (d,); the policies' inputs are
        affine in ``x - x0``.
    scenario_column
        Column of ``x`` holding a demand-scenario index (negative: the base
        scenario), or ``None``.
    block
        Samples per block.
    threads
        Threads to use; ``None``: :func:`default_threads` (the cores this
        process may use). Never more than there are blocks.
    engine
        ``"fused"`` (the compiled kernel) or ``"numpy"`` (the reference).

    Returns
    -------
    ndarray
        Shape (n, options).

    """
    if engine not in ENGINES:
        raise InsourceError(
            f"unknown evaluation engine {engine!r}",
            "use 'fused' (the default) or 'numpy' (the reference)",
        )
    x = np.atleast_2d(np.asarray(x, dtype=float))
    if scenario_column is not None and len(x) and policies:
        top = int(x[:, scenario_column].max())
        have = min(pol.demand.shape[0] for pol in policies)
        if top >= have:
            raise InsourceError(
                f"sampled demand scenario {top} does not exist: the policies have {have}",
                "draw scenario indices below the number of demand scenarios",
            )
    from insource.risk._kernel import discounted_ebitda, pack  # numba: loaded on first use

    fused = engine == "fused"
    if fused:
        packed = [pack(pol) for pol in policies]
    else:
        _tune_malloc()
    out = np.empty((x.shape[0], len(policies)))
    # options sharing the first option's discount rate share its discount factors
    keys = [
        id(pol.discount_rate) if o == 0 else _same_rate(policies[0], pol)
        for o, pol in enumerate(policies)
    ]

    def run(s: int) -> None:
        xb = x[s : s + block]
        dx = xb - x0[None, :]
        scen = None
        if scenario_column is not None:
            scen = xb[:, scenario_column].astype(int)
            dx[:, scenario_column] = 0.0
        dfs: dict[int, np.ndarray] = {}
        for o, (pol, key) in enumerate(zip(policies, keys, strict=True)):
            if key not in dfs:
                rate = pol.discount_rate.at(dx).reshape(-1, 1)
                dfs[key] = np.ascontiguousarray(discount(pol.n_months, rate))
            if not fused:
                out[s : s + block, o] = evaluate_policy(pol, dx, scen, dfs[key])
                continue
            p = packed[o]
            rows = np.full(len(dx), pol.base_scenario, dtype=np.int64)
            if scen is not None:
                rows[scen >= 0] = scen[scen >= 0]
            value = np.empty(len(dx))
            discounted_ebitda(
                value, rows, np.ascontiguousarray(dx[:, p.column].T), dfs[key], *p.arrays
            )
            out[s : s + block, o] = _after_tax(pol, dx, value, dfs[key])

    starts = range(0, x.shape[0], block)
    n_threads = min(default_threads() if threads is None else max(1, threads), len(starts))
    if n_threads <= 1:
        for s in starts:
            run(s)
    else:
        with ThreadPoolExecutor(n_threads, thread_name_prefix="insource-evaluate") as pool:
            for _ in pool.map(run, starts):  # re-raises a block's exception here
                pass
    return out
