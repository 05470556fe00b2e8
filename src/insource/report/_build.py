"""The decision report: recommendation, figures, charts, assumptions, audit.

:func:`build_report` turns a comparison (and, when given, a risk result and
demand scenarios) into the page's sections and the workbook's tables;
:func:`write_report` writes both files so that each appears whole or not at
all. Nothing is computed here that the results do not already hold.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from insource._atomic import atomic_path
from insource.case import Case
from insource.plan import Comparison
from insource.report._charts import (
    _short,
    breakeven_chart,
    breakeven_volume_chart,
    demand_fan_chart,
    margin_waterfall,
    npv_distribution_chart,
    option_colours,
    tornado_chart,
    utilisation_chart,
    volume_chart,
)
from insource.report._excel import write_results_workbook
from insource.report._html import Figure, KeyFigures, Paragraph, Section, Table, render_html
from insource.report._risk import RiskLike
from insource.report._tables import (
    assumptions_table,
    case_checksum,
    chosen_options,
    comparison_tables,
    margin_rows,
    plant_load,
)

__all__ = ["DecisionReport", "DemandView", "audit_table", "build_report", "write_report"]


@dataclass
class DemandView:
    """Demand history and sampled paths of the product line, as tidy tables.

    ``history``: ``start, end, rate`` (units per month over each reported
    span); ``paths``: ``path, period, volume`` (units per month);
    ``scenarios``: ``scenario, period, volume`` the plan uses (optional);
    ``summary``: fiscal-year totals of the paths (for the workbook).
    """

    product: str
    history: pd.DataFrame
    paths: pd.DataFrame
    scenarios: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    seed: int = 0


@dataclass
class DecisionReport:
    """The built report: page sections, workbook tables and the charts by name."""

    title: str
    subtitle: str
    sections: list[Section]
    tables: dict[str, pd.DataFrame]
    figures: dict[str, Any]

    def html(self) -> str:
        """The self-contained page."""
        return render_html(self.title, self.sections, self.subtitle)


def audit_table(
    case: Case,
    comparison: Comparison,
    seed: int | None = None,
    samples: int | None = None,
    model_size: Mapping[str, int] | None = None,
    risk: RiskLike | None = None,
) -> pd.DataFrame:
    """What produced the figures: model size, solver, gap, time, seed, versions, checksum."""
    import insource

    rows: list[tuple[str, str]] = [("case", f"{case.name}: {case.title}")]
    rows.append(("case checksum (sha256 of the canonical tables)", case_checksum(case)))
    if model_size:
        rows.append(
            (
                f"model size ({model_size.get('option', 'recommended option')})",
                f"{model_size.get('variables', 0):,} variables "
                f"({model_size.get('integers', 0):,} integer), "
                f"{model_size.get('constraints', 0):,} constraints",
            )
        )
    rows.append(("solver", f"HiGHS {_version('highspy')} via linopy {_version('linopy')}"))
    res = comparison.results
    gaps = {k: r.gap for k, r in res.items()}
    worst = max(gaps, key=lambda k: gaps[k]) if gaps else ""
    rows.append(
        (
            "MIP gap",
            "every option solved to optimality (gap 0)"
            if not gaps or gaps[worst] <= 1e-9
            else f"largest {gaps[worst]:.3%} ({worst})",
        )
    )
    rows.append(
        (
            "solve time",
            f"{sum(r.outcome.seconds for r in res.values()):.2f} s over {len(res)} options",
        )
    )
    statuses = comparison.summary.set_index("option")["status"].astype(str)
    rows.append(("option status", ", ".join(f"{k}: {v}" for k, v in statuses.items())))
    if risk is not None:
        meta = dict(risk.meta)
        text = (
            f"{meta.get('samples', samples)} samples, seed {meta.get('seed', seed)}, "
            f"method {meta.get('method', '?')}"
        )
        if "where" in meta:
            text += f", {meta['where']}"
            if meta.get("workers"):
                text += f" on {meta['workers']} workers"
        if "seconds" in meta:
            text += f", {float(meta['seconds']):.1f} s"
        rows.append(("risk analysis", text))
    else:
        rows.append(("risk analysis", "not run"))
    if seed is not None:
        rows.append(("seed", str(seed)))
    rows.append(("insource version", str(insource.__version__)))
    rows.append(("python packages", f"pandas {_version('pandas')}, plotly {_version('plotly')}"))
    out = pd.DataFrame(rows, columns=["item", "value"])
    out.attrs.update(name="audit", unit="", description="What produced the figures.")
    return out


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def _rows(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Rows of a table keyed by its ``option`` column."""
    return {str(r["option"]): {str(k): v for k, v in r.items()} for r in frame.to_dict("records")}


