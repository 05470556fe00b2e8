"""Plans whose optimum is known in closed form (see tests/plan/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from insource.plan import PlanSettings, plan

# unit margins of the hand case: contract 1000 - 800 - 10, in-house 1000 - 500 - 100 - 80 - 20
M_CON, M_OWN, CAPEX = 190.0, 300.0, 6000.0


def test_status_quo_buys_everything(make_case):
    r = plan(make_case(), "buy", duals=False)
    assert r.status == "optimal"
    assert r.npv == pytest.approx(1200 * M_CON, rel=1e-9)
    assert r.volumes.query("kind == 'inhouse'")["volume"].sum() == pytest.approx(0.0)


def test_insource_from_april(make_case):
    r = plan(make_case(), "make", duals=False)
    assert r.npv == pytest.approx(300 * M_CON + 900 * M_OWN - CAPEX, rel=1e-9)
    inhouse = r.volumes.query("kind == 'inhouse'")
    assert str(inhouse["period"].min()) == "2026-04"


def test_optimiser_insources_at_once(make_case):
    r = plan(make_case(), "free", duals=False)
    assert r.npv == pytest.approx(1200 * M_OWN - CAPEX, rel=1e-9)


def test_optimiser_keeps_contract_when_capex_exceeds_gain(make_case):
    # gain of insourcing all year: 1200 * (300 - 190) = 132,000 < capex
    caps = "line,product,status,tooling_capex,conversion_cost\nlo,car,new,132001,80\n"
    r = plan(make_case(**{"capabilities.csv": caps}), "free", duals=False)
    assert r.npv == pytest.approx(1200 * M_CON, rel=1e-9)


def test_discounting_mid_month(make_case):
    fin = (
        "parameter,value\ncurrency,EUR\ndiscount_rate,0.1\ntax_rate,0\n"
        "depreciation_years,1\nfiscal_year_start,1\nstart,2026-01\nend,2026-12\n"
    )
    r = plan(make_case(**{"finance.csv": fin}), "buy", duals=False)
    t = np.arange(12)
    expected = 100 * M_CON * np.sum(1.1 ** (-(t + 0.5) / 12))
    assert r.npv == pytest.approx(expected, rel=1e-9)


def test_tax_and_depreciation(make_case):
    # tax 30% on EBIT; capex 6000 in January depreciated over 1 year inside the horizon
    fin = (
        "parameter,value\ncurrency,EUR\ndiscount_rate,0\ntax_rate,0.3\n"
        "depreciation_years,1\nfiscal_year_start,1\nstart,2026-01\nend,2026-12\n"
    )
    r = plan(make_case(**{"finance.csv": fin}), "free", duals=False)
    expected = 0.7 * 1200 * M_OWN - CAPEX + 0.3 * CAPEX
    assert r.npv == pytest.approx(expected, rel=1e-9)
    pnl = r.pnl()
    assert pnl["tax"].sum() == pytest.approx(-0.3 * (1200 * M_OWN - CAPEX))


def test_ramp_up_and_lead_time(make_case):
    # lead 2 months: capex decided in January for a start in March at the earliest;
    # ramp 50% then full; line builds at most 160/month, demand 100/month
    caps = (
        "line,product,status,tooling_capex,tooling_lead_months,ramp_up,conversion_cost\n"
        "lo,car,new,6000,2,0.5;1,80\n"
    )
    lines = (
        "id,site,rate,hours_per_shift,days_per_year,min_shifts,max_shifts,shift_step_months\n"
        "lp,plant-p,10,8,240,0,2,3\nlo,plant-o,0.5,8,240,0,1,1\n"
    )
    r = plan(make_case(**{"capabilities.csv": caps, "lines.csv": lines}), "free", duals=False)
    # capacity 80/month: March 40 in-house + 60 bought, then 80 + 20 bought; Jan-Feb bought
    own = 40 + 9 * 80
    expected = own * M_OWN + (1200 - own) * M_CON - CAPEX
    assert r.npv == pytest.approx(expected, rel=1e-9)
    capex = r.lines.query("item == 'capex'")
    assert str(capex["period"].iloc[0]) == "2026-01"


def test_take_or_pay_and_exit(make_case):
    # take-or-pay 1200/yr; shortfall paid at price x partner margin (800 x 0.1 = 80)
    con = (
        "id,product,partner,site,unit_price,includes_material,capacity,min_volume,notice_months,exit_cost\n"
        "c1,car,maker,plant-p,800,true,,1200,0,{exit}\n"
    )
    r = plan(make_case(**{"contracts.csv": con.format(exit=1e9)}), "free", duals=False)
    # insourcing all 1200 units gains 110 each but pays 80 each in shortfall
    assert r.npv == pytest.approx(1200 * (M_OWN - 80) - CAPEX, rel=1e-9)
    cheap = plan(make_case(**{"contracts.csv": con.format(exit=1000)}), "free", duals=False)
    assert cheap.npv == pytest.approx(1200 * M_OWN - CAPEX - 1000, rel=1e-9)


def test_dual_running_keeps_the_contract(make_case):
    # a cheaper contract (margin 340 > 300 in-house) that the policy caps at half
    # the demand once the three dual months after the April start are over
    opts = (
        "id,policy,product,line,start,dual_months,inhouse_share,baseline\n"
        "buy,contract,,,,0,1,true\nmake,insource,car,lo,2026-04,3,0.5,false\n"
    )
    con = "id,product,partner,site,unit_price,includes_material\nc1,car,maker,plant-p,650,true\n"
    case = make_case(**{"options.csv": opts, "contracts.csv": con})
    # with stock allowed (and no holding cost at r = 0) the dual months would be
    # used to buy ahead; without it the share binds every month
    r = plan(case, "make", PlanSettings(inventory=False), duals=False)
    bought = r.volumes.query("kind == 'contract'").groupby("period")["volume"].sum()
    assert bought.loc[bought.index >= bought.index[0] + 6].max() == pytest.approx(50.0)
    assert r.npv == pytest.approx(900 * 340 + 300 * M_OWN - CAPEX, rel=1e-9)


def test_lost_sales_when_capacity_is_short(make_case):
    con = (
        "id,product,partner,site,unit_price,includes_material,capacity\n"
        "c1,car,maker,plant-p,800,true,600\n"
    )
    r = plan(make_case(**{"contracts.csv": con}), "buy", duals=False)
    lost = r.volumes.query("kind == 'lost'")["volume"].sum()
    assert lost == pytest.approx(600.0)
    assert r.npv == pytest.approx(600 * M_CON, rel=1e-9)


def test_objective_agrees_with_evaluation_on_tiny(make_case):
    from insource.case import load_case

    case = load_case("tests/data/tiny")
    for option in case.options["id"]:
        r = plan(case, option, duals=False)
        assert r.npv == pytest.approx(r.objective, rel=1e-6)
    assert plan(make_case(), "make", PlanSettings(start_step=3), duals=False).npv == pytest.approx(
        300 * M_CON + 900 * M_OWN - CAPEX
    )
