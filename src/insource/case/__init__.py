"""The domain model: tables, schema, fiscal calendar, loading, saving and validation.

Examples
--------
>>> from insource.case import load_case
>>> case = load_case("nissan-kei-ev")
>>> case.products[["id", "net_revenue"]]  # doctest: +SKIP

"""

from insource.case._calendar import (
    FiscalCalendar,
    Span,
    SpanError,
    month_range,
    parse_month,
    parse_span,
)
from insource.case._case import Case
from insource.case._io import (
    builtin_cases,
    case_from_tables,
    load_case,
    read_case,
    resolve_case,
    save_case,
)
from insource.case._schema import CONFIDENCE_LEVELS, Attribute, TableSchema, finance_schema, schema
from insource.case._validate import check_case, parse_overrides

__all__ = [
    "CONFIDENCE_LEVELS",
    "Attribute",
    "Case",
    "FiscalCalendar",
    "Span",
    "SpanError",
    "TableSchema",
    "builtin_cases",
    "case_from_tables",
    "check_case",
    "finance_schema",
    "load_case",
    "month_range",
    "parse_month",
    "parse_overrides",
    "parse_span",
    "read_case",
    "resolve_case",
    "save_case",
    "schema",
]
