"""Tidy tables the report draws and the workbook holds, derived from the results.

Nothing here computes money: the figures come from the plan results
(``PlanResult`` tables, themselves made by ``insource.finance``) and the risk
tables; this module selects, labels and reshapes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from insource.case import Case
from insource.plan import Comparison, PlanResult

__all__ = [
    "assumptions_table",
    "case_checksum",
    "chosen_options",
    "comparison_tables",
    "margin_rows",
    "plant_load",
]


def case_checksum(case: Case) -> str:
    """SHA-256 over the case's canonical tables and metadata.

    Canonical form: tables in name order, columns in name order, rows in file
    order, every value as CSV text (floats at full precision, missing values
    empty, periods as their labels). Two cases with the same content give the
    same digest whatever their file layout (folder or workbook).
    """
    h = hashlib.sha256()
    for key in sorted(case.meta):
        h.update(f"meta\x1f{key}\x1f{case.meta[key]!s}\x1e".encode())
    for name in sorted(case.tables):
        frame = case.tables[name]
        cols = sorted(map(str, frame.columns))
        h.update(f"table\x1f{name}\x1e".encode())
        h.update(frame[cols].to_csv(index=False, lineterminator="\n", na_rep="").encode())
    return h.hexdigest()


def chosen_options(comparison: Comparison) -> dict[str, str | None]:
    """The options the report shows: ``baseline``, ``best`` (recommended) and ``insource``.

    ``best`` is :attr:`Comparison.chosen` (the rule of the compare
    recommendation);
    ``insource`` is the option with in-house volume and the highest NPV
    (``None`` when no option builds in-house).
    """
    s = comparison.summary
    ok = s[s["status"].isin(["optimal", "feasible"])].sort_values(
        "npv", ascending=False, kind="stable"
    )
    inh = ok[ok["inhouse_units"].fillna(0.0) > 0]
    return {
        "baseline": comparison.baseline,
        "best": comparison.chosen,
        "insource": str(inh["option"].iloc[0]) if len(inh) else None,
    }


def _own_lines(r: PlanResult) -> list[str]:
    d = r.data
    assert d is not None
    return [str(x) for x in d.site_of_line.index]


def margin_rows(
    comparison: Comparison,
    insource: str | None,
    bridges: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Unit-margin bridge rows to compare: the contract and the in-house line, same product.

    The in-house row is the line of the ``insource`` option that builds the
    most units; the contract row is the baseline's contract for the same
    product (else the insource option's own contract rows for it).
    """
    if insource is None:
        return pd.DataFrame()
    bridges = bridges or {k: r.bridge() for k, r in comparison.results.items()}
    r = comparison.results[insource]
    b = bridges[insource]
    own = set(_own_lines(r))
    inh = b[b["source"].isin(own)].sort_values("volume", ascending=False, kind="stable")
    if inh.empty:
        return pd.DataFrame()
    row = inh.iloc[[0]].assign(label=f"in-house ({inh['source'].iloc[0]})", option=insource)
    product = str(row["product"].iloc[0])
    for opt in _contract_candidates(comparison, insource):
        cb = bridges[opt]
        con = cb[(cb["product"] == product) & ~cb["source"].isin(own)]
        if len(con):
            c = con.sort_values("volume", ascending=False, kind="stable").iloc[[0]]
            c = c.assign(label=f"contract ({c['source'].iloc[0]})", option=opt)
            out = pd.concat([c, row], ignore_index=True)
            out.attrs.update(b.attrs)
            return out
    return row.reset_index(drop=True)


def _contract_candidates(comparison: Comparison, insource: str) -> list[str]:
    """Options to take the contract margin from, most comparable first.

    The insource option itself (its dual-running months), then options with
    the same overrides of the case (the same assumptions, e.g. the same
    battery), then the baseline.
    """
    first = comparison.results[insource].data
    assert first is not None
    mine = str(first.option.get("overrides") or "")
    same = []
    for k, r in comparison.results.items():
        d = r.data
        if k != insource and d is not None and str(d.option.get("overrides") or "") == mine:
            same.append(k)
    return list(dict.fromkeys([insource, *same, comparison.baseline]))


