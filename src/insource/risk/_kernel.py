r"""The fused evaluator: one compiled pass per sample, no (sample x month) arrays.

:func:`discounted_ebitda` computes, for each sample :math:`i` of a block,

.. math:: E_i = \sum_t \delta_{i,t}\,\text{EBITDA}_{i,t}
    - \sum_{c,f} \mu_c\,\bar p_{i,c,f}\,
      \max\Big(0, \sum_{t \in f} (m_{i,c,t} - b_{i,c,t})\Big)\,\delta_{i,\pi_f}

(the discounted EBITDA before tax, with the take-or-pay charge of contract
:math:`c` in fiscal year :math:`f`: margin :math:`\mu_c` per unit of shortfall
of the bought volume :math:`b` below the minimum :math:`m`, at the year's mean
price :math:`\bar p`, paid in month :math:`\pi_f`), looping over samples, then
months, then markets and routes, with every quantity of one (sample, month) in
scalars and a few arrays the size of the policy's routes, capabilities,
lines and contracts. The recourse rule and the money lines are those of the
NumPy reference :func:`insource.risk._evaluate.evaluate_policy`, operation for
operation (the same products and sums in the same order per cell). Two
things run in another order: the sum over months, and the take-or-pay
charge, which is discounted on its own instead of inside its month's
EBITDA. The two agree to about 1e-15 relative as measured; the tests
assert 1e-12 of the NPVs' size.

The discount factors :math:`\delta_{i,t}` come in as an array computed by
:func:`insource.finance.discount_factor` (one row, or one row per sample when
the rate is uncertain), so the finance arithmetic is written once; tax and
capex (:func:`insource.finance.depreciation_schedule`) are applied to the
kernel's result by the caller.

Each sample's arithmetic depends on nothing but its own inputs: the result is
bit-identical whichever block, thread or worker evaluates it. The kernel is
compiled by Numba (``nogil``, so threads run blocks side by side, and
``cache=True``: compiled once per checkout (or per ``NUMBA_CACHE_DIR``) and
again after this file changes, loaded from ``__pycache__`` after).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from insource.risk._policy import Affine, Policy

__all__ = ["LANES", "Packed", "discounted_ebitda", "pack", "row_dot"]

#: Columns of :attr:`Packed.market_affines`.
_SCALE, _PRICE, _PENALTY, _MATERIAL, _BATTERY = range(5)

#: Samples the kernel carries through the months side by side (one SIMD-friendly
#: lane each; a compile-time constant).
LANES = 16


class _Affines:
    """Every :class:`Affine` of a policy in one table, over the months.

    Affine ``a`` at month ``t`` for sample ``i`` is ``base[a, t] + sum_s
    slope[s, t] * coef[i, s]`` over its slopes ``s`` in ``ptr[a]:ptr[a+1]``,
    with ``coef[i, s] = dx[i, column[s]]`` (the order of :meth:`Affine.at`).
    Scalars are repeated over the months.
    """

    def __init__(self, n_months: int) -> None:
        self.T = n_months
        self.base: list[np.ndarray] = []
        self.slope: list[np.ndarray] = []
        self.column: list[int] = []
        self.ptr = [0]

    def add(self, a: Affine) -> int:
        self.base.append(np.broadcast_to(np.asarray(a.base, dtype=float), (self.T,)))
        for k, s in a.slopes:
            self.slope.append(np.broadcast_to(np.asarray(s, dtype=float), (self.T,)))
            self.column.append(int(k))
        self.ptr.append(len(self.slope))
        return len(self.base) - 1

    def ids(self, affines: list[Affine]) -> np.ndarray:
        return np.array([self.add(a) for a in affines], dtype=np.int64)


def _i64(a: object) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _f64(a: object) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


@dataclass(frozen=True)
class Packed:
    """A :class:`Policy` as the flat arrays :func:`discounted_ebitda` reads.

    ``arrays`` are the kernel's policy arguments in order; ``column`` is the
    input column of each slope (``coef = dx[:, column]``).
    """

    arrays: tuple[np.ndarray, ...]
    column: np.ndarray


def pack(pol: Policy) -> Packed:
    """Flatten ``pol`` for the kernel (its affines in one table, indices as int64)."""
    T = pol.n_months
    aff = _Affines(T)
    M = len(pol.markets)
    market_affines = np.stack(
        [
            aff.ids(pol.scale),
            aff.ids(pol.price),
            aff.ids(pol.penalty),
            aff.ids(pol.material),
            aff.ids(pol.battery),
        ],
        axis=1,
    ).reshape(M, 5)
    routes = pol.routes
    route_int = np.array(
        [
            [
                0 if r.kind == "inhouse" else 1,
                r.market,
                r.unit,
                aff.add(r.cost),
                int(bool(r.v0.any())),
            ]
            for r in routes
        ],
        dtype=np.int64,
    ).reshape(len(routes), 5)
    consign = np.array([r.consign for r in routes], dtype=float)
    v0 = np.array([r.v0 for r in routes], dtype=float).reshape(len(routes), T)
    order = [j for i in range(M) for j in pol.market_routes[i]]
    mr_ptr = np.cumsum([0, *(len(pol.market_routes[i]) for i in range(M))])
    K, L, C = len(pol.fixed), len(pol.hours), len(pol.price_c)
    fixed = aff.ids(pol.fixed)
    line_affines = np.stack([aff.ids(pol.other_hours), aff.ids(pol.shift_money)], axis=1)
    cmin_ids = aff.ids(pol.cmin)
    contract_affines = np.stack(
        [aff.ids(pol.ccap), cmin_ids, aff.ids(pol.price_c), aff.ids(pol.exit_cost)], axis=1
    ).reshape(C, 4)
    # take-or-pay only where a minimum may be positive while the contract is active
    top = np.array(
        [
            bool(pol.cmin[c].slopes) or bool(np.any(pol.cmin[c].base * pol.active[c] > 0))
            for c in range(C)
        ],
        dtype=np.int64,
    )
    share_on = np.array([bool(np.any(s < 1)) for s in pol.share_cap], dtype=np.int64)
    fy = pol.fy_matrix
    fy_of = np.where(fy.any(axis=1), fy.argmax(axis=1), -1)
    fy_w = pol.fy_mean[np.arange(T), np.maximum(fy_of, 0)] * (fy_of >= 0)
    speed = np.where(pol.speed > 0, pol.speed, 1.0)
    n_slopes = len(aff.slope)
    arrays = (
        _f64(np.array(aff.base).reshape(len(aff.base), T).T),
        _f64(np.array(aff.slope).reshape(n_slopes, T).T),
        _i64(np.repeat(np.arange(len(aff.base)), np.diff(aff.ptr))),
        _f64(pol.demand),
        _f64(pol.d0),
        _f64(pol.lost0),
        _i64(np.array(pol.windows, dtype=np.int64).reshape(M, 2)),
        _i64(pol.product_of_market),
        _i64(market_affines),
        _i64(route_int),
        _f64(consign),
        _f64(v0),
        _i64(order),
        _i64(mr_ptr),
        _i64(pol.cap_line),
        _f64(np.reshape(pol.ramp_cap, (K, T))),
        _f64(np.reshape(speed, (K, T))),
        _f64(np.reshape(pol.producing, (K, T))),
        _i64(fixed),
        _f64(np.reshape(pol.hours, (L, T))),
        _i64(line_affines.reshape(L, 2)),
        _f64(np.reshape(pol.active, (C, T))),
        _i64(contract_affines),
        _f64(pol.jv_share),
        _f64(pol.top_margin),
        _i64(pol.exit_month),
        _i64(top),
        _f64(pol.share_cap),
        _i64(share_on),
        _i64(fy_of),
        _f64(fy_w),
        _i64(pol.top_pay),
        _f64(pol.constant),
    )
    return Packed(arrays, _i64(aff.column))


@numba.njit(cache=True, nogil=True)
def discounted_ebitda(  # type: ignore[no-untyped-def]
    out,
    rows,
    coef,
    df,
    base,
    slope,
    slope_of,
    demand,
    d0,
    lost0,
    win,
    mprod,
    maff,
    route,
    consign,
    v0,
    mr_idx,
    mr_ptr,
    cap_line,
    ramp_cap,
    speed,
    producing,
    fixed,
    hours,
    laff,
    active,
    caff,
    jv,
    top_margin,
    exit_month,
    top,
    share_cap,
    share_on,
    fy_of,
    fy_w,
    top_pay,
    constant,
):
    """Discounted pre-tax EBITDA of each sample into ``out`` (see the module docstring).

    ``rows[i]``: demand row of sample ``i``; ``coef[s, i]``: its deviation of
    the input of slope ``s``; ``df``: discount factors, one row for all
    samples or one per sample. The other arguments are :attr:`Packed.arrays`.

    Samples go through in groups of :data:`LANES`, each quantity of a
    (sample, month) being one lane of a small array; every lane does exactly
    the arithmetic a lone sample would (the last group is padded with copies of
    the last sample, whose results are dropped), so the result does not depend
    on the grouping. Everything is written out in this one function: helpers
    taking arrays would cost reference counting in the innermost loops.
    """
    W = LANES
    n = out.shape[0]
    T = constant.shape[0]
    M = d0.shape[0]
    J = route.shape[0]
    K = cap_line.shape[0]
    L = laff.shape[0]
    C = caff.shape[0]
    P = share_cap.shape[0]
    F = top_pay.shape[0]
    A = base.shape[1]
    S = slope.shape[1]
    one_df = df.shape[0] == 1
    idx = np.empty(W, dtype=np.int64)
    row = np.empty(W, dtype=np.int64)
    cw = np.empty((S, W))
    val = np.empty((A, W))
    D = np.empty((M, W))
    lost = np.empty((M, W))
    excess = np.empty((M, W))
    mat = np.empty((M, W))
    rem = np.empty(W)
    live = np.empty(M, dtype=np.bool_)
    target = np.empty((J, W))
    vol = np.empty((J, W))
    ramp = np.empty((K, W))
    hrs = np.empty((L, W))
    ccap = np.empty((C, W))
    bought = np.empty((C, W))
    shl = np.empty((P, W))
    total = np.empty(W)
    gap = np.empty((C, F, W))
    pay = np.empty((C, F, W))
    e = np.empty(W)
    acc = np.empty(W)
    for g in range(0, n, W):
        for w in range(W):
            idx[w] = min(g + w, n - 1)
            row[w] = rows[idx[w]]
        for s in range(S):
            for w in range(W):
                cw[s, w] = coef[s, idx[w]]
        gap[:, :, :] = 0.0
        pay[:, :, :] = 0.0
        acc[:] = 0.0
        for t in range(T):
            # ---- every affine at month t (as Affine.at: the base, then each slope in turn)
            for a in range(A):
                b = base[t, a]
                for w in range(W):
                    val[a, w] = b
            for s in range(S):
                a = slope_of[s]
                b = slope[t, s]
                for w in range(W):
                    val[a, w] += b * cw[s, w]
            # ---- demand: the shortfall comes off lost sales, then contracts, then own lines
            for m in range(M):
                live[m] = win[m, 0] <= t < win[m, 1]
                if not live[m]:
                    continue
                sa = maff[m, _SCALE]
                dm0 = d0[m, t]
                lm0 = lost0[m, t]
                for w in range(W):
                    Dm = demand[row[w], m, t] * val[sa, w]
                    D[m, w] = Dm
                    cut = max(dm0 - Dm, 0.0)
                    from_lost = min(lm0, cut)
                    lost[m, w] = lm0 - from_lost
                    excess[m, w] = Dm - (lm0 - from_lost)
                    rem[w] = cut - from_lost
                for q in range(mr_ptr[m + 1] - 1, mr_ptr[m] - 1, -1):
                    j = mr_idx[q]
                    if route[j, 4] == 0:
                        target[j, :] = 0.0
                        continue
                    v = v0[j, t]
                    for w in range(W):
                        take = min(v, rem[w])
                        target[j, w] = v - take
                        rem[w] = rem[w] - take
            # ---- capacity left in month t
            for li in range(L):
                h = hours[li, t]
                oa = laff[li, 0]
                for w in range(W):
                    hrs[li, w] = max(h - val[oa, w], 0.0)
            for k in range(K):
                r = ramp_cap[k, t]
                for w in range(W):
                    ramp[k, w] = r
            for c in range(C):
                on = active[c, t]
                ca = caff[c, 0]
                if on != 0.0:
                    for w in range(W):
                        ccap[c, w] = val[ca, w] * on
                else:
                    ccap[c, :] = 0.0
            for p in range(P):
                if share_on[p]:
                    sc = share_cap[p, t]
                    if sc < 1:
                        total[:] = 0.0
                        for m in range(M):
                            if mprod[m] == p and live[m]:
                                for w in range(W):
                                    total[w] = total[w] + D[m, w]
                        for w in range(W):
                            shl[p, w] = sc * total[w]
                    else:
                        shl[p, :] = np.inf
            # ---- step 0: planned volumes within capacity; step 1: the excess
            # demand to spare capacity, in route order (own lines first)
            for step in range(2):
                for j in range(J):
                    m = route[j, 1]
                    if not live[m]:
                        continue
                    u = route[j, 2]
                    if route[j, 0] == 0:
                        line = cap_line[u]
                        sp = speed[u, t]
                        for w in range(W):
                            want = target[j, w] if step == 0 else excess[m, w]
                            a = min(want, max(min(ramp[u, w], hrs[line, w] * sp), 0.0))
                            ramp[u, w] -= a
                            hrs[line, w] -= a / sp
                            vol[j, w] = a if step == 0 else vol[j, w] + a
                            excess[m, w] = excess[m, w] - a
                    else:
                        p = mprod[m]
                        capped = share_on[p] != 0
                        for w in range(W):
                            want = target[j, w] if step == 0 else excess[m, w]
                            room = min(ccap[u, w], shl[p, w]) if capped else ccap[u, w]
                            a = min(want, max(room, 0.0))
                            ccap[u, w] -= a
                            if capped:
                                shl[p, w] -= a
                            vol[j, w] = a if step == 0 else vol[j, w] + a
                            excess[m, w] = excess[m, w] - a
                if step == 0:
                    for m in range(M):
                        if live[m]:
                            for w in range(W):
                                excess[m, w] = max(excess[m, w], 0.0)
            # ---- money
            ct = constant[t]
            for w in range(W):
                e[w] = ct
            for m in range(M):
                if not live[m]:
                    continue
                ma, ba, pa, qa = (
                    maff[m, _MATERIAL],
                    maff[m, _BATTERY],
                    maff[m, _PRICE],
                    maff[m, _PENALTY],
                )
                for w in range(W):
                    lm = lost[m, w] + excess[m, w]
                    mat[m, w] = val[ma, w] + val[ba, w]
                    price = val[pa, w]
                    e[w] += price * D[m, w] - (price + val[qa, w]) * lm
            bought[:, :] = 0.0
            for j in range(J):
                m = route[j, 1]
                if not live[m]:
                    continue
                ra = route[j, 3]
                if route[j, 0] == 0:
                    for w in range(W):
                        e[w] -= (mat[m, w] + val[ra, w]) * vol[j, w]
                else:
                    u = route[j, 2]
                    pa = caff[u, 2]
                    keep = 1.0 - jv[u]
                    cons = consign[j]
                    for w in range(W):
                        unit_cost = val[pa, w] * keep + val[ra, w]
                        if cons != 0.0:
                            unit_cost = unit_cost + cons * mat[m, w]
                        e[w] -= unit_cost * vol[j, w]
                        bought[u, w] += vol[j, w]
            for k in range(K):
                fa = fixed[k]
                on = producing[k, t]
                for w in range(W):
                    e[w] -= val[fa, w] * on
            for li in range(L):
                sa = laff[li, 1]
                for w in range(W):
                    e[w] += val[sa, w]
            f = fy_of[t]
            for c in range(C):
                if exit_month[c] == t:
                    xa = caff[c, 3]
                    for w in range(W):
                        e[w] -= val[xa, w]
                if top[c] and f >= 0:
                    ma, pa = caff[c, 1], caff[c, 2]
                    on = active[c, t]
                    fw = fy_w[t]
                    for w in range(W):
                        gap[c, f, w] += val[ma, w] * on - bought[c, w]
                        pay[c, f, w] += val[pa, w] * fw
            if one_df:
                d = df[0, t]
                for w in range(W):
                    acc[w] += e[w] * d
            else:
                for w in range(W):
                    acc[w] += e[w] * df[idx[w], t]
        for c in range(C):
            if top[c]:
                for f in range(F):
                    tp = top_pay[f]
                    for w in range(W):
                        d = df[0 if one_df else idx[w], tp]
                        acc[w] -= top_margin[c] * pay[c, f, w] * max(gap[c, f, w], 0.0) * d
        for w in range(min(W, n - g)):
            out[g + w] = acc[w]


@numba.njit(cache=True, nogil=True)
def row_dot(a, b):  # type: ignore[no-untyped-def]
    """``sum_t a[i, t] * b[i, t]`` per row, summed in month order (rows of 1 broadcast).

    Unlike ``einsum`` or a BLAS product, whose order of summation may depend
    on the number of rows, each row's sum is the same whatever the others.
    """
    n = max(a.shape[0], b.shape[0])
    out = np.empty(n)
    for i in range(n):
        ia = 0 if a.shape[0] == 1 else i
        ib = 0 if b.shape[0] == 1 else i
        acc = 0.0
        for t in range(a.shape[1]):
            acc += a[ia, t] * b[ib, t]
        out[i] = acc
    return out
