"""Convert table cells between text (as in CSV or Excel) and typed values.

Every cell is read as text first, so that one code path serves CSV and Excel
and every bad cell can be reported with its row and column. Missing cells are
``None`` in memory and empty in files.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from insource.case._calendar import SpanError, parse_month, parse_span
from insource.case._schema import Attribute

__all__ = ["CellError", "cell_text", "convert_cell", "format_cell", "parse_list"]

_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}
_ID_FORBIDDEN = (":", ";", "=")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INT64 = 2**63 - 1


class CellError(ValueError):
    """A cell that does not hold what its column needs; the message says what to write."""

    def __init__(self, what: str, todo: str) -> None:
        super().__init__(what)
        self.what = what
        self.todo = todo


def cell_text(value: Any) -> str:
    """Text of a raw cell value (from csv or openpyxl), stripped.

    Whole floats print without a fraction (Excel stores 3 as 3.0) and dates as
    ``YYYY-MM`` (Excel turns a typed 2028-04 into a date).
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value).strip()


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float (``3.0`` -> ``3``)."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


def parse_list(text: str) -> list[float]:
    """Numbers separated by ``;`` (``"0.3;0.5;1"`` -> ``[0.3, 0.5, 1.0]``)."""
    parts = [p.strip() for p in text.split(";")]
    if not parts or any(not p for p in parts):
        raise CellError(f"{text!r} has an empty item", "write numbers separated by ';'")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise CellError(
            f"{text!r} is not a list of numbers", "write numbers separated by ';', like 0.3;0.6;1"
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise CellError(f"{text!r} holds a value that is not finite", "write finite numbers")
    return values


def _check_bounds(attr: Attribute, value: float, text: str) -> None:
    if attr.min_exclusive and attr.min is not None and value <= attr.min:
        raise CellError(
            f"{text} must be above {format_number(attr.min)}",
            f"write a value above {format_number(attr.min)} ({attr.unit or 'no unit'})",
        )
    if attr.min is not None and value < attr.min:
        raise CellError(
            f"{text} is below the smallest allowed value {format_number(attr.min)}",
            f"write a value of at least {format_number(attr.min)} ({attr.unit or 'no unit'})",
        )
    if attr.max is not None and value > attr.max:
        raise CellError(
            f"{text} is above the largest allowed value {format_number(attr.max)}",
            f"write a value of at most {format_number(attr.max)} ({attr.unit or 'no unit'})",
        )


def convert_cell(attr: Attribute, text: str, fy_start: int = 4) -> Any:
    """Typed value of a non-empty cell, or raise :class:`CellError`.

    ``id``, ``str``, ``period``, ``span`` and ``list`` cells stay text (checked,
    stripped) so that a case saves back exactly as written; ``float``, ``int``
    and ``bool`` cells become numbers.
    """
    kind = attr.type
    if _CONTROL.search(text):
        raise CellError(
            "the text holds a control character", "delete it (it often comes from a copy and paste)"
        )
    if kind == "id":
        bad = [c for c in _ID_FORBIDDEN if c in text]
        if bad:
            raise CellError(
                f"the id {text!r} contains {bad[0]!r}",
                "use letters, digits, '-', '_' or '.' in ids",
            )
        value: Any = text
    elif kind == "str":
        value = text
    elif kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise CellError(
                f"{text!r} is not a number",
                f"write a plain number in {attr.unit or 'the column unit'}, like 1950000 or 0.08 "
                "(no thousands separators or units)",
            ) from None
        if not math.isfinite(value):
            raise CellError(f"{text!r} is not a finite number", "write a finite number")
        _check_bounds(attr, value, text)
    elif kind == "int":
        try:
            number = float(text)
            value = int(number) if number.is_integer() and abs(number) <= _INT64 else int(text)
        except (ValueError, OverflowError):
            raise CellError(
                f"{text!r} is not a whole number", f"write a whole number ({attr.unit or 'count'})"
            ) from None
        if abs(value) > _INT64:
            raise CellError(f"{text} is too large", "write a smaller whole number")
        _check_bounds(attr, value, text)
    elif kind == "bool":
        low = text.lower()
        if low not in _TRUE | _FALSE:
            raise CellError(f"{text!r} is not true or false", "write true or false")
        value = low in _TRUE
    elif kind == "period":
        try:
            parse_month(text, fy_start)
        except SpanError as exc:
            raise CellError(str(exc), "write a month as YYYY-MM, like 2028-04") from None
        value = text
    elif kind == "span":
        try:
            parse_span(text, fy_start)
        except SpanError as exc:
            raise CellError(
                str(exc), "write a month (2028-04), a year (FY2028, CY2024) or a range A/B"
            ) from None
        value = text
    elif kind == "list":
        for v in parse_list(text):
            _check_bounds(attr, v, format_number(v))
        value = text
    else:  # pragma: no cover - the schema test checks every type
        raise AssertionError(kind)
    if attr.choices and str(value) not in attr.choices:
        raise CellError(
            f"{text!r} is not one of {', '.join(attr.choices)}",
            f"write one of: {', '.join(attr.choices)}",
        )
    return value


def format_cell(value: Any) -> str:
    """Text of a typed value for a CSV file (missing values are empty)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    return str(value)
