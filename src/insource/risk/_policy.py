r"""Fixed policies as plain arrays: what the evaluator needs from a solved plan.

A :class:`Policy` holds one option's optimised plan (from
:func:`insource.plan.compare`) reduced to numpy arrays over months: the
first-stage decisions (tooling starts, contract exits, shifts), the planned
volumes that anchor the recourse rule (see :mod:`._evaluate`) and every unit
cost as an :class:`Affine` function of the sampled inputs.

Each sampled input :math:`x_k` enters a monthly attribute affinely,

.. math:: a_t(x) = a_t(x^0) + \sum_k b_{k,t}\,s_k\,(x_k - x^0_k),

where :math:`x^0_k` is the case's own value, :math:`b_{k,t}` is 1 in the months
the static value applies (0 where a ``series`` row overrides it) for
``apply = value``, or the monthly value itself for ``apply = factor``. When an
option overrides the uncertain attribute (``products.kei-ev-2028.battery_cost``
under an LFP option), the draw is read as a ratio to the case's value and
applied to the option's value: :math:`s_k = v_{\text{option}} / x^0_k`.
The plan's arrays are read from :class:`~insource.plan.PlanData` (read only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from insource.case import Case, parse_overrides
from insource.case._views import other_load
from insource.errors import InsourceError
from insource.plan import PlanResult
from insource.risk._distributions import Marginal

__all__ = ["Affine", "Policy", "base_inputs", "policy_from_plan", "scenario_marginal"]

#: Attributes the planner does not use (the subsidy drives demand only through
#: its correlation with the volume input).
_NO_EFFECT = {("products", "subsidy"), ("products", "list_price")}

#: Name of the pseudo-input that draws one demand scenario per sample.
SCENARIO_INPUT = "demand-scenario"


@dataclass
class Affine:
    """``base + sum_k slope_k * (x_k - x0_k)`` over months (or a scalar)."""

    base: np.ndarray
    slopes: list[tuple[int, np.ndarray]] = field(default_factory=list)

    def add(self, k: int, slope: np.ndarray) -> None:
        """Add the effect of input column ``k`` (already multiplied by its scale)."""
        slope = np.asarray(slope, dtype=float)
        if np.any(slope != 0):
            self.slopes.append((k, slope))

    def at(self, dx: np.ndarray, lo: int | None = None, hi: int | None = None) -> np.ndarray:
        """Values for input deviations ``dx`` (n, d): shape ``(n, *base.shape)`` or ``(1, ...)``.

        ``lo:hi`` restricts a monthly array to those months.
        """
        base = self.base if lo is None else self.base[lo:hi]
        if not self.slopes:
            return base[None, ...]
        out = np.empty((dx.shape[0], *base.shape))
        out[...] = base
        extra = (None,) * base.ndim
        for k, slope in self.slopes:
            sl = slope if lo is None or slope.ndim == 0 else slope[lo:hi]
            out += sl[None, ...] * dx[(slice(None), k, *extra)]
        return out


@dataclass
class Route:
    """One way to serve a market: an own line making the product, or a contract."""

    kind: str  # inhouse | contract
    market: int
    unit: int  # index of the (line, product) capability or of the contract
    v0: np.ndarray  # planned volume per month
    cost: Affine  # money per unit other than material and battery (in-house) / all (contract)
    consign: float = 0.0  # contract: 1 when material and battery are paid on top


@dataclass
class Policy:
    """One option's plan as arrays (months on the last axis)."""

    option: str
    policy: str
    n_months: int
    markets: list[tuple[str, str]]
    product_of_market: np.ndarray  # (M,) index into products
    products: list[str]
    demand: np.ndarray  # (S+1, M, T) unscaled demand by scenario; last = the plan's demand
    scale: list[Affine]  # per market: demand scale (scalar)
    d0: np.ndarray  # (M, T) the plan's demand
    lost0: np.ndarray  # (M, T) the plan's lost sales
    price: list[Affine]  # per market (T,)
    penalty: list[Affine]
    material: list[Affine]
    battery: list[Affine]
    routes: list[Route]
    market_routes: list[list[int]]  # routes of each market, in priority order
    windows: list[tuple[int, int]]  # months [lo, hi) where each market has demand or volume
    # own capabilities that produce in the plan
    cap_line: np.ndarray  # (K,) line index
    cap_product: np.ndarray  # (K,) product index
    ramp_cap: np.ndarray  # (K, T) units/month at the most shifts, ramp-up applied
    speed: np.ndarray  # (K, T) units/hour
    producing: np.ndarray  # (K, T) 0/1
    fixed: list[Affine]  # (K) money/month while producing
    capex: list[Affine]  # (K) scalar, only for capabilities started in the horizon
    capex_spend: np.ndarray  # (K,) month of the tooling payment (NaN: no capex)
    capex_start: np.ndarray  # (K,) month depreciation starts
    dep_years: list[Affine]  # (K) scalar
    # own lines
    hours: np.ndarray  # (L, T) hours of the planned shifts
    other_hours: list[Affine]  # (L) (T,)
    shift_money: list[Affine]  # (L) (T,) EBITDA of shifts against today's
    # contracts
    active: np.ndarray  # (C, T) 0/1
    ccap: list[Affine]  # (C) (T,) units/month
    cmin: list[Affine]  # (C) (T,) units/month
    price_c: list[Affine]  # (C) (T,) contract unit price
    jv_share: np.ndarray  # (C,)
    top_margin: np.ndarray  # (C,) take-or-pay cost per unit of shortfall / mean price
    exit_month: np.ndarray  # (C,) month of exit (-1: none)
    exit_cost: list[Affine]  # (C) scalar
    share_cap: np.ndarray  # (P, T) most share of demand the contracts may take
    fy_matrix: np.ndarray  # (T, F) 1 where month t is in fiscal year f
    fy_mean: np.ndarray  # (T, F) averaging weights of month t in fy f
    top_pay: np.ndarray  # (F,) month the shortfall is paid
    constant: np.ndarray  # (T,) EBITDA no decision or input changes (JV development cost)
    discount_rate: Affine
    tax_rate: Affine
    base_scenario: int  # demand row of the base evaluation (last = the plan's demand)
    scenario_probs: np.ndarray  # (S,)
    planned_npv: float


