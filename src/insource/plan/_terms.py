"""Money per unit of each decision: the one place where unit costs meet variables.

Each :class:`Term` says: variable ``var`` earns ``coef`` (money per unit,
signed, positive is money in) booked as P&L item ``item``. The model weights
the terms with the finance module's discount and tax factors; the results
multiply them with the solution. Both therefore use the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from insource.finance import capex_npv_factor, npv_weights
from insource.plan._data import PlanData

__all__ = ["Term", "capex_weights", "objective_terms", "period_weights"]


@dataclass(frozen=True)
class Term:
    """One money term: ``coef * var`` booked as ``item``."""

    item: str
    var: str
    coef: xr.DataArray


def _by_site(data: PlanData, sites: np.ndarray, dim: str, index: object) -> xr.DataArray:
    pick = xr.DataArray(sites, coords=[index], dims=[dim])  # type: ignore[list-item]
    return data.logistics.sel(site=pick).drop_vars("site")


def objective_terms(data: PlanData) -> list[Term]:
    r"""Every money term of the plan except capex (see :func:`capex_weights`).

    In-house volume :math:`x_{l,p,r,t}` pays material, battery, conversion and
    logistics; contract volume :math:`y_{c,r,t}` pays the price (plus material
    and battery on consignment) and logistics, and returns the JV profit share;
    lost sales :math:`l_{p,r,t}` forgo the net revenue and pay the penalty;
    shifts :math:`n_{l,t}`, production states :math:`u_{l,p,t}`, shortfalls
    :math:`s_{c,y}` and exits :math:`e_{c,t}` pay their fixed costs.
    """
    line_sites = _by_site(data, data.site_of_line.to_numpy(), "line", data.site_of_line.index)
    c_ix = data.contracts["id"].to_list()
    con_sites = _by_site(
        data,
        data.contracts["site"].astype(str).to_numpy(),
        "contract",
        data.cprice.indexes["contract"],
    )
    of = data.of_product
    c_mat = (data.material * of).sum("product") * data.cmaterial
    c_bat = (data.battery * of).sum("product") * data.cmaterial
    terms = [
        Term("revenue", "Product-lost", -data.price),
        Term("penalty", "Product-lost", -data.penalty),
        Term("material", "Capability-volume", -data.material),
        Term("battery", "Capability-volume", -data.battery),
        Term("conversion", "Capability-volume", -data.conversion),
        Term("logistics", "Capability-volume", -line_sites),
        Term("shift", "Line-shifts", -data.shift_cost),
        Term("fixed", "Capability-producing", -data.fixed),
    ]
    if c_ix:
        terms += [
            Term("contract", "Contract-volume", -data.cprice),
            Term("material", "Contract-volume", -c_mat),
            Term("battery", "Contract-volume", -c_bat),
            Term("logistics", "Contract-volume", -con_sites),
            Term("jv_profit", "Contract-volume", data.jv_share * data.cprice),
            Term("take_or_pay", "Contract-shortfall", -data.top_cost),
            Term("exit", "Contract-exit", -xr.ones_like(data.cprice) * data.exit_cost),
        ]
    return terms


def period_weights(data: PlanData) -> xr.DataArray:
    r"""NPV weight of one unit of EBITDA in each month, :math:`\delta_t(1-\tau)`."""
    fin = data.case.finance
    w = npv_weights(data.n_months, float(fin["discount_rate"]), float(fin["tax_rate"]))
    return xr.DataArray(w, coords=[data.labels])


def fy_weights(data: PlanData) -> xr.DataArray:
    """NPV weight of EBITDA booked in each fiscal year's last month in the horizon."""
    w = period_weights(data)
    return xr.DataArray(w.to_numpy()[data.top_pay.to_numpy()], coords=data.top_pay.coords)


def capex_weights(data: PlanData) -> xr.DataArray:
    r"""NPV of the tooling capex when production starts in month :math:`t`.

    .. math:: F_{l,p,t} = K_{l,p}\,\big(-\delta_{t-\lambda} + \tau \sum_{t'} D_{t'}\,\delta_{t'}\big)

    with lead time :math:`\lambda_{l,p}`: capex is paid at the tooling decision
    and depreciated from the start of production.
    """
    fin = data.case.finance
    T = data.n_months
    t = np.arange(T)
    lead = data.lead.to_numpy()
    years = data.dep_years.to_numpy()
    out = np.zeros(data.allowed_start.shape)
    pairs = np.stack([lead.reshape(-1), years.reshape(-1)], axis=1)
    for lam, yrs in np.unique(pairs, axis=0):  # one schedule per (lead, life): few
        f = capex_npv_factor(
            T, t - lam, t, np.full(T, yrs), float(fin["discount_rate"]), float(fin["tax_rate"])
        )
        out[(lead == lam) & (years == yrs)] = f
    return data.capex * xr.DataArray(out, coords=data.allowed_start.coords)
