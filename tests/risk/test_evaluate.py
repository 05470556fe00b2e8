"""The evaluator against the planner, by hand, chunk by chunk, fused kernel against reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insource.case import Case
from insource.finance import discount_factors
from insource.plan import Comparison
from insource.risk import evaluate, risk_model
from insource.risk._evaluate import discount
from insource.risk._policy import Affine, Policy, Route


@pytest.mark.parametrize("engine", ["fused", "numpy"])
@pytest.mark.parametrize("which", ["tiny_plans", "builtin_plans"])
def test_evaluator_at_the_case_values_is_the_planners_npv(
    which: str, engine: str, request: pytest.FixtureRequest
) -> None:
    case, cmp = request.getfixturevalue(which)
    model = risk_model(case, cmp)
    got = evaluate(
        model.policies, model.x0[None, :], model.x0, model.scenario_column, engine=engine
    )
    for name, value in zip(model.options, got[0], strict=True):
        want = cmp.results[name].npv
        assert value == pytest.approx(want, rel=1e-6), name


def test_per_sample_discounting_is_the_finance_function() -> None:
    rates = np.array([[0.0], [0.05], [0.1]])
    got = discount(24, rates)
    for row, r in zip(got, rates[:, 0], strict=True):
        assert np.array_equal(row, discount_factors(24, float(r)))


def _scenario_row(model: object, name: str) -> float:
    case = model.case  # type: ignore[attr-defined]
    ids = list(case.tables["scenarios"]["id"])
    return float(ids.index(name))


def test_less_demand_cuts_the_contract_volume_by_hand(tiny_plans: tuple[Case, Comparison]) -> None:
    case, cmp = tiny_plans
    model = risk_model(case, cmp)
    x = model.x0.copy()
    assert model.scenario_column is not None
    x[model.scenario_column] = _scenario_row(model, "low")  # 50 a month instead of the planned 75
    npv = model.npv(x[None, :], ["buy"])[0, 0]
    # buying: each unit earns the net revenue 1000 less the price 800 and freight 10
    # (no tax); 25 fewer units in each of the 24 months, discounted mid-month at 10%
    w = discount_factors(24, 0.1)
    want = cmp.results["buy"].npv + (1000 - 800 - 10) * (-25.0) * w.sum()
    assert npv == pytest.approx(want, rel=1e-12)


def test_contract_price_moves_the_npv_by_the_discounted_units_bought(
    tiny_plans: tuple[Case, Comparison],
) -> None:
    case, cmp = tiny_plans
    model = risk_model(case, cmp)
    k = [m.id for m in model.marginals].index("price")
    x = np.tile(model.x0, (2, 1))
    x[1, k] += 10.0
    npv = model.npv(x, ["buy"])[:, 0]
    bought = 75.0 * discount_factors(24, 0.1).sum()  # the plan buys the expected 75 a month
    assert npv[1] - npv[0] == pytest.approx(-10.0 * bought, rel=1e-9)


@pytest.mark.parametrize("engine", ["fused", "numpy"])
def test_more_demand_than_the_line_can_make_is_bought_then_lost(
    tiny_plans: tuple[Case, Comparison], engine: str
) -> None:
    case, cmp = tiny_plans
    model = risk_model(case, cmp)
    pol = model.policies[model.options.index("make")]
    # after the dual months the contract may take no share: extra demand is lost
    x0 = model.x0[None, :]
    big = pol.demand.copy()
    scale = 30.0  # 2250 a month: more than the line's 400 (2026) or 800 (2027) units
    base = evaluate([pol], x0, model.x0, engine=engine)[0, 0]
    pol.demand = big * scale
    try:
        more = evaluate([pol], x0, model.x0, engine=engine)[0, 0]
    finally:
        pol.demand = big
    assert more > base  # the extra units the line can make still earn their margin
    assert np.isfinite(more)


def test_blocks_do_not_change_the_answer(builtin_plans: tuple[Case, Comparison]) -> None:
    case, cmp = builtin_plans
    model = risk_model(case, cmp)
    from insource.risk import sample

    x = sample(model.marginals, 500, "lhs", 3, model.correlation).values
    a = evaluate(model.policies, x, model.x0, model.scenario_column, block=37)
    b = evaluate(model.policies, x, model.x0, model.scenario_column, block=500)
    assert np.array_equal(a, b)
    again = evaluate(model.policies, x, model.x0, model.scenario_column, block=37)
    assert np.array_equal(a, again)  # no state is left behind between calls
    # each sample's NPV is its own, bit for bit, whatever else is evaluated with it
    # (the kernel's groups of samples are padded, never mixed)
    for rows in ([0], [499, 3, 250], list(range(13, 30))):
        alone = evaluate(model.policies, x[rows], model.x0, model.scenario_column)
        assert np.array_equal(alone, a[rows])


def test_threads_do_not_change_the_answer(builtin_plans: tuple[Case, Comparison]) -> None:
    import threading

    case, cmp = builtin_plans
    model = risk_model(case, cmp)
    from insource.risk import sample

    x = sample(model.marginals, 700, "lhs", 5, model.correlation).values
    before = threading.active_count()
    one = evaluate(model.policies, x, model.x0, model.scenario_column, block=64, threads=1)
    for k in (2, 3, 16):  # 11 blocks over 2, 3 and (capped) 11 threads
        many = evaluate(model.policies, x, model.x0, model.scenario_column, block=64, threads=k)
        assert np.array_equal(one, many)
    assert threading.active_count() == before  # the pool is shut down
    # each row is its own sample's NPV, wherever its block ran
    alone = evaluate(model.policies, x[[0, 650]], model.x0, model.scenario_column, threads=2)
    assert np.array_equal(alone, one[[0, 650]])
    # the NumPy reference path is thread-safe too (the same for 1 and 2 threads)
    ref1 = evaluate(model.policies, x, model.x0, model.scenario_column, 64, 1, "numpy")
    ref2 = evaluate(model.policies, x, model.x0, model.scenario_column, 64, 2, "numpy")
    assert np.array_equal(ref1, ref2)


def _close(got: np.ndarray, want: np.ndarray, scale: np.ndarray, rel: float) -> None:
    """``got`` equals ``want`` to ``rel`` of the larger of |want| and the option's ``scale``.

    NPVs are sums of monthly flows much larger than some of the NPVs (a
    difference of revenues and costs can be near zero): rounding is relative
    to the size of the flows, not of their sum.
    """
    assert np.all(np.isfinite(got))
    bound = rel * np.maximum(np.abs(want), scale[None, :])
    assert np.all(np.abs(got - want) <= bound), np.max(np.abs(got - want) / bound)


def test_fused_kernel_agrees_with_the_numpy_reference_on_the_builtin_case(
    builtin_plans: tuple[Case, Comparison],
) -> None:
    case, cmp = builtin_plans
    model = risk_model(case, cmp)
    from insource.risk import sample

    x = sample(model.marginals, 3000, "mc", 11, model.correlation).values
    want = evaluate(model.policies, x, model.x0, model.scenario_column, engine="numpy")
    got = evaluate(model.policies, x, model.x0, model.scenario_column)
    _close(got, want, np.median(np.abs(want), axis=0), 1e-12)
    assert not np.array_equal(got[:, 1], got[:, 0])  # the options differ (a real check)


# ---- random policies: the fused kernel against the NumPy reference ------------------


def _affine(rng: np.random.Generator, base: np.ndarray, d: int, p_slope: float) -> Affine:
    """``base`` with slopes on some of the ``d`` inputs (monthly or scalar, like the base)."""
    a = Affine(np.asarray(base, dtype=float))
    finite = np.abs(a.base[np.isfinite(a.base)])
    size = finite.mean() if finite.size else 1.0  # an unlimited capacity stays unlimited
    for k in range(d):
        if rng.random() < p_slope:
            a.add(k, rng.normal(0.0, 1.0, np.shape(base)) * size * 0.5 + 1.0)
    return a


def _random_policy(rng: np.random.Generator, T: int, d: int) -> Policy:
    """A structurally valid policy drawn at random: markets, own lines, contracts, caps.

    Products 1-2 in 1-2 regions, 0-3 own capabilities on 1-2 lines, 0-3
    contracts (some with unlimited capacity, exits, take-or-pay minimums),
    contract share caps, scenario rows, and slopes on any attribute.
    """
    P = int(rng.integers(1, 3))
    R = int(rng.integers(1, 3))
    markets = [(f"p{p}", f"r{r}") for p in range(P) for r in range(R)]
    M = len(markets)
    mprod = np.array([p for p in range(P) for _ in range(R)])
    S = int(rng.integers(1, 4))
    windows = []
    for _ in range(M):
        lo = int(rng.integers(0, T))
        windows.append((lo, int(rng.integers(lo + 1, T + 1))))
    inside = np.zeros((M, T), dtype=bool)
    for i, (lo, hi) in enumerate(windows):
        inside[i, lo:hi] = True
    demand = rng.uniform(0, 100, (S + 1, M, T)) * inside
    d0 = demand[-1] * rng.uniform(0.8, 1.2)
    lost0 = d0 * rng.uniform(0, 0.3, (M, T)) * (rng.random((M, T)) < 0.5)
    L = int(rng.integers(1, 3))
    K = int(rng.integers(0, 4))
    caps = [(int(rng.integers(0, L)), int(rng.integers(0, P))) for _ in range(K)]
    C = int(rng.integers(0, 4))
    cprod = [int(rng.integers(0, P)) for _ in range(C)]
    month = np.arange(T)
    window = (rng.random((C, T)) < 0.9).astype(float)
    exit_month = np.array([int(rng.integers(0, T)) if rng.random() < 0.4 else -1 for _ in range(C)])
    active = window * np.where(
        (exit_month[:, None] >= 0) & (month >= exit_month[:, None]), 0.0, 1.0
    )
    routes: list[Route] = []
    for i in range(M):
        free = d0[i] - lost0[i]
        own = [k for k, (_, p) in enumerate(caps) if p == mprod[i]]
        con = [c for c in range(C) if cprod[c] == mprod[i]]
        for k in own:
            v0 = free * rng.uniform(0, 0.6) * (rng.random() < 0.8)
            routes.append(Route("inhouse", i, k, v0, _affine(rng, rng.uniform(5, 20, T), d, 0.3)))
        for c in con:
            v0 = free * rng.uniform(0, 0.6) * active[c] * (rng.random() < 0.8)
            routes.append(
                Route(
                    "contract",
                    i,
                    c,
                    v0,
                    _affine(rng, rng.uniform(1, 5, T), d, 0.3),
                    consign=float(rng.random() < 0.3),
                )
            )
    market_routes = [[j for j, r in enumerate(routes) if r.market == i] for i in range(M)]
    monthly = lambda lo, hi, p=0.3: _affine(rng, rng.uniform(lo, hi, T), d, p)  # noqa: E731
    scalar = lambda v, p=0.3: _affine(rng, np.array(float(v)), d, p)  # noqa: E731
    n_fy = (T + 11) // 12
    fy = month // 12
    fy_matrix = (fy[:, None] == np.arange(n_fy)[None, :]).astype(float)
    ccap_base = [
        np.full(T, np.inf) if rng.random() < 0.3 else rng.uniform(0, 80, T) for _ in range(C)
    ]
    share = np.where(rng.random((P, T)) < 0.3, rng.uniform(0, 1, (P, T)), 1.0)
    speed = rng.uniform(0.5, 2, (K, T)) * (rng.random((K, T)) < 0.9)
    capex_spend = np.array(
        [float(rng.integers(-6, T)) if rng.random() < 0.7 else np.nan for _ in range(K)]
    )
    return Policy(
        option="random",
        policy="insource",
        n_months=T,
        markets=markets,
        product_of_market=mprod,
        products=[f"p{p}" for p in range(P)],
        demand=demand,
        scale=[scalar(rng.uniform(0.5, 1.5)) for _ in range(M)],
        d0=d0,
        lost0=lost0,
        price=[monthly(100, 200) for _ in range(M)],
        penalty=[monthly(0, 20) for _ in range(M)],
        material=[monthly(30, 60) for _ in range(M)],
        battery=[monthly(10, 30) for _ in range(M)],
        routes=routes,
        market_routes=market_routes,
        windows=windows,
        cap_line=np.array([c[0] for c in caps], dtype=int),
        cap_product=np.array([c[1] for c in caps], dtype=int),
        ramp_cap=rng.uniform(0, 120, (K, T)),
        speed=speed,
        producing=(rng.random((K, T)) < 0.8).astype(float),
        fixed=[monthly(50, 150) for _ in range(K)],
        capex=[scalar(rng.uniform(1e3, 1e4)) for _ in range(K)],
        capex_spend=capex_spend,
        capex_start=np.nan_to_num(capex_spend) + rng.integers(0, 6, K),
        dep_years=[scalar(rng.integers(1, 6)) for _ in range(K)],
        hours=rng.uniform(0, 150, (L, T)),
        other_hours=[monthly(0, 50) for _ in range(L)],
        shift_money=[monthly(-20, 20) for _ in range(L)],
        active=active,
        ccap=[_affine(rng, b, d, 0.3) for b in ccap_base],
        cmin=[monthly(0, 40) if rng.random() < 0.5 else Affine(np.zeros(T)) for _ in range(C)],
        price_c=[monthly(60, 120) for _ in range(C)],
        jv_share=rng.uniform(0, 0.5, C) * (rng.random(C) < 0.5),
        top_margin=rng.uniform(0, 0.3, C),
        exit_month=exit_month,
        exit_cost=[scalar(rng.uniform(0, 500)) for _ in range(C)],
        share_cap=share,
        fy_matrix=fy_matrix,
        fy_mean=fy_matrix / fy_matrix.sum(axis=0, keepdims=True),
        top_pay=np.minimum(np.arange(n_fy) * 12 + 11, T - 1),
        constant=rng.normal(0, 10, T) * (rng.random(T) < 0.2),
        discount_rate=scalar(0.08, 0.5),
        tax_rate=scalar(0.3, 0.5),
        base_scenario=S if rng.random() < 0.7 else int(rng.integers(0, S)),
        scenario_probs=np.full(S, 1.0 / S),
        planned_npv=0.0,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    months=st.integers(1, 40),
    inputs=st.integers(1, 4),
    samples=st.integers(1, 40),
    block=st.integers(1, 50),
)
def test_fused_kernel_agrees_with_the_numpy_reference_on_random_policies(
    seed: int, months: int, inputs: int, samples: int, block: int
) -> None:
    rng = np.random.default_rng(seed)
    pols = [_random_policy(rng, months, inputs) for _ in range(2)]
    S = pols[0].demand.shape[0] - 1
    # inputs near the case's values (small rate and tax moves), then a scenario column
    x0 = np.append(rng.uniform(0.5, 2.0, inputs), -1.0)
    x = x0 + np.append(rng.uniform(-0.05, 0.05, (samples, inputs)), np.zeros((samples, 1)), 1)
    x[:, -1] = rng.integers(-1, S, samples)
    pols[1].demand = pols[1].demand[: pols[0].demand.shape[0]]  # one scenario table
    pols[1].demand = np.concatenate(
        [pols[1].demand, np.zeros((S + 1 - pols[1].demand.shape[0], *pols[1].demand.shape[1:]))]
    )
    pols[1].base_scenario = min(pols[1].base_scenario, S)
    want = evaluate(pols, x, x0, inputs, engine="numpy")
    got = evaluate(pols, x, x0, inputs, block=block, threads=2)
    flows = np.array([np.abs(p.d0).sum() * 200 + 1e4 for p in pols])
    _close(got, want, flows, 1e-12)
    # any grouping of the samples gives the same bits
    assert np.array_equal(got, evaluate(pols, x, x0, inputs, block=7, threads=1))


def test_unknown_engine_and_missing_scenario_are_clear_errors(
    tiny_plans: tuple[Case, Comparison],
) -> None:
    from insource.errors import InsourceError

    case, cmp = tiny_plans
    model = risk_model(case, cmp)
    x = model.x0[None, :]
    with pytest.raises(InsourceError, match="unknown evaluation engine"):
        evaluate(model.policies, x, model.x0, engine="gpu")
    x = np.column_stack([x, [model.policies[0].demand.shape[0]]])  # one past the last
    with pytest.raises(InsourceError, match="does not exist"):
        evaluate(model.policies, x, np.append(model.x0, 0.0), scenario_column=x.shape[1] - 1)
