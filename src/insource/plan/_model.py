"""The sourcing MILP, one ``define_*`` function per family over labelled arrays.

Names follow ``"{Entity}-{attr}"``: variables ``Capability-volume``,
``Capability-start``, ``Capability-producing``, ``Line-shifts``,
``Contract-volume``, ``Contract-exit``, ``Contract-active``,
``Contract-shortfall``, ``Product-stock``, ``Product-lost``; constraints
``Product-balance``, ``Line-hours``, ``Capability-ramp``, ... Every equation
is written out in ``docs/formulation.md``.
"""

from __future__ import annotations

from typing import Any

import linopy
import numpy as np
import xarray as xr

from insource.plan._data import TEXTBOOK_BIG_M, PlanData
from insource.plan._terms import capex_weights, fy_weights, objective_terms, period_weights

__all__ = ["ELASTIC", "build_model"]

#: Constraint families that get a slack in the elastic relaxation, with what
#: a positive slack means.
ELASTIC = {
    "Product-balance": "demand that cannot be met (lost sales are forbidden)",
    "Line-hours": "line hours needed beyond the most shifts",
    "Contract-share": "contract volume needed beyond the policy's share",
}


Fixed = dict[str, xr.DataArray]


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


def define_capability_variables(m: linopy.Model, d: PlanData, fixed: Fixed | None = None) -> None:
    r"""In-house volume, start and production state of each capability.

    :math:`0 \le x_{l,p,r,t} \le \min(U_{l,p,t}, R_{p,r,t})`,
    :math:`z_{l,p,t} \in \{0,1\}` where a start is allowed,
    :math:`u_{l,p,t} \in [0,1]` (1 for existing capabilities).
    """
    producing = d.producing & d.capable
    reach = _reach(d)
    active = producing & (reach > 0)
    loose = 1.0 + 1e-6 if fixed else 1.0  # see build_model: duals land on Line-hours
    upper = xr.where(active, np.minimum(d.umax * loose, reach), 0.0)
    if d.settings.formulation == "textbook":
        upper = xr.where(active, np.inf, 0.0)
    m.add_variables(lower=0.0, upper=upper, mask=active, name="Capability-volume")
    _decision(m, "Capability-start", fixed, d.allowed_start.coords, d.allowed_start, binary=True)
    lower = d.existing.astype(float) * xr.ones_like(d.umax)
    m.add_variables(
        lower=lower, upper=xr.ones_like(d.umax), mask=producing, name="Capability-producing"
    )


def define_line_variables(m: linopy.Model, d: PlanData, fixed: Fixed | None = None) -> None:
    r"""Shifts per own line and month, :math:`n_{l,t} \in \{\underline n_l..\overline n_l\}`."""
    ones = xr.ones_like(d.hours)
    _decision(
        m,
        "Line-shifts",
        fixed,
        ones.coords,
        None,
        lower=d.min_shifts * ones,
        upper=d.max_shifts * ones,
        integer=True,
    )


def define_contract_variables(m: linopy.Model, d: PlanData, fixed: Fixed | None = None) -> None:
    r"""Contract volume :math:`y_{c,r,t}`, exit :math:`e_{c,t}`, state :math:`w_{c,t}`, shortfall :math:`s_{c,f}`."""
    if d.contracts.empty:
        return
    region = d.demand.indexes["region"]
    window = d.window.expand_dims(region=region).transpose("contract", "region", "period")
    upper = (d.ccap * xr.ones_like(window, dtype=float)).where(window, 0.0)
    m.add_variables(lower=0.0, upper=upper, mask=window, name="Contract-volume")
    _decision(m, "Contract-exit", fixed, d.exit_allowed.coords, d.exit_allowed, binary=True)
    m.add_variables(
        lower=0.0, upper=1.0, coords=d.window.coords, mask=d.window, name="Contract-active"
    )
    has_min = (d.cmin * d.window).groupby(d.fy).sum() > 0
    m.add_variables(lower=0.0, coords=has_min.coords, mask=has_min, name="Contract-shortfall")