def _money_cols(frame: pd.DataFrame, cols: list[str], div: float) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        if c in out:
            out[c] = out[c].astype(float) / div + 0.0  # no "-0"
    return out


def _confidence(
    best: str, baseline: str, risk: RiskLike | None, cur: str, top_input: str | None
) -> str:
    if risk is None:
        return (
            "Confidence: not assessed here (no risk analysis was run); the figures are for "
            "the probability-weighted expected demand and the case's base values."
        )
    s = risk.summary.set_index("option")
    rows = _rows(risk.summary)
    meta = dict(risk.meta)
    n = meta.get("samples") or (risk.npv["sample"].nunique() if "sample" in risk.npv else "?")
    if best == baseline:
        alt = s.drop(index=baseline, errors="ignore")
        if alt.empty:
            return f"Confidence: {n} samples; no alternative to compare."
        p_alt = alt["prob_beats_baseline"].astype(float)
        rival = str(p_alt.idxmax())
        p = float(p_alt.max())
        level = "high" if p <= 0.1 else "moderate" if p <= 0.3 else "low"
        text = (
            f"Confidence {level}: over {n} samples of the uncertain inputs the strongest "
            f"alternative, {rival}, beats the status quo in only {p:.0%} of them"
        )
    else:
        r = rows.get(best)
        p = float(r["prob_beats_baseline"]) if r is not None else float("nan")
        level = "high" if p >= 0.9 else "moderate" if p >= 0.7 else "low"
        text = f"Confidence {level}: over {n} samples of the uncertain inputs {best} beats the status quo in {p:.0%} of them"
        if r is not None:
            text += (
                f"; its NPV has mean {_short(float(r['mean']), cur)}, P5 "
                f"{_short(float(r['p5']), cur)} and P95 {_short(float(r['p95']), cur)}; "
                f"expected regret {_short(float(r['expected_regret']), cur)}"
            )
    if top_input:
        text += f". The input that moves NPV most is {top_input}"
    return text + "."


