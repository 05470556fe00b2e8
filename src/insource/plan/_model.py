"""The sourcing MILP, one ``define_*`` function per family over labelled arrays.

Names follow ``"{Entity}-{attr}"``: variables ``Capability-volume``,
``Capability-start``, ``Capability-producing``, ``Line-shifts``,
``Contract-volume``, ``Contract-exit``, ``Contract-active``,
``Contract-shortfall``, ``Product-stock``, ``Product-lost``; constraints
``Product-balance``, ``Line-hours``, ``Capability-ramp``, ... Every equation
is written out in ``docs/formulation.md``.

How the families are built: each family is **one** linopy expression,
assembled from the variables' label arrays and the coefficient arrays of
:class:`~insource.plan._data.PlanData` in numpy (a sum over a dimension moves
that dimension into linopy's ``_term`` dimension; a lag shifts the labels
along ``period``) and handed to linopy once, with its coordinates. Chains of
linopy/xarray operations (``x.sum("line") + y.shift(period=1) - ...``) cost
milliseconds each in alignment and copying whatever the model size; this way a
family costs one dataset construction (see ``benchmarks/RESULTS.md``).
Dimension order of the variables: ``Capability-volume``
``[line, product, period, region]``, ``Contract-volume``
``[contract, period, region]``, every other variable ends in ``period``
(``Contract-shortfall``: ``[contract, fy]``).
"""

from __future__ import annotations

from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr
from linopy.constants import TERM_DIM

from insource.plan._data import TEXTBOOK_BIG_M, PlanData
from insource.plan._terms import capex_weights, fy_weights, objective_terms, period_weights

__all__ = [
    "ELASTIC",
    "Bounds",
    "build_model",
    "objective_parts",
    "policy_bounds",
    "shift_floor",
]

#: Constraint families that get a slack in the elastic relaxation, with what
#: a positive slack means.
ELASTIC = {
    "Product-balance": "demand that cannot be met (lost sales are forbidden)",
    "Line-hours": "line hours needed beyond the most shifts",
    "Contract-share": "contract volume needed beyond the policy's share",
}


Fixed = dict[str, xr.DataArray]
#: Lower and upper bounds by variable or constraint name, shaped like its labels.
Bounds = dict[str, tuple[np.ndarray, np.ndarray]]
Part = tuple[Any, np.ndarray]  # (coefficients, variable labels), see _stack


def _labels(m: linopy.Model, name: str) -> np.ndarray:
    """Variable labels of ``name`` as numpy (-1 where masked)."""
    return m.variables[name].labels.to_numpy()


def _optional(m: linopy.Model, name: str) -> np.ndarray | None:
    """Labels of ``name``, ``None`` if the model has no such variable."""
    return _labels(m, name) if name in m.variables else None


def _lag(labels: np.ndarray, k: int) -> np.ndarray:
    """Labels of the same variable ``k`` months earlier (``period`` last; -1 before the start)."""
    if k == 0:
        return labels
    out = np.full_like(labels, -1)
    out[..., k:] = labels[..., :-k]
    return out


