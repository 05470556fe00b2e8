"""Hand-made cases for the planner: small enough to solve by hand."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from insource.case import Case, load_case

TINY = Path(__file__).parents[1] / "data" / "tiny"

# One product, one region, a turnkey contract and one own line; no other load,
# no JV cost, no discounting, no tax: every NPV is a sum of products.
HAND = {
    "finance.csv": """parameter,value
currency,EUR
discount_rate,0
tax_rate,0
depreciation_years,1
fiscal_year_start,1
start,2026-01
end,2026-12
""",
    "products.csv": """id,name,net_revenue,material_cost,battery_cost
car,Car,1000,500,100
""",
    "demand_scenarios.csv": """scenario,product,region,period,volume
base,car,home,CY2026,1200
""",
    "scenarios.csv": """id,name,probability
base,Base,1
""",
    "series.csv": "table,id,attribute,period,value\n",
    "other_load.csv": "line,model,period,units_per_year,rate_factor\n",
    "partners.csv": """id,name,kind,our_share,dev_cost_share,dev_cost,contribution_margin
maker,Maker,contractor,0,0,0,0.1
""",
    "contracts.csv": """id,product,partner,site,unit_price,includes_material,capacity,min_volume,start,end,notice_months,exit_cost
c1,car,maker,plant-p,800,true,,0,,,0,0
""",
    "lines.csv": """id,site,name,rate,hours_per_shift,days_per_year,shifts,min_shifts,max_shifts,shift_cost,shift_step_months,efficiency
lp,plant-p,Partner line,10,8,240,1,0,2,0,3,1
lo,plant-o,Own line,1,8,240,1,0,1,0,1,1
""",
    "capabilities.csv": """line,product,status,tooling_capex,tooling_lead_months,earliest_start,ramp_up,conversion_cost,fixed_cost
lo,car,new,6000,0,,,80,0
""",
    "logistics.csv": """site,region,cost_per_unit
plant-p,home,10
plant-o,home,20
""",
    "options.csv": """id,name,policy,product,line,start,dual_months,inhouse_share,baseline,overrides
buy,Buy,contract,,,,0,1,true,
make,Make from April,insource,car,lo,2026-04,0,1,false,
free,Optimise,optimise,,,,0,1,false,
""",
    "uncertainty.csv": "id,table,row,attribute,distribution,low,base,high,sd,values,probabilities\n",
    "correlations.csv": "a,b,rho\n",
}


@pytest.fixture
def make_dir(tmp_path: Path) -> Callable[..., Path]:
    """Write a hand case folder: ``make_dir(**{"lines.csv": text})`` overrides files."""
    counter = iter(range(1000))

    def build(**files: str) -> Path:
        target = tmp_path / f"case{next(counter)}"
        shutil.copytree(TINY, target)
        for name, text in {**HAND, **files}.items():
            (target / name).write_text(text)
        return target

    return build


@pytest.fixture
def make_case(make_dir: Callable[..., Path]) -> Callable[..., Case]:
    """Load a hand case: ``make_case(**{"lines.csv": text})`` overrides files."""

    def build(**files: str) -> Case:
        return load_case(make_dir(**files))

    return build