def build_report(
    case: Case,
    comparison: Comparison,
    risk: RiskLike | None = None,
    demand: DemandView | None = None,
    audit: pd.DataFrame | None = None,
    generated: str = "",
) -> DecisionReport:
    """Assemble the decision report from the results.

    Parameters
    ----------
    case
        The case the results are for (provenance, calendar, currency).
    comparison
        Every option planned against the status quo (:func:`insource.plan.compare`).
    risk
        A risk result (:class:`RiskLike`); its sections appear only when given.
    demand
        Demand history and sampled paths; the fan chart appears only when given.
    audit
        Audit rows (:func:`audit_table`); default: built without model size or seed.
    generated
        Timestamp text for the subtitle (the only part that changes between
        runs with the same inputs and seed).

    """
    cur = str(case.finance["currency"])
    pick = chosen_options(comparison)
    baseline, best, inh = str(pick["baseline"]), str(pick["best"]), pick["insource"]
    options = [str(o) for o in comparison.summary["option"]]
    colours = option_colours(options, baseline)
    bridges = {k: r.bridge() for k, r in comparison.results.items()}
    tables = comparison_tables(case, comparison, bridges)
    figures: dict[str, Any] = {}
    sections: list[Section] = []
    years = len(case.horizon) / 12.0

    tor = risk.tornado if risk is not None else None
    top_input = None
    if tor is not None and len(tor):
        t = tor.sort_values("swing", ascending=False, kind="stable")
        top_input = str(t["label"].iloc[0] if "label" in t else t["input"].iloc[0])

    # -- recommendation and key figures ---------------------------------------
    lead = comparison.recommendation + " " + _confidence(best, baseline, risk, cur, top_input)
    kf: list[tuple[str, str]] = [("recommended option", best)]
    srows = _rows(comparison.summary)
    row = srows[best]
    kf.append(("NPV", _short(float(row["npv"]), cur)))
    if best != baseline:
        kf.append(("NPV against the status quo", "+" + _short(float(row["npv_vs_baseline"]), cur)))
        pb = float(row["payback_months"])
        if pb == 0:
            kf.append(("payback against the status quo", "ahead in every month"))
        elif np.isfinite(pb):
            kf.append(("payback against the status quo", f"{pb:.0f} months"))
    if risk is not None and best in set(risk.summary["option"]):
        rs = _rows(risk.summary)[best]
        if best != baseline:
            kf.append(("chance it beats the status quo", f"{float(rs['prob_beats_baseline']):.0%}"))
        kf.append(
            (
                "NPV P5 to P95",
                f"{_short(float(rs['p5']))} to {_short(float(rs['p95']), cur)}",
            )
        )
    if inh is not None:
        ir = srows[inh]
        kf.append(
            (
                f"unit margin in-house vs contract ({inh})",
                f"{_short(float(ir['inhouse_unit_margin']))} vs "
                f"{_short(float(ir['contract_unit_margin']), cur)}",
            )
        )
        be = float(ir["breakeven_units_per_year"])
        if np.isfinite(be):
            kf.append((f"break-even volume ({inh})", f"{be:,.0f} units/year"))
        lost = float(ir["partner_lost_contribution"])
        if lost > 0:
            kf.append((f"partner contribution lost ({inh})", _short(lost, cur)))
    if risk is not None and risk.waiting is not None and len(risk.waiting):
        w = risk.waiting[risk.waiting["metric"] == "value_of_waiting"]
        if len(w):
            value, unit = float(w["value"].iloc[0]), str(w["unit"].iloc[0])
            kf.append(("value of waiting a year", _short(value, unit)))
    sections.append(Section("Recommendation", [Paragraph(lead, lead=True), KeyFigures(kf)]))

    # -- options ------------------------------------------------------------
    div = 1e6
    show = comparison.summary[
        [
            c
            for c in (
                "option",
                "policy",
                "status",
                "npv",
                "npv_vs_baseline",
                "payback_months",
                "inhouse_unit_margin",
                "contract_unit_margin",
                "breakeven_units_per_year",
                "partner_lost_contribution",
            )
            if c in comparison.summary
        ]
    ]
    show = _money_cols(show, ["npv", "npv_vs_baseline", "partner_lost_contribution"], div)
    show = show.rename(
        columns={
            "npv": f"NPV (m {cur})",
            "npv_vs_baseline": f"vs {baseline} (m {cur})",
            "payback_months": "payback (months)",
            "inhouse_unit_margin": f"unit margin in-house ({cur})",
            "contract_unit_margin": f"unit margin contract ({cur})",
            "breakeven_units_per_year": "break-even (units/yr)",
            "partner_lost_contribution": f"partner loses (m {cur})",
        }
    )
    blocks: list[Paragraph | KeyFigures | Table | Figure] = [
        Table(show, f"Every option against the status quo {baseline} (expected demand)")
    ]
    sections.append(Section("Options compared", blocks))

    # -- unit margin ----------------------------------------------------------
    mr = margin_rows(comparison, inh, bridges)
    if len(mr) >= 1:
        fig = margin_waterfall(mr, cur, label="label")
        figures["unit_margin"] = fig
        sections.append(
            Section(
                "Unit margin: contract against in-house",
                [
                    Figure(
                        fig,
                        f"Per unit of {mr['product'].iloc[0]}, averaged over the units each "
                        "source builds or sells in the plan: net price, then each cost. The "
                        "contract price includes the partner's materials and battery; in-house "
                        "the fixed cost and depreciation spread over the plan's volume.",
                    )
                ],
            )
        )
    else:
        sections.append(
            Section(
                "Unit margin: contract against in-house",
                [Paragraph("No option builds in-house, so there is no in-house margin to show.")],
            )
        )

    # -- volumes ----------------------------------------------------------------
    shown = list(dict.fromkeys(o for o in (baseline, best, inh) if o is not None))
    vols = tables["volume_by_site"]
    vols = vols[vols["option"].isin(shown)]
    vols = vols.iloc[np.argsort(vols["option"].map(shown.index).to_numpy(), kind="stable")]
    own_sites = case.tables["sites"]
    own = [str(s) for s in own_sites.loc[own_sites["owner"] == "own", "id"]]
    fig = volume_chart(vols, by="site", own=own)
    figures["volume"] = fig
    sections.append(
        Section(
            "Volume by source",
            [
                Figure(
                    fig,
                    f"Units per fiscal year by site for {', '.join(shown)}; blue: own plants, "
                    "orange: partner, grey: demand not met.",
                )
            ],
        )
    )

    # -- receiving plant ------------------------------------------------------
    if inh is not None:
        line, load, cap = plant_load(case, comparison.results[inh])
        if line is not None:
            fig = utilisation_chart(load, cap, ours=load.loc[load["kind"] == "ours", "model"])
            figures["utilisation"] = fig
            tables["plant_load"] = load
            sections.append(
                Section(
                    f"Receiving plant: {line}",
                    [
                        Figure(
                            fig,
                            f"Hours per fiscal year under {inh}, as a share of the hours of the "
                            "shifts planned: grey, the other models the case puts on the line; "
                            "colour, the insourced products; dashed, the capacity at the most "
                            "shifts allowed.",
                        )
                    ],
                )
            )

    # -- risk -------------------------------------------------------------------
    if risk is not None:
        rblocks: list[Paragraph | KeyFigures | Table | Figure] = []
        fig = npv_distribution_chart(
            risk.npv, cur, colours, summary=risk.summary, baseline=baseline
        )
        figures["npv_distribution"] = fig
        rblocks.append(
            Figure(fig, "Density of each option's NPV over the samples; dotted: the mean.")
        )
        money = [
            str(c)
            for c in risk.summary.columns
            if pd.api.types.is_numeric_dtype(risk.summary[c]) and "prob" not in str(c)
        ]
        rsum = _money_cols(risk.summary, money, div)
        rblocks.append(
            Table(
                rsum,
                f"NPV over the samples (m {cur}); probability of beating the status quo; "
                "expected regret against the best option in each sample; VaR/CVaR at 5%",
                {"prob_beats_baseline": ".0%", "prob_ties_baseline": ".0%"},
            )
        )
        if len(risk.tornado):
            fig = tornado_chart(risk.tornado, cur)
            figures["tornado"] = fig
            measure = str(risk.tornado.attrs.get("measure", "NPV"))
            rblocks.append(
                Figure(
                    fig,
                    f"{measure}: each input at its low and high value with the others at base; "
                    "the vertical line is the value at base inputs.",
                )
            )
        if len(risk.sobol):
            rblocks.append(
                Table(
                    risk.sobol,
                    "Share of the NPV variance due to each input (Sobol: S1 alone, ST with "
                    "interactions)",
                    {c: ".2f" for c in ("S1", "S1_conf", "ST", "ST_conf")},
                )
            )
        if risk.waiting is not None and len(risk.waiting):
            rblocks.append(Table(risk.waiting, "Value of waiting a year"))
        sections.append(Section("Risk", rblocks))
        for key in ("npv", "summary", "tornado", "sobol", "breakeven", "waiting"):
            frame = getattr(risk, key)
            if frame is None or not len(frame):
                continue
            if key == "npv":
                frame = _npv_percentiles(frame, cur)
            frame = frame.copy()
            frame.attrs.setdefault("name", f"risk {key}")
            if key in ("summary", "tornado"):
                frame.attrs.setdefault("unit", cur)
            tables[f"risk_{key}" if key != "npv" else "risk_npv_percentiles"] = frame

    # -- demand -----------------------------------------------------------------
    if demand is not None:
        fig = demand_fan_chart(demand.history, demand.paths, demand.scenarios)
        figures["demand"] = fig
        dblocks: list[Paragraph | KeyFigures | Table | Figure] = [
            Figure(
                fig,
                f"{demand.product} and its successors: history as the monthly rate over each "
                "reported span; bands P5-P95 and P25-P75 of the sampled paths (seed "
                f"{demand.seed}); lines: the low / base / high scenarios the plan uses.",
            )
        ]
        dblocks += [Paragraph(n) for n in demand.notes]
        sections.append(Section("Demand", dblocks))
        if demand.summary is not None:
            tables["demand_scenarios"] = demand.summary
        if demand.scenarios is not None:
            tables["demand_plan"] = demand.scenarios

    # -- break-even ---------------------------------------------------------------
    bblocks: list[Paragraph | KeyFigures | Table | Figure] = []
    if risk is not None and len(risk.breakeven):
        fig = breakeven_chart(risk.breakeven, colours)
        figures["breakeven"] = fig
        bblocks.append(
            Figure(
                fig,
                "Change in each input, from its base value, at which the option's NPV equals "
                "the status quo's (the others at base).",
            )
        )
    s_inh = comparison.summary[comparison.summary["inhouse_units"].fillna(0) > 0]
    if len(s_inh):
        fig = breakeven_volume_chart(comparison.summary, years, colours)
        figures["breakeven_volume"] = fig
        bblocks.append(
            Figure(
                fig,
                "In-house units a year in the plan against the volume at which the option's "
                "NPV equals the status quo's (fixed costs over the margin gained per unit, "
                "linear in volume).",
            )
        )
    if bblocks:
        sections.append(Section("Break-even", bblocks))

    # -- assumptions and audit ----------------------------------------------------
    assumptions = assumptions_table(
        case,
        risk.tornado if risk is not None else None,
        risk.sobol if risk is not None else None,
        risk.breakeven if risk is not None else None,
    )
    if len(assumptions):
        tables["assumptions"] = assumptions
        show_a = _money_cols(assumptions, ["npv_at_low", "npv_at_high", "npv_swing"], div)
        first = ["input", "value", "distribution", "low / base / high"]
        last = ["confidence", "source", "figure"]
        middle = [
            c
            for c in show_a.columns
            if c not in first + last + ["range source", "range confidence"]
        ]
        show_a = show_a[first + middle + last]
        show_a = show_a.rename(
            columns={
                "npv_at_low": f"NPV at low (m {cur})",
                "npv_at_high": f"NPV at high (m {cur})",
                "npv_swing": f"swing (m {cur})",
                "sobol_total": "Sobol ST",
            }
        )
        sections.append(
            Section(
                "Assumptions",
                [
                    Table(
                        show_a,
                        "Each uncertain input: value in the case, range, source and confidence "
                        "of the figure, and what it drives"
                        + (
                            f" (NPV at low / high: {risk.tornado.attrs['measure']})"
                            if risk is not None and "measure" in risk.tornado.attrs
                            else ""
                        ),
                        {"Sobol ST": ".2f"},
                    )
                ],
            )
        )
    audit = audit if audit is not None else audit_table(case, comparison, risk=risk)
    tables["audit"] = audit
    sections.append(Section("Audit", [Table(audit, "What produced these figures")]))

    subtitle = f"Case {case.name}; currency {cur}"
    if generated:
        subtitle += f"; generated {generated}"
    return DecisionReport(case.title, subtitle, sections, tables, figures)


