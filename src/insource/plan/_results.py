"""Tidy results of a solved plan: volumes, money lines, P&L, utilisation, duals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from insource.finance import (
    by_fiscal_year,
    cash_flow,
    depreciation_schedule,
    item_npv,
    npv,
    unit_margin_bridge,
)
from insource.plan._data import PlanData
from insource.plan._solve import SolveOutcome
from insource.plan._terms import objective_terms

__all__ = [
    "PlanResult",
    "ResultLayout",
    "collect_results",
    "decision_tables",
    "result_layout",
    "solution_arrays",
]


@dataclass
class PlanResult:
    """A solved plan for one option, as tidy tables (``attrs`` carry name and unit)."""

    option: str
    policy: str
    outcome: SolveOutcome
    objective: float  # model objective plus constant (NPV by the optimiser)
    npv: float  # NPV evaluated from the money lines by insource.finance
    volumes: pd.DataFrame
    lines: pd.DataFrame
    cash: pd.DataFrame
    utilisation: pd.DataFrame
    duals: pd.DataFrame = field(default_factory=pd.DataFrame)
    data: PlanData | None = None
    #: Start of production of each capability started in the plan
    #: (``line, product, period``: the first month of production).
    starts: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Shifts worked on each own line (``line, period, shifts``).
    shifts: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Exit of each contract the plan leaves (``contract, period``: the exit
    #: takes effect in that month).
    exits: pd.DataFrame = field(default_factory=pd.DataFrame)
    _item_npv: pd.Series | None = field(default=None, repr=False, compare=False)

    @property
    def status(self) -> str:
        """``optimal`` or ``feasible`` (stopped at a limit; see :attr:`gap`)."""
        return self.outcome.status

    @property
    def gap(self) -> float:
        """Relative MIP gap of the plan."""
        return self.outcome.gap

    def pnl(self) -> pd.DataFrame:
        """P&L and cash by fiscal year, product and site (money)."""
        d = self.data
        assert d is not None
        fy = d.case.calendar.fiscal_year(pd.PeriodIndex(self.cash["period"]))
        cols = [c for c in self.cash.columns if c not in ("period", "product", "site", "source")]
        out = by_fiscal_year(self.cash, fy, ["product", "site"], cols)
        out.attrs.update(name="P&L and cash flow", unit=d.case.finance["currency"])
        return out

    def item_npv(self) -> pd.Series:
        """Contribution of each P&L item to the NPV (computed once; compare asks often)."""
        if self._item_npv is None:
            d = self.data
            assert d is not None
            fin = d.case.finance
            self._item_npv = item_npv(
                self.lines, d.periods[0], float(fin["discount_rate"]), float(fin["tax_rate"])
            )
        return self._item_npv.copy()

    def volume_by_site(self) -> pd.DataFrame:
        """Units by fiscal year, product and site (lost sales as site ``lost``)."""
        d = self.data
        assert d is not None
        v = self.volumes[self.volumes["kind"] != "stock"]
        fy = d.case.calendar.fiscal_year(pd.PeriodIndex(v["period"]))
        out = by_fiscal_year(v, fy, ["product", "site"], ["volume"])
        out.attrs.update(name="volume by site", unit="units")
        return out

    def bridge(self) -> pd.DataFrame:
        """Unit-margin bridge of every source that built or bought units."""
        v = self.volumes[self.volumes["kind"].isin(["inhouse", "contract"])]
        return unit_margin_bridge(self.lines, v[["product", "source", "volume"]])


def _frame(da: xr.DataArray, name: str = "value") -> pd.DataFrame:
    return da.rename(name).to_dataframe().reset_index()


def _period(labels: pd.Series) -> pd.Series:
    """``YYYY-MM`` labels as monthly periods (each distinct label parsed once)."""
    unique, inverse = np.unique(labels.astype(str).to_numpy(), return_inverse=True)
    periods = pd.PeriodIndex(unique, freq="M").take(inverse.reshape(-1))
    return periods.to_series().reset_index(drop=True)


def _label(d: PlanData, var: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Add product, site and source to a frame over a variable's dimensions."""
    con = d.contracts.set_index("id") if not d.contracts.empty else None
    out = frame.copy()
    if var.startswith("Capability-") or var == "Line-shifts":
        out["site"] = out["line"].map(d.site_of_line)
        out["source"] = out["line"]
        if "product" not in out:
            out["product"] = ""
    elif var.startswith("Contract-"):
        assert con is not None
        out["product"] = out["contract"].map(con["product"])
        out["site"] = out["contract"].map(con["site"])
        out["source"] = out["contract"]
    else:
        out["site"] = ""
        out["source"] = "market"
    if "fy" in out:
        pay = pd.Series(d.labels[d.top_pay.to_numpy()], index=d.top_pay.indexes["fy"])
        out["period"] = out["fy"].map(pay)
    return out


