from pathlib import Path

from insource.case import finance_schema, schema
from insource.case._convert import convert_cell
from insource.case._docs import case_format_markdown
from insource.case._schema import TYPES

REPO = Path(__file__).parents[2]


def test_schema_is_consistent() -> None:
    tables = schema()
    for table in tables.values():
        for k in table.key:
            assert k in table.attributes, (table.name, k)
        for a in table.attributes.values():
            assert a.type in TYPES
            assert a.references is None or a.references in tables, a
            assert a.description, a
            if a.default is not None:
                convert_cell(a, a.default)  # every default is itself valid
            if a.varies:
                assert a.numeric, a
    for p in finance_schema().values():
        if p.default is not None:
            convert_cell(p, p.default)


def test_design_tables_are_all_there() -> None:
    wanted = {
        "products",
        "sites",
        "lines",
        "capabilities",
        "contracts",
        "partners",
        "demand_history",
        "demand_scenarios",
        "other_load",
        "logistics",
        "finance",
        "uncertainty",
        "options",
    }
    assert wanted <= set(schema())


def test_case_format_doc_matches_schema() -> None:
    committed = (REPO / "docs" / "case-format.md").read_text(encoding="utf-8")
    assert committed == case_format_markdown(), "docs/case-format.md is stale: run `make docs`"
