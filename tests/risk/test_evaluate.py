"""The vectorised evaluator against the planner, by hand, and chunk by chunk."""

from __future__ import annotations

import numpy as np
import pytest

from insource.case import Case
from insource.finance import discount_factors
from insource.plan import Comparison
from insource.risk import evaluate, risk_model
from insource.risk._evaluate import discount


@pytest.mark.parametrize("which", ["tiny_plans", "builtin_plans"])
def test_evaluator_at_the_case_values_is_the_planners_npv(
    which: str, request: pytest.FixtureRequest
) -> None:
    case, cmp = request.getfixturevalue(which)
    model = risk_model(case, cmp)
    got = model.npv(model.x0[None, :])[0]
    for name, value in zip(model.options, got, strict=True):
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


def test_more_demand_than_the_line_can_make_is_bought_then_lost(
    tiny_plans: tuple[Case, Comparison],
) -> None:
    case, cmp = tiny_plans
    model = risk_model(case, cmp)
    pol = model.policies[model.options.index("make")]
    # after the dual months the contract may take no share: extra demand is lost
    dx = np.zeros((1, len(model.x0)))
    big = pol.demand.copy()
    scale = 30.0  # 2250 a month: more than the line's 400 (2026) or 800 (2027) units
    from insource.risk import evaluate_policy

    base = evaluate_policy(pol, dx)[0]
    pol.demand = big * scale
    try:
        more = evaluate_policy(pol, dx)[0]
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
    # each row is its own sample's NPV, wherever its block ran (to rounding: a block
    # of other samples may sum in another order)
    alone = evaluate(model.policies, x[[0, 650]], model.x0, model.scenario_column, threads=2)
    assert np.allclose(alone, one[[0, 650]], rtol=1e-12, atol=0)
