"""Turn rows of text into typed tables, reporting every bad cell.

The readers (CSV folder, Excel workbook) hand over a :class:`RawTable`: the
header and the rows as text with their row numbers. :func:`build_table`
checks the columns against the schema, converts each cell and returns a typed
DataFrame indexed by the row number the user sees, plus every problem found.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from insource.case._calendar import SpanError, parse_month, parse_span
from insource.case._convert import CellError, convert_cell
from insource.case._schema import (
    CONFIDENCE_LEVELS,
    PROVENANCE_COLUMNS,
    TableSchema,
    finance_schema,
    schema,
)
from insource.errors import Problem

__all__ = ["RawTable", "build_table", "empty_table", "provenance_attribute", "suggest"]

_DTYPES = {"float": "float64", "int": "Int64", "bool": "boolean"}
_PROV_SUFFIXES = ("_source", "_confidence")


@dataclass
class RawTable:
    """A table as read from a file: header and rows of text."""

    name: str
    location: str
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    header_row: int = 1


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """``; did you mean 'x'?`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def provenance_attribute(column: str, table: TableSchema) -> str | None:
    """The attribute a ``<attr>_source``/``<attr>_confidence`` column describes."""
    for suffix in _PROV_SUFFIXES:
        if column.endswith(suffix) and column[: -len(suffix)] in table.attributes:
            return column[: -len(suffix)]
    return None


def _key_text(kind: str, value: Any, fy_start: int) -> str:
    """Canonical text of a key part: spans by their months, blanks as empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if kind == "span":
        try:
            span = parse_span(str(value), fy_start)
        except SpanError:
            return str(value)
        return f"{span.start}/{span.end}"
    return str(value)


def _dtype(kind: str) -> str:
    return _DTYPES.get(kind, "object")


def empty_table(name: str) -> pd.DataFrame:
    """A typed table with the schema's columns and no rows."""
    table = schema()[name]
    frame = pd.DataFrame(
        {a.name: pd.Series([], dtype=_dtype(a.type)) for a in table.attributes.values()}
    )
    frame.index = pd.Index([], dtype="int64", name="row")
    return frame


def _fy_start_of(finance: pd.DataFrame | None) -> int:
    if finance is None or finance.empty:
        return 4
    hit = finance.loc[finance["parameter"] == "fiscal_year_start", "value"]
    try:
        value = int(str(hit.iloc[0])) if len(hit) else 4
    except ValueError:
        return 4
    return value if 1 <= value <= 12 else 4


def build_table(raw: RawTable, fy_start: int = 4) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and convert a raw table; return the typed frame and the problems.

    Bad cells become missing values so that later checks can go on and report
    everything at once.
    """
    table = schema()[raw.name]
    problems: list[Problem] = []
    where = {"file": raw.location}

    # 1. Columns: known, not repeated, required ones present.
    seen: set[str] = set()
    allowed = [*table.columns, *PROVENANCE_COLUMNS]
    for col in raw.header:
        if not col:
            problems.append(
                Problem(
                    "a column has no name",
                    "give every column a header or delete it",
                    row=raw.header_row,
                    **where,
                )
            )
        elif col in seen:
            problems.append(
                Problem(
                    f"the column {col!r} appears twice",
                    "keep one of them",
                    row=raw.header_row,
                    column=col,
                    **where,
                )
            )
        elif col not in allowed and provenance_attribute(col, table) is None:
            problems.append(
                Problem(
                    f"unknown column {col!r}{suggest(col, allowed)}",
                    f"use the columns of the {raw.name} table (see docs/case-format.md) or "
                    "<attribute>_source / <attribute>_confidence for provenance",
                    row=raw.header_row,
                    column=col,
                    **where,
                )
            )
        seen.add(col)
    for col in table.required:
        if col not in seen:
            problems.append(
                Problem(
                    f"the required column {col!r} is missing",
                    f"add a column {col!r}: {table.attributes[col].description}",
                    row=raw.header_row,
                    **where,
                )
            )
    columns = [c for c in dict.fromkeys(raw.header) if c]
    keep = [c for c in columns if c in allowed or provenance_attribute(c, table)]

    # 2. Cells.
    prov = [c for c in PROVENANCE_COLUMNS if c in keep]
    per_attribute = [c for c in keep if c not in table.attributes and c not in PROVENANCE_COLUMNS]
    data: dict[str, list[Any]] = {c: [] for c in [*table.columns, *prov, *per_attribute]}
    index: list[int] = []
    defaults = {
        col: None if attr.default is None else convert_cell(attr, attr.default, fy_start)
        for col, attr in table.attributes.items()
    }
    for row_no, cells in raw.rows:
        if len(cells) > len(raw.header) and any(cells[len(raw.header) :]):
            problems.append(
                Problem(
                    f"the row has {len(cells)} cells but the header {len(raw.header)}",
                    "remove the extra cells or add a header for them",
                    row=row_no,
                    **where,
                )
            )
        values = dict(zip(raw.header, cells, strict=False))
        index.append(row_no)
        for col in data:
            text = values.get(col, "")
            attr = table.attributes.get(col)
            if attr is None:  # provenance column
                if text and col.endswith("confidence") and text not in CONFIDENCE_LEVELS:
                    problems.append(
                        Problem(
                            f"{text!r} is not a confidence level",
                            f"write one of: {', '.join(CONFIDENCE_LEVELS)}",
                            row=row_no,
                            column=col,
                            **where,
                        )
                    )
                    text = ""
                data[col].append(text or None)
                continue
            if not text:
                if attr.required and col in seen:
                    problems.append(
                        Problem(
                            f"the required value {col!r} is empty",
                            f"fill it in: {attr.description}",
                            row=row_no,
                            column=col,
                            **where,
                        )
                    )
                data[col].append(defaults[col])
                continue
            try:
                data[col].append(convert_cell(attr, text, fy_start))
            except CellError as exc:
                problems.append(Problem(exc.what, exc.todo, row=row_no, column=col, **where))
                data[col].append(None)

    frame = pd.DataFrame(
        {
            col: pd.Series(
                vals,
                dtype=_dtype(table.attributes[col].type) if col in table.attributes else "object",
            )
            for col, vals in data.items()
        }
    )
    frame.index = pd.Index(index, dtype="int64", name="row")

    # 3. Keys: unique. A blank key part counts as a value ("all regions"), and
    #    spans are compared by the months they cover (2026-1 is 2026-01).
    key = [k for k in table.key if k in frame.columns]
    if key and not frame.empty:
        norm = pd.DataFrame(
            {
                k: frame[k].map(lambda v, k=k: _key_text(table.attributes[k].type, v, fy_start))
                for k in key
            },
            index=frame.index,
        )
        complete = frame[[k for k in key if table.attributes[k].required]].notna().all(axis=1)
        dup = norm.duplicated(keep="first") & complete
        if dup.any():
            first = (
                pd.Series(norm.index, index=norm.index)
                .groupby([norm[k] for k in key], sort=False)
                .transform("first")
            )
            for row_no in frame.index[dup]:
                keyval = ", ".join(f"{k}={frame.at[row_no, k] or ''!s}" for k in key)
                problems.append(
                    Problem(
                        f"duplicate row ({keyval}); row {first[row_no]} has the same key",
                        "keep one row per key or change the key",
                        row=int(row_no),
                        column=key[0],
                        **where,
                    )
                )

    if raw.name == "finance":
        problems += _check_finance(frame, raw.location)
    return frame, problems


def _check_finance(frame: pd.DataFrame, location: str) -> list[Problem]:
    params = finance_schema()
    problems: list[Problem] = []
    fy_start = _fy_start_of(frame)
    for row_no, row in zip(frame.index.to_list(), frame.to_dict("records"), strict=True):
        name, text = row["parameter"], row["value"]
        if name is None:
            continue
        attr = params.get(name)
        if attr is None:
            problems.append(
                Problem(
                    f"unknown finance parameter {name!r}{suggest(name, list(params))}",
                    f"use one of: {', '.join(params)}",
                    file=location,
                    row=int(row_no),
                    column="parameter",
                )
            )
            continue
        if text is None:
            continue
        try:
            convert_cell(attr, text, fy_start)
        except CellError as exc:
            problems.append(
                Problem(
                    f"{name}: {exc.what}", exc.todo, file=location, row=int(row_no), column="value"
                )
            )
    present = set(frame["parameter"].dropna())
    for name, attr in params.items():
        if attr.required and name not in present:
            problems.append(
                Problem(
                    f"the finance parameter {name!r} is missing",
                    f"add a row {name}: {attr.description}",
                    file=location,
                )
            )
    return problems


def finance_values(frame: pd.DataFrame) -> dict[str, Any]:
    """Typed finance parameters with schema defaults (bad values left out)."""
    params = finance_schema()
    fy_start = _fy_start_of(frame)
    given = {
        str(r["parameter"]): str(r["value"])
        for _, r in frame.iterrows()
        if r["parameter"] is not None and r["value"] is not None
    }
    out: dict[str, Any] = {}
    for name, attr in params.items():
        text = given.get(name, attr.default)
        if text is None:
            out[name] = None
            continue
        try:
            out[name] = convert_cell(attr, text, fy_start)
        except CellError:
            out[name] = None if attr.default is None else convert_cell(attr, attr.default, fy_start)
    for name in ("start", "end"):
        if out.get(name) is not None:
            try:
                out[name] = parse_month(out[name], fy_start, last=name == "end")
            except SpanError:  # pragma: no cover - convert_cell checked it
                out[name] = None
    return out
