"""Derived tables every module reads: line capacity, other load, history by year.

Each function takes a :class:`~insource.case.Case` and returns a tidy
DataFrame whose ``attrs`` carry ``name`` and ``unit``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insource.case._case import Case

__all__ = ["history_by_year", "line_capacity", "other_load"]


def line_capacity(case: Case) -> pd.DataFrame:
    r"""Yearly capacity of every line at today's and at the most shifts.

    .. math:: \text{capacity} = r \cdot e \cdot h \cdot s \cdot d

    with rate ``r`` (units/h), efficiency ``e``, hours per shift ``h``, shifts
    ``s`` and working days per year ``d``.

    Returns
    -------
    DataFrame
        ``line, site, owner, rate, shifts, max_shifts, capacity, max_capacity``
        (capacities in units/yr).

    """
    lines = case.tables["lines"]
    sites = case.tables["sites"].set_index("id")
    per_shift = (
        lines["rate"].astype(float)
        * lines["efficiency"].astype(float)
        * lines["hours_per_shift"].astype(float)
        * lines["days_per_year"].astype(float)
    )
    out = pd.DataFrame(
        {
            "line": lines["id"],
            "site": lines["site"],
            "owner": lines["site"].map(sites["owner"]) if not sites.empty else None,
            "rate": lines["rate"].astype(float),
            "shifts": lines["shifts"].astype(float),
            "max_shifts": lines["max_shifts"].astype(float),
            "capacity": per_shift * lines["shifts"].astype(float),
            "max_capacity": per_shift * lines["max_shifts"].astype(float),
        }
    ).reset_index(drop=True)
    out.attrs.update(name="line capacity", unit="units/yr")
    return out


def other_load(case: Case) -> pd.DataFrame:
    """Other models' volume on each line, month by month over the horizon.

    Returns
    -------
    DataFrame
        Tidy ``line, model, period, volume, hours`` with the volume in
        units/month and the line hours it takes (``volume / (rate x
        rate_factor)``, at the line's base rate).

    """
    load = case.tables["other_load"].dropna(subset=["line", "model", "period", "units_per_year"])
    cols = ["line", "model", "period", "volume", "hours"]
    if load.empty:
        empty = pd.DataFrame(columns=cols)
        empty.attrs.update(name="other load", unit="units/month")
        return empty
    months, counts = case._span_months(load["period"])
    rate = case.tables["lines"].set_index("id")["rate"].astype(float)
    speed = load["line"].map(rate).to_numpy(float) * load["rate_factor"].to_numpy(float)
    volume = load["units_per_year"].to_numpy(float) / 12.0
    out = pd.DataFrame(
        {
            "line": np.repeat(load["line"].to_numpy(), counts),
            "model": np.repeat(load["model"].to_numpy(), counts),
            "period": months,
            "volume": np.repeat(volume, counts),
            "hours": np.repeat(volume / speed, counts),
        }
    )
    out = (
        out.groupby(["line", "model", "period"], sort=True)[["volume", "hours"]]
        .sum(min_count=1)
        .reset_index()
    )
    out.attrs.update(name="other load", unit="units/month")
    return out


def history_by_year(
    case: Case, table: str = "demand_history", by: str = "calendar"
) -> pd.DataFrame:
    """Reported volumes summed by year, from single months only.

    Spans longer than a month (yearly or multi-month totals) are reported as
    they are in ``span_totals``: they are never split into invented months.

    Parameters
    ----------
    table
        ``demand_history`` or ``market_history``.
    by
        ``calendar`` or ``fiscal`` years.

    Returns
    -------
    DataFrame
        ``item, year, months, volume``: the number of reported months in the
        year and their total.

    """
    item = "product" if table == "demand_history" else "market"
    hist = case.tables[table].dropna(subset=[item, "period", "volume"])
    rows = []
    for _, r in hist.iterrows():
        span = case.span(r["period"])
        if span.start is None or span.end is None or span.start != span.end:
            continue
        year = (
            int(case.calendar.fiscal_year(pd.PeriodIndex([span.start]))[0])
            if by == "fiscal"
            else span.start.year
        )
        rows.append((r[item], year, float(r["volume"])))
    out = pd.DataFrame(rows, columns=["item", "year", "volume"])
    out = (
        out.groupby(["item", "year"])
        .agg(months=("volume", "size"), volume=("volume", "sum"))
        .reset_index()
    )
    out.attrs.update(name=f"{table} by {by} year", unit="units")
    return out