def solution_arrays(m: linopy.Model) -> dict[str, xr.DataArray]:
    """The solution of every variable of a solved model, by name."""
    return {name: m.variables[name].solution for name in m.variables}


@dataclass
class ResultLayout:
    """What the results of every option of one case share, computed once.

    Parameters
    ----------
    terms
        ``(item, variable, coefficient)`` of every money term, the
        coefficient flattened over the variable's dimensions.
    index
        Each variable's coordinates (every combination, in its dimension
        order), labelled with product, site and source.
    fixed
        The money lines no decision changes: revenue of all demand, today's
        shifts.

    """

    terms: list[tuple[str, str, np.ndarray]]
    index: dict[str, pd.DataFrame]
    fixed: list[pd.DataFrame]
    entities: tuple[object, ...] = ()


def _entities(d: PlanData) -> tuple[object, ...]:
    """What the labels of :func:`_label` depend on: sites of lines, product and site of contracts."""
    con = d.contracts
    cols = [c for c in ("id", "product", "site") if c in con]
    return (
        tuple(map(str, d.site_of_line.index)),
        tuple(map(str, d.site_of_line)),
        tuple(tuple(map(str, con[c])) for c in cols),
    )


def result_layout(
    d: PlanData, solution: Mapping[str, xr.DataArray], like: ResultLayout | None = None
) -> ResultLayout:
    """The :class:`ResultLayout` of the case of ``d`` for solutions shaped like ``solution``.

    ``like``: the layout of another case of the same model (e.g. an override
    of prices only), whose labelled coordinates are reused when its lines
    and contracts have the same sites and products.
    """
    entities = _entities(d)
    index: dict[str, pd.DataFrame] = {}
    if like is not None and like.entities == entities:
        index = like.index
    for name, x in solution.items():
        if name in index:
            continue
        rows = pd.MultiIndex.from_product([x.indexes[k] for k in x.dims], names=list(x.dims))
        index[name] = _label(d, name, rows.to_frame(index=False))
    terms = []
    for term in objective_terms(d):
        if term.var in solution:
            x = solution[term.var]
            coef = term.coef.broadcast_like(x).transpose(*x.dims).to_numpy().reshape(-1)
            terms.append((term.item, term.var, coef))
    # revenue of all demand (the decision part is the lost-sales term)
    rev = _frame(d.price * d.demand.sum("region"), "amount")
    rev["site"], rev["source"], rev["item"] = "", "market", "revenue"
    # today's shifts are paid in every option: shift cost counts against them
    base = _frame(d.shift_cost * d.base_shifts, "amount")
    base["item"] = "shift"
    return ResultLayout(terms, index, [rev, _label(d, "Line-shifts", base)], entities)


