"""Planning data: every coefficient of the model as labelled arrays.

:func:`plan_data` reads a :class:`~insource.case.Case` and one option and
returns a :class:`PlanData` of xarray arrays over the dimensions ``line``
(own lines), ``product``, ``region``, ``contract``, ``period`` (months, as
``YYYY-MM`` text) and ``fy`` (fiscal years). The model (:mod:`._model`) and the
results (:mod:`._results`) both read these arrays, so each unit cost exists once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from insource.case import Case
from insource.case._views import other_load
from insource.errors import InsourceError
from insource.plan import _lazydask

_lazydask.install()  # before the first xarray array is made: see _lazydask

#: The arbitrary constant of the textbook formulation's linking constraint.
TEXTBOOK_BIG_M = 1e7

__all__ = [
    "TEXTBOOK_BIG_M",
    "PlanData",
    "PlanSettings",
    "plan_data",
    "policy_union",
    "same_structure",
    "select_option",
]

#: The option-independent arrays that shape the model (its variables,
#: constraints, bounds and constraint coefficients); every other coefficient
#: only prices it (the objective), and the policy's arrays (``allowed_start``,
#: ``producing``, ``exit_allowed``, ``contract_cap_share``) become bounds on the
#: union model (:func:`policy_union`). A new array used by a
#: ``define_*_variables`` or ``define_*_constraints`` function in
#: :mod:`._model` belongs here.
STRUCTURE = (
    "demand",
    "remaining",
    "capable",
    "existing",
    "ramp_gap",
    "umax",
    "hours",
    "speed",
    "other_hours",
    "min_shifts",
    "max_shifts",
    "shift_free",
    "window",
    "first",
    "ccap",
    "cmin",
    "of_product",
    "fy",
    "top_pay",
)


@dataclass(frozen=True)
class PlanSettings:
    """How the model is built (not what the case says).

    Parameters
    ----------
    scenario
        Demand scenario to plan against; ``None`` plans against the
        probability-weighted expected demand across scenarios.
    allow_lost_sales
        ``False`` forbids unmet demand (the policy may then be infeasible).
    start_step
        Start-of-production decisions are allowed every this many months from
        the earliest start (1: every month; 3: quarters).
    inventory
        Allow building ahead into stock. Off by default: the case format has
        no holding cost, and with stock the demand bound of the linking
        constraint weakens from the month's demand to all demand still to come
        (on the 5x4x120 benchmark the gap at 120 s goes from under 0.5% in
        13 s to 13%).
    formulation
        ``strong`` (bounds from capacity and demand, the demand bound on the
        linking constraint) or ``textbook`` (big-M with an arbitrary constant
        :data:`TEXTBOOK_BIG_M`, no demand bound): the benchmark's baseline.

    """

    scenario: str | None = None
    allow_lost_sales: bool = True
    start_step: int = 1
    inventory: bool = False
    formulation: str = "strong"


@dataclass
class PlanData:
    """Coefficients of one planning problem (one case, one option)."""

    case: Case
    option: dict[str, Any]
    settings: PlanSettings
    periods: pd.PeriodIndex
    fy: xr.DataArray  # [period] fiscal year
    demand: xr.DataArray  # [product, region, period] units/month
    remaining: xr.DataArray  # [product, region, period] demand from t to the end
    price: xr.DataArray  # [product, period]
    material: xr.DataArray
    battery: xr.DataArray
    penalty: xr.DataArray
    lines: pd.DataFrame  # own lines
    capable: xr.DataArray  # [line, product] bool
    existing: xr.DataArray  # [line, product] bool
    allowed_start: xr.DataArray  # [line, product, period] bool
    producing: xr.DataArray  # [line, product, period] bool: x may be > 0
    ramp_gap: xr.DataArray  # [line, product, lag] 1 - ramp fraction
    capex: xr.DataArray  # [line, product]
    lead: xr.DataArray  # [line, product] months
    dep_years: xr.DataArray  # [line, product]
    conversion: xr.DataArray  # [line, product, period]
    fixed: xr.DataArray  # [line, product, period] money/month while producing
    umax: xr.DataArray  # [line, product, period] units/month at most shifts
    hours: xr.DataArray  # [line, period] productive hours per shift per month
    speed: xr.DataArray  # [line, product, period] units/hour
    other_hours: xr.DataArray  # [line, period]
    min_shifts: xr.DataArray  # [line]
    base_shifts: xr.DataArray  # [line] shifts worked today (their cost is common to every option)
    max_shifts: xr.DataArray  # [line]
    shift_cost: xr.DataArray  # [line, period] money/month per shift
    shift_free: xr.DataArray  # [line, period] bool: shifts may change here
    site_of_line: pd.Series
    contracts: pd.DataFrame
    window: xr.DataArray  # [contract, period] bool
    first: xr.DataArray  # [contract, period] 1 at the first month of the window
    exit_allowed: xr.DataArray  # [contract, period] bool
    cprice: xr.DataArray  # [contract, period] money/unit
    cmaterial: xr.DataArray  # [contract, period] 1 when we pay material on top
    ccap: xr.DataArray  # [contract, period] units/month
    cmin: xr.DataArray  # [contract, period] units/month take-or-pay
    top_cost: xr.DataArray  # [contract, fy] money per unit of shortfall
    top_pay: xr.DataArray  # [fy] month index where the shortfall is paid
    exit_cost: xr.DataArray  # [contract]
    jv_share: xr.DataArray  # [contract] money back per money paid
    cmargin: xr.DataArray  # [contract] the partner's contribution margin (fraction of price)
    of_product: xr.DataArray  # [contract, product] 1/0
    logistics: xr.DataArray  # [site, region, period]
    contract_cap_share: xr.DataArray  # [product, period] max contract share (policy)
    earliest: xr.DataArray  # [line, product] month index of the earliest start
    exit_terms: xr.DataArray  # [contract, period] bool: exit allowed by the contract's notice
    forced_start: list[tuple[str, str, str]] = field(default_factory=list)
    dev_cost: pd.DataFrame = field(default_factory=pd.DataFrame)  # partner, period, amount
    parent: Case | None = None  # the case before the option's overrides
    overrides: str = ""  # the option's overrides applied to ``parent``

    @property
    def n_months(self) -> int:
        """Months in the horizon."""
        return len(self.periods)

    @property
    def labels(self) -> pd.Index:
        """Period labels (``YYYY-MM``)."""
        return pd.Index([str(p) for p in self.periods], name="period")


def _num(value: Any, default: float) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return default if np.isnan(out) else out


def select_option(case: Case, name: str | None) -> dict[str, Any]:
    """The option row ``name`` as a dict (``None``: a free 'optimise' option)."""
    opts = case.tables["options"]
    if name is None:
        return {"id": "optimise", "name": "Optimise", "policy": "optimise", "baseline": False}
    hit = opts[opts["id"] == name]
    if hit.empty:
        known = ", ".join(map(str, opts["id"])) or "none"
        raise InsourceError(f"unknown option {name!r}", f"choose one of: {known}")
    row = hit.iloc[0].to_dict()
    return {
        str(k): (None if (not isinstance(v, str) and pd.isna(v)) else v) for k, v in row.items()
    }


def _frame_to_da(
    frame: pd.DataFrame, dim: str, columns: pd.Index, labels: pd.Index
) -> xr.DataArray:
    values = frame.reindex(columns=columns).to_numpy(dtype=float).T
    return xr.DataArray(values, coords=[columns.rename(dim), labels])


def _expected_demand(
    case: Case, scenario: str | None, demand: pd.DataFrame | None = None
) -> pd.DataFrame:
    dem = case.demand() if demand is None else demand
    if dem.empty:
        return pd.DataFrame(columns=["product", "region", "period", "volume"])
    if scenario is not None:
        known = set(dem["scenario"])
        if scenario not in known:
            raise InsourceError(
                f"unknown scenario {scenario!r}", f"choose one of: {', '.join(sorted(known))}"
            )
        dem = dem[dem["scenario"] == scenario]
        return dem.groupby(["product", "region", "period"])["volume"].sum().reset_index()
    prob = case.tables["scenarios"].set_index("id")["probability"].astype(float)
    dem = dem.assign(volume=dem["volume"] * dem["scenario"].map(prob).fillna(0.0))
    return dem.groupby(["product", "region", "period"])["volume"].sum().reset_index()


def _rows_over_time(
    case: Case, table: str, attr: str, ids: list[str], default: float, n_months: int
) -> np.ndarray:
    """Monthly values of ``table.attr`` for rows ``ids`` (rows x months); missing -> ``default``."""
    if not ids:
        return np.zeros((0, n_months))
    ts = case.timeseries(table, attr).fillna(default)
    return ts[ids].to_numpy(dtype=float).T


def plan_data(
    case: Case,
    option: dict[str, Any],
    settings: PlanSettings,
    demand_table: pd.DataFrame | None = None,
    base: PlanData | None = None,
) -> PlanData:
    """Build every coefficient of the planning model for one option.

    Parameters
    ----------
    case
        The case (the option's overrides are applied to a copy).
    option
        Row of the options table (see :func:`select_option`).
    settings
        Model settings.
    demand_table
        ``case.demand()`` computed once by the caller (compare plans every
        option of one case); ignored when the option's overrides touch demand.
    base
        The planning data of another option of the same case and settings
        (compare plans every option): its option-independent arrays are
        reused when the option has the same overrides.

    """
    overrides = str(option.get("overrides") or "")
    if (
        base is None
        or base.parent is not case
        or base.overrides != overrides
        or base.settings != settings
    ):
        if any(
            t in overrides for t in ("products.", "demand_scenarios.", "scenarios.", "finance.")
        ):
            demand_table = None
        derived = case.with_overrides(option.get("overrides"))
        base = replace(
            _case_data(derived, settings, demand_table), parent=case, overrides=overrides
        )
    return _apply_policy(base, option)


def _producing(existing: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """``[line, product, period]``: production possible (existing, or from the first allowed start)."""
    return existing[:, :, None] | (np.cumsum(allowed, axis=-1) > 0)


def _start_grid(
    capable: np.ndarray, existing: np.ndarray, earliest: np.ndarray, months: int, step: int
) -> np.ndarray:
    """``[line, product, period]``: starts allowed from the earliest start, every ``step`` months."""
    t = np.arange(months)[None, None, :]
    lag = t - earliest[:, :, None]
    return (capable & ~existing)[:, :, None] & (lag >= 0) & (lag % max(step, 1) == 0)


def _case_data(case: Case, settings: PlanSettings, demand_table: pd.DataFrame | None) -> PlanData:
    """The option-independent arrays (every start and exit the case allows)."""
    option: dict[str, Any] = {"id": "optimise", "policy": "optimise"}
    fin = case.finance
    periods = case.horizon
    labels = pd.Index([str(p) for p in periods], name="period")
    T = len(periods)
    first_month = periods[0]
    fyears = case.calendar.fiscal_year(periods)
    fy = xr.DataArray(np.asarray(fyears, dtype=int), coords=[labels], name="fy")

    def idx(text: Any) -> int | None:
        if text is None or (not isinstance(text, str) and pd.isna(text)) or text == "":
            return None
        return int((case.month(str(text)) - first_month).n)

    # ---- products and demand ---------------------------------------------
    products_t = case.tables["products"]
    products = pd.Index(list(products_t["id"]), name="product")
    dem = _expected_demand(case, settings.scenario, demand_table)
    regions = pd.Index(
        sorted(
            set(map(str, dem["region"]))
            | set(map(str, case.tables["logistics"]["region"].dropna()))
            | set(map(str, case.tables["regions"]["id"].dropna()))
        )
        or [""],
        name="region",
    )
    demand = xr.DataArray(
        np.zeros((len(products), len(regions), T)), coords=[products, regions, labels]
    )
    if not dem.empty:
        d = dem.assign(period=dem["period"].astype(str))
        d = d[d["product"].isin(products)]
        s = d.set_index(["product", "region", "period"])["volume"]
        full = s.reindex(
            pd.MultiIndex.from_product([products, regions, labels]), fill_value=0.0
        ).to_numpy()
        demand = demand.copy(data=full.reshape(demand.shape))
    remaining = demand.isel(period=slice(None, None, -1)).cumsum("period")
    remaining = remaining.isel(period=slice(None, None, -1))

    def prod_ts(attr: str, default: float) -> xr.DataArray:
        ts = case.timeseries("products", attr).fillna(default)
        return _frame_to_da(ts, "product", products, labels)

    price = prod_ts("net_revenue", 0.0)
    material = prod_ts("material_cost", 0.0)
    battery = prod_ts("battery_cost", 0.0)
    penalty = prod_ts("lost_sale_penalty", 0.0)

    # ---- own lines and capabilities ----------------------------------------
    sites = case.tables["sites"].set_index("id")
    lines_t = case.tables["lines"]
    own = lines_t[lines_t["site"].map(sites["owner"]).fillna("own") == "own"].reset_index(drop=True)
    line_ix = pd.Index(list(own["id"]), name="line")
    site_of_line = pd.Series(list(own["site"]), index=line_ix)
    LP = (len(line_ix), len(products))
    caps = case.tables["capabilities"]
    caps = caps[caps["line"].isin(line_ix) & caps["product"].isin(products)]
    cap_keys = case.keys("capabilities").loc[caps.index]

    def lp_array(fill: float) -> np.ndarray:
        return np.full(LP, fill, dtype=float)

    capable = np.zeros(LP, dtype=bool)
    existing = np.zeros(LP, dtype=bool)
    capex, lead, dep_years, rate_factor = lp_array(0), lp_array(0), lp_array(0), lp_array(1)
    earliest = np.zeros(LP, dtype=int)
    ramps: dict[tuple[int, int], list[float]] = {}
    default_years = float(fin["depreciation_years"])
    for row_ix, r in caps.iterrows():
        i, j = line_ix.get_loc(r["line"]), products.get_loc(r["product"])
        capable[i, j] = True
        existing[i, j] = r["status"] == "existing"
        capex[i, j] = _num(r["tooling_capex"], 0.0)
        lead[i, j] = _num(r["tooling_lead_months"], 0.0)
        dep_years[i, j] = _num(r["depreciation_years"], default_years)
        rate_factor[i, j] = _num(r["rate_factor"], 1.0)
        es = idx(r["earliest_start"])
        earliest[i, j] = max(int(lead[i, j]), es if es is not None else 0)
        text = r["ramp_up"]
        if isinstance(text, str) and text.strip() and not existing[i, j]:
            ramps[(i, j)] = [float(v) for v in text.split(";") if v.strip()]
        del row_ix
    max_lag = max((len(v) for v in ramps.values()), default=0)
    ramp_gap = np.zeros((*LP, max(max_lag, 1)))
    for (i, j), fractions in ramps.items():
        ramp_gap[i, j, : len(fractions)] = 1.0 - np.asarray(fractions)
    lag_ix = pd.Index(range(ramp_gap.shape[2]), name="lag")

    def cap_ts(attr: str, default: float) -> np.ndarray:
        out = np.full((*LP, T), default, dtype=float)
        if caps.empty:
            return out
        ts = case.timeseries("capabilities", attr).fillna(default)
        for key, r in zip(cap_keys, caps.itertuples(), strict=True):
            i, j = line_ix.get_loc(r.line), products.get_loc(r.product)
            out[i, j] = ts[key].to_numpy(dtype=float)
        return out

    conversion = cap_ts("conversion_cost", 0.0)
    fixed = cap_ts("fixed_cost", 0.0) / 12.0

    def line_ts(attr: str, default: float) -> np.ndarray:
        return _rows_over_time(case, "lines", attr, list(line_ix), default, T)

    rate = line_ts("rate", 0.0)
    eff = line_ts("efficiency", 1.0)
    hps = own["hours_per_shift"].astype(float).fillna(8.0).to_numpy()
    dpy = own["days_per_year"].astype(float).fillna(240.0).to_numpy()
    hours = hps[:, None] * dpy[:, None] / 12.0 * eff
    max_sh = own["max_shifts"].astype(float).fillna(2.0).to_numpy()
    min_sh = own["min_shifts"].astype(float).fillna(0.0).to_numpy()
    base_sh = own["shifts"].astype(float).fillna(0.0).to_numpy()
    speed = rate[:, None, :] * rate_factor[:, :, None]
    umax = hours[:, None, :] * max_sh[:, None, None] * speed
    step = own["shift_step_months"].astype(float).fillna(3.0).to_numpy().astype(int)
    t_ix = np.arange(T)
    shift_free = (t_ix[None, :] % np.maximum(step, 1)[:, None]) == 0
    shift_cost = line_ts("shift_cost", 0.0) / 12.0
    oth = other_load(case)
    other_hours = np.zeros((len(line_ix), T))
    if not oth.empty:
        of = oth[oth["line"].isin(line_ix)].assign(period=lambda f: f["period"].astype(str))
        o = of.groupby(["line", "period"])["hours"].sum()
        other_hours = (
            o.reindex(pd.MultiIndex.from_product([line_ix, labels]), fill_value=0.0)
            .to_numpy()
            .reshape(len(line_ix), T)
        )

    # ---- contracts ----------------------------------------------------------
    con = case.tables["contracts"]
    con = con[con["product"].isin(products)].reset_index(drop=True)
    c_ix = pd.Index(list(con["id"]), name="contract")
    C = len(c_ix)
    partners = case.tables["partners"].set_index("id")
    window = np.zeros((C, T), dtype=bool)
    first = np.zeros((C, T))
    exit_allowed = np.zeros((C, T), dtype=bool)
    for k, rec in enumerate(con.to_dict("records")):
        s0, e0 = idx(rec["start"]), idx(rec["end"])
        cs = 0 if s0 is None else max(s0, 0)
        ce = T - 1 if e0 is None else min(e0, T - 1)
        if cs > ce:
            continue
        window[k, cs : ce + 1] = True
        first[k, cs] = 1.0
        notice = int(_num(rec["notice_months"], 0.0))
        lo = max(cs, notice)
        if lo <= ce:
            exit_allowed[k, lo : ce + 1] = True
    cm = np.array([_num(partners["contribution_margin"].get(p), 0.0) for p in con["partner"]])
    share = np.array([_num(partners["our_share"].get(p), 0.0) for p in con["partner"]])

    def con_ts(attr: str, default: float) -> np.ndarray:
        return _rows_over_time(case, "contracts", attr, list(c_ix), default, T)

    cprice = con_ts("unit_price", 0.0)
    total_demand = demand.sum("region").to_numpy()
    prod_of_c = np.array([products.get_loc(p) for p in con["product"]], dtype=int)
    big = remaining.sum("region").to_numpy()[prod_of_c] if C else np.zeros((0, T))
    ccap = con_ts("capacity", np.nan) / 12.0
    ccap = np.where(np.isnan(ccap), big, np.minimum(ccap, big)) if C else ccap
    cmin = con_ts("min_volume", 0.0) / 12.0
    fy_values = pd.Index(sorted(set(np.asarray(fyears, dtype=int))), name="fy")
    fy_arr = np.asarray(fyears, dtype=int)
    top_cost = np.zeros((C, len(fy_values)))
    top_pay = np.zeros(len(fy_values), dtype=int)
    for n, year in enumerate(fy_values):
        months = np.flatnonzero(fy_arr == year)
        top_pay[n] = months[-1]
        if C:
            top_cost[:, n] = cprice[:, months].mean(axis=1) * cm
    of_product = np.zeros((C, len(products)))
    of_product[np.arange(C), prod_of_c] = 1.0
    consign = (
        ~con["includes_material"].fillna(True).astype(bool).to_numpy() if C else np.zeros(0, bool)
    )

    # ---- logistics --------------------------------------------------------
    site_ix = pd.Index(
        sorted(set(site_of_line) | set(map(str, con["site"])) | set(sites.index)), name="site"
    )
    logistics = np.zeros((len(site_ix), len(regions), T))
    lg = case.tables["logistics"]
    if not lg.empty:
        ts = case.timeseries("logistics", "cost_per_unit").fillna(0.0)
        for key, site, region in zip(case.keys("logistics"), lg["site"], lg["region"], strict=True):
            if site in site_ix and region in regions:
                logistics[site_ix.get_loc(site), regions.get_loc(region)] = ts[key].to_numpy()

    # ---- JV development cost (the same in every option) ---------------------
    jv = partners[partners["kind"] == "jv"] if not partners.empty else partners
    dev_rows = []
    if not jv.empty:
        ts = case.timeseries("partners", "dev_cost").fillna(0.0)
        for pid, r in jv.iterrows():
            amount = ts[pid].to_numpy() * _num(r["dev_cost_share"], 0.0) / 12.0
            dev_rows.append(pd.DataFrame({"partner": pid, "t": t_ix, "amount": -amount}))
    dev_cost = pd.concat(dev_rows, ignore_index=True) if dev_rows else pd.DataFrame()

    del total_demand
    allowed = _start_grid(capable, existing, earliest, T, settings.start_step)

    L, P = line_ix, products
    return PlanData(
        case=case,
        option=option,
        settings=settings,
        periods=periods,
        fy=fy,
        demand=demand,
        remaining=remaining,
        price=price,
        material=material,
        battery=battery,
        penalty=penalty,
        lines=own,
        capable=xr.DataArray(capable, coords=[L, P]),
        existing=xr.DataArray(existing, coords=[L, P]),
        allowed_start=xr.DataArray(allowed, coords=[L, P, labels]),
        producing=xr.DataArray(_producing(existing, allowed), coords=[L, P, labels]),
        ramp_gap=xr.DataArray(ramp_gap, coords=[L, P, lag_ix]),
        capex=xr.DataArray(capex, coords=[L, P]),
        lead=xr.DataArray(lead, coords=[L, P]),
        dep_years=xr.DataArray(dep_years, coords=[L, P]),
        conversion=xr.DataArray(conversion, coords=[L, P, labels]),
        fixed=xr.DataArray(fixed, coords=[L, P, labels]),
        umax=xr.DataArray(umax, coords=[L, P, labels]),
        hours=xr.DataArray(hours, coords=[L, labels]),
        speed=xr.DataArray(speed, coords=[L, P, labels]),
        other_hours=xr.DataArray(other_hours, coords=[L, labels]),
        min_shifts=xr.DataArray(min_sh, coords=[L]),
        base_shifts=xr.DataArray(base_sh, coords=[L]),
        max_shifts=xr.DataArray(max_sh, coords=[L]),
        shift_cost=xr.DataArray(shift_cost, coords=[L, labels]),
        shift_free=xr.DataArray(shift_free, coords=[L, labels]),
        site_of_line=site_of_line,
        contracts=con,
        window=xr.DataArray(window, coords=[c_ix, labels]),
        first=xr.DataArray(first, coords=[c_ix, labels]),
        exit_allowed=xr.DataArray(exit_allowed, coords=[c_ix, labels]),
        cprice=xr.DataArray(cprice, coords=[c_ix, labels]),
        cmaterial=xr.DataArray(
            np.broadcast_to(consign[:, None], (C, T)).astype(float), coords=[c_ix, labels]
        ),
        ccap=xr.DataArray(ccap, coords=[c_ix, labels]),
        cmin=xr.DataArray(cmin, coords=[c_ix, labels]),
        top_cost=xr.DataArray(top_cost, coords=[c_ix, fy_values]),
        top_pay=xr.DataArray(top_pay, coords=[fy_values]),
        exit_cost=xr.DataArray(
            con["exit_cost"].astype(float).fillna(0.0).to_numpy(), coords=[c_ix]
        ),
        jv_share=xr.DataArray(share * cm, coords=[c_ix]),
        cmargin=xr.DataArray(cm, coords=[c_ix]),
        of_product=xr.DataArray(of_product, coords=[c_ix, P]),
        logistics=xr.DataArray(logistics, coords=[site_ix, regions, labels]),
        contract_cap_share=xr.DataArray(np.ones((len(P), T)), coords=[P, labels]),
        earliest=xr.DataArray(earliest, coords=[L, P]),
        exit_terms=xr.DataArray(exit_allowed.copy(), coords=[c_ix, labels]),
        dev_cost=dev_cost,
    )


def _apply_policy(base: PlanData, option: dict[str, Any]) -> PlanData:
    """The option's policy on top of the option-independent arrays of ``base``.

    ``contract``: no start for the products in scope, no exit; ``insource``: the
    one forced start, no exit before the end of the dual-running window, at
    most ``1 - inhouse_share`` of the demand from contracts after it;
    ``optimise``: free. Products outside an option's scope keep the status quo.
    """
    case, settings, periods, labels = base.case, base.settings, base.periods, base.labels
    T = base.n_months
    t_ix = np.arange(T)
    line_ix = base.capable.indexes["line"]
    products = base.capable.indexes["product"]
    capable = base.capable.to_numpy()
    existing = base.existing.to_numpy()
    earliest = base.earliest.to_numpy()
    window = base.window.to_numpy()
    prod_of_c = base.of_product.to_numpy().argmax(axis=1)
    allowed = _start_grid(capable, existing, earliest, T, settings.start_step)
    exit_allowed = base.exit_terms.to_numpy().copy()
    first_month = periods[0]

    def idx(text: Any) -> int | None:
        if text is None or (not isinstance(text, str) and pd.isna(text)) or text == "":
            return None
        return int((case.month(str(text)) - first_month).n)

    contract_share = np.ones((len(products), T))
    policy = str(option.get("policy") or "optimise")
    scope = option.get("product")
    in_scope = np.array([scope is None or p == scope for p in products])
    forced: list[tuple[str, str, str]] = []
    if policy in ("contract", "insource"):
        allowed[:, in_scope, :] = False
        exit_allowed[np.isin(prod_of_c, np.flatnonzero(in_scope))] = False
    if policy != "optimise" and scope is not None:
        # products outside the option's scope keep the status quo
        allowed[:, ~in_scope, :] = False
        exit_allowed[~np.isin(prod_of_c, np.flatnonzero(in_scope))] = False
    if policy == "insource":
        line, start = option.get("line"), idx(option.get("start"))
        if scope is None or line is None or start is None:
            raise InsourceError(
                f"option {option.get('id')!r}: an insource policy needs a product, a line and a start",
                "fill product, line and start in options.csv",
            )
        if line not in line_ix or not capable[line_ix.get_loc(line), products.get_loc(scope)]:
            raise InsourceError(
                f"option {option.get('id')!r}: line {line!r} cannot build {scope!r}",
                "add the pair to capabilities.csv (on an own site) or choose another line",
            )
        i, j = line_ix.get_loc(line), products.get_loc(scope)
        if not existing[i, j]:
            if start < earliest[i, j] or start >= T:
                month = periods[0] + int(earliest[i, j])
                raise InsourceError(
                    f"option {option.get('id')!r}: production of {scope} on {line} cannot start "
                    f"in {option.get('start')}",
                    f"the earliest start (tooling lead time and earliest_start) is {month}, "
                    f"within the horizon {periods[0]} to {periods[-1]}",
                )
            allowed[i, j, start] = True
            forced.append((line, scope, labels[start]))
        dual = int(_num(option.get("dual_months"), 0.0))
        share_in = _num(option.get("inhouse_share"), 1.0)
        after = t_ix >= start + dual
        contract_share[j, after] = 1.0 - share_in
        mine = prod_of_c == j
        exit_allowed[np.ix_(mine, t_ix < start + dual)] = False
        exit_allowed[np.ix_(mine, t_ix >= start + dual)] = window[
            np.ix_(mine, t_ix >= start + dual)
        ]
    coords = base.allowed_start.coords
    return replace(
        base,
        option=option,
        allowed_start=xr.DataArray(allowed, coords=coords),
        producing=xr.DataArray(_producing(existing, allowed), coords=coords),
        exit_allowed=xr.DataArray(exit_allowed, coords=base.exit_terms.coords),
        contract_cap_share=xr.DataArray(contract_share, coords=base.contract_cap_share.coords),
        forced_start=forced,
    )


def policy_union(options: list[PlanData]) -> PlanData:
    """One planning problem holding the decisions of every option in ``options``.

    The options must have the same structure (:func:`same_structure`); the
    coefficients that price the model are those of the first. The union allows every start and exit
    that any option allows (forced starts included, with no start forced),
    and caps the contract share wherever any option caps it, at the lowest
    cap. Each option is then this problem with bounds: a start or exit it
    does not allow fixed at 0, its forced start fixed at 1, volume and
    production state fixed at 0 where it cannot produce, and its own cap on
    the contract share (none where it has none); see
    :func:`~insource.plan._model.policy_bounds`.
    """
    first = options[0]
    allowed = np.logical_or.reduce([d.allowed_start.to_numpy() for d in options])
    exits = np.logical_or.reduce([d.exit_allowed.to_numpy() for d in options])
    share = np.minimum.reduce([d.contract_cap_share.to_numpy() for d in options])
    existing = first.existing.to_numpy()
    return replace(
        first,
        option={"id": "union", "policy": "optimise"},
        allowed_start=first.allowed_start.copy(data=allowed),
        producing=first.producing.copy(data=_producing(existing, allowed)),
        exit_allowed=first.exit_allowed.copy(data=exits),
        contract_cap_share=first.contract_cap_share.copy(data=share),
        forced_start=[],
    )


def same_structure(a: PlanData, b: PlanData) -> bool:
    """Whether the options of ``a`` and ``b`` can share one model (each with its objective).

    True when the settings and every array in :data:`STRUCTURE` (values and
    coordinates) agree: e.g. two options whose overrides change only prices
    and costs. Their policies may differ: :func:`policy_union` holds both.
    """
    if a.settings != b.settings:
        return False
    return all(getattr(a, name).equals(getattr(b, name)) for name in STRUCTURE)