def define_product_variables(m: linopy.Model, d: PlanData) -> None:
    r"""Stock :math:`s_{p,r,t} \ge 0` and lost sales :math:`0 \le l_{p,r,t} \le D_{p,r,t}`."""
    if d.settings.inventory:
        m.add_variables(lower=0.0, upper=d.remaining, mask=d.remaining > 0, name="Product-stock")
    if d.settings.allow_lost_sales:
        m.add_variables(lower=0.0, upper=d.demand, mask=d.demand > 0, name="Product-lost")


def _var(m: linopy.Model, name: str) -> linopy.Variable | None:
    return m.variables[name] if name in m.variables else None  # noqa: SIM401


def define_balance_constraints(m: linopy.Model, d: PlanData, elastic: bool = False) -> None:
    r"""Demand balance per product, region and month.

    .. math:: \sum_l x_{l,p,r,t} + \sum_{c \to p} y_{c,r,t} + s_{p,r,t-1} - s_{p,r,t} + l_{p,r,t} = D_{p,r,t}
    """
    supply = m.variables["Capability-volume"].fillna(0).sum("line")
    y = _var(m, "Contract-volume")
    if y is not None:
        supply = supply + (y.fillna(0) * d.of_product).sum("contract")
    s = _var(m, "Product-stock")
    if s is not None:
        supply = supply + s.shift(period=1).fillna(0) - s.fillna(0)
    lost = _var(m, "Product-lost")
    if lost is not None:
        supply = supply + lost.fillna(0)
    if elastic:
        supply = supply + m.add_variables(
            lower=0.0, coords=d.demand.coords, mask=d.demand > 0, name="Slack-Product-balance"
        ).fillna(0)
    m.add_constraints(supply == d.demand, name="Product-balance")


def define_line_constraints(m: linopy.Model, d: PlanData, elastic: bool = False) -> None:
    r"""Line hours shared with the line's other load, and the shift calendar.

    .. math:: \sum_{p,r} x_{l,p,r,t} / \rho_{l,p,t} + O_{l,t} \le H_{l,t}\, n_{l,t}

    and :math:`n_{l,t} = n_{l,t-1}` except at the shift-change months.
    """
    if d.lines.empty:
        return
    x = m.variables["Capability-volume"].fillna(0).sum("region")
    speed = d.speed.where(d.speed > 0, 1.0)
    n = m.variables["Line-shifts"].fillna(0)
    lhs = (x / speed).sum("product") - d.hours * n
    if elastic:
        lhs = lhs - m.add_variables(
            lower=0.0, coords=d.hours.coords, name="Slack-Line-hours"
        ).fillna(0)
    m.add_constraints(lhs <= -d.other_hours, name="Line-hours")
    hold = ~d.shift_free
    if bool(hold.any()):
        m.add_constraints(n - n.shift(period=1).fillna(0) == 0, name="Line-shift_step", mask=hold)


