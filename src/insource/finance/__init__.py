"""Finance arithmetic shared by the planner and the risk evaluator.

Cash flows, tax and depreciation, discounting, NPV, IRR, payback and the
unit-margin bridge. Pure numpy and pandas: no solver code here.
"""

from insource.finance._cashflow import (
    ITEMS,
    LINE_COLUMNS,
    capex_npv_factor,
    cash_flow,
    depreciation_schedule,
    discount_factor,
    discount_factors,
    item_npv,
    npv,
    npv_weights,
)
from insource.finance._metrics import by_fiscal_year, irr, payback_months, unit_margin_bridge

__all__ = [
    "ITEMS",
    "LINE_COLUMNS",
    "by_fiscal_year",
    "capex_npv_factor",
    "cash_flow",
    "depreciation_schedule",
    "discount_factor",
    "discount_factors",
    "irr",
    "item_npv",
    "npv",
    "npv_weights",
    "payback_months",
    "unit_margin_bridge",
]