def _gather(labels: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
    """``labels`` taken at ``index`` along ``axis``, where index -1 gives label -1."""
    pad = [(0, 0)] * labels.ndim
    pad[axis] = (0, 1)
    padded = np.pad(labels, pad, constant_values=-1)
    return np.take(padded, np.where(index < 0, labels.shape[axis], index), axis=axis)


def _stack(coords: list[pd.Index], parts: list[Part]) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and labels of ``parts`` stacked along a trailing ``_term`` axis.

    Each part's labels have the shape of ``coords`` plus optionally one trailing
    axis of terms (summed); its coefficients broadcast to the labels.
    """
    shape = tuple(len(c) for c in coords)
    coefs, labs = [], []
    for coef, lab in parts:
        lab = np.asarray(lab)
        if lab.ndim == len(shape):
            lab = lab[..., None]
        lab = np.broadcast_to(lab, (*shape, lab.shape[-1]))
        c = np.asarray(coef, dtype=float)
        if c.ndim == len(shape):
            c = c[..., None]
        c = np.broadcast_to(c, lab.shape)
        coefs.append(np.where(lab >= 0, c, 0.0))
        labs.append(np.where(c != 0, lab, -1))  # no explicit zeros (linopy's sanitize_zeros)
    return np.concatenate(coefs, axis=-1), np.concatenate(labs, axis=-1)


def _constrain(
    m: linopy.Model,
    name: str,
    coords: list[pd.Index],
    parts: list[Part],
    sign: str,
    rhs: Any,
    mask: np.ndarray | None = None,
) -> None:
    """Add the family ``name``: ``sum(parts) sign rhs`` over ``coords`` (where ``mask``)."""
    coefs, labs = _stack(coords, parts)
    dims = [str(c.name) for c in coords]
    shape = tuple(len(c) for c in coords)
    data = xr.Dataset(
        {
            "coeffs": ([*dims, TERM_DIM], coefs),
            "vars": ([*dims, TERM_DIM], labs),
            "sign": (dims, np.full(shape, sign)),
            "rhs": (dims, np.broadcast_to(np.asarray(rhs, dtype=float), shape)),
        },
        coords={d: c for d, c in zip(dims, coords, strict=True)},
    )
    con = linopy.Constraint(data, m, skip_broadcast=True)
    m.add_constraints(
        con, name=name, mask=None if mask is None else xr.DataArray(mask, coords=coords)
    )


def _np(da: xr.DataArray, *dims: str) -> np.ndarray:
    """Values of ``da`` in the dimension order ``dims``."""
    return da.transpose(*dims).to_numpy()


def _da(values: np.ndarray, coords: list[pd.Index]) -> xr.DataArray:
    return xr.DataArray(values, coords=coords)


def _decision(
    m: linopy.Model,
    name: str,
    fixed: Fixed | None,
    coords: Any,
    mask: xr.DataArray | None,
    **kw: Any,
) -> None:
    """Add a binary or integer decision, or fix it (continuous) at given values."""
    if fixed is not None and name in fixed:
        value = fixed[name]
        m.add_variables(lower=value, upper=value, coords=coords, mask=mask, name=name)
    else:
        m.add_variables(coords=coords, mask=mask, name=name, **kw)


def _reach(d: PlanData) -> xr.DataArray:
    """Most units a source can usefully ship to a region in a month.

    The demand still to come :math:`R_{p,r,t}` when stock is allowed, the
    month's demand :math:`D_{p,r,t}` when it is not (a tighter bound).
    """
    return d.remaining if d.settings.inventory else d.demand


def _ix(d: PlanData) -> dict[str, pd.Index]:
    """Coordinates of every model dimension."""
    return {
        "line": d.capable.indexes["line"],
        "product": d.capable.indexes["product"],
        "region": d.demand.indexes["region"],
        "period": d.demand.indexes["period"],
        "contract": d.window.indexes["contract"],
        "fy": d.top_cost.indexes["fy"],
    }


def define_capability_variables(m: linopy.Model, d: PlanData, fixed: Fixed | None = None) -> None:
    r"""In-house volume, start and production state of each capability.

    :math:`0 \le x_{l,p,r,t} \le \min(U_{l,p,t}, R_{p,r,t})`,
    :math:`z_{l,p,t} \in \{0,1\}` where a start is allowed,
    :math:`u_{l,p,t} \in [0,1]` (1 for existing capabilities).
    """
    ix = _ix(d)
    coords = [ix["line"], ix["product"], ix["period"], ix["region"]]
    producing = (d.producing & d.capable).transpose("line", "product", "period").to_numpy()
    reach = _np(_reach(d), "product", "period", "region")[None]
    active = producing[..., None] & (reach > 0)
    loose = 1.0 + 1e-6 if fixed else 1.0  # see build_model: duals land on Line-hours
    umax = _np(d.umax, "line", "product", "period")[..., None]
    if d.settings.formulation == "textbook":
        upper = np.where(active, np.inf, 0.0)
    else:
        upper = np.where(active, np.minimum(umax * loose, reach), 0.0)
    m.add_variables(
        lower=0.0, upper=_da(upper, coords), mask=_da(active, coords), name="Capability-volume"
    )
    _decision(m, "Capability-start", fixed, d.allowed_start.coords, d.allowed_start, binary=True)
    lpt = [ix["line"], ix["product"], ix["period"]]
    lower = np.broadcast_to(_np(d.existing, "line", "product")[..., None], producing.shape)
    m.add_variables(
        lower=_da(lower.astype(float), lpt),
        upper=_da(np.ones(producing.shape), lpt),
        mask=_da(producing, lpt),
        name="Capability-producing",
    )


def shift_floor(d: PlanData) -> np.ndarray:
    r"""``[line, period]``: the fewest shifts that carry each line's other load.

    .. math:: \nu_{l,t} = \min\Big(\overline n_l,\ \max\big(\underline n_l,
        \max_{t' \in b(t)} \lceil O_{l,t'} / H_{l,t'} \rceil\big)\Big)

    with :math:`b(t)` the months between two shift changes around :math:`t`:
    ``Line-hours`` with :math:`x \ge 0` gives :math:`n_{l,t'} \ge O_{l,t'}/H_{l,t'}`,
    :math:`n` is an integer, and ``Line-shift_step`` holds it over the block.
    """
    hours = _np(d.hours, "line", "period")
    other = _np(d.other_hours, "line", "period")
    need = np.ceil(np.divide(other, hours, out=np.zeros_like(other), where=hours > 0) - 1e-9)
    block = np.cumsum(_np(d.shift_free, "line", "period"), axis=1)  # shifts held within a block
    n = np.zeros_like(need)
    for i in range(need.shape[0]):  # over lines, not periods
        peak = np.zeros(int(block[i].max()) + 1)
        np.maximum.at(peak, block[i], need[i])
        n[i] = peak[block[i]]
    low = d.min_shifts.to_numpy()[:, None]
    high = d.max_shifts.to_numpy()[:, None]
    # never above the upper bound, but never below the minimum either: a
    # minimum above the maximum stays infeasible, as without the floor
    return np.minimum(np.maximum(n, low), np.maximum(low, high))


def define_line_variables(
    m: linopy.Model, d: PlanData, fixed: Fixed | None = None, elastic: bool = False
) -> None:
    r"""Shifts per own line and month, :math:`n_{l,t} \in \{\underline n_l..\overline n_l\}`.

    The strong formulation raises the lower bound to :func:`shift_floor`
    :math:`\nu_{l,t}` (integer rounding of ``Line-hours``; not in the elastic
    model, where line hours have a slack, nor in the textbook one).
    """
    ones = xr.ones_like(d.hours)
    lower = d.min_shifts * ones
    if not elastic and d.settings.formulation != "textbook":
        lower = ones.copy(data=shift_floor(d))
    _decision(
        m,
        "Line-shifts",
        fixed,
        ones.coords,
        None,
        lower=lower,
        upper=d.max_shifts * ones,
        integer=True,
    )


def define_contract_variables(m: linopy.Model, d: PlanData, fixed: Fixed | None = None) -> None:
    r"""Contract volume :math:`y_{c,r,t}`, exit :math:`e_{c,t}`, state :math:`w_{c,t}`, shortfall :math:`s_{c,f}`."""
    if d.contracts.empty:
        return
    ix = _ix(d)
    coords = [ix["contract"], ix["period"], ix["region"]]
    window = np.broadcast_to(d.window.to_numpy()[..., None], tuple(len(c) for c in coords))
    upper = np.where(window, d.ccap.to_numpy()[..., None], 0.0)
    m.add_variables(
        lower=0.0, upper=_da(upper, coords), mask=_da(window, coords), name="Contract-volume"
    )
    _decision(m, "Contract-exit", fixed, d.exit_allowed.coords, d.exit_allowed, binary=True)
    m.add_variables(
        lower=0.0, upper=1.0, coords=d.window.coords, mask=d.window, name="Contract-active"
    )
    m.add_variables(
        lower=0.0, coords=d.top_cost.coords, mask=_has_minimum(d), name="Contract-shortfall"
    )


def _has_minimum(d: PlanData) -> xr.DataArray:
    """``[contract, fy]``: a take-or-pay minimum applies in the fiscal year."""
    months = _fy_months(d)
    per = np.pad(d.cmin.to_numpy() * d.window.to_numpy(), [(0, 0), (0, 1)])
    return _da(per[:, months].sum(axis=-1) > 0, [_ix(d)["contract"], _ix(d)["fy"]])


def _fy_months(d: PlanData) -> np.ndarray:
    """``[fy, k]`` month indices of each fiscal year, padded with ``T`` (one past the end)."""
    fy = d.fy.to_numpy()
    years = _ix(d)["fy"]
    groups = [np.flatnonzero(fy == y) for y in years]
    width = max((len(g) for g in groups), default=0)
    out = np.full((len(years), width), len(fy), dtype=int)
    for n, g in enumerate(groups):  # over fiscal years, not periods
        out[n, : len(g)] = g
    return out


def define_product_variables(m: linopy.Model, d: PlanData) -> None:
    r"""Stock :math:`s_{p,r,t} \ge 0` and lost sales :math:`0 \le l_{p,r,t} \le D_{p,r,t}`."""
    if d.settings.inventory:
        m.add_variables(lower=0.0, upper=d.remaining, mask=d.remaining > 0, name="Product-stock")
    if d.settings.allow_lost_sales:
        m.add_variables(lower=0.0, upper=d.demand, mask=d.demand > 0, name="Product-lost")


def _contracts_of_product(d: PlanData) -> np.ndarray:
    """``[product, k]``: index of the k-th contract of each product, -1 padded."""
    of = d.of_product.to_numpy()  # [contract, product]
    lists = [np.flatnonzero(of[:, j] > 0) for j in range(of.shape[1])]
    width = max((len(v) for v in lists), default=0)
    out = np.full((of.shape[1], max(width, 1)), -1, dtype=int)
    for j, v in enumerate(lists):  # over products, not periods
        out[j, : len(v)] = v
    return out


def _contract_supply(m: linopy.Model, d: PlanData) -> np.ndarray | None:
    """``[product, period, region, k]``: labels of the contract volumes serving each product."""
    y = _optional(m, "Contract-volume")  # [contract, period, region]
    if y is None:
        return None
    g = _gather(y, _contracts_of_product(d), axis=0)  # [product, k, period, region]
    return np.moveaxis(g, 1, -1)


def define_balance_constraints(m: linopy.Model, d: PlanData, elastic: bool = False) -> None:
    r"""Demand balance per product, region and month.

    .. math:: \sum_l x_{l,p,r,t} + \sum_{c \to p} y_{c,r,t} + s_{p,r,t-1} - s_{p,r,t} + l_{p,r,t} = D_{p,r,t}
    """
    ix = _ix(d)
    coords = [ix["product"], ix["period"], ix["region"]]
    x = _labels(m, "Capability-volume")
    parts: list[Part] = [(1.0, np.moveaxis(x, 0, -1))]
    y = _contract_supply(m, d)
    if y is not None:
        parts.append((1.0, y))
    for name, sign, lag in (("Product-stock", 1.0, 1), ("Product-stock", -1.0, 0)):
        s = _optional(m, name)  # [product, region, period]
        if s is not None:
            parts.append((sign, np.moveaxis(_lag(s, lag), 1, -1)))
    lost = _optional(m, "Product-lost")
    if lost is not None:
        parts.append((1.0, np.moveaxis(lost, 1, -1)))
    if elastic:
        m.add_variables(
            lower=0.0, coords=d.demand.coords, mask=d.demand > 0, name="Slack-Product-balance"
        )
        parts.append((1.0, np.moveaxis(_labels(m, "Slack-Product-balance"), 1, -1)))
    rhs = _np(d.demand, "product", "period", "region")
    _constrain(m, "Product-balance", coords, parts, "=", rhs)


def define_line_constraints(m: linopy.Model, d: PlanData, elastic: bool = False) -> None:
    r"""Line hours shared with the line's other load, and the shift calendar.

    .. math:: \sum_{p,r} x_{l,p,r,t} / \rho_{l,p,t} + O_{l,t} \le H_{l,t}\, n_{l,t}

    and :math:`n_{l,t} = n_{l,t-1}` except at the shift-change months.
    """
    if d.lines.empty:
        return
    ix = _ix(d)
    coords = [ix["line"], ix["period"]]
    x = _labels(m, "Capability-volume")  # [line, product, period, region]
    n = _labels(m, "Line-shifts")  # [line, period]
    L, P, T, R = x.shape
    speed = _np(d.speed, "line", "product", "period")
    per_hour = 1.0 / np.where(speed > 0, speed, 1.0)
    xs = np.moveaxis(x, 1, 2).reshape(L, T, P * R)
    coef = np.broadcast_to(np.moveaxis(per_hour, 1, 2)[..., None], (L, T, P, R)).reshape(L, T, -1)
    parts: list[Part] = [(coef, xs), (-_np(d.hours, "line", "period"), n)]
    if elastic:
        m.add_variables(lower=0.0, coords=d.hours.coords, name="Slack-Line-hours")
        parts.append((-1.0, _labels(m, "Slack-Line-hours")))
    rhs = -_np(d.other_hours, "line", "period")
    _constrain(m, "Line-hours", coords, parts, "<=", rhs)
    hold = ~_np(d.shift_free, "line", "period")
    if bool(hold.any()):
        parts = [(1.0, n), (-1.0, _lag(n, 1))]
        _constrain(m, "Line-shift_step", coords, parts, "=", 0.0, hold)


def define_capability_constraints(m: linopy.Model, d: PlanData, slack: float = 0.0) -> None:
    r"""Production state, ramp-up after the start, and the demand bound.

    .. math::

        u_{l,p,t} = u_{l,p,t-1} + z_{l,p,t},\qquad
        \sum_r x_{l,p,r,t} \le U_{l,p,t}\Big(u_{l,p,t} - \sum_{k\ge 0} g_{l,p,k}\, z_{l,p,t-k}\Big),\qquad
        x_{l,p,r,t} \le R_{p,r,t}\, u_{l,p,t}

    with :math:`g_{l,p,k} = 1 - f_{l,p}(k+1)` the ramp-up shortfall in the
    :math:`(k+1)`-th month of production.
    """
    ix = _ix(d)
    lpt = [ix["line"], ix["product"], ix["period"]]
    x = _labels(m, "Capability-volume")  # [line, product, period, region]
    z = _labels(m, "Capability-start")  # [line, product, period]
    u = _labels(m, "Capability-producing")
    capable = _np(d.capable, "line", "product")[..., None]
    existing = _np(d.existing, "line", "product")[..., None]
    producing = _np(d.producing, "line", "product", "period")
    new = capable & ~existing & producing
    if bool(new.any()):
        parts: list[Part] = [(1.0, u), (-1.0, _lag(u, 1)), (-1.0, z)]
        _constrain(m, "Capability-state", lpt, parts, "=", 0.0, new)
    active = producing & capable
    umax = _np(d.umax, "line", "product", "period") * (1.0 + slack)
    if d.settings.formulation == "textbook":  # an arbitrary big-M, no demand bound
        umax = np.full_like(umax, TEXTBOOK_BIG_M)
    gap = _np(d.ramp_gap, "line", "product", "lag")
    lags = [k for k in range(gap.shape[-1]) if bool((gap[..., k] > 0).any())]
    parts = [(1.0, x), (-umax, u)]
    if lags:  # over ramp lags, not periods
        zl = np.stack([_lag(z, k) for k in lags], axis=-1)
        parts.append((umax[..., None] * gap[:, :, None, lags], zl))
    _constrain(m, "Capability-ramp", lpt, parts, "<=", 0.0, active)
    if d.settings.formulation != "textbook":
        coords = [*lpt, ix["region"]]
        reach = _np(_reach(d), "product", "period", "region")[None]
        mask = active[..., None] & (reach > 0)
        uu = np.broadcast_to(u[..., None], x.shape)
        parts = [(1.0, x), (-np.broadcast_to(reach, x.shape), uu)]
        _constrain(m, "Capability-demand", coords, parts, "<=", 0.0, mask)
    if d.forced_start:
        forced = np.zeros(z.shape, dtype=bool)
        for line, product, month in d.forced_start:  # the option's one start
            forced[ix["line"].get_loc(line), ix["product"].get_loc(product)] |= (
                ix["period"] == month
            )
        _constrain(m, "Capability-forced", lpt, [(1.0, z)], "=", 1.0, forced)


def define_contract_constraints(m: linopy.Model, d: PlanData, elastic: bool = False) -> None:
    r"""Contract state, capacity, take-or-pay minimum and the policy's share.

    .. math::

        w_{c,t} = w_{c,t-1} - e_{c,t} + [t = t^0_c],\quad
        \sum_r y_{c,r,t} \le K_{c,t}\, w_{c,t},\quad
        s_{c,f} \ge \sum_{t \in f} (M_{c,t} w_{c,t} - \textstyle\sum_r y_{c,r,t}),\quad
        \sum_{c \to p,r} y_{c,r,t} \le (1-\sigma_{p,t}) \sum_r D_{p,r,t}
    """
    if d.contracts.empty:
        return
    ix = _ix(d)
    ct = [ix["contract"], ix["period"]]
    y = _labels(m, "Contract-volume")  # [contract, period, region]
    w = _labels(m, "Contract-active")  # [contract, period]
    e = _labels(m, "Contract-exit")
    s = _labels(m, "Contract-shortfall")  # [contract, fy]
    window = d.window.to_numpy()
    parts: list[Part] = [(1.0, w), (-1.0, _lag(w, 1)), (1.0, e)]
    _constrain(m, "Contract-state", ct, parts, "=", d.first.to_numpy(), window)
    parts = [(1.0, y), (-d.ccap.to_numpy(), w)]
    _constrain(m, "Contract-capacity", ct, parts, "<=", 0.0, window)
    has_min = _has_minimum(d)
    if bool(has_min.any()):
        months = _fy_months(d)  # [fy, k], T = padding
        cf = [ix["contract"], ix["fy"]]
        cmin = np.pad(d.cmin.to_numpy(), [(0, 0), (0, 1)])[:, months]  # [contract, fy, k]
        wf = _gather(w, np.where(months < w.shape[1], months, -1), axis=1)
        yf = _gather(y, np.where(months < w.shape[1], months, -1), axis=1)  # [c, fy, k, r]
        yf = yf.reshape(*yf.shape[:2], -1)
        parts = [(1.0, s), (-cmin, wf), (1.0, yf)]
        _constrain(m, "Contract-minimum", cf, parts, ">=", 0.0, has_min.to_numpy())
    share = _np(d.contract_cap_share, "product", "period")
    capped = share < 1
    if bool(capped.any()):
        pt = [ix["product"], ix["period"]]
        ys = _contract_supply(m, d)  # [product, period, region, k]
        assert ys is not None
        parts = [(1.0, ys.reshape(*ys.shape[:2], -1))]
        if elastic:
            m.add_variables(lower=0.0, coords=pt, mask=_da(capped, pt), name="Slack-Contract-share")
            parts.append((-1.0, _labels(m, "Slack-Contract-share")))
        rhs = share * _np(d.demand.sum("region"), "product", "period")
        _constrain(m, "Contract-share", pt, parts, "<=", rhs, capped)


def define_objective(m: linopy.Model, d: PlanData) -> None:
    r"""Maximise the NPV of the plan (see :mod:`insource.finance`).

    .. math:: \max\ \sum_{\text{terms}} \sum_t \delta_t (1-\tau)\, a_t\, v_t + \sum_{l,p,t} F_{l,p,t}\, z_{l,p,t}

    The constant revenue of all demand and the JV development cost are added
    back by :func:`objective_constant`.
    """
    m.add_objective(_flat(m, objective_parts(m, d)), sense="max")


def objective_parts(m: linopy.Model, d: PlanData) -> list[Part]:
    """The objective of :func:`define_objective` as (coefficients, labels) per variable, flattened."""
    w = period_weights(d)
    wf = fy_weights(d)
    coefs: dict[str, xr.DataArray] = {"Capability-start": capex_weights(d)}
    for term in objective_terms(d):  # one coefficient array per variable
        if term.var not in m.variables:
            continue
        weight = wf if "fy" in m.variables[term.var].dims else w
        weighted = term.coef * weight
        coefs[term.var] = coefs[term.var] + weighted if term.var in coefs else weighted
    parts: list[Part] = []
    for name, coef in coefs.items():
        labels = m.variables[name].labels
        values = coef.broadcast_like(labels).transpose(*labels.dims).to_numpy()
        parts.append((values.reshape(-1), labels.to_numpy().reshape(-1)))
    return parts


def _flat(m: linopy.Model, parts: list[Part]) -> linopy.LinearExpression:
    """A scalar expression: the sum of every ``coefficient * variable`` in ``parts``."""
    coefs = np.concatenate([np.broadcast_to(np.asarray(c, float), v.shape) for c, v in parts])
    labs = np.concatenate([v for _, v in parts])
    keep = labs >= 0
    data = xr.Dataset({"coeffs": (TERM_DIM, coefs[keep]), "vars": (TERM_DIM, labs[keep])})
    return linopy.LinearExpression(data, m)


def objective_constant(d: PlanData) -> float:
    """NPV of the terms that no decision changes: revenue of all demand, JV cost.

    Also the credit for today's shifts: shift cost is counted against the
    shifts each line works today (:math:`S_{l,t}(n_{l,t} - n^0_l)`), since the
    plant's present shifts are paid in every option and carry other models.
    """
    w = period_weights(d)
    revenue = float((d.price * d.demand.sum("region") * w).sum())
    revenue += float((d.shift_cost * d.base_shifts * w).sum())
    dev = 0.0
    if not d.dev_cost.empty:
        dev = float(
            np.sum(d.dev_cost["amount"].to_numpy() * w.to_numpy()[d.dev_cost["t"].to_numpy()])
        )
    return revenue + dev


def define_elastic_objective(m: linopy.Model) -> None:
    """Minimise the total slack (phase one of the infeasibility explanation)."""
    parts: list[Part] = [
        (1.0, m.variables[name].labels.to_numpy().reshape(-1))
        for name in m.variables
        if name.startswith("Slack-")
    ]
    if parts:
        m.add_objective(_flat(m, parts), sense="min", overwrite=True)


def build_model(d: PlanData, elastic: bool = False, fixed: Fixed | None = None) -> linopy.Model:
    """Create the linopy model for one option (a flat script of named steps).

    Parameters
    ----------
    d
        Planning data from :func:`~insource.plan._data.plan_data`.
    elastic
        Add slacks to the families in :data:`ELASTIC` and minimise them
        instead of the NPV (used to explain infeasibility).
    fixed
        Values at which to fix the binary and integer decisions (by variable
        name): the model becomes an LP whose duals price capacity.

    """
    m = linopy.Model(force_dim_names=True)
    define_capability_variables(m, d, fixed)
    define_line_variables(m, d, fixed, elastic=elastic)
    define_contract_variables(m, d, fixed)
    define_product_variables(m, d)
    define_balance_constraints(m, d, elastic=elastic and not d.settings.allow_lost_sales)
    define_line_constraints(m, d, elastic=elastic)
    # with the decisions fixed, loosen the ramp bound by 1e-6 at full rate so that
    # the dual of a full line lands on Line-hours (the two coincide at most shifts)
    define_capability_constraints(m, d, slack=1e-6 if fixed else 0.0)
    define_contract_constraints(m, d, elastic=elastic)
    if elastic:
        define_elastic_objective(m)
    else:
        define_objective(m, d)
    return m


def policy_bounds(m: linopy.Model, d: PlanData) -> tuple[Bounds, Bounds]:
    r"""One option as bounds on the model of :func:`~insource.plan._data.policy_union`.

    Column bounds: :math:`z_{l,p,t} \le [\text{start allowed}]` and
    :math:`z_{l,p,t} \ge 1` at the forced start (the ``Capability-forced``
    equation of the option's own model); :math:`x_{l,p,r,t} = u_{l,p,t} = 0`
    where the option cannot produce; :math:`e_{c,t} \le [\text{exit allowed}]`.
    Row bounds: the option's own cap on ``Contract-share`` (:math:`+\infty`
    where it has none). Every other variable and constraint keeps the union
    model's bounds. The option's own model is this one with the fixed
    columns removed (its masks), so both have the same optima.

    Returns
    -------
    tuple
        ``(columns, rows)``: :data:`Bounds` by variable and by constraint.

    """
    ix = _ix(d)
    cols: Bounds = {}
    z = m.variables["Capability-start"]
    upper = _np(d.allowed_start, "line", "product", "period").astype(float)
    lower = np.zeros_like(upper)
    for line, product, month in d.forced_start:  # the option's one start
        lower[
            ix["line"].get_loc(line), ix["product"].get_loc(product), ix["period"].get_loc(month)
        ] = 1
    cols[z.name] = (lower, upper)
    producing = _np(d.producing & d.capable, "line", "product", "period")
    for name, on in (
        ("Capability-volume", producing[..., None]),
        ("Capability-producing", producing),
    ):
        v = m.variables[name]
        cols[name] = (
            np.where(on, v.lower.to_numpy(), 0.0),
            np.where(on, v.upper.to_numpy(), 0.0),
        )
    if "Contract-exit" in m.variables:
        upper = d.exit_allowed.to_numpy().astype(float)
        cols["Contract-exit"] = (np.zeros_like(upper), upper)
    rows: Bounds = {}
    if "Contract-share" in m.constraints:
        share = _np(d.contract_cap_share, "product", "period")
        cap = share * _np(d.demand.sum("region"), "product", "period")
        rows["Contract-share"] = (np.full_like(cap, -np.inf), np.where(share < 1, cap, np.inf))
    return cols, rows
