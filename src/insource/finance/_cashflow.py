r"""Cash flows, tax, depreciation and discounting: the finance arithmetic, once.

Money lines are a tidy table ``period, product, site, source, item, amount``
(amount signed: positive is money in). The optimiser weights its objective with
:func:`npv_weights` and :func:`capex_npv_factor`; the evaluation of a plan turns
the same lines into cash with :func:`cash_flow` and discounts them with
:func:`npv`. Both paths use the functions here, so they agree to rounding.

Conventions (see ``docs/formulation.md``):

* month ``t = 0, 1, ...`` from the start of the horizon is discounted at the
  middle of the month, :math:`\\delta_t = (1+r)^{-(t+1/2)/12}`;
* tax is linear on EBIT, :math:`\\text{tax}_t = \\tau\\,(\\text{EBITDA}_t -
  \\text{dep}_t)`: a loss gives a tax shield (the company is taxed elsewhere);
* capex is paid in full in the month of the tooling decision and depreciated
  straight-line over ``years`` from the start of production, within the horizon.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "ITEMS",
    "LINE_COLUMNS",
    "capex_npv_factor",
    "cash_flow",
    "depreciation_schedule",
    "discount_factor",
    "discount_factors",
    "item_npv",
    "npv",
    "npv_weights",
]

#: Every money item: label, whether it is in EBITDA (else capex or a non-cash
#: P&L line) and whether it is cash.
ITEMS = pd.DataFrame(
    [
        ("revenue", "Revenue", True, True),
        ("jv_profit", "JV profit share", True, True),
        ("material", "Material", True, True),
        ("battery", "Battery", True, True),
        ("conversion", "Conversion", True, True),
        ("contract", "Contract payments", True, True),
        ("logistics", "Logistics", True, True),
        ("shift", "Shift fixed cost", True, True),
        ("fixed", "Product fixed cost", True, True),
        ("take_or_pay", "Take-or-pay shortfall", True, True),
        ("exit", "Contract exit cost", True, True),
        ("penalty", "Lost-sale penalty", True, True),
        ("dev_cost", "JV development cost share", True, True),
        ("depreciation", "Depreciation", False, False),
        ("capex", "Capex", False, True),
    ],
    columns=["item", "label", "ebitda", "cash"],
).set_index("item")

LINE_COLUMNS = ["period", "product", "site", "source", "item", "amount"]


def discount_factor(rate: npt.ArrayLike, month: npt.ArrayLike) -> np.ndarray:
    r"""Mid-month discount factor :math:`\delta_t = (1+r)^{-(t+1/2)/12}`, broadcast.

    The one place the discounting convention is written: every other
    discounting function here, and the risk evaluator with one rate per
    sample, calls it.

    Parameters
    ----------
    rate
        Annual discount rate(s): a scalar, or an array (e.g. one per sample,
        shape ``(n, 1)``).
    month
        Month index(es) from the start of the horizon (``t = 0`` is the first
        month; may be fractional, negative or beyond the horizon).

    Returns
    -------
    ndarray
        ``rate`` and ``month`` broadcast against each other.

    Examples
    --------
    >>> discount_factor(0.0, 5).item()
    1.0
    >>> discount_factor(np.array([[0.0], [0.21]]), np.array([5.5, 11.5])).round(4).tolist()
    [[1.0, 1.0], [0.9091, 0.8264]]

    """
    return np.power(
        1.0 + np.asarray(rate, dtype=float), -(np.asarray(month, dtype=float) + 0.5) / 12.0
    )


def discount_factors(n_months: int, rate: float) -> np.ndarray:
    r"""Mid-month discount factors :math:`\delta_t = (1+r)^{-(t+1/2)/12}`.

    Parameters
    ----------
    n_months
        Months in the horizon.
    rate
        Annual discount rate.

    Examples
    --------
    >>> discount_factors(2, 0.0).tolist()
    [1.0, 1.0]

    """
    return discount_factor(rate, np.arange(n_months, dtype=float))


def npv_weights(n_months: int, rate: float, tax: float) -> np.ndarray:
    r"""Weight of one unit of EBITDA in month ``t`` in the NPV, :math:`\delta_t (1-\tau)`."""
    return discount_factors(n_months, rate) * (1.0 - tax)


def depreciation_schedule(
    n_months: int, start: np.ndarray, years: np.ndarray | float
) -> np.ndarray:
    r"""Straight-line depreciation of one unit of capex, month by month.

    .. math:: D_{k,t} = \frac{1}{12 Y_k}\;[\,s_k \le t < s_k + 12 Y_k\,]

    Parameters
    ----------
    n_months
        Months in the horizon (depreciation after it is dropped).
    start
        Month index where depreciation starts, one per asset (may be negative
        or beyond the horizon).
    years
        Depreciation life per asset (a scalar or one per asset); 0 or less
        means expensed at once in the start month.

    Returns
    -------
    ndarray
        Shape ``(len(start), n_months)``.

    """
    start = np.asarray(start, dtype=float).reshape(-1)
    life = np.broadcast_to(np.asarray(years, dtype=float) * 12.0, start.shape)
    life = np.where(life > 0, np.maximum(np.round(life), 1.0), 1.0)
    t = np.arange(n_months, dtype=float)[None, :]
    inside = (t >= start[:, None]) & (t < start[:, None] + life[:, None])
    return inside / life[:, None]


def capex_npv_factor(
    n_months: int,
    spend: np.ndarray,
    start: np.ndarray,
    years: np.ndarray | float,
    rate: float,
    tax: float,
) -> np.ndarray:
    r"""NPV of one unit of capex paid in month ``spend`` and depreciated from ``start``.

    .. math:: f = -\delta_{\text{spend}} + \tau \sum_t D_t\,\delta_t

    Spending months outside the horizon are discounted with the same formula.
    """
    spend = np.asarray(spend, dtype=float).reshape(-1)
    df = discount_factors(n_months, rate)
    paid = discount_factor(rate, spend)
    shield = tax * depreciation_schedule(n_months, start, years) @ df
    return -paid + shield


def cash_flow(lines: pd.DataFrame, tax_rate: float) -> pd.DataFrame:
    r"""Monthly P&L and cash per period, product, site and source.

    .. math::

        \text{EBIT} = \text{EBITDA} + \text{depreciation},\quad
        \text{tax} = -\tau\,\text{EBIT},\quad
        \text{cash} = \text{EBITDA} + \text{capex} + \text{tax}

    (depreciation and capex are negative amounts.)

    Parameters
    ----------
    lines
        Money lines (:data:`LINE_COLUMNS`).
    tax_rate
        Linear tax rate on EBIT.

    Returns
    -------
    DataFrame
        Columns ``period, product, site, source``, one per item present, then
        ``ebitda, ebit, tax, cash``.

    """
    keys = ["period", "product", "site", "source"]
    wide = lines.pivot_table(
        index=keys, columns="item", values="amount", aggfunc="sum", fill_value=0.0
    )
    for item in ITEMS.index:
        if item not in wide.columns:
            wide[item] = 0.0
    wide = wide[list(ITEMS.index)]
    ebitda_items = [i for i in ITEMS.index if ITEMS.loc[i, "ebitda"]]
    wide["ebitda"] = wide[ebitda_items].sum(axis=1)
    wide["ebit"] = wide["ebitda"] + wide["depreciation"]
    wide["tax"] = -tax_rate * wide["ebit"]
    wide["cash"] = wide["ebitda"] + wide["capex"] + wide["tax"]
    out = wide.reset_index()
    out.columns.name = None
    out.attrs.update(name="cash flow", unit="money")
    return out


def npv(cash: pd.Series, start: pd.Period, rate: float) -> float:
    r"""Net present value :math:`\sum_t \text{cash}_t\,\delta_t` of a cash series.

    Parameters
    ----------
    cash
        Cash by month (index of :class:`pandas.Period`, repeats are summed).
    start
        First month of the horizon (``t = 0``).
    rate
        Annual discount rate.

    Examples
    --------
    >>> s = pd.Series([100.0], index=pd.PeriodIndex(["2026-01"], freq="M"))
    >>> round(npv(s, pd.Period("2026-01", "M"), 0.0), 6)
    100.0

    """
    if cash.empty:
        return 0.0
    t = np.array([(p - start).n for p in cash.index], dtype=float)
    return float(np.sum(cash.to_numpy(dtype=float) * discount_factor(rate, t)))


def item_npv(lines: pd.DataFrame, start: pd.Period, rate: float, tax_rate: float) -> pd.Series:
    r"""Contribution of each item to the NPV; the contributions sum to :func:`npv` of the cash.

    EBITDA items count :math:`(1-\tau)`, depreciation counts its tax shield
    :math:`-\tau\,\text{dep}`, capex counts in full.
    """
    if lines.empty:
        return pd.Series(dtype=float)
    t = np.array([(p - start).n for p in lines["period"]], dtype=float)
    df = discount_factor(rate, t)
    ebitda = lines["item"].map(ITEMS["ebitda"]).fillna(False).to_numpy(dtype=bool)
    factor = np.where(ebitda, 1.0 - tax_rate, 0.0)
    factor = np.where(lines["item"] == "depreciation", -tax_rate, factor)
    factor = np.where(lines["item"] == "capex", 1.0, factor)
    value = lines["amount"].to_numpy(dtype=float) * df * factor
    return pd.Series(value, index=lines.index).groupby(lines["item"].to_numpy()).sum()
