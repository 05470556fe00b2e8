"""The case schema, read from the CSV files in ``schema/``.

Each table of a case is described as data (attribute, type, unit, default,
required, references, bounds, choices, whether it may vary over time), after
PyPSA's ``component_attrs``. Validation, type conversion and
``docs/case-format.md`` are all generated from these files, so adding an
attribute means adding a row, not code.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

__all__ = [
    "CONFIDENCE_LEVELS",
    "PROVENANCE_COLUMNS",
    "TYPES",
    "Attribute",
    "TableSchema",
    "finance_schema",
    "schema",
]

#: Types a cell may have; see :func:`insource.case._convert.convert_cell`.
TYPES = ("id", "str", "float", "int", "bool", "period", "span", "list")
#: Row-level provenance columns every table may carry.
PROVENANCE_COLUMNS = ("source", "confidence", "note")
#: How sure a figure is: stated by the source, simple arithmetic on stated
#: figures, or a reasoned estimate.
CONFIDENCE_LEVELS = ("reported", "derived", "estimate")


@dataclass(frozen=True)
class Attribute:
    """One column of a case table."""

    table: str
    name: str
    type: str
    unit: str
    default: str | None
    required: bool
    references: str | None
    min: float | None
    max: float | None
    min_exclusive: bool
    choices: tuple[str, ...]
    varies: bool
    description: str

    @property
    def numeric(self) -> bool:
        """Whether the attribute holds numbers (float or int)."""
        return self.type in ("float", "int")


@dataclass(frozen=True)
class TableSchema:
    """A case table: its key columns and attributes in order."""

    name: str
    key: tuple[str, ...]
    description: str
    attributes: dict[str, Attribute]

    @property
    def columns(self) -> list[str]:
        """The attribute names in schema order."""
        return list(self.attributes)

    @property
    def required(self) -> list[str]:
        """Columns that must be present in every file of this table."""
        return [a.name for a in self.attributes.values() if a.required]


def _read(name: str) -> list[dict[str, str]]:
    text = files("insource.case").joinpath("schema", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def _attribute(table: str, row: dict[str, str]) -> Attribute:
    if row["type"] not in TYPES:  # pragma: no cover - guarded by tests of the schema
        raise ValueError(f"schema: {table}.{row['attribute']} has unknown type {row['type']!r}")
    min_text = row.get("min", "").strip()
    exclusive = min_text.startswith(">")
    lo, hi = _number(min_text.lstrip(">")), _number(row.get("max", ""))
    assert lo is None or math.isfinite(lo)
    return Attribute(
        table=table,
        name=row.get("attribute") or row["parameter"],
        type=row["type"],
        unit=row.get("unit", ""),
        default=row.get("default") or None,
        required=row.get("required", "").strip().lower() == "true",
        references=row.get("references") or None,
        min=lo,
        max=hi,
        min_exclusive=exclusive,
        choices=tuple(c for c in row.get("choices", "").split(";") if c),
        varies=row.get("varies", "").strip().lower() == "true",
        description=row.get("description", ""),
    )


@cache
def schema() -> dict[str, TableSchema]:
    """All case tables, in the order of ``schema/tables.csv``."""
    attrs: dict[str, dict[str, Attribute]] = {}
    for row in _read("attributes.csv"):
        attrs.setdefault(row["table"], {})[row["attribute"]] = _attribute(row["table"], row)
    return {
        row["table"]: TableSchema(
            name=row["table"],
            key=tuple(row["key"].split(";")),
            description=row["description"],
            attributes=attrs[row["table"]],
        )
        for row in _read("tables.csv")
    }


@cache
def finance_schema() -> dict[str, Attribute]:
    """The parameters of the ``finance`` table."""
    return {row["parameter"]: _attribute("finance", row) for row in _read("finance.csv")}