def _npv_percentiles(npv: pd.DataFrame, cur: str) -> pd.DataFrame:
    """Percentiles 0..100 of each option's NPV (one column per option).

    101 rows carry the whole distribution (plot them against the percentile
    for the cumulative distribution) without one row per sample.
    """
    q = np.linspace(0.0, 1.0, 101)
    order = [str(o) for o in pd.unique(npv["option"])]
    groups = npv.groupby(npv["option"].astype(str), observed=True)["npv"]
    out = pd.DataFrame({"percentile": np.arange(101)})
    for opt in order:
        out[opt] = np.quantile(groups.get_group(opt).to_numpy(float), q)
    out.attrs.update(
        name="NPV percentiles of each option over the samples",
        unit=cur,
        units={"percentile": "% of samples"},
        description="Row p: the NPV that p% of the samples fall below, per option (column).",
    )
    return out


def write_report(
    report: DecisionReport,
    html: str | os.PathLike[str] | None = None,
    xlsx: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Write the page and the workbook; both appear whole, or neither is replaced.

    Both are rendered to temporary files beside their targets first; the
    targets are replaced only when both are complete.
    """
    page = report.html() if html is not None else ""
    targets = [Path(p) for p in (html, xlsx) if p is not None]
    with ExitStack() as stack:
        tmp_html = stack.enter_context(atomic_path(html)) if html is not None else None
        tmp_xlsx = stack.enter_context(atomic_path(xlsx)) if xlsx is not None else None
        if tmp_xlsx is not None:
            write_results_workbook(report.tables, tmp_xlsx, title=report.title)
        if tmp_html is not None:
            tmp_html.write_text(page, encoding="utf-8")
    return targets
