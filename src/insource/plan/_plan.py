"""Plan one option, or compare every option against the status quo."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insource.case import Case
from insource.errors import InsourceError
from insource.finance import irr, payback_months
from insource.plan._data import (
    PlanData,
    PlanSettings,
    plan_data,
    policy_union,
    same_structure,
    select_option,
)
from insource.plan._infeasible import InfeasiblePlan, explain_infeasibility
from insource.plan._model import build_model, objective_constant, objective_parts, policy_bounds
from insource.plan._results import (
    PlanResult,
    ResultLayout,
    capacity_duals,
    collect_results,
    result_layout,
    solution_arrays,
)
from insource.plan._solve import Resolver, solve_model
from insource.plan._start import (
    WARM_START_INTEGERS,
    neighbourhoods,
    relaxation_start,
    status_quo_start,
)

__all__ = ["Comparison", "chosen_option", "compare", "plan"]

_INTEGER = ("Capability-start", "Contract-exit", "Line-shifts")


def plan(
    case: Case,
    option: str | None = None,
    settings: PlanSettings | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    duals: bool = True,
    demand: pd.DataFrame | None = None,
    base: PlanData | None = None,
) -> PlanResult:
    """Find the NPV-maximising plan of one option (``None``: free optimisation).

    Pipeline: data -> model -> solve -> (explain if infeasible) -> results ->
    LP with the integer decisions fixed -> capacity duals. ``demand`` and
    ``base`` (the planning data of another option of the case) let
    :func:`compare` share the work that every option repeats.

    Raises
    ------
    InfeasiblePlan
        The policy cannot be met (with the families, entities and months).
    InsourceError
        Unknown option, or the time limit came before any feasible plan.

    """
    settings = settings or PlanSettings()
    row = select_option(case, option)
    d = plan_data(case, row, settings, demand, base)
    m = build_model(d)
    if m.binaries.nvars + m.integers.nvars >= WARM_START_INTEGERS:  # see _start
        outcome = solve_model(
            m,
            time_limit=time_limit,
            gap=gap,
            start=status_quo_start(d),
            rounded_start=relaxation_start(d),
            neighbourhoods=neighbourhoods(d),
            background_bound=True,
        )
    else:
        outcome = solve_model(m, time_limit=time_limit, gap=gap)
    name = str(row.get("id"))
    if outcome.status == "infeasible":
        raise InfeasiblePlan(name, explain_infeasibility(d, m))
    if outcome.status == "no_solution":
        raise InsourceError(
            f"option {name!r}: no feasible plan found within the time limit of {time_limit} s",
            "raise --time-limit",
        )
    result = collect_results(solution_arrays(m), d, outcome, objective_constant(d), name)
    if duals:
        fixed = {
            v: m.variables[v].solution.fillna(0.0).round() for v in _INTEGER if v in m.variables
        }
        lp = build_model(d, fixed=fixed)
        if solve_model(lp).status == "optimal":
            result.duals = capacity_duals(lp, d)
    return result


@dataclass
class Comparison:
    """Every option planned, with its metrics against the status quo."""

    baseline: str
    results: dict[str, PlanResult]
    summary: pd.DataFrame
    recommendation: str

    @property
    def chosen(self) -> str:
        """The recommended option (see :func:`chosen_option`)."""
        return chosen_option(self.summary, self.baseline)


def chosen_option(summary: pd.DataFrame, baseline: str) -> str:
    """The option to recommend: the plan with the highest NPV if it beats the baseline.

    Among the options with a plan (status ``optimal`` or ``feasible``), the
    one with the highest NPV (the first in the table on a tie) when its NPV
    is above the baseline's; the baseline otherwise. The one rule behind the
    recommendation of ``compare`` and the report.
    """
    ok = summary[summary["status"].isin(["optimal", "feasible"])]
    top = ok.sort_values("npv", ascending=False, kind="stable")
    if len(top) and float(top["npv_vs_baseline"].iloc[0]) > 0:
        return str(top["option"].iloc[0])
    return baseline


def _integers(d: PlanData) -> int:
    """Integer decisions of the option's own model (start, exit and shift variables)."""
    n = int(d.allowed_start.sum()) + int(d.hours.size)
    return n + (int(d.exit_allowed.sum()) if not d.contracts.empty else 0)


def _inhouse_volume(r: PlanResult) -> float:
    v = r.volumes
    return float(v.loc[v["kind"] == "inhouse", "volume"].sum())


