"""Write result tables to an Excel workbook a planner can filter and chart.

Every tidy result table (a DataFrame whose ``attrs`` carry ``name`` and
``unit``, see the style guide) becomes one sheet: units in the headers, number
formats by unit, a frozen and filterable header row, and a first sheet
``README`` that says how to read the workbook and what each sheet holds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from insource._atomic import atomic_path

__all__ = ["write_results_workbook"]

_MAX_SHEET = 31
_README = (
    "Every sheet after this one is one result table: one row per record, one column per field.",
    "Units are in the column headers in square brackets (money in the case currency).",
    "Header rows are frozen and filterable; the tables are plain ranges, ready for a pivot "
    "table or a chart.",
    "The sheets, in order (click a name to go there):",
)
_MONEY_UNITS = ("money", "JPY", "EUR", "USD", "currency")


def _sheet_name(key: str, used: set[str]) -> str:
    base = "".join(c if c not in "[]:*?/\\" else "-" for c in key)[:_MAX_SHEET] or "table"
    name, i = base, 2
    while name.lower() in used:
        suffix = f"-{i}"
        name = base[: _MAX_SHEET - len(suffix)] + suffix
        i += 1
    used.add(name.lower())
    return name


def _number_format(unit: str, series: pd.Series) -> str | None:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    if any(u in unit for u in _MONEY_UNITS):
        return "#,##0"
    if "fraction" in unit or unit == "%":
        return "0.0%"
    if pd.api.types.is_integer_dtype(series):
        return "#,##0"
    values = series.dropna().abs()
    if len(values) and float(values.max()) >= 1000:
        return "#,##0"
    return "#,##0.000"


def _cell(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, pd.Period | pd.Timestamp):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        pass
    return value


def write_results_workbook(
    tables: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], title: str
) -> Path:
    """Write ``tables`` (sheet key -> tidy DataFrame) to ``path`` atomically.

    Column units come from ``frame.attrs["units"]`` (a column -> unit mapping)
    when given, else the table unit ``frame.attrs["unit"]`` applies to its
    float columns (integer columns are counts, years or ids). Headers read
    ``column [unit]``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    target = Path(path)
    wb = Workbook()
    contents = wb.active
    contents.title = "README"
    contents.append([title])
    contents["A1"].font = Font(bold=True, size=14)
    for line in _README:
        contents.append([line])
    contents.append([])
    contents.append(["sheet", "table", "unit", "rows", "what it holds"])
    head = contents.max_row
    for c in contents[head]:
        c.font = Font(bold=True)
    used = {"readme"}
    for key, frame in tables.items():
        name = _sheet_name(key, used)
        attrs = frame.attrs
        unit = str(attrs.get("unit", ""))
        units: Mapping[str, str] = attrs.get("units", {})
        contents.append(
            [name, str(attrs.get("name", key)), unit, len(frame), str(attrs.get("description", ""))]
        )
        contents.cell(row=contents.max_row, column=1).hyperlink = f"#'{name}'!A1"
        ws = wb.create_sheet(name)
        flat = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
        headers = []
        for col in flat.columns:
            u = units.get(str(col)) or (unit if pd.api.types.is_float_dtype(flat[col]) else "")
            headers.append(f"{col} [{u}]" if u else str(col))
        ws.append(headers)
        for row in flat.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        for j, col in enumerate(flat.columns, start=1):
            fmt = _number_format(
                units.get(str(col)) or (unit if pd.api.types.is_float_dtype(flat[col]) else ""),
                flat[col],
            )
            letter = get_column_letter(j)
            width = max([len(headers[j - 1])] + [len(str(v)) for v in flat[col].head(200)])
            ws.column_dimensions[letter].width = min(max(10, width + 2), 50)
            if fmt:
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
        for c in ws[1]:
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
        if len(flat.columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(flat.columns))}{max(1, len(flat) + 1)}"
    for col, width in zip("ABCDE", (24, 40, 14, 8, 80), strict=True):
        contents.column_dimensions[col].width = width
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target