def _case_value(case: Case, m: Marginal) -> float:
    """The case's own value of an uncertain input (its base for the evaluator)."""
    if m.apply == "factor":
        return 1.0
    if m.table == "finance":
        return float(case.finance[m.row])
    frame = case.tables[m.table]
    hit = frame[case.keys(m.table) == m.row]
    value = float(pd.to_numeric(hit[m.attribute], errors="coerce").iloc[0]) if len(hit) else np.nan
    if np.isnan(value):
        if m.attribute == "demand_scale":
            return 1.0
        if m.attribute == "depreciation_years":
            return float(case.finance["depreciation_years"])
    return value


def base_inputs(case: Case, marginals: list[Marginal]) -> np.ndarray:
    """The case's own value of every input (the scenario input: ``-1``, the plan's demand)."""
    return np.array(
        [-1.0 if m.id == SCENARIO_INPUT else _case_value(case, m) for m in marginals], dtype=float
    )


def scenario_marginal(case: Case) -> Marginal | None:
    """A discrete input drawing one demand scenario per sample (index into scenarios).

    Added when the case has several scenarios and some product's demand is not
    already made uncertain by a ``demand_scale`` input (which would count the
    same uncertainty twice, see ``docs/risk.md``).
    """
    sc = case.tables["scenarios"].dropna(subset=["id"])
    if len(sc) < 2:
        return None
    unc = case.tables["uncertainty"]
    scaled = set(unc.loc[unc["attribute"] == "demand_scale", "row"].astype(str))
    dem = case.tables["demand_scenarios"]
    if set(map(str, dem["product"].dropna())) <= scaled:
        return None
    probs = sc["probability"].astype(float).fillna(0.0).to_numpy()
    return Marginal(
        id=SCENARIO_INPUT,
        table="demand_scenarios",
        row="",
        attribute="scenario",
        distribution="discrete",
        params=(),
        values=tuple(float(i) for i in range(len(sc))),
        probabilities=tuple(probs / probs.sum()),
    )


#: Key of the case's demand in the per-case cache.
_DEMAND = Marginal("", "", "", "", "discrete", ())


def _cached(cache: dict[str, Any], m: Marginal, what: str, fn: Any) -> Any:
    """Memo of a marginal's decomposition (the same for every option of one case)."""
    key = f"{what}:{m.id}"
    if key not in cache:
        cache[key] = fn()
    return cache[key]


