r"""The value of waiting: a two-stage stochastic programme by sample average approximation.

First stage: whether and when to start in-house production of the insourcing
option's product, on a yearly grid from the option's start (:math:`z_g \in
\{0,1\}`, :math:`\sum_g z_g \le 1`; no start keeps the contract). Second
stage, per scenario :math:`s` (a joint sample of the uncertain inputs) and
month :math:`t`: in-house volume :math:`x`, contract volume :math:`y` and lost
sales :math:`l` with

.. math::

    x_{s,t} + y_{s,t} + l_{s,t} = D_{s,t},\qquad
    x_{s,t} \le \sum_g U_{g,t} z_g,\qquad
    y_{s,t} \le K^0_t + \sum_g (K_{g,t} - K^0_t) z_g,

maximising :math:`\sum_s \pi_s \big[\sum_g F_{s,g} z_g + \sum_t w_{s,t}
(m^{in}_{s,t} x + m^{c}_{s,t} y - p_{s,t} l)\big]` with :math:`U_{g,t}` the
in-house capacity after a start at :math:`g` (ramp-up, the planned shifts less
the other models' load), :math:`K_{g,t}` the contract capacity (the contract
ends the option's dual-running months after the start), :math:`F_{s,g}` the NPV
of the capex, fixed cost and exit cost of starting at :math:`g`, the margins
:math:`m` and weights :math:`w = \delta (1-\tau)` from :mod:`insource.finance`.

* **RP** (here and now): the extensive form above, one :math:`z` for all
  scenarios, solved as one MILP with HiGHS (linopy).
* **WS** (wait and see): a :math:`z_s` per scenario (perfect information).
* **EEV**: the decision that is best for the mean scenario, evaluated on every
  scenario. EVPI = WS - RP, VSS = RP - EEV (Birge & Louveaux 2011, ch. 4).
* **Deciding one year later**: the scenario is known by then, but every start
  moves a year later (the tooling lead time runs from the decision): WS over
  the starts at least 12 months after the first. Its value is that minus RP.

Above :data:`EXTENSIVE_LIMIT` scenarios the same numbers come from enumerating
the first-stage decisions: for each batch of scenarios one LP gives the
second-stage value of every start in every scenario (the blocks are
independent); batches run in parallel on Dask workers when a client is given.

Simplifications (documented in ``docs/risk.md``): one product (the option's)
and its regions pooled; the option's planned shifts, whose cost against the
baseline's moves with the start; the contract's share cap reduced to "no
contract volume once the option's cap applies"; take-or-pay minimums ignored;
other products do not change with the decision and are left out.

References
----------
J. R. Birge and F. Louveaux, *Introduction to Stochastic Programming*, 2nd ed.,
Springer, 2011 (EVPI and VSS, section 4.1-4.2).

"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import linopy
import numpy as np
import pandas as pd

from insource.errors import InsourceError
from insource.plan import Comparison
from insource.risk._cluster import map_chunks

__all__ = [
    "EXTENSIVE_LIMIT",
    "WaitingProblem",
    "WaitingResult",
    "extensive_form",
    "second_stage_values",
    "solve_waiting",
    "value_of_waiting",
    "waiting_problem",
]

#: Most scenarios solved as one extensive-form MILP.
EXTENSIVE_LIMIT = 300


@dataclass
class WaitingProblem:
    """Arrays of the two-stage programme (G starts, S scenarios, T months)."""

    starts: np.ndarray  # (G,) month of each candidate start
    labels: list[str]  # (G,) month labels
    probability: np.ndarray  # (S,)
    demand: np.ndarray  # (S, T)
    inhouse_cap: np.ndarray  # (G, T) units/month
    contract_cap: np.ndarray  # (G + 1, T) units/month; last row: no start
    margin_in: np.ndarray  # (S, T) money/unit
    margin_c: np.ndarray  # (S, T)
    penalty: np.ndarray  # (S, T) money/unit lost (besides the revenue)
    weights: np.ndarray  # (S, T) NPV weight of a unit of EBITDA
    first_stage: np.ndarray  # (S, G) NPV of the money of starting at g

    @property
    def n_starts(self) -> int:
        """Candidate starts (without 'no start')."""
        return len(self.starts)


def _second_stage(
    p: WaitingProblem, m: linopy.Model, scen: pd.Index, cap_in: Any, cap_c: Any
) -> linopy.LinearExpression:
    """Volumes and balance of every scenario; returns the expected second-stage NPV."""
    T = p.demand.shape[1]
    month = pd.RangeIndex(T, name="t")
    s_ix = scen.to_numpy()

    def arr(a: np.ndarray) -> Any:
        import xarray as xr

        return xr.DataArray(a[s_ix], coords=[scen, month])

    x = m.add_variables(lower=0.0, coords=[scen, month], name="x")
    y = m.add_variables(lower=0.0, coords=[scen, month], name="y")
    lost = m.add_variables(lower=0.0, coords=[scen, month], name="lost")
    m.add_constraints(x + y + lost == arr(p.demand), name="balance")
    m.add_constraints(x - cap_in <= 0, name="inhouse_capacity")
    m.add_constraints(y - cap_c <= 0, name="contract_capacity")
    pi = arr(np.repeat(p.probability[:, None], T, axis=1))
    w = arr(p.weights) * pi
    return (
        (x * (w * arr(p.margin_in))).sum()
        + (y * (w * arr(p.margin_c))).sum()
        - (lost * (w * arr(p.penalty))).sum()
    )


def _solve(m: linopy.Model) -> float:
    from insource.plan import solve_model

    outcome = solve_model(m)
    if outcome.status != "optimal":  # pragma: no cover - the programme is always feasible
        raise InsourceError(f"the two-stage programme was not solved ({outcome.termination})")
    return float(outcome.objective)


def extensive_form(
    p: WaitingProblem,
    anticipative: bool = False,
    fixed: int | None = None,
    allowed: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Solve the extensive form; return the expected NPV and the start chosen per scenario.

    Parameters
    ----------
    anticipative
        One decision per scenario (wait and see) instead of one for all.
    fixed
        Fix the decision to start ``fixed`` (``G``: no start).
    allowed
        Mask of the starts that may be chosen (others are forbidden).

    Returns
    -------
    (value, choice)
        ``choice[s]`` is the start index of scenario ``s`` (``G``: no start).

    """
    import xarray as xr

    S, T = p.demand.shape
    G = p.n_starts
    scen = pd.RangeIndex(S, name="s")
    month = pd.RangeIndex(T, name="t")
    start = pd.RangeIndex(G, name="g")
    ok = np.ones(G, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    m = linopy.Model()
    z_coords = [scen, start] if anticipative else [start]
    shape = (S, G) if anticipative else (G,)
    if fixed is None:
        mask = xr.DataArray(np.broadcast_to(ok, shape), coords=z_coords)
        zv = m.add_variables(coords=z_coords, name="z", binary=True, mask=mask)
    else:
        on = np.zeros(shape)
        if fixed < G:
            on[..., fixed] = 1.0
        bound = xr.DataArray(on, coords=z_coords)
        zv = m.add_variables(lower=bound, upper=bound, coords=z_coords, name="z")
    z = zv.fillna(0)
    m.add_constraints(z.sum("g") <= 1, name="one_start")
    u = xr.DataArray(p.inhouse_cap, coords=[start, month])
    k0 = xr.DataArray(p.contract_cap[G], coords=[month])
    dk = xr.DataArray(p.contract_cap[:G] - p.contract_cap[G][None, :], coords=[start, month])
    cap_in = (z * u).sum("g")
    cap_c = (z * dk).sum("g") + k0
    second = _second_stage(p, m, scen, cap_in, cap_c)
    f = xr.DataArray(p.first_stage * p.probability[:, None], coords=[scen, start])
    first = (z * f).sum() if anticipative else (z * f.sum("s")).sum()
    m.add_objective(first + second, sense="max")
    value = _solve(m)
    sol = np.asarray(m.variables["z"].solution.fillna(0.0).to_numpy()).round()
    if anticipative:
        choice = np.where(sol.sum(axis=1) > 0, sol.argmax(axis=1), G)
    else:
        g = int(sol.argmax()) if sol.sum() > 0 else G
        choice = np.full(S, g)
    return value, choice.astype(int)


def second_stage_values(p: WaitingProblem, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """NPV of every scenario ``lo:hi`` under every first-stage decision, (S, G + 1).

    One LP: a block per (scenario, decision), each with its capacities; the
    first-stage money is added afterwards.
    """
    import xarray as xr

    hi = p.demand.shape[0] if hi is None else hi
    S, T = hi - lo, p.demand.shape[1]
    G = p.n_starts
    sub = WaitingProblem(
        p.starts,
        p.labels,
        np.ones(S),
        p.demand[lo:hi],
        p.inhouse_cap,
        p.contract_cap,
        p.margin_in[lo:hi],
        p.margin_c[lo:hi],
        p.penalty[lo:hi],
        p.weights[lo:hi],
        p.first_stage[lo:hi],
    )
    # replicate each scenario once per decision: block b = s * (G + 1) + g
    B = S * (G + 1)
    rep = WaitingProblem(
        p.starts,
        p.labels,
        np.ones(B),
        np.repeat(sub.demand, G + 1, axis=0),
        p.inhouse_cap,
        p.contract_cap,
        np.repeat(sub.margin_in, G + 1, axis=0),
        np.repeat(sub.margin_c, G + 1, axis=0),
        np.repeat(sub.penalty, G + 1, axis=0),
        np.repeat(sub.weights, G + 1, axis=0),
        np.zeros((B, G)),
    )
    blocks = pd.RangeIndex(B, name="s")
    month = pd.RangeIndex(T, name="t")
    g_of = np.tile(np.arange(G + 1), S)
    cin = np.vstack([p.inhouse_cap, np.zeros((1, T))])[g_of]
    m = linopy.Model()
    second = _second_stage(
        rep,
        m,
        blocks,
        xr.DataArray(cin, coords=[blocks, month]),
        xr.DataArray(p.contract_cap[g_of], coords=[blocks, month]),
    )
    m.add_objective(second, sense="max")
    _solve(m)
    x = m.variables["x"].solution.to_numpy()
    y = m.variables["y"].solution.to_numpy()
    lost = m.variables["lost"].solution.to_numpy()
    w = rep.weights
    q = (w * (rep.margin_in * x + rep.margin_c * y - rep.penalty * lost)).sum(axis=1)
    q = q.reshape(S, G + 1)
    q[:, :G] += sub.first_stage
    return q


def _batch_values(start: int, stop: int, seed: int, *, problem: WaitingProblem) -> np.ndarray:
    del seed
    return second_stage_values(problem, start, stop)


@dataclass
class WaitingResult:
    """Values of the two-stage programme (expected NPVs in money)."""

    rp: float
    ws: float
    eev: float
    ev_start: int
    rp_start: int
    ws_late: float
    scenarios: int
    method: str


def solve_waiting(
    p: WaitingProblem,
    client: Any | None = None,
    batch: int = 50,
    extensive_limit: int = EXTENSIVE_LIMIT,
) -> WaitingResult:
    """RP, WS, EEV and the value of deciding a year later for ``p``.

    Up to ``extensive_limit`` scenarios: the extensive form, one MILP each
    (in this process). Above it: enumeration of the first stage over batches
    of ``batch`` scenarios, one LP each, run on ``client``'s Dask workers when
    a client is given (here otherwise); the batches are fixed before they are
    sent and put back in order, so the result does not depend on the workers.
    """
    S = p.demand.shape[0]
    G = p.n_starts
    late = p.starts >= p.starts.min() + 12 if G else np.zeros(0, dtype=bool)
    mean = WaitingProblem(
        p.starts,
        p.labels,
        np.ones(1),
        (p.probability @ p.demand)[None, :],
        p.inhouse_cap,
        p.contract_cap,
        (p.probability @ p.margin_in)[None, :],
        (p.probability @ p.margin_c)[None, :],
        (p.probability @ p.penalty)[None, :],
        (p.probability @ p.weights)[None, :],
        (p.probability @ p.first_stage)[None, :],
    )
    if extensive_limit >= S:  # few enough scenarios for the extensive form
        rp, rp_choice = extensive_form(p)
        ws, _ = extensive_form(p, anticipative=True)
        _, ev_choice = extensive_form(mean)
        eev, _ = extensive_form(p, fixed=int(ev_choice[0]))
        ws_late, _ = extensive_form(p, anticipative=True, allowed=late)
        return WaitingResult(
            rp, ws, eev, int(ev_choice[0]), int(rp_choice[0]), ws_late, S, "extensive form"
        )
    fn = functools.partial(_batch_values, problem=p)
    q = np.vstack(map_chunks(fn, S, batch, 0, client=client))
    expected = p.probability @ q
    rp_start = int(np.argmax(expected))
    ev_start = int(np.argmax(second_stage_values(mean)[0]))
    keep_late = np.append(late, True)
    return WaitingResult(
        float(expected[rp_start]),
        float(p.probability @ q.max(axis=1)),
        float(expected[ev_start]),
        ev_start,
        rp_start,
        float(p.probability @ q[:, keep_late].max(axis=1)),
        S,
        f"enumeration of the first stage, batches of {batch} scenarios",
    )


def waiting_problem(
    model: Any, comparison: Comparison, scenarios: int, seed: int
) -> tuple[WaitingProblem, str]:
    """Build the programme for the best insourcing option of ``comparison``.

    Scenarios are joint Latin-hypercube samples of every uncertain input
    (``seed``), equally likely.
    """
    from insource.risk._evaluate import _capex_factor, discount
    from insource.risk._sampling import sample

    summary = comparison.summary
    ins = summary[
        (summary.get("policy") == "insource") & summary["status"].isin(["optimal", "feasible"])
    ]
    if ins.empty:
        raise InsourceError(
            "the value of waiting needs an insourcing option",
            "add an option with policy insource to options.csv",
        )
    option = str(ins.sort_values("npv", ascending=False)["option"].iloc[0])
    pol = model.policies[model.options.index(option)]
    d = comparison.results[option].data
    assert d is not None
    started = [k for k in range(len(pol.capex_start)) if not np.isnan(pol.capex_spend[k])]
    if not started:
        raise InsourceError(f"option {option!r} starts no new in-house production")
    k = started[0]
    line = list(d.hours.indexes["line"])[pol.cap_line[k]]
    product = pol.products[pol.cap_product[k]]
    T = pol.n_months
    t = np.arange(T)
    s0 = int(pol.capex_start[k])
    lead = s0 - float(pol.capex_spend[k])
    starts = np.arange(s0, T, 12)
    G = len(starts)
    li = int(pol.cap_line[k])
    umax = np.asarray(d.umax.sel(line=line, product=product).to_numpy(), dtype=float)
    gap = np.asarray(d.ramp_gap.sel(line=line, product=product).to_numpy(), dtype=float)
    speed = np.where(pol.speed[k] > 0, pol.speed[k], 1.0)
    hours = np.maximum(pol.hours[li] - pol.other_hours[li].base, 0.0) * speed
    cap_in = np.zeros((G, T))
    for g, s in enumerate(starts):
        rel = t - s
        frac = np.where(rel >= 0, 1.0, 0.0)
        inside = (rel >= 0) & (rel < len(gap))
        frac[inside] -= gap[rel[inside]]
        cap_in[g] = np.minimum(umax * frac, hours)
    markets = [i for i, (p, _) in enumerate(pol.markets) if p == product]
    croutes = [r for r in pol.routes if r.kind == "contract" and r.market in markets]
    iroutes = [r for r in pol.routes if r.kind == "inhouse" and r.unit == k]
    exit_c = [c for c in {r.unit for r in croutes} if pol.exit_month[c] >= 0]
    capped = np.flatnonzero(pol.share_cap[pol.cap_product[k]] < 1)
    if len(capped):
        dual = int(capped[0] - s0)
    elif exit_c:
        dual = int(pol.exit_month[exit_c[0]] - s0)
    else:
        dual = T
    # shifts: what the option's plan pays against the baseline's on the line, moved with the start
    base_pol = model.policies[model.options.index(model.baseline)]
    shift_delta = pol.shift_money[li].base - base_pol.shift_money[li].base
    k0 = np.zeros(T)
    for c in sorted({r.unit for r in croutes}):
        window = (pol.active[c] > 0) | ((t >= pol.exit_month[c]) & (pol.exit_month[c] >= 0))
        k0 += np.where(window, pol.ccap[c].base, 0.0)
    k0 = np.minimum(k0, 1e12)
    share_after = float(pol.share_cap[pol.cap_product[k], -1])
    cap_c = np.vstack(
        [np.where((t < s + dual) | (share_after > 0), k0, 0.0) for s in starts] + [k0]
    )

    x = sample(model.marginals, scenarios, "lhs", seed + 1, model.correlation).values
    dx = x - model.x0[None, :]
    rows = np.full(scenarios, pol.base_scenario)
    if model.scenario_column is not None:
        rows = np.where(
            x[:, model.scenario_column] < 0, pol.base_scenario, x[:, model.scenario_column]
        ).astype(int)
        dx[:, model.scenario_column] = 0.0
    demand = np.zeros((scenarios, T))
    price = np.zeros((scenarios, T))
    mat = np.zeros((scenarios, T))
    pen = np.zeros((scenarios, T))
    for i in markets:
        demand += pol.demand[rows, i] * pol.scale[i].at(dx).reshape(-1, 1)
    i0 = markets[0]
    price += pol.price[i0].at(dx)
    mat += pol.material[i0].at(dx) + pol.battery[i0].at(dx)
    pen += pol.penalty[i0].at(dx)
    m_in = price - mat - (iroutes[0].cost.at(dx) if iroutes else 0.0)
    if croutes:
        r = croutes[0]
        unit = pol.price_c[r.unit].at(dx) * (1.0 - pol.jv_share[r.unit]) + r.cost.at(dx)
        if r.consign:
            unit = unit + r.consign * mat
        m_c = price - unit
    else:
        m_c = np.full((scenarios, T), -1e12)
    rate = pol.discount_rate.at(dx).reshape(-1, 1)
    tax = pol.tax_rate.at(dx).reshape(-1, 1)
    df = np.broadcast_to(discount(T, rate), (scenarios, T))
    weights = df * (1.0 - tax)
    first = np.zeros((scenarios, G))
    fixed = np.broadcast_to(pol.fixed[k].at(dx), (scenarios, T))
    capex = pol.capex[k].at(dx).reshape(-1)
    years = pol.dep_years[k].at(dx).reshape(-1)
    exit_cost = sum(pol.exit_cost[c].at(dx).reshape(-1) for c in exit_c) if exit_c else 0.0
    for g, s in enumerate(starts):
        f = _capex_factor(T, float(s - lead), float(s), years, rate, tax, df)
        moved = np.zeros(T)
        moved[s:] = shift_delta[s0 : s0 + T - s]
        first[:, g] = capex * f - (weights * (fixed * (t >= s) - moved)).sum(axis=1)
        if exit_c and s + dual < T:
            first[:, g] -= exit_cost * weights[:, int(s + dual)]
    labels = [str(d.periods[int(s)]) for s in starts]
    return (
        WaitingProblem(
            starts,
            labels,
            np.full(scenarios, 1.0 / scenarios),
            demand,
            cap_in,
            cap_c,
            np.broadcast_to(m_in, (scenarios, T)).copy(),
            np.broadcast_to(m_c, (scenarios, T)).copy(),
            np.broadcast_to(pen, (scenarios, T)).copy(),
            weights.copy(),
            first,
        ),
        option,
    )


def value_of_waiting(
    model: Any,
    comparison: Comparison,
    scenarios: int = 100,
    seed: int = 0,
    client: Any | None = None,
    extensive_limit: int = EXTENSIVE_LIMIT,
) -> pd.DataFrame:
    """EVPI, VSS and the value of deciding one year later, as a tidy table.

    ``client`` (a Dask client) runs the scenario batches of the enumeration
    (more than ``extensive_limit`` scenarios) on its workers; see
    :func:`solve_waiting`.

    Returns
    -------
    DataFrame
        ``metric, value, unit, note``.

    """
    p, option = waiting_problem(model, comparison, scenarios, seed)
    r = solve_waiting(p, client=client, extensive_limit=extensive_limit)
    cur = str(model.case.finance["currency"])

    def start(g: int) -> str:
        return "no start (keep the contract)" if g >= p.n_starts else f"start in {p.labels[g]}"

    rows = [
        ("scenarios", float(r.scenarios), "count", f"{r.method}; option {option}"),
        ("rp", r.rp, cur, f"expected NPV deciding now (SAA): {start(r.rp_start)}"),
        ("ws", r.ws, cur, "expected NPV with perfect information (wait and see)"),
        ("eev", r.eev, cur, f"expected NPV of the mean-scenario decision: {start(r.ev_start)}"),
        ("evpi", r.ws - r.rp, cur, "expected value of perfect information, WS - RP"),
        ("vss", r.rp - r.eev, cur, "value of the stochastic solution, RP - EEV"),
        (
            "decide_later",
            r.ws_late,
            cur,
            "expected NPV deciding a year later, knowing the scenario",
        ),
        (
            "value_of_waiting",
            r.ws_late - r.rp,
            cur,
            "deciding a year later minus deciding now (> 0: wait)",
        ),
    ]
    out = pd.DataFrame(rows, columns=["metric", "value", "unit", "note"])
    out.attrs.update(name="value of waiting", unit=cur, option=option)
    return out