def collect_results(
    solution: Mapping[str, xr.DataArray],
    d: PlanData,
    outcome: SolveOutcome,
    constant: float,
    option: str,
    layout: ResultLayout | None = None,
) -> PlanResult:
    """Turn a solution into tidy tables and evaluate its NPV with insource.finance.

    ``solution``: the value of every variable by name (NaN where masked), as
    from :func:`solution_arrays`. ``layout``: :func:`result_layout` of the
    case, when several options of it are collected (computed here if not given).
    """
    fin = d.case.finance
    sol = {name: x.fillna(0.0) for name, x in solution.items()}
    layout = layout or result_layout(d, sol)
    flat = {name: x.to_numpy().reshape(-1) for name, x in sol.items()}
    pieces = []
    for item, var, coef in layout.terms:
        amount = flat[var] * coef
        keep = np.abs(amount) > 1e-12
        pieces.append(layout.index[var][keep].assign(amount=amount[keep], item=item))
    pieces += layout.fixed
    # capex at the tooling decision, depreciation from the start of production
    z = sol["Capability-start"]
    T = d.n_months
    starts = _frame(z * d.capex, "amount")
    starts = starts[(starts["amount"].abs() > 1e-9)]
    if not starts.empty:
        t = d.labels.get_indexer(pd.Index(starts["period"]))
        li = d.lead.indexes["line"].get_indexer(pd.Index(starts["line"]))
        pi = d.lead.indexes["product"].get_indexer(pd.Index(starts["product"]))
        lead = d.lead.to_numpy()[li, pi]
        years = d.dep_years.to_numpy()[li, pi]
        spend = t - lead.astype(int)
        cap = starts.assign(
            period=[str(d.periods[0] + int(s)) for s in spend], amount=-starts["amount"]
        )
        cap["item"] = "capex"
        pieces.append(_label(d, "Capability-start", cap))
        sched = depreciation_schedule(T, t, years) * starts["amount"].to_numpy()[:, None]
        dep = pd.DataFrame(
            {
                "line": np.repeat(starts["line"].to_numpy(), T),
                "product": np.repeat(starts["product"].to_numpy(), T),
                "period": np.tile(d.labels.to_numpy(), len(starts)),
                "amount": -sched.reshape(-1),
            }
        )
        dep["item"] = "depreciation"
        pieces.append(_label(d, "Capability-start", dep))
    if not d.dev_cost.empty:
        dev = d.dev_cost.assign(
            period=d.labels[d.dev_cost["t"].to_numpy()], product="", site="", item="dev_cost"
        ).rename(columns={"partner": "source"})
        pieces.append(dev)
    lines = pd.concat(pieces, ignore_index=True)
    lines = lines[lines["amount"].abs() > 1e-12]
    lines = lines[["period", "product", "site", "source", "item", "amount"]].copy()
    lines["period"] = _period(lines["period"]).to_numpy()
    lines = lines.groupby(["period", "product", "site", "source", "item"], as_index=False).agg(
        amount=("amount", "sum")
    )
    lines.attrs.update(name="money lines", unit=fin["currency"])
    cash = cash_flow(lines, float(fin["tax_rate"]))
    value = npv(cash.groupby("period")["cash"].sum(), d.periods[0], float(fin["discount_rate"]))

    # ---- volumes ------------------------------------------------------------
    vol = []
    x = layout.index["Capability-volume"].assign(volume=flat["Capability-volume"])
    vol.append(x.assign(kind="inhouse"))
    if "Contract-volume" in sol:
        y = layout.index["Contract-volume"].assign(volume=flat["Contract-volume"])
        vol.append(y.assign(kind="contract"))
    if "Product-lost" in sol:
        lost = _frame(sol["Product-lost"], "volume").assign(site="lost", source="lost", kind="lost")
        vol.append(lost)
    if "Product-stock" in sol:
        st = _frame(sol["Product-stock"], "volume").assign(
            site="stock", source="stock", kind="stock"
        )
        vol.append(st)
    volumes = pd.concat(vol, ignore_index=True)
    volumes = volumes[volumes["volume"].abs() > 1e-9]
    volumes = volumes[["kind", "source", "product", "site", "region", "period", "volume"]].copy()
    volumes["period"] = _period(volumes["period"]).to_numpy()
    volumes = volumes.reset_index(drop=True)
    volumes.attrs.update(name="volumes", unit="units/month")

    # ---- utilisation ----------------------------------------------------------
    xs = sol["Capability-volume"].sum("region")
    speed = d.speed.where(d.speed > 0, 1.0)
    used = (xs / speed).sum("product") + d.other_hours
    shifts = sol["Line-shifts"]
    util = pd.DataFrame(
        {
            "line": np.repeat(d.hours.indexes["line"].to_numpy(), T),
            "period": np.tile(np.asarray(d.periods), len(d.hours.indexes["line"])),
            "hours_used": used.transpose("line", "period").to_numpy().reshape(-1),
            "hours_planned": (d.hours * shifts).transpose("line", "period").to_numpy().reshape(-1),
            "hours_max": (d.hours * d.max_shifts)
            .transpose("line", "period")
            .to_numpy()
            .reshape(-1),
            "shifts": shifts.transpose("line", "period").to_numpy().reshape(-1),
        }
    )
    if not util.empty:
        fy = d.case.calendar.fiscal_year(pd.PeriodIndex(util["period"]))
        util = by_fiscal_year(
            util, fy, ["line"], ["hours_used", "hours_planned", "hours_max", "shifts"]
        )
        util["shifts"] = util["shifts"] / 12.0
        util["utilisation"] = util["hours_used"] / util["hours_planned"].where(
            util["hours_planned"] > 0
        )
        util["utilisation_max"] = util["hours_used"] / util["hours_max"].where(
            util["hours_max"] > 0
        )
    util.attrs.update(name="line utilisation", unit="fraction")
    starts, shifts_planned, exits = decision_tables(sol, d)
    return PlanResult(
        option=option,
        policy=str(d.option.get("policy") or "optimise"),
        outcome=outcome,
        objective=outcome.objective + constant,
        npv=value,
        volumes=volumes,
        lines=lines,
        cash=cash,
        utilisation=util,
        data=d,
        starts=starts,
        shifts=shifts_planned,
        exits=exits,
    )


