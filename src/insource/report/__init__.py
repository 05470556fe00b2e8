"""Reports people read: the results workbook (Excel) and the decision report (HTML)."""

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

__all__ = [
    "Figure",
    "KeyFigures",
    "Paragraph",
    "Section",
    "Table",
    "render_html",
    "write_html",
    "write_results_workbook",
]