def _decompose(case: Case, m: Marginal, months: pd.PeriodIndex) -> np.ndarray:
    if m.table == "finance":
        return np.ones(len(months))
    if m.table == "other_load":
        return np.ones(len(months))  # handled through the load view
    if m.apply == "factor":
        return case.timeseries(m.table, m.attribute)[m.row].to_numpy(dtype=float)
    # 1 where the static value applies: 0 over the spans of the row's series
    # (the same clipping as Case.timeseries)
    out = np.ones(len(months))
    series = case.tables["series"]
    hits = series[
        (series["table"] == m.table)
        & (series["id"] == m.row)
        & (series["attribute"] == m.attribute)
        & series["value"].notna()
    ]
    first, last = months[0], months[-1]
    for text in hits["period"].dropna():
        start, end = case.span(str(text)).clip(first, last)
        start, end = max(start, first), min(end, last)
        if start <= end:
            out[(start - first).n : (end - first).n + 1] = 0.0
    return out


def _other_hours_slope(case: Case, m: Marginal, lines: list[str], labels: pd.Index) -> np.ndarray:
    """Line hours per unit/year of one other-load row, (lines, months)."""
    frame = case.tables["other_load"].copy()
    keys = case.keys("other_load")
    out = []
    for v in (0.0, 1.0):
        f = frame.copy()
        f["units_per_year"] = f["units_per_year"].astype("float64")
        if m.apply == "factor":
            f.loc[keys == m.row, "units_per_year"] *= v
        else:
            f.loc[keys == m.row, "units_per_year"] = v
        view = other_load(Case({**case.tables, "other_load": f}, case.meta, case.locations))
        view = view.assign(period=view["period"].astype(str))
        h = view.groupby(["line", "period"])["hours"].sum()
        idx = pd.MultiIndex.from_product([lines, labels])
        out.append(h.reindex(idx, fill_value=0.0).to_numpy().reshape(len(lines), len(labels)))
    return out[1] - out[0]


def _scale(case: Case, option_case: Case, m: Marginal, option: dict[str, Any]) -> float:
    """:math:`s_k`: 1, or the option's value over the case's when the option overrides it."""
    if m.apply == "factor" or m.table in ("other_load",):
        return 1.0
    text = option.get("overrides")
    touched = {(t, r, a) for t, r, a, _ in parse_overrides(str(text))} if text else set()
    if (m.table, m.row, m.attribute) not in touched:
        return 1.0
    mine, theirs = _case_value(case, m), _case_value(option_case, m)
    if np.isfinite(mine) and np.isfinite(theirs) and mine != 0 and mine != theirs:
        return theirs / mine
    return 1.0


def _vec(da: Any, **sel: str) -> np.ndarray:
    """``da.sel(**sel)`` as floats, by position (xarray's label lookup is slow in loops)."""
    idx = tuple(da.indexes[dim].get_loc(sel[dim]) if dim in sel else slice(None) for dim in da.dims)
    return np.asarray(da.to_numpy()[idx], dtype=float)


