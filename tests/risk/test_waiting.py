"""The two-stage programme against enumeration by hand on a small problem."""

from __future__ import annotations

import numpy as np
import pytest

from insource.case import Case
from insource.plan import Comparison
from insource.risk import (
    WaitingProblem,
    extensive_form,
    risk_model,
    solve_waiting,
    value_of_waiting,
)
from insource.risk._waiting import second_stage_values


def _problem() -> WaitingProblem:
    # 3 months, starts in month 0 or 2 (or none), three scenarios
    T = 3
    demand = np.array([[10.0, 10.0, 10.0], [2.0, 2.0, 2.0], [6.0, 0.0, 12.0]])
    S = len(demand)
    return WaitingProblem(
        starts=np.array([0, 2]),
        labels=["m0", "m2"],
        probability=np.array([0.5, 0.3, 0.2]),
        demand=demand,
        inhouse_cap=np.array([[8.0, 8.0, 8.0], [0.0, 0.0, 8.0]]),
        # the contract stops once in-house production starts; 5 a month otherwise
        contract_cap=np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [5.0, 5.0, 5.0]]),
        margin_in=np.full((S, T), 3.0),
        margin_c=np.full((S, T), 1.0),
        penalty=np.full((S, T), 0.5),
        weights=np.tile([1.0, 0.9, 0.8], (S, 1)),
        first_stage=np.array([[-40.0, -15.0], [-40.0, -15.0], [-40.0, -15.0]]),
    )


def _by_hand(p: WaitingProblem) -> np.ndarray:
    """Scenario value of each decision: in-house first (it earns more), then contract, then lost."""
    S, T = p.demand.shape
    out = np.zeros((S, p.n_starts + 1))
    for s in range(S):
        for g in range(p.n_starts + 1):
            cap_in = p.inhouse_cap[g] if g < p.n_starts else np.zeros(T)
            x = np.minimum(p.demand[s], cap_in)
            y = np.minimum(p.demand[s] - x, p.contract_cap[g])
            lost = p.demand[s] - x - y
            value = np.sum(
                p.weights[s] * (p.margin_in[s] * x + p.margin_c[s] * y - p.penalty[s] * lost)
            )
            out[s, g] = value + (p.first_stage[s, g] if g < p.n_starts else 0.0)
    return out


def test_rp_ws_eev_match_enumeration() -> None:
    p = _problem()
    q = _by_hand(p)
    expected = p.probability @ q
    rp = expected.max()
    ws = p.probability @ q.max(axis=1)
    mean_demand = p.probability @ p.demand
    mean = WaitingProblem(
        p.starts,
        p.labels,
        np.ones(1),
        mean_demand[None, :],
        p.inhouse_cap,
        p.contract_cap,
        p.margin_in[:1],
        p.margin_c[:1],
        p.penalty[:1],
        p.weights[:1],
        p.first_stage[:1],
    )
    ev_choice = int(np.argmax(_by_hand(mean)[0]))
    eev = expected[ev_choice]
    r = solve_waiting(p)
    assert r.rp == pytest.approx(rp, abs=1e-6)
    assert r.ws == pytest.approx(ws, abs=1e-6)
    assert r.eev == pytest.approx(eev, abs=1e-6)
    assert r.ws - r.rp == pytest.approx(ws - rp, abs=1e-6)  # EVPI
    assert r.rp - r.eev == pytest.approx(rp - eev, abs=1e-6)  # VSS
    assert r.ws - r.rp > 0  # perfect information is worth something here
    assert r.rp - r.eev > 0  # the mean scenario says start now; the programme says keep buying
    # deciding a year later allows no start here (all starts are within 12 months): only "none"
    assert r.ws_late == pytest.approx(p.probability @ q[:, -1], abs=1e-6)


def test_batched_enumeration_matches_the_extensive_form() -> None:
    p = _problem()
    q = second_stage_values(p)
    assert np.allclose(q, _by_hand(p), atol=1e-6)
    value, choice = extensive_form(p, anticipative=True)
    assert value == pytest.approx(p.probability @ q.max(axis=1), abs=1e-6)
    assert list(choice) == list(q.argmax(axis=1))


def test_value_of_waiting_on_the_tiny_case(tiny_plans: tuple[Case, Comparison]) -> None:
    case, cmp = tiny_plans
    model = risk_model(case, cmp)
    table = value_of_waiting(model, cmp, scenarios=12, seed=0).set_index("metric")["value"]
    assert table["evpi"] >= -1e-6  # WS >= RP always
    assert table["vss"] >= -1e-6  # RP >= EEV always
    assert table["evpi"] == pytest.approx(table["ws"] - table["rp"])
    assert table["value_of_waiting"] == pytest.approx(table["decide_later"] - table["rp"])
    assert table["decide_later"] <= table["ws"] + 1e-6  # fewer starts to choose from


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_scenario_batches_on_one_and_two_dask_workers_give_identical_results() -> None:
    from insource.risk._cluster import dask_client

    base = _problem()
    k = 3  # the three scenarios three times over: 9 scenarios, batches of 2 (5 batches)
    p = WaitingProblem(
        base.starts,
        base.labels,
        np.tile(base.probability, k) / k,
        np.tile(base.demand, (k, 1)),
        base.inhouse_cap,
        base.contract_cap,
        np.tile(base.margin_in, (k, 1)),
        np.tile(base.margin_c, (k, 1)),
        np.tile(base.penalty, (k, 1)),
        np.tile(base.weights, (k, 1)),
        np.tile(base.first_stage, (k, 1)),
    )
    here = solve_waiting(p, batch=2, extensive_limit=0)
    assert here.method.startswith("enumeration")
    with dask_client(workers=1, processes=False) as client:
        one = solve_waiting(p, client=client, batch=2, extensive_limit=0)
        client.cluster.scale(2)
        client.wait_for_workers(2, timeout=60)
        two = solve_waiting(p, client=client, batch=2, extensive_limit=0)
    assert one == here
    assert two == here
    # and the batches give the extensive form's numbers (the same expectation as 3 scenarios)
    ext = solve_waiting(base)
    assert ext.method == "extensive form"
    for field in ("rp", "ws", "eev", "ws_late"):
        assert getattr(here, field) == pytest.approx(getattr(ext, field), abs=1e-6)
    assert (here.rp_start, here.ev_start) == (ext.rp_start, ext.ev_start)
