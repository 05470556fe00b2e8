"""Reports people read: the results workbook (Excel) and the decision report (HTML)."""

from insource.report._excel import write_results_workbook

__all__ = ["write_results_workbook"]
