"""Generate ``docs/case-format.md`` from the schema files.

Run ``python -m insource.case._docs > docs/case-format.md`` (``make docs``);
a test checks that the committed file matches.
"""

from __future__ import annotations

from insource.case._schema import CONFIDENCE_LEVELS, PROVENANCE_COLUMNS, finance_schema, schema

__all__ = ["case_format_markdown"]

_INTRO = """\
# Case format

A case describes a sourcing problem. It is either a **folder** holding
`case.toml` and one CSV file per table (`products.csv`, `lines.csv`, ...), or
an **Excel workbook** with one sheet per table and a sheet `case` (rows
`key, value`) for the metadata. Both load into the same case and save back
without loss (`insource export CASE --to FILE.xlsx|DIR`). Tables a case does
not need may be left out.

This page is generated from `src/insource/case/schema/*.csv` by `make docs`;
do not edit it by hand.

## case.toml

```toml
[case]
name = "my-case"              # required
title = "A readable title"
description = "What the case asks."
format = 1
```

## Conventions

- **Cells**: an empty cell is a missing value; the schema default applies
  where there is one. Numbers are plain (`1950000`, `0.08`): no thousands
  separators, no units, no percent signs. Money is in the case currency
  (finance `currency`) per the unit shown (`money/unit`, `money/yr`, `money`).
- **Ids** may not contain `:`, `;` or `=`. A row of a table with a two-part
  key is named by both parts joined by `:` (`kyushu-2:kei-ev-2028`).
- **Months** are written `YYYY-MM`; a year (`FY2028`, `CY2028`) in a month
  column means its first month.
- **Spans** (type `span`) are a month (`2023-05`), a calendar year (`CY2024`),
  a fiscal year (`FY2028`: twelve months from finance `fiscal_year_start` of
  2028; with April, April 2028 to March 2029), or a range `A/B` from the first
  month of `A` to the last month of `B`, open at either end (`FY2028/`).
- **Lists** (type `list`) are numbers separated by `;` (`0.3;0.6;1`).
- **Provenance**: every table may carry the columns {prov}. `confidence` is
  one of {conf}. Where one row mixes figures of different provenance, add
  `<attribute>_source` and `<attribute>_confidence` columns (for example
  `net_revenue_source`); these win over the row-level ones.
- **Time-varying values**: attributes marked *varies* may take other values
  over spans of months through the `series` table.
- **Validation** (`insource validate CASE`) reports every problem at once with
  its file, row and column: unknown ids and columns, wrong types, values out
  of bounds, missing required values, duplicate keys, spans outside the
  horizon, inconsistent distributions and correlations, options naming
  unknown lines or products.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def case_format_markdown() -> str:
    """The case-format reference as Markdown."""
    prov = ", ".join(f"`{c}`" for c in PROVENANCE_COLUMNS)
    conf = ", ".join(f"`{c}`" for c in CONFIDENCE_LEVELS)
    out = [_INTRO.format(prov=prov, conf=conf)]
    out.append("## Tables\n")
    for table in schema().values():
        out.append(f"- [`{table.name}`](#{table.name}): {table.description}")
    out.append("")
    for table in schema().values():
        if table.name == "finance":
            continue
        out.append(f"## {table.name}\n")
        out.append(f"{table.description} Key: {', '.join(f'`{k}`' for k in table.key)}.\n")
        out.append("| attribute | type | unit | default | required | rule | description |")
        out.append("|---|---|---|---|---|---|---|")
        for a in table.attributes.values():
            rule = []
            if a.references:
                rule.append(f"id in `{a.references}`")
            if a.min is not None:
                rule.append(f"{'>' if a.min_exclusive else '>='} {a.min:g}")
            if a.max is not None:
                rule.append(f"<= {a.max:g}")
            if a.choices:
                rule.append(" / ".join(f"`{c}`" for c in a.choices))
            if a.varies:
                rule.append("varies")
            out.append(
                f"| `{a.name}` | {a.type} | {a.unit} | {a.default or ''} | "
                f"{'yes' if a.required else ''} | {_cell(', '.join(rule))} | {_cell(a.description)} |"
            )
        out.append("")
    out.append("## finance\n")
    out.append(
        f"{schema()['finance'].description} Columns `parameter, value` (plus provenance); one row per parameter.\n"
    )
    out.append("| parameter | type | unit | default | required | rule | description |")
    out.append("|---|---|---|---|---|---|---|")
    for a in finance_schema().values():
        rule = []
        if a.min is not None:
            rule.append(f">= {a.min:g}")
        if a.max is not None:
            rule.append(f"<= {a.max:g}")
        if a.choices:
            rule.append(" / ".join(f"`{c}`" for c in a.choices))
        out.append(
            f"| `{a.name}` | {a.type} | {a.unit} | {a.default or ''} | "
            f"{'yes' if a.required else ''} | {_cell(', '.join(rule))} | {_cell(a.description)} |"
        )
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(case_format_markdown(), end="")