def plant_load(case: Case, result: PlanResult) -> tuple[str | None, pd.DataFrame, pd.DataFrame]:
    """Hours on the receiving line by fiscal year and model, and its capacity.

    The receiving line is the own line that builds the most in-house units in
    ``result``. Hours of our products are ``volume / speed`` (the plan's
    units per hour of that product on that line in that month); other models'
    hours come from the case's ``other_load``.

    Returns
    -------
    line, load, capacity
        ``load``: ``fiscal_year, line, model, kind (ours/other), hours``;
        ``capacity``: ``PlanResult.utilisation`` rows of the line.

    """
    from insource.case._views import other_load

    d = result.data
    assert d is not None
    v = result.volumes
    inh = v[v["kind"] == "inhouse"]
    if inh.empty:
        return None, pd.DataFrame(), pd.DataFrame()
    line = str(inh.groupby("source")["volume"].sum().idxmax())
    mine = inh[inh["source"] == line]
    speed = d.speed.sel(line=line).to_series()
    key = pd.MultiIndex.from_arrays([mine["product"], mine["period"].astype(str)])
    sp = speed.reindex(key).to_numpy(float)
    ours = pd.DataFrame(
        {
            "period": mine["period"].to_numpy(),
            "model": mine["product"].to_numpy(),
            "hours": mine["volume"].to_numpy(float) / np.where(sp > 0, sp, np.nan),
            "kind": "ours",
        }
    )
    oth = other_load(case)
    oth = oth[oth["line"] == line]
    first, last = d.periods[0], d.periods[-1]
    per = pd.PeriodIndex(oth["period"].astype(str), freq="M")
    oth = oth[(per >= first) & (per <= last)]
    others = pd.DataFrame(
        {
            "period": pd.PeriodIndex(oth["period"].astype(str), freq="M"),
            "model": oth["model"].to_numpy(),
            "hours": oth["hours"].to_numpy(float),
            "kind": "other",
        }
    )
    both = pd.concat([others, ours], ignore_index=True)
    both["fiscal_year"] = case.calendar.fiscal_year(pd.PeriodIndex(both["period"]))
    load = both.groupby(["fiscal_year", "model", "kind"], as_index=False, sort=True).agg(
        hours=("hours", "sum")
    )
    load.insert(1, "line", line)
    load.attrs.update(name=f"hours on {line} by model", unit="hours/year")
    cap = result.utilisation[result.utilisation["line"] == line].reset_index(drop=True)
    cap.attrs.update(result.utilisation.attrs)
    return line, load, cap


def comparison_tables(
    case: Case, comparison: Comparison, bridges: Mapping[str, pd.DataFrame] | None = None
) -> dict[str, pd.DataFrame]:
    """Every option's result tables stacked with an ``option`` column (for the workbook).

    ``bridges`` (option -> ``PlanResult.bridge()``) saves recomputing them.
    """
    cur = str(case.finance["currency"])
    out: dict[str, pd.DataFrame] = {}
    summary = comparison.summary.copy()
    summary.attrs.update(
        name="options compared against the status quo",
        unit=cur,
        units={
            "gap": "fraction",
            "npv": cur,
            "npv_vs_baseline": cur,
            "irr_vs_baseline": "fraction/year",
            "payback_months": "months",
            "inhouse_units": "units",
            "inhouse_unit_margin": f"{cur}/unit",
            "contract_unit_margin": f"{cur}/unit",
            "breakeven_units_per_year": "units/year",
            "partner_lost_units": "units",
            "partner_lost_contribution": cur,
        },
        description="One row per option: NPV, NPV against the status quo, IRR and payback of "
        "the difference, unit margins, break-even volume and what the partner loses.",
    )
    out["options"] = summary

    def stack(
        get: Any, name: str, unit: str, description: str, units: Mapping[str, str] | None = None
    ) -> pd.DataFrame:
        parts = []
        for k, r in comparison.results.items():
            f = get(r)
            if f is None or len(f) == 0:
                continue
            parts.append(f.assign(option=k)[["option", *f.columns]])
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        frame.attrs.update(name=name, unit=unit, description=description)
        if units:
            frame.attrs["units"] = dict(units)
        return frame

    out["npv_items"] = stack(
        lambda r: r.item_npv().rename("npv").rename_axis("item").reset_index(),
        "NPV by P&L item",
        cur,
        "Each P&L item's contribution to the option's NPV (after tax, discounted).",
    )
    out["pnl"] = stack(
        lambda r: r.pnl(),
        "P&L and cash flow by fiscal year",
        cur,
        "Revenue, costs, EBITDA, tax and cash by fiscal year, product and site.",
    )
    out["cash_monthly"] = stack(
        lambda r: (
            r.cash.groupby("period", as_index=False)[["ebitda", "tax", "capex", "cash"]]
            .sum()
            .assign(period=lambda f: f["period"].astype(str))
        ),
        "cash flow by month",
        cur,
        "Monthly EBITDA, tax, capex and cash (all products and sites).",
    )
    out["unit_margin"] = stack(
        lambda r: bridges[r.option] if bridges else r.bridge(),
        "unit-margin bridge",
        f"{cur}/unit",
        "Per unit built or bought by each source: price, then each cost (negative), margin.",
        {"volume": "units"},
    )
    out["volume_by_site"] = stack(
        lambda r: r.volume_by_site(),
        "volume by site and fiscal year",
        "units",
        "Units built or bought at each site per fiscal year; site 'lost' is unmet demand.",
    )
    out["volumes"] = stack(
        lambda r: r.volumes.assign(period=r.volumes["period"].astype(str)),
        "volumes by month",
        "units/month",
        "Monthly units by kind (inhouse, contract, lost, stock), source, product and region.",
    )
    out["utilisation"] = stack(
        lambda r: r.utilisation,
        "line utilisation",
        "hours",
        "Hours used (including other models), planned (shifts worked) and at most shifts per "
        "fiscal year; utilisation = used / planned.",
        {"shifts": "shifts", "utilisation": "fraction", "utilisation_max": "fraction"},
    )
    return out


