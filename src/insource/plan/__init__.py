"""Sourcing plans: the MILP (linopy + HiGHS), its solution and its explanation.

Examples
--------
>>> from insource.case import load_case
>>> from insource.plan import plan
>>> result = plan(load_case("tests/data/tiny"), "make")  # doctest: +SKIP
>>> result.npv  # doctest: +SKIP

"""

from insource.plan._data import PlanData, PlanSettings, plan_data, select_option
from insource.plan._infeasible import InfeasiblePlan, explain_infeasibility
from insource.plan._model import build_model
from insource.plan._plan import Comparison, compare, plan
from insource.plan._results import PlanResult
from insource.plan._solve import SolveOutcome, solve_model

__all__ = [
    "Comparison",
    "InfeasiblePlan",
    "PlanData",
    "PlanResult",
    "PlanSettings",
    "SolveOutcome",
    "build_model",
    "compare",
    "explain_infeasibility",
    "plan",
    "plan_data",
    "select_option",
    "solve_model",
]