def policy_from_plan(
    case: Case,
    result: PlanResult,
    marginals: list[Marginal],
    cache: dict[str, Any] | None = None,
) -> Policy:
    """Reduce a solved plan to a :class:`Policy` whose costs respond to ``marginals``.

    ``cache`` (a dict shared across the options of one case) keeps the
    per-input decompositions, which do not depend on the option.

    Raises
    ------
    InsourceError
        When an uncertain input names an attribute the evaluator does not model,
        or the plan builds stock (not evaluated under uncertainty).

    """
    d = result.data
    assert d is not None
    cache = {} if cache is None else cache
    T = d.n_months
    labels = d.labels
    t_ix = np.arange(T)
    fin = d.case.finance
    vol = result.volumes
    if (vol["kind"] == "stock").any():
        raise InsourceError(
            f"option {result.option!r}: the plan builds stock, which the risk evaluator does not model",
            "plan without --stock before the risk analysis",
        )
    vol = vol.assign(t=d.periods.get_indexer(pd.PeriodIndex(vol["period"])))
    products = list(d.demand.indexes["product"])
    regions = list(d.demand.indexes["region"])
    dem = d.demand.to_numpy()  # (P, R, T)
    markets = [
        (p, r)
        for i, p in enumerate(products)
        for j, r in enumerate(regions)
        if dem[i, j].sum() > 0 or ((vol["product"] == p) & (vol["region"] == r)).any()
    ]
    mprod = np.array([products.index(p) for p, _ in markets], dtype=int)
    M = len(markets)

    groups = {
        key: (g["t"].to_numpy(), g["volume"].to_numpy(float))
        for key, g in vol.groupby(["kind", "source", "product", "region"], sort=False)
    }

    def planned(kind: str, source: str | None, p: str, r: str) -> np.ndarray:
        out = np.zeros(T)
        for (k, src, prod, reg), (t, v) in groups.items():
            if k == kind and prod == p and reg == r and (source is None or src == source):
                np.add.at(out, t, v)
        return out

    d0 = np.array([dem[products.index(p), regions.index(r)] for p, r in markets]).reshape(M, T)
    lost0 = np.array([planned("lost", None, p, r) for p, r in markets]).reshape(M, T)

    # ---- demand by scenario, unscaled --------------------------------------
    oc = d.case
    touched = {(t, a) for t, _, a, _ in parse_overrides(str(d.option.get("overrides") or ""))}
    if touched & {("products", "demand_scale")} or {t for t, _ in touched} & {
        "demand_scenarios",
        "scenarios",
    }:
        raw = oc.demand()
    else:  # the same demand for every option: computed once
        raw = _cached(cache, _DEMAND, "demand", case.demand)
    scen_ids = list(oc.tables["scenarios"]["id"].astype(str))
    probs = oc.tables["scenarios"]["probability"].astype(float).fillna(0.0).to_numpy()
    static_scale = oc.tables["products"].set_index("id")["demand_scale"].astype(float)
    demand = np.zeros((len(scen_ids) + 1, M, T))
    if not raw.empty:
        raw = raw.assign(period=raw["period"].astype(str))
        for s, sid in enumerate(scen_ids):
            part = raw[raw["scenario"] == sid]
            g = part.groupby(["product", "region", "period"])["volume"].sum()
            pairs = set(zip(part["product"], part["region"], strict=True))
            for i, (p, r) in enumerate(markets):
                if (p, r) in pairs:
                    demand[s, i] = g.loc[(p, r)].reindex(labels, fill_value=0.0).to_numpy()
    for i, (p, _) in enumerate(markets):
        sc = static_scale.get(p, np.nan)
        sc = 1.0 if not np.isfinite(sc) else float(sc)
        if sc != 0:
            demand[:-1, i] /= sc
        demand[-1, i] = d0[i] / sc if sc != 0 else d0[i]
    base_scen = len(scen_ids)
    if d.settings.scenario is not None:
        base_scen = scen_ids.index(d.settings.scenario)
    scale = []
    for p, _ in markets:
        sc = static_scale.get(p, np.nan)
        scale.append(Affine(np.array(1.0 if not np.isfinite(sc) else float(sc))))

    # ---- unit values by market ---------------------------------------------
    price = [Affine(_vec(d.price, product=p)) for p, _ in markets]
    penalty = [Affine(_vec(d.penalty, product=p)) for p, _ in markets]
    material = [Affine(_vec(d.material, product=p)) for p, _ in markets]
    battery = [Affine(_vec(d.battery, product=p)) for p, _ in markets]

    # ---- own capabilities that produce in the plan -------------------------
    lines = list(d.hours.indexes["line"])
    caps: list[tuple[int, int, int]] = []  # (line, product, start month; -1 existing)
    # the plan's own decisions (PlanResult.starts), not a reading of its money lines
    started = {
        (str(li), str(p)): int(t)
        for li, p, t in zip(
            result.starts["line"],
            result.starts["product"],
            d.periods.get_indexer(pd.PeriodIndex(result.starts["period"], freq="M")),
            strict=True,
        )
    }
    for li, line in enumerate(lines):
        for pi, p in enumerate(products):
            if not bool(_vec(d.capable, line=line, product=p)):
                continue
            if bool(_vec(d.existing, line=line, product=p)):
                caps.append((li, pi, -1))
            elif (str(line), str(p)) in started:
                caps.append((li, pi, started[(str(line), str(p))]))
    K = len(caps)
    ramp_cap = np.zeros((K, T))
    speed = np.zeros((K, T))
    producing = np.zeros((K, T))
    capex_spend = np.full(K, np.nan)
    capex_start = np.zeros(K)
    fixed, capex, years = [], [], []
    for k, (li, pi, start) in enumerate(caps):
        line, p = lines[li], products[pi]
        umax = _vec(d.umax, line=line, product=p)
        speed[k] = _vec(d.speed, line=line, product=p)
        if start < 0:
            frac = np.ones(T)
        else:
            gap = _vec(d.ramp_gap, line=line, product=p)
            rel = t_ix - start
            frac = np.where(rel >= 0, 1.0, 0.0)
            inside = (rel >= 0) & (rel < len(gap))
            frac[inside] -= gap[rel[inside]]
            lead = float(_vec(d.lead, line=line, product=p))
            capex_spend[k] = start - lead
            capex_start[k] = start
        producing[k] = (t_ix >= max(start, 0)).astype(float)
        ramp_cap[k] = umax * frac
        fixed.append(Affine(_vec(d.fixed, line=line, product=p)))
        capex.append(Affine(np.array(float(_vec(d.capex, line=line, product=p)))))
        years.append(Affine(np.array(float(_vec(d.dep_years, line=line, product=p)))))

    # ---- shifts: the plan's (PlanResult.shifts); free shifts at the most ------
    L = len(lines)
    shift_cost = d.shift_cost.to_numpy()
    base_sh = d.base_shifts.to_numpy()
    planned_sh = (
        result.shifts.pivot(index="line", columns="period", values="shifts")
        .reindex(index=lines, columns=d.periods)
        .to_numpy(dtype=float)
    )
    n_shifts = np.where(shift_cost > 0, np.nan_to_num(planned_sh), d.max_shifts.to_numpy()[:, None])
    shift_amount = np.where(shift_cost > 0, shift_cost * (base_sh[:, None] - n_shifts), 0.0)
    hours = d.hours.to_numpy() * n_shifts
    other_hours = [Affine(d.other_hours.to_numpy()[li]) for li in range(L)]
    shift_money = [Affine(shift_amount[li]) for li in range(L)]

    # ---- contracts ------------------------------------------------------------
    con = d.contracts
    contracts = list(con["id"].astype(str))
    C = len(contracts)
    exit_month = np.full(C, -1)
    if C and len(result.exits):
        ids = pd.Index(con["id"].astype(str))
        where = ids.get_indexer(pd.Index(result.exits["contract"].astype(str)))
        months = d.periods.get_indexer(pd.PeriodIndex(result.exits["period"], freq="M"))
        exit_month[where[where >= 0]] = months[where >= 0]
    window = d.window.to_numpy().astype(float) if C else np.zeros((0, T))
    active = window * np.where(
        (exit_month[:, None] >= 0) & (t_ix[None, :] >= exit_month[:, None]), 0.0, 1.0
    )
    cap_raw = (
        oc.timeseries("contracts", "capacity")[contracts].to_numpy(dtype=float).T / 12.0
        if C
        else np.zeros((0, T))
    )
    ccap = [Affine(np.where(np.isnan(cap_raw[ci]), np.inf, cap_raw[ci])) for ci in range(C)]
    cmin = [Affine(d.cmin.to_numpy()[ci]) for ci in range(C)]
    price_c = [Affine(d.cprice.to_numpy()[ci]) for ci in range(C)]
    partners = oc.tables["partners"].set_index("id")
    margin = pd.to_numeric(partners["contribution_margin"], errors="coerce")
    top_margin = np.nan_to_num(con["partner"].map(margin).to_numpy(dtype=float))
    exit_cost = [Affine(np.array(float(d.exit_cost.to_numpy()[ci]))) for ci in range(C)]
    fy = d.fy.to_numpy()
    fy_values = np.asarray(d.top_pay.indexes["fy"])
    fy_matrix = (fy[:, None] == fy_values[None, :]).astype(float)
    fy_mean = fy_matrix / fy_matrix.sum(axis=0, keepdims=True)

    # ---- routes: in-house first, then contracts -------------------------------
    routes: list[Route] = []
    logistics = d.logistics
    site_of_line = d.site_of_line
    for mi, (p, r) in enumerate(markets):
        for k, (li, pi, _) in enumerate(caps):
            if products[pi] != p:
                continue
            line = lines[li]
            cost = _vec(d.conversion, line=line, product=p) + _vec(
                logistics, site=str(site_of_line[line]), region=r
            )
            routes.append(Route("inhouse", mi, k, planned("inhouse", line, p, r), Affine(cost)))
        for ci, c in enumerate(contracts):
            if str(con["product"].iloc[ci]) != p or not window[ci].any():
                continue
            lg = _vec(logistics, site=str(con["site"].iloc[ci]), region=r)
            routes.append(
                Route(
                    "contract",
                    mi,
                    ci,
                    planned("contract", c, p, r),
                    Affine(lg.copy()),
                    consign=float(d.cmaterial.to_numpy()[ci].max()) if T else 0.0,
                )
            )
    constant = np.zeros(T)
    if not d.dev_cost.empty:
        np.add.at(constant, d.dev_cost["t"].to_numpy(), d.dev_cost["amount"].to_numpy(float))

    market_routes = [[j for j, r in enumerate(routes) if r.market == i] for i in range(M)]
    windows = []
    for i in range(M):
        busy = (demand[:, i] > 0).any(axis=0) | (d0[i] > 0) | (lost0[i] > 0)
        for j in market_routes[i]:
            busy |= routes[j].v0 > 0
        hit = np.flatnonzero(busy)
        windows.append((int(hit[0]), int(hit[-1]) + 1) if len(hit) else (0, 0))
    pol = Policy(
        option=result.option,
        policy=result.policy,
        n_months=T,
        markets=markets,
        product_of_market=mprod,
        products=products,
        demand=demand,
        scale=scale,
        d0=d0,
        lost0=lost0,
        price=price,
        penalty=penalty,
        material=material,
        battery=battery,
        routes=routes,
        market_routes=market_routes,
        windows=windows,
        cap_line=np.array([c[0] for c in caps], dtype=int),
        cap_product=np.array([c[1] for c in caps], dtype=int),
        ramp_cap=ramp_cap,
        speed=speed,
        producing=producing,
        fixed=fixed,
        capex=capex,
        capex_spend=capex_spend,
        capex_start=capex_start,
        dep_years=years,
        hours=hours,
        other_hours=other_hours,
        shift_money=shift_money,
        active=active,
        ccap=ccap,
        cmin=cmin,
        price_c=price_c,
        jv_share=d.jv_share.to_numpy().astype(float) if C else np.zeros(0),
        top_margin=top_margin,
        exit_month=exit_month,
        exit_cost=exit_cost,
        share_cap=d.contract_cap_share.to_numpy(),
        fy_matrix=fy_matrix,
        fy_mean=fy_mean,
        top_pay=d.top_pay.to_numpy().astype(int),
        constant=constant,
        discount_rate=Affine(np.array(float(fin["discount_rate"]))),
        tax_rate=Affine(np.array(float(fin["tax_rate"]))),
        base_scenario=base_scen,
        scenario_probs=probs,
        planned_npv=float(result.npv),
    )
    for k, m in enumerate(marginals):
        _attach(case, oc, pol, k, m, lines, labels, caps, contracts, d.option, cache)
    return pol


