"""Reports people read: the decision report (HTML), the results workbook (Excel), charts.

The chart functions take tidy result tables and return plotly figures, so the
same charts work in a notebook; :func:`build_report` assembles them with the
recommendation, assumptions and audit, and :func:`write_report` writes the
self-contained page and the workbook.
"""

from insource.report._build import (
    DecisionReport,
    DemandView,
    audit_table,
    build_report,
    write_report,
)
from insource.report._charts import (
    BRIDGE_ITEMS,
    breakeven_chart,
    breakeven_volume_chart,
    demand_fan_chart,
    margin_waterfall,
    money_scale,
    npv_distribution_chart,
    option_colours,
    source_colours,
    tornado_chart,
    utilisation_chart,
    volume_chart,
)
from insource.report._demand import demand_view
from insource.report._excel import write_results_workbook
from insource.report._html import (
    Figure,
    KeyFigures,
    Paragraph,
    Section,
    Table,
    render_html,
    write_html,
)
from insource.report._risk import RiskLike
from insource.report._tables import (
    assumptions_table,
    case_checksum,
    chosen_options,
    comparison_tables,
    margin_rows,
    plant_load,
)

__all__ = [
    "BRIDGE_ITEMS",
    "DecisionReport",
    "DemandView",
    "Figure",
    "KeyFigures",
    "Paragraph",
    "RiskLike",
    "Section",
    "Table",
    "assumptions_table",
    "audit_table",
    "breakeven_chart",
    "breakeven_volume_chart",
    "build_report",
    "case_checksum",
    "chosen_options",
    "comparison_tables",
    "demand_fan_chart",
    "demand_view",
    "margin_rows",
    "margin_waterfall",
    "money_scale",
    "npv_distribution_chart",
    "option_colours",
    "plant_load",
    "render_html",
    "source_colours",
    "tornado_chart",
    "utilisation_chart",
    "volume_chart",
    "write_html",
    "write_report",
    "write_results_workbook",
]
