"""Investment metrics and reports built on money lines: IRR, payback, bridges."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from insource.finance._cashflow import ITEMS, discount_factor

__all__ = ["by_fiscal_year", "irr", "payback_months", "unit_margin_bridge"]


def _monthly_npv(cash: np.ndarray, rate: float) -> float:
    t = np.arange(len(cash), dtype=float)
    return float(np.sum(cash * discount_factor(rate, t)))


def irr(cash: np.ndarray) -> float:
    r"""Annual internal rate of return of a monthly cash series.

    The rate :math:`r` with :math:`\sum_t c_t (1+r)^{-(t+1/2)/12} = 0`, searched
    in :math:`(-0.99, 10)`. NaN when the series does not change sign or has no
    root in that range.

    Examples
    --------
    >>> round(irr(np.array([-100.0] + [0.0] * 11 + [110.0])), 4)
    0.1

    """
    cash = np.asarray(cash, dtype=float)
    if not (np.any(cash > 0) and np.any(cash < 0)):
        return float("nan")
    lo, hi = -0.99, 10.0
    f_lo, f_hi = _monthly_npv(cash, lo), _monthly_npv(cash, hi)
    if np.sign(f_lo) == np.sign(f_hi):
        return float("nan")
    from scipy.optimize import brentq  # imported here: scipy.optimize costs a start-up

    return float(brentq(lambda r: _monthly_npv(cash, r), lo, hi, xtol=1e-10))


def payback_months(cash: np.ndarray) -> float:
    """Months from the start of the horizon until cumulative cash stays at or above 0.

    Counts the month in which it turns (cumulative cash at the end of month
    ``n`` is the first to stay non-negative: payback ``n``, counting from 1).
    NaN when it never does; 0 when it never goes negative.

    Examples
    --------
    >>> payback_months(np.array([-10.0, 4.0, 4.0, 4.0]))
    4.0

    """
    cum = np.cumsum(np.asarray(cash, dtype=float))
    if len(cum) == 0 or cum[-1] < 0:
        return float("nan")
    negative = np.flatnonzero(cum < -1e-9)
    return 0.0 if len(negative) == 0 else float(negative[-1] + 2)


def by_fiscal_year(
    frame: pd.DataFrame, fiscal_year: Any, keys: list[str], values: list[str]
) -> pd.DataFrame:
    """Sum ``values`` of a monthly table by fiscal year and ``keys``.

    Parameters
    ----------
    frame
        Table with a ``period`` column.
    fiscal_year
        Fiscal year of each row (same length as ``frame``).

    """
    out = frame.assign(fiscal_year=np.asarray(fiscal_year))
    return out.groupby(["fiscal_year", *keys], sort=True)[values].sum().reset_index()


def unit_margin_bridge(lines: pd.DataFrame, volumes: pd.DataFrame) -> pd.DataFrame:
    r"""Money per unit built by each source: price, battery, materials, ... margin.

    .. math:: \text{per unit}_{s,i} = \frac{\sum_t \text{amount}_{s,i,t}}{\sum_t v_{s,t}}

    Revenue is carried at product level, so each source is credited with the
    product's average net revenue per unit sold.

    Parameters
    ----------
    lines
        Money lines with ``product, source, item, amount``.
    volumes
        ``product, source, volume`` (units built or bought by the source).

    Returns
    -------
    DataFrame
        One row per (product, source): ``price, battery, materials,
        conversion, logistics, fixed, depreciation, margin`` in money/unit.

    """
    vol = volumes.groupby(["product", "source"])["volume"].sum()
    vol = vol[vol > 0]
    cols = ["price", "battery", "materials", "conversion", "logistics", "fixed", "depreciation"]
    if vol.empty:
        out = pd.DataFrame(columns=["product", "source", "volume", *cols, "margin"])
        out.attrs.update(name="unit margin bridge", unit="money/unit")
        return out
    groups = {
        "battery": ["battery"],
        "materials": ["material"],
        "conversion": ["conversion", "contract", "jv_profit"],
        "logistics": ["logistics"],
        "fixed": ["shift", "fixed"],
        "depreciation": ["depreciation"],
    }
    per = lines.groupby(["product", "source", "item"])["amount"].sum()
    sold = volumes.groupby("product")["volume"].sum()
    revenue = lines[lines["item"] == "revenue"].groupby("product")["amount"].sum()
    rows = []
    for key, v in vol.items():
        product, source = str(key[0]), str(key[1])  # type: ignore[index]
        row: dict[str, Any] = {"product": product, "source": source, "volume": float(v)}
        row["price"] = float(revenue.get(product, 0.0)) / float(sold.get(product, np.nan))
        for col, items in groups.items():
            total = 0.0
            for i in items:
                total += float(per.get((product, source, i), 0.0))
            row[col] = total / float(v)
        row["margin"] = float(np.sum([row[c] for c in cols]))
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update(name="unit margin bridge", unit="money/unit")
    assert set(ITEMS.index) >= {i for items in groups.values() for i in items}
    return out