def _metrics(r: PlanResult, base: PlanResult) -> dict[str, object]:
    d = r.data
    assert d is not None
    per = r.cash.groupby("period")["cash"].sum()
    per_b = base.cash.groupby("period")["cash"].sum()
    diff = per.sub(per_b, fill_value=0.0).reindex(d.periods, fill_value=0.0).to_numpy()
    bridge = r.bridge()
    inh = bridge[bridge["source"].isin(d.site_of_line.index)] if not bridge.empty else bridge
    con = bridge[~bridge["source"].isin(d.site_of_line.index)] if not bridge.empty else bridge

    def wavg(b: pd.DataFrame) -> float:
        return float(np.average(b["margin"], weights=b["volume"])) if len(b) else float("nan")

    # break-even: NPV difference = k * G - F with F the fixed part (capex, fixed,
    # shifts, exit, take-or-pay); k* = F / G scales the in-house volume.
    items = r.item_npv().sub(base.item_npv(), fill_value=0.0)
    fixed_items = ["capex", "depreciation", "fixed", "shift", "exit", "take_or_pay"]
    fixed_part = -float(items.reindex(fixed_items).fillna(0.0).sum())
    delta = r.npv - base.npv
    variable = delta + fixed_part
    years = len(d.periods) / 12.0
    vol = _inhouse_volume(r) - _inhouse_volume(base)
    breakeven = fixed_part / variable * vol / years if variable > 0 and vol > 0 else float("nan")
    lost = (
        base.volumes[base.volumes["kind"] == "contract"]
        .groupby("source")["volume"]
        .sum()
        .sub(
            r.volumes[r.volumes["kind"] == "contract"].groupby("source")["volume"].sum(),
            fill_value=0.0,
        )
    )
    # the partner's contribution on the units it loses, at each contract's mean price
    per_unit = (d.cprice.mean("period") * d.cmargin).to_series()
    lost_contrib = float((lost * per_unit.reindex(lost.index)).fillna(0.0).sum())
    return {
        "option": r.option,
        "policy": r.policy,
        "status": r.status,
        "gap": r.gap,
        "npv": r.npv,
        "npv_vs_baseline": delta,
        "irr_vs_baseline": irr(diff),
        "payback_months": payback_months(diff) if delta != 0 else float("nan"),
        "inhouse_units": _inhouse_volume(r),
        "inhouse_unit_margin": wavg(inh),
        "contract_unit_margin": wavg(con),
        "breakeven_units_per_year": breakeven,
        "partner_lost_units": float(lost.sum()),
        "partner_lost_contribution": lost_contrib,
    }


def _recommend(summary: pd.DataFrame, results: dict[str, PlanResult], baseline: str) -> str:
    ok = summary[summary["status"].isin(["optimal", "feasible"])]
    choice = chosen_option(summary, baseline)
    best = ok[ok["option"] == choice].iloc[0]
    if choice == baseline:
        # the best alternative: another option that is not the same plan as the baseline
        alt = ok[(ok["option"] != baseline) & (ok["npv_vs_baseline"] != 0)]
        alt = alt.sort_values("npv", ascending=False, kind="stable")
        if alt.empty:
            return (
                f"Keep the status quo ({baseline}): every other option gives the same NPV "
                "(the same plan)."
            )
        second = alt.iloc[0]
        return (
            f"Keep the status quo ({baseline}): no option beats it on NPV "
            f"(best alternative {second['option']} at {second['npv_vs_baseline']:+,.0f})."
        )
    base = results[baseline]
    top = results[str(best["option"])]
    drivers = top.item_npv().sub(base.item_npv(), fill_value=0.0).sort_values()
    gains = drivers[drivers > 0].sort_values(ascending=False).head(2)
    costs = drivers[drivers < 0].head(2)
    fmt = ", ".join
    text = (
        f"Choose {best['option']} ({best['policy']}): NPV {best['npv']:,.0f}, "
        f"{best['npv_vs_baseline']:+,.0f} against the status quo {baseline}"
    )
    if best["payback_months"] == 0:
        text += ", ahead in every month"
    elif np.isfinite(best["payback_months"]):
        text += f", paying back after {best['payback_months']:.0f} months"
    text += ". Drivers: "
    text += fmt(f"{k} {v:+,.0f}" for k, v in gains.items()) or "none"
    if len(costs):
        text += "; against it: " + fmt(f"{k} {v:+,.0f}" for k, v in costs.items())
    if np.isfinite(best["breakeven_units_per_year"]):
        text += (
            f". It breaks even at about {best['breakeven_units_per_year']:,.0f} in-house "
            "units a year (linear in volume)"
        )
    if best["gap"] > 1e-6:
        text += f". The plan is within {best['gap']:.2%} of optimal, not proven optimal"
    return text + "."


