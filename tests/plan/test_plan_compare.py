"""compare: one shared model, each option as bounds on it, agrees with planning each alone."""

from __future__ import annotations

import pandas as pd
import pytest

from insource.plan import PlanSettings, compare, plan, plan_data, select_option
from insource.plan._data import same_structure

# buy, make with dual running and a 60% in-house share (the contract share is
# capped: a row bound), a price-only override (shares buy's model, with its
# own objective), a capacity override (a model of its own), and free choice.
OPTIONS = """id,name,policy,product,line,start,dual_months,inhouse_share,baseline,overrides
buy,Buy,contract,,,,0,1,true,
make,Make,insource,car,lo,2026-04,2,0.6,false,
make-cheap,Make cheap,insource,car,lo,2026-06,0,1,false,contracts.c1.unit_price=700;products.car.battery_cost=90
make-fast,Make on a faster line,insource,car,lo,2026-04,1,1,false,lines.lo.rate=2
free,Optimise,optimise,,,,0,1,false,
"""

CAPS = """line,product,status,tooling_capex,tooling_lead_months,ramp_up,conversion_cost,fixed_cost
lo,car,new,6000,1,0.5;1,80,1200
"""


def _volumes(r):
    v = r.volumes.sort_values(["kind", "source", "region", "period"]).reset_index(drop=True)
    return v[["kind", "source", "region", "period", "volume"]]


def test_compare_agrees_with_each_option_planned_alone(make_case):
    case = make_case(**{"options.csv": OPTIONS, "capabilities.csv": CAPS})
    cmp = compare(case)
    assert list(cmp.results) == ["buy", "make", "make-cheap", "make-fast", "free"]
    for name, shared in cmp.results.items():
        alone = plan(case, name, duals=False)
        assert shared.status == alone.status == "optimal"
        assert shared.npv == pytest.approx(alone.npv, rel=1e-9, abs=1e-6)
        assert shared.objective == pytest.approx(alone.objective, rel=1e-9, abs=1e-6)
        pd.testing.assert_frame_equal(_volumes(shared), _volumes(alone), rtol=1e-7, atol=1e-6)
    # the policies really differ on the shared model: no in-house volume when buying,
    # the forced start in April, and at most 40% from the contract after dual running
    vol = cmp.results["make"].volumes
    assert vol.query("kind == 'inhouse'")["volume"].sum() > 0
    assert cmp.results["buy"].volumes.query("kind == 'inhouse'").empty
    contract = vol.query("kind == 'contract'").set_index("period")["volume"]
    late = contract[contract.index >= pd.Period("2026-06", "M")]
    assert (late <= 0.4 * 100 + 1e-6).all()


def test_infeasible_option_in_compare_is_explained(make_case):
    # the own line makes 80 units a month against a demand of 100, all in-house
    lines = (
        "id,site,rate,hours_per_shift,days_per_year,min_shifts,max_shifts,shift_step_months\n"
        "lp,plant-p,10,8,240,0,2,3\nlo,plant-o,0.5,8,240,0,1,1\n"
    )
    case = make_case(**{"lines.csv": lines})
    cmp = compare(case, PlanSettings(allow_lost_sales=False))
    row = cmp.summary.set_index("option").loc["make"]
    assert row["status"] == "infeasible"
    assert "short" in row["note"]
    assert "make" not in cmp.results
    assert cmp.results["buy"].status == cmp.results["free"].status == "optimal"


def test_same_structure_separates_prices_from_capacity(make_case):
    case = make_case(**{"options.csv": OPTIONS, "capabilities.csv": CAPS})
    data = {n: plan_data(case, select_option(case, n), PlanSettings()) for n in ("buy", "make")}
    cheap = plan_data(case, select_option(case, "make-cheap"), PlanSettings())
    fast = plan_data(case, select_option(case, "make-fast"), PlanSettings())
    assert same_structure(data["buy"], data["make"])
    assert same_structure(data["buy"], cheap)  # prices only
    assert not same_structure(data["buy"], fast)  # the line's rate shapes Line-hours
    assert not same_structure(
        data["buy"],
        plan_data(case, select_option(case, "buy"), PlanSettings(allow_lost_sales=False)),
    )