def define_capability_constraints(m: linopy.Model, d: PlanData, slack: float = 0.0) -> None:
    r"""Production state, ramp-up after the start, and the demand bound.

    .. math::

        u_{l,p,t} = u_{l,p,t-1} + z_{l,p,t},\qquad
        \sum_r x_{l,p,r,t} \le U_{l,p,t}\Big(u_{l,p,t} - \sum_{k\ge 0} g_{l,p,k}\, z_{l,p,t-k}\Big),\qquad
        x_{l,p,r,t} \le R_{p,r,t}\, u_{l,p,t}

    with :math:`g_{l,p,k} = 1 - f_{l,p}(k+1)` the ramp-up shortfall in the
    :math:`(k+1)`-th month of production.
    """
    x = m.variables["Capability-volume"].fillna(0)
    zv = m.variables["Capability-start"]
    z = zv.fillna(0)
    u = m.variables["Capability-producing"].fillna(0)
    new = d.capable & ~d.existing & d.producing
    if bool(new.any()):
        m.add_constraints(
            u - u.shift(period=1).fillna(0) - z == 0, name="Capability-state", mask=new
        )
    frac = u
    for k in range(d.ramp_gap.sizes["lag"]):  # over ramp lags, not periods
        g = d.ramp_gap.isel(lag=k, drop=True)
        if bool((g > 0).any()):
            frac = frac - g * z.shift(period=k).fillna(0)
    active = d.producing & d.capable
    umax = d.umax * (1.0 + slack)
    if d.settings.formulation == "textbook":  # an arbitrary big-M, no demand bound
        umax = xr.full_like(d.umax, TEXTBOOK_BIG_M)
    m.add_constraints(x.sum("region") - umax * frac <= 0, name="Capability-ramp", mask=active)
    if d.settings.formulation != "textbook":
        m.add_constraints(
            x - _reach(d) * u <= 0,
            name="Capability-demand",
            mask=active & (_reach(d) > 0),
        )
    for line, product, month in d.forced_start:
        m.add_constraints(
            zv.loc[line, product, month] == 1, name=f"Capability-forced-{line}-{product}"
        )


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
    y = m.variables["Contract-volume"].fillna(0)
    w = m.variables["Contract-active"].fillna(0)
    e = m.variables["Contract-exit"].fillna(0)
    m.add_constraints(
        w - w.shift(period=1).fillna(0) + e == d.first, name="Contract-state", mask=d.window
    )
    ysum = y.sum("region")
    m.add_constraints(ysum - d.ccap * w <= 0, name="Contract-capacity", mask=d.window)
    sf = _var(m, "Contract-shortfall")
    if sf is not None:
        gap = (d.cmin * w - ysum).groupby(d.fy).sum()
        has_min = (d.cmin * d.window).groupby(d.fy).sum() > 0
        m.add_constraints(sf.fillna(0) - gap >= 0, name="Contract-minimum", mask=has_min)
    capped = d.contract_cap_share < 1
    if bool(capped.any()):
        lhs = (ysum * d.of_product).sum("contract")
        if elastic:
            lhs = lhs - m.add_variables(
                lower=0.0, coords=capped.coords, mask=capped, name="Slack-Contract-share"
            ).fillna(0)
        rhs = d.contract_cap_share * d.demand.sum("region")
        m.add_constraints(lhs <= rhs, name="Contract-share", mask=capped)


def define_objective(m: linopy.Model, d: PlanData) -> None:
    r"""Maximise the NPV of the plan (see :mod:`insource.finance`).

    .. math:: \max\ \sum_{\text{terms}} \sum_t \delta_t (1-\tau)\, a_t\, v_t + \sum_{l,p,t} F_{l,p,t}\, z_{l,p,t}

    The constant revenue of all demand and the JV development cost are added
    back by :func:`objective_constant`.
    """
    w = period_weights(d)
    wf = fy_weights(d)
    coefs: dict[str, xr.DataArray] = {}
    for term in objective_terms(d):  # one coefficient array per variable
        if term.var not in m.variables:
            continue
        weight = wf if "fy" in m.variables[term.var].dims else w
        weighted = term.coef * weight
        coefs[term.var] = coefs[term.var] + weighted if term.var in coefs else weighted
    z = m.variables["Capability-start"]
    expr: linopy.LinearExpression = (z.fillna(0) * capex_weights(d)).sum()
    for name, coef in coefs.items():
        expr = expr + (m.variables[name].fillna(0) * coef).sum()
    m.add_objective(expr, sense="max")


def objective_constant(d: PlanData) -> float:
    """NPV of the terms that no decision changes: revenue of all demand, JV cost."""
    w = period_weights(d)
    revenue = float((d.price * d.demand.sum("region") * w).sum())
    dev = 0.0
    if not d.dev_cost.empty:
        dev = float(
            np.sum(d.dev_cost["amount"].to_numpy() * w.to_numpy()[d.dev_cost["t"].to_numpy()])
        )
    return revenue + dev


def define_elastic_objective(m: linopy.Model) -> None:
    """Minimise the total slack (phase one of the infeasibility explanation)."""
    expr = None
    for name in m.variables:
        if name.startswith("Slack-"):
            part = m.variables[name].sum()
            expr = part if expr is None else expr + part
    if expr is not None:
        m.add_objective(expr, sense="min", overwrite=True)


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
    define_line_variables(m, d, fixed)
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