def compare(
    case: Case,
    settings: PlanSettings | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> Comparison:
    """Plan every option of the case and measure it against the baseline option.

    The options whose models differ at most in their objective
    (:func:`~insource.plan._data.same_structure`: the same case, or overrides
    that change only prices) share one model: it holds every start and exit
    any of them allows
    (:func:`~insource.plan._data.policy_union`), is built and handed to
    HiGHS once, and each option is solved as bounds on it
    (:func:`~insource.plan._model.policy_bounds`, :class:`~insource.plan._solve.Resolver`).
    An option found infeasible is planned on its own model, which explains why.
    """
    opts = case.tables["options"]
    if opts.empty:
        raise InsourceError("the case has no options", "add rows to options.csv")
    flagged = opts[opts["baseline"].fillna(False).astype(bool)]
    baseline = str(flagged["id"].iloc[0] if len(flagged) else opts["id"].iloc[0])
    settings = settings or PlanSettings()
    names = [str(n) for n in opts["id"]]
    demand = case.demand()  # once for every option
    bases: dict[str, PlanData] = {}  # option-independent arrays, one per set of overrides
    data: dict[str, PlanData] = {}
    groups: dict[str, list[str]] = {}
    for name in names:
        row = select_option(case, name)
        key = str(row.get("overrides") or "")
        data[name] = plan_data(case, row, settings, demand, bases.get(key))
        bases.setdefault(key, data[name])
        groups.setdefault(key, []).append(name)
    # options whose data differ only in prices share one model (each its own objective)
    families: list[list[str]] = []
    for key in groups:
        home = next((f for f in families if same_structure(bases[f[0]], bases[key])), None)
        if home is None:
            families.append([key])
        else:
            home.append(key)
    solved: dict[str, PlanResult] = {}
    failed: dict[str, str] = {}
    for keys in families:
        # one model for the family's options; each option is bounds on it
        m = build_model(policy_union([data[n] for k in keys for n in groups[k]]))
        solver = Resolver(m)
        solver.background_bound = True  # used on large models only (with neighbourhoods)
        shared: ResultLayout | None = None  # labelled coordinates, once per model
        for key in keys:
            objective = None if key == keys[0] else objective_parts(m, bases[key])
            layout: ResultLayout | None = None  # the results' labels, once per case
            for name in groups[key]:
                if progress is not None:
                    progress(name)
                d = data[name]
                col_bounds, row_bounds = policy_bounds(m, d)
                large = _integers(d) >= WARM_START_INTEGERS  # see _start
                outcome, solution = solver.solve(
                    col_bounds,
                    row_bounds,
                    time_limit,
                    gap,
                    status_quo_start(d) if large else None,
                    objective,
                    relaxation_start(d) if large else None,
                    neighbourhoods(d) if large else None,
                )
                if outcome.status == "infeasible":
                    try:  # the option's own model explains what cannot be met
                        solved[name] = plan(
                            case, name, settings, time_limit, gap, False, demand, bases[key]
                        )
                    except InfeasiblePlan as exc:
                        failed[name] = "; ".join(str(p) for p in exc.problems)
                    continue
                if outcome.status == "no_solution":
                    raise InsourceError(
                        f"option {name!r}: no feasible plan found within the time limit of "
                        f"{time_limit} s",
                        "raise --time-limit",
                    )
                layout = layout or result_layout(d, solution, shared)
                shared = layout
                solved[name] = collect_results(
                    solution, d, outcome, objective_constant(d), name, layout
                )
    results = {n: solved[n] for n in names if n in solved}
    failed = {n: failed[n] for n in names if n in failed}
    if baseline not in results:
        raise InsourceError(
            f"the baseline option {baseline!r} cannot be met: {failed.get(baseline, '')}",
            "fix the status quo first",
        )
    rows = [_metrics(r, results[baseline]) for r in results.values()]
    rows += [{"option": k, "status": "infeasible", "note": v} for k, v in failed.items()]
    summary = pd.DataFrame(rows)
    summary.attrs.update(name="options compared", unit=case.finance["currency"])
    return Comparison(baseline, results, summary, _recommend(summary, results, baseline))