def _switched_on(x: xr.DataArray, first: str, name: str) -> pd.DataFrame:
    """``[first, period]`` rows where a 0/1 decision is 1 (rounded at 1/2)."""
    a = x.transpose(*[dim for dim in x.dims if dim != "period"], "period").to_numpy()
    hit = np.nonzero(np.nan_to_num(a) > 0.5)
    cols = {str(dim): x.indexes[str(dim)][hit[k]] for k, dim in enumerate(x.dims[:-1])}
    out = pd.DataFrame(cols)
    months = pd.PeriodIndex(np.asarray(x.indexes["period"]), freq="M")
    out["period"] = months[hit[-1]] if len(hit[-1]) else pd.PeriodIndex([], freq="M")
    out.attrs.update(name=name, unit="month")
    return out.sort_values([first, "period"], kind="stable").reset_index(drop=True)


def decision_tables(
    solution: Mapping[str, xr.DataArray], d: PlanData
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The plan's integer decisions as tidy tables: starts, shifts, exits.

    ``starts`` (``line, product, period``): the month production starts on a
    capability that is new in the plan (:math:`z_{l,p,t} = 1`); ``shifts``
    (``line, period, shifts``): :math:`n_{l,t}` rounded to whole shifts;
    ``exits`` (``contract, period``): the month the exit takes effect
    (:math:`e_{c,t} = 1`).
    """
    z = solution["Capability-start"].transpose("line", "product", "period")
    starts = _switched_on(z, "line", "capability starts")
    n = solution["Line-shifts"].transpose("line", "period")
    lines = n.indexes["line"]
    T = d.n_months
    shifts = pd.DataFrame(
        {
            "line": np.repeat(np.asarray(lines), T),
            "period": np.tile(np.asarray(d.periods), len(lines)),
            "shifts": np.rint(np.nan_to_num(n.to_numpy())).reshape(-1),
        }
    )
    shifts.attrs.update(name="shifts", unit="shifts")
    if "Contract-exit" in solution:
        exits = _switched_on(solution["Contract-exit"], "contract", "contract exits")
    else:
        exits = pd.DataFrame({"contract": pd.Series([], dtype=object), "period": []})
        exits["period"] = pd.PeriodIndex([], freq="M")
        exits.attrs.update(name="contract exits", unit="month")
    return starts, shifts, exits


def capacity_duals(m: linopy.Model, d: PlanData) -> pd.DataFrame:
    """Value of one more hour, and one more unit at base rate, of line capacity.

    Duals of ``Line-hours`` in the LP with the binary and integer decisions
    fixed at the plan, summed by fiscal year (one more hour in every month of
    the year). In NPV money.
    """
    if "Line-hours" not in m.constraints or d.lines.empty:
        return pd.DataFrame(columns=["fiscal_year", "line", "per_hour", "per_unit"])
    dual = abs(m.constraints["Line-hours"].dual.fillna(0.0))  # relaxing never lowers a max
    frame = _frame(dual, "per_hour")
    rate = d.lines.set_index("id")["rate"].astype(float)
    frame["per_unit"] = frame["per_hour"] / frame["line"].map(rate)
    fy = d.case.calendar.fiscal_year(_period(frame["period"]).pipe(pd.PeriodIndex))
    out = by_fiscal_year(frame, fy, ["line"], ["per_hour", "per_unit"])
    out.attrs.update(name="value of line capacity", unit=f"{d.case.finance['currency']} NPV")
    return out
