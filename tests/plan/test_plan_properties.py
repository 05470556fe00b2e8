"""Properties every plan must have, on small random variants of the hand case."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from insource.plan import InfeasiblePlan, PlanSettings, plan

RNG_SEEDS = [1, 2, 3]


def _caps(capex, ramp="0.5;1", lead=1, conversion=80):
    return (
        "line,product,status,tooling_capex,tooling_lead_months,ramp_up,conversion_cost,fixed_cost\n"
        f"lo,car,new,{capex},{lead},{ramp},{conversion},1200\n"
    )


def _fin(rate, tax):
    return (
        f"parameter,value\ncurrency,EUR\ndiscount_rate,{rate}\ntax_rate,{tax}\n"
        "depreciation_years,3\nfiscal_year_start,4\nstart,2026-01\nend,2027-12\n"
    )


def _contract(price, cap="", minimum=0):
    return (
        "id,product,partner,site,unit_price,includes_material,capacity,min_volume,notice_months,exit_cost\n"
        f"c1,car,maker,plant-p,{price},true,{cap},{minimum},2,3000\n"
    )


def _lines(rate, shift_cost=6000):
    return (
        "id,site,rate,hours_per_shift,days_per_year,min_shifts,max_shifts,shift_cost,shift_step_months\n"
        f"lp,plant-p,10,8,240,0,2,0,3\nlo,plant-o,{rate},8,240,0,2,{shift_cost},3\n"
    )


def _inhouse(r):
    return float(r.volumes.query("kind == 'inhouse'")["volume"].sum())


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_higher_contract_price_never_lowers_inhouse_volume(make_case, seed):
    rng = np.random.default_rng(seed)
    capex = float(rng.uniform(5_000, 60_000))
    rate = float(rng.uniform(0.3, 1.0))
    prices = np.sort(rng.uniform(650, 950, size=3))
    vols = []
    for p in prices:
        case = make_case(
            **{
                "capabilities.csv": _caps(capex),
                "contracts.csv": _contract(p),
                "lines.csv": _lines(rate),
                "finance.csv": _fin(0.08, 0.3),
            }
        )
        vols.append(_inhouse(plan(case, "free", duals=False)))
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(vols)), vols


def test_prohibitive_capex_means_no_insourcing(make_case):
    case = make_case(**{"capabilities.csv": _caps(1e12)})
    assert _inhouse(plan(case, "free", duals=False)) == pytest.approx(0.0)


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_more_capacity_never_lowers_npv(make_case, seed):
    rng = np.random.default_rng(seed)
    capex = float(rng.uniform(5_000, 60_000))
    rate = float(rng.uniform(0.2, 0.6))
    npvs = []
    for r in (rate, rate * 1.5):
        case = make_case(
            **{
                "capabilities.csv": _caps(capex),
                "contracts.csv": _contract(900, cap=800),
                "lines.csv": _lines(r),
                "finance.csv": _fin(0.08, 0.3),
            }
        )
        npvs.append(plan(case, "free", duals=False).npv)
    assert npvs[1] >= npvs[0] - 1e-6 * abs(npvs[0])


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_optimiser_objective_equals_evaluated_npv(make_case, seed):
    rng = np.random.default_rng(seed)
    case = make_case(
        **{
            "capabilities.csv": _caps(float(rng.uniform(5_000, 40_000))),
            "contracts.csv": _contract(float(rng.uniform(700, 900)), minimum=600),
            "lines.csv": _lines(float(rng.uniform(0.3, 1.0))),
            "finance.csv": _fin(float(rng.uniform(0.0, 0.15)), float(rng.uniform(0.0, 0.4))),
        }
    )
    for option in ("buy", "make", "free"):
        r = plan(case, option, duals=False)
        assert r.npv == pytest.approx(r.objective, rel=1e-6, abs=1e-6)


def test_capacity_value_is_positive_when_the_line_binds(make_case):
    case = make_case(
        **{"capabilities.csv": _caps(1000, ramp="", lead=0), "lines.csv": _lines(0.25)}
    )
    r = plan(case, "free")
    assert (r.duals["per_hour"] > 0).any()


def test_full_plant_with_lost_sales_forbidden_is_explained(make_case):
    other = "line,model,period,units_per_year,rate_factor\nlo,Old,CY2026,2400,1\n"
    lines = (
        "id,site,rate,hours_per_shift,days_per_year,min_shifts,max_shifts,shift_step_months\n"
        "lp,plant-p,10,8,240,0,2,3\nlo,plant-o,1,8,240,0,1,1\n"
    )
    case = make_case(**{"other_load.csv": other, "lines.csv": lines})
    with pytest.raises(InfeasiblePlan) as info:
        plan(case, "make", PlanSettings(allow_lost_sales=False))
    c = info.value.conflicts
    row = c[c["family"] == "Line-hours"].iloc[0]
    assert row["entity"] == "lo"
    assert (row["first"], row["last"]) == ("2026-01", "2026-12")
    assert row["amount"] == pytest.approx(12 * 40.0)  # 200 h of other load on 160 h


def test_short_contract_without_lost_sales_is_explained(make_case):
    case = make_case(**{"contracts.csv": _contract(800, cap=600)})
    with pytest.raises(InfeasiblePlan) as info:
        plan(case, "buy", PlanSettings(allow_lost_sales=False))
    c = info.value.conflicts
    row = c[c["family"] == "Product-balance"].iloc[0]
    assert row["entity"] == "car / home"
    assert row["amount"] == pytest.approx(600.0)


def test_irreducible_subset_names_the_full_line(make_case):
    other = "line,model,period,units_per_year,rate_factor\nlo,Old,CY2026,2400,1\n"
    lines = (
        "id,site,rate,hours_per_shift,days_per_year,min_shifts,max_shifts,shift_step_months\n"
        "lp,plant-p,10,8,240,0,2,3\nlo,plant-o,1,8,240,0,1,1\n"
    )
    case = make_case(**{"other_load.csv": other, "lines.csv": lines})
    with pytest.raises(InfeasiblePlan) as info:
        plan(case, "make", PlanSettings(allow_lost_sales=False))
    iis = info.value.conflicts.query("source == 'iis'")
    # other load alone (200 h a month) exceeds one shift (160 h): that one row is infeasible
    assert set(iis["family"]) == {"Line-hours"}
    assert set(iis["entity"]) == {"lo"}
    assert any("irreducible infeasible subset" in str(p) for p in info.value.problems)