def _attach(
    case: Case,
    oc: Case,
    pol: Policy,
    k: int,
    m: Marginal,
    lines: list[str],
    labels: pd.Index,
    caps: list[tuple[int, int, int]],
    contracts: list[str],
    option: dict[str, Any],
    cache: dict[str, Any],
) -> None:
    """Add input ``k``'s slopes to the arrays it moves."""
    if m.id == SCENARIO_INPUT:
        return
    key = (m.table, m.attribute)
    if key in _NO_EFFECT:
        return
    s = _scale(case, oc, m, option)
    months = oc.horizon
    prods = pol.products
    if m.table == "finance":
        if m.row == "discount_rate":
            pol.discount_rate.add(k, np.array(s))
        elif m.row == "tax_rate":
            pol.tax_rate.add(k, np.array(s))
        elif m.row == "depreciation_years":
            own = oc.tables["capabilities"]
            keyed = dict(zip(oc.keys("capabilities"), own["depreciation_years"], strict=True))
            for c, (li, pi, _) in enumerate(caps):
                v = keyed.get(f"{lines[li]}:{prods[pi]}")
                if v is None or not np.isfinite(float(v)):
                    pol.dep_years[c].add(k, np.array(s))
        else:
            _unsupported(m)
        return
    b = np.asarray(_cached(cache, m, "b", lambda: _decompose(case, m, months))) * s
    if m.table == "products":
        hit = [i for i, (p, _) in enumerate(pol.markets) if p == m.row]
        target: list[Affine] | None = {
            "net_revenue": pol.price,
            "material_cost": pol.material,
            "battery_cost": pol.battery,
            "lost_sale_penalty": pol.penalty,
        }.get(m.attribute)
        if m.attribute == "demand_scale":
            static = float(pol.scale[hit[0]].base) if hit else 1.0
            slope = np.array(static * s if m.apply == "factor" else s)
            for i in hit:
                pol.scale[i].add(k, slope)
            return
        if target is None:
            _unsupported(m)
            return
        for i in hit:
            target[i].add(k, b)
        return
    if m.table == "capabilities":
        line, _, product = m.row.partition(":")
        hit = [
            c for c, (li, pi, _) in enumerate(caps) if lines[li] == line and prods[pi] == product
        ]
        for c in hit:
            if m.attribute == "tooling_capex":
                pol.capex[c].add(k, np.array(b[0]))
            elif m.attribute == "fixed_cost":
                pol.fixed[c].add(k, b / 12.0)
            elif m.attribute == "depreciation_years":
                pol.dep_years[c].add(k, np.array(b[0]))
            elif m.attribute == "conversion_cost":
                for r in pol.routes:
                    if r.kind == "inhouse" and r.unit == c:
                        r.cost.add(k, b)
            else:
                _unsupported(m)
        if not hit and m.attribute not in (
            "tooling_capex",
            "fixed_cost",
            "depreciation_years",
            "conversion_cost",
        ):
            _unsupported(m)
        return
    if m.table == "contracts":
        if m.row not in contracts:
            return
        ci = contracts.index(m.row)
        if m.attribute == "unit_price":
            pol.price_c[ci].add(k, b)
        elif m.attribute == "exit_cost":
            pol.exit_cost[ci].add(k, np.array(b[0]))
        elif m.attribute == "capacity":
            pol.ccap[ci].add(k, b / 12.0)
        elif m.attribute == "min_volume":
            pol.cmin[ci].add(k, b / 12.0)
        else:
            _unsupported(m)
        return
    if m.table == "logistics":
        site, _, region = m.row.partition(":")
        site_of_line = {li: str(s) for li, s in enumerate(_line_sites(oc, lines))}
        con = oc.tables["contracts"].set_index("id")
        for r in pol.routes:
            if pol.markets[r.market][1] != region:
                continue
            where = (
                site_of_line[caps[r.unit][0]]
                if r.kind == "inhouse"
                else str(con.at[contracts[r.unit], "site"])
            )
            if where == site:
                r.cost.add(k, b)
        return
    if m.table == "other_load" and m.attribute == "units_per_year":
        slope = np.asarray(
            _cached(cache, m, "hours", lambda: _other_hours_slope(case, m, lines, labels))
        )
        for li in range(len(lines)):
            pol.other_hours[li].add(k, slope[li])
        return
    if m.table == "lines" and m.attribute == "shift_cost":
        if m.row in lines:
            li = lines.index(m.row)
            sc = oc.timeseries("lines", "shift_cost")[m.row].to_numpy(dtype=float)
            ratio = np.divide(b, sc, out=np.zeros_like(b), where=sc != 0)
            pol.shift_money[li].add(k, pol.shift_money[li].base * ratio)
        return
    _unsupported(m)


def _line_sites(case: Case, lines: list[str]) -> list[str]:
    site = case.tables["lines"].set_index("id")["site"]
    return [str(site[line]) for line in lines]


_SUPPORTED = (
    "products: net_revenue, material_cost, battery_cost, lost_sale_penalty, demand_scale, subsidy; "
    "capabilities: tooling_capex, fixed_cost, conversion_cost, depreciation_years; "
    "contracts: unit_price, exit_cost, capacity, min_volume; logistics: cost_per_unit; "
    "other_load: units_per_year; lines: shift_cost; finance: discount_rate, tax_rate, "
    "depreciation_years"
)


def _unsupported(m: Marginal) -> None:
    raise InsourceError(
        f"uncertainty.csv, input {m.id!r}: the risk evaluator does not model uncertainty in "
        f"{m.table}.{m.attribute}",
        f"use one of {_SUPPORTED}",
    )