def assumptions_table(
    case: Case,
    tornado: pd.DataFrame | None = None,
    sobol: pd.DataFrame | None = None,
    breakeven: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each uncertain input with its value, range, source and confidence, and what it drives.

    Rows are the case's ``uncertainty`` table (plus the finance parameters).
    Source and confidence are those of the figure in the case
    (:meth:`Case.provenance`); the range's own source follows. When risk
    tables are given, the NPV at the input's low and high value (tornado),
    its total Sobol index and the break-even value stand on the same row.
    """
    u = case.tables["uncertainty"]
    rows = []
    for _, r in u.iterrows():
        table, key, attr = str(r["table"]), str(r["row"]), str(r["attribute"])
        prov = case.provenance(table, key, attr)
        value = _case_value(case, table, key, attr)
        if str(r.get("distribution")) == "discrete":
            rng = f"{r.get('values')} (p {r.get('probabilities')})"
        else:
            rng = " / ".join(_num(r.get(c)) for c in ("low", "base", "high"))
        rows.append(
            {
                "input": str(r["id"]),
                "figure": f"{table}.{key}.{attr}",
                "value": value,
                "distribution": str(r.get("distribution") or ""),
                "low / base / high": rng,
                "source": prov["source"] or "",
                "confidence": prov["confidence"] or "",
                "range source": str(r.get("source") or ""),
                "range confidence": str(r.get("confidence") or ""),
            }
        )
    known = {row["figure"] for row in rows}
    fin = case.tables["finance"]
    for _, r in fin.iterrows():
        p = str(r["parameter"])
        if p in ("currency", "fiscal_year_start") or f"finance.{p}.value" in known:
            continue
        prov = case.provenance("finance", p, "value")
        rows.append(
            {
                "input": p,
                "figure": f"finance.{p}.value",
                "value": str(r["value"]),
                "distribution": "",
                "low / base / high": "",
                "source": prov["source"] or "",
                "confidence": prov["confidence"] or "",
                "range source": "",
                "range confidence": "",
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    if tornado is not None and len(tornado):
        t = tornado.set_index("input")
        out["npv_at_low"] = out["input"].map(t["npv_low"])
        out["npv_at_high"] = out["input"].map(t["npv_high"])
        if "swing" in t:
            out["npv_swing"] = out["input"].map(t["swing"])
    if sobol is not None and len(sobol):
        out["sobol_total"] = out["input"].map(sobol.set_index("input")["ST"])
    if breakeven is not None and len(breakeven):
        found: dict[str, list[str]] = {}
        for rec in breakeven.to_dict("records"):
            if np.isfinite(float(rec["breakeven"])):
                found.setdefault(str(rec["input"]), []).append(
                    f"{rec['option']}: {_num(rec['breakeven'])}"
                )
        be = {k: "; ".join(v) for k, v in found.items()}
        out["breakeven"] = out["input"].map(be).fillna("")
    cur = str(case.finance["currency"])
    out.attrs.update(
        name="assumptions",
        unit="",
        units={c: cur for c in ("npv_at_low", "npv_at_high", "npv_swing")}
        | {"sobol_total": "fraction"},
        description="Uncertain and financial inputs: value in the case, range, source and "
        "confidence, and (with a risk run) the NPV at the input's low and high value, its "
        "share of the NPV variance and the value at which an option breaks even.",
    )
    return out


def _case_value(case: Case, table: str, key: str, attr: str) -> str:
    frame = case.tables[table]
    if table == "finance":
        hit = frame[frame["parameter"] == key]
        return str(hit["value"].iloc[0]) if len(hit) else ""
    hit = frame[case.keys(table) == key]
    if hit.empty or attr not in frame.columns:
        return ""
    return _num(hit[attr].iloc[0])


def _num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float | np.floating | int | np.integer):
        x = float(v)
        if not np.isfinite(x):
            return ""
        if x == int(x) and abs(x) >= 1:
            return f"{x:,.0f}"
        return f"{x:,.4g}"
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v)
