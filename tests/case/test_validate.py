"""Validation: every planted error is reported with its file, row and column."""

import csv
from pathlib import Path

import pytest

from insource.case import load_case, read_case
from insource.errors import ProblemsError


def edit(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` is the row number as in a spreadsheet (header = 1)."""
    path = folder / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index(column)
    rows[row - 1][col] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def where(problems) -> set[tuple[str | None, int | None, str | None]]:
    return {(p.file, p.row, p.column) for p in problems}


def test_valid_cases_have_no_problems(tiny_dir: Path) -> None:
    assert read_case(tiny_dir)[1] == []
    assert read_case("nissan-kei-ev")[1] == []


PLANTED = [
    # (table, row, column, value, words expected in the message)
    ("products", 2, "net_revenue", "1,950,000", "not a number"),
    ("lines", 3, "rate", "-5", "must be above 0"),
    ("capabilities", 3, "ramp_up", "0.5;1.4", "above the largest"),
    ("contracts", 2, "product", "cra", "unknown products id 'cra'"),
    ("contracts", 2, "notice_months", "three", "not a whole number"),
    ("demand_scenarios", 2, "period", "CY2030", "not inside the horizon"),
    ("demand_scenarios", 3, "scenario", "hi", "unknown scenarios id"),
    ("uncertainty", 2, "low", "950", "above high"),
    ("uncertainty", 5, "probabilities", "0.3;0.5;0.3", "sum to 1.1"),
    ("options", 3, "line", "lp2", "unknown lines id"),
    ("options", 4, "overrides", "products.car.batery_cost=90", "no attribute 'batery_cost'"),
    ("sites", 3, "owner", "ours", "not one of own, partner"),
    ("series", 2, "period", "2027-13/", "month 13"),
    ("other_load", 2, "units_per_year", "", "required value"),
]


def test_a_dozen_planted_errors_are_all_listed(tiny_dir: Path) -> None:
    for table, row, column, value, _ in PLANTED:
        edit(tiny_dir, table, row, column, value)
    _, problems = read_case(tiny_dir)
    found = where(problems)
    for table, row, column, _, words in PLANTED:
        assert (f"{table}.csv", row, column) in found, (table, row, column)
        msg = next(
            str(p) for p in problems if (p.file, p.row, p.column) == (f"{table}.csv", row, column)
        )
        assert words in msg, msg
    for p in problems:
        assert p.todo, p  # every problem says what to do
    with pytest.raises(ProblemsError) as info:
        load_case(tiny_dir)
    assert len(info.value.problems) == len(problems)


def test_scenario_probabilities_must_sum_to_one(tiny_dir: Path) -> None:
    edit(tiny_dir, "scenarios", 2, "probability", "0.6")
    _, problems = read_case(tiny_dir)
    assert [p.what for p in problems] == ["the scenario probabilities sum to 1.1, not 1"]


def test_unknown_columns_and_files(tiny_dir: Path) -> None:
    edit(tiny_dir, "products", 1, "family", "familly")
    (tiny_dir / "prodcts.csv").write_text("id\nx\n", encoding="utf-8")
    _, problems = read_case(tiny_dir)
    msgs = [str(p) for p in problems]
    assert any("unknown column 'familly' (did you mean 'family'?)" in m for m in msgs)
    assert any("unknown file 'prodcts.csv' (did you mean 'products'?)" in m for m in msgs)


def test_missing_required_column(tiny_dir: Path) -> None:
    path = tiny_dir / "lines.csv"
    rows = [r.split(",") for r in path.read_text().splitlines()]
    i = rows[0].index("rate")
    path.write_text("\n".join(",".join(r[:i] + r[i + 1 :]) for r in rows) + "\n")
    _, problems = read_case(tiny_dir)
    assert any(
        p.what == "the required column 'rate' is missing" and p.file == "lines.csv"
        for p in problems
    )


def test_duplicate_keys(tiny_dir: Path) -> None:
    edit(tiny_dir, "lines", 3, "id", "lp")
    _, problems = read_case(tiny_dir)
    dup = [p for p in problems if "duplicate" in p.what]
    assert [(p.file, p.row) for p in dup] == [("lines.csv", 3)]


def test_correlations_not_positive_semidefinite(tiny_dir: Path) -> None:
    (tiny_dir / "correlations.csv").write_text(
        "a,b,rho\nprice,batt,0.9\nprice,capex,0.9\nbatt,capex,-0.9\n"
    )
    _, problems = read_case(tiny_dir)
    assert any("not positive semi-definite" in p.what for p in problems)


def test_options_need_exactly_one_baseline(tiny_dir: Path) -> None:
    edit(tiny_dir, "options", 2, "baseline", "false")
    _, problems = read_case(tiny_dir)
    assert any(p.what == "0 options are marked as baseline" for p in problems)


def test_insource_option_needs_a_capable_line(tiny_dir: Path) -> None:
    edit(tiny_dir, "options", 3, "line", "lp")
    edit(tiny_dir, "capabilities", 2, "line", "lo")  # now only lo can build car ...
    edit(tiny_dir, "capabilities", 2, "status", "new")
    _, problems = read_case(tiny_dir)
    # ... the duplicate capability and the option on lp are both reported
    assert any("has no capability for 'car'" in p.what for p in problems)


def test_bad_toml_and_missing_toml(tiny_dir: Path) -> None:
    (tiny_dir / "case.toml").write_text("[case\nname=", encoding="utf-8")
    _, problems = read_case(tiny_dir)
    assert problems[0].file == "case.toml"
    assert "not valid TOML" in problems[0].what
    (tiny_dir / "case.toml").unlink()
    _, problems = read_case(tiny_dir)
    assert "case.toml is missing" in problems[0].what


def test_not_utf8(tiny_dir: Path) -> None:
    (tiny_dir / "regions.csv").write_bytes("id,name\nhome,Málaga\n".encode("latin-1"))
    _, problems = read_case(tiny_dir)
    assert any(p.file == "regions.csv" and "not UTF-8" in p.what for p in problems)


def test_workbook_errors_name_the_sheet(tiny_dir: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from insource.case import save_case

    book = save_case(load_case(tiny_dir), tmp_path / "b.xlsx")
    wb = load_workbook(book)
    ws = wb["lines"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("rate") + 1, value="fast")
    wb.create_sheet("Sheet1")
    wb.save(book)
    _, problems = read_case(book)
    assert ("b.xlsx[lines]", 2, "rate") in where(problems)
    assert any(p.file == "b.xlsx[Sheet1]" and "unknown sheet" in p.what for p in problems)


BUILTIN_PLANTED = [
    ("products", 3, "battery_cost", "440k", "not a number"),
    ("lines", 4, "max_shifts", "-1", "below the smallest"),
    ("lines", 2, "site", "mizushma", "did you mean 'mizushima'"),
    ("capabilities", 3, "ramp_up", "0.7;1.2;1", "above the largest"),
    ("capabilities", 4, "earliest_start", "April 2028", "not a month"),
    ("contracts", 3, "partner", "mitsubshi", "unknown partners id"),
    ("demand_scenarios", 2, "period", "FY2040", "not inside the horizon"),
    ("demand_history", 5, "volume", "-3", "below the smallest"),
    ("scenarios", 2, "probability", "1.5", "above the largest"),
    ("uncertainty", 2, "probabilities", "0.25;0.5", "3 values but 2 probabilities"),
    ("options", 3, "line", "kyushu-9", "unknown lines id"),
    ("other_load", 2, "period", "FY2028/FY2026", "ends before it starts"),
    ("finance", 3, "value", "eight percent", "not a number"),
]


def test_a_dozen_planted_errors_in_the_builtin_case(builtin_dir: Path) -> None:
    for table, row, column, value, _ in BUILTIN_PLANTED:
        edit(builtin_dir, table, row, column, value)
    _, problems = read_case(builtin_dir)
    found = {(p.file, p.row, p.column): str(p) for p in problems}
    for table, row, column, _, words in BUILTIN_PLANTED:
        key = (f"{table}.csv", row, column)
        assert key in found, key
        assert words in found[key], found[key]


# ---- regressions found in review ------------------------------------------------


def test_overrides_pass_the_column_checks(tiny_dir: Path) -> None:
    edit(tiny_dir, "options", 4, "overrides", "products.car.net_revenue=-500;lines.lo.shifts=2.5")
    _, problems = read_case(tiny_dir)
    msgs = [p.what for p in problems if p.file == "options.csv"]
    assert any("net_revenue: -500 is below" in m for m in msgs)
    assert any("lines.lo.shifts" in m for m in msgs)


def test_duplicate_and_overlapping_demand_rows(tiny_dir: Path) -> None:
    path = tiny_dir / "demand_scenarios.csv"
    path.write_text(
        "scenario,product,region,period,volume\n"
        "low,car,,CY2026,600\n"
        "low,car,,CY2026,600\n"  # duplicate with a blank region
        "base,car,home,CY2026,1200\n"
        "base,car,home,2026-07/2027-06,600\n",  # overlaps the row above
        encoding="utf-8",
    )
    _, problems = read_case(tiny_dir)
    where_ = {(p.row, p.column): p.what for p in problems if p.file == "demand_scenarios.csv"}
    assert "duplicate row" in where_[(3, "scenario")]
    assert "overlaps row 4" in where_[(5, "period")]


def test_same_month_written_two_ways_is_a_duplicate(tiny_dir: Path) -> None:
    path = tiny_dir / "demand_history.csv"
    path.write_text(
        "product,region,period,volume\ncar,home,2025-1,1\ncar,home,2025-01,1\n", encoding="utf-8"
    )
    _, problems = read_case(tiny_dir)
    assert [(p.row, "duplicate" in p.what) for p in problems] == [(3, True)]


def test_target_problems_name_the_right_column(tiny_dir: Path) -> None:
    edit(tiny_dir, "uncertainty", 2, "table", "prodcts")
    edit(tiny_dir, "uncertainty", 4, "row", "discount")
    edit(tiny_dir, "series", 2, "table", "prodcts")
    _, problems = read_case(tiny_dir)
    found = {(p.file, p.row, p.column) for p in problems}
    assert {
        ("uncertainty.csv", 2, "table"),
        ("uncertainty.csv", 4, "row"),
        ("series.csv", 2, "table"),
    } <= found


def test_zero_rate_and_huge_ints_and_control_characters(tiny_dir: Path) -> None:
    edit(tiny_dir, "lines", 2, "rate", "0")
    edit(tiny_dir, "lines", 3, "shifts", "99999999999999999999")
    edit(tiny_dir, "regions", 2, "name", "Home\x07market")
    _, problems = read_case(tiny_dir)
    found = {(p.file, p.row, p.column): p.what for p in problems}
    assert "must be above 0" in found[("lines.csv", 2, "rate")]
    assert ("lines.csv", 3, "shifts") in found
    assert "control character" in found[("regions.csv", 2, "name")]


def test_end_columns_take_the_last_month_of_a_year(tiny_dir: Path) -> None:
    edit(tiny_dir, "finance", 8, "value", "CY2027")
    case, problems = read_case(tiny_dir)
    assert problems == []
    assert str(case.horizon[-1]) == "2027-12"


def test_shift_bounds_and_own_site_contracts(tiny_dir: Path) -> None:
    edit(tiny_dir, "lines", 3, "min_shifts", "2")  # shifts 1 < min 2 (max 2)
    edit(tiny_dir, "contracts", 2, "site", "plant-o")
    _, problems = read_case(tiny_dir)
    msgs = [str(p) for p in problems]
    assert any("shifts 1 is below min_shifts 2" in m for m in msgs)
    assert any("is our own, not a partner's" in m for m in msgs)


def test_notes_beside_the_tables_are_ignored(tiny_dir: Path) -> None:
    (tiny_dir / "README.md").write_text("notes", encoding="utf-8")
    assert read_case(tiny_dir)[1] == []


def test_problems_come_in_file_and_row_order(tiny_dir: Path) -> None:
    edit(tiny_dir, "lines", 3, "rate", "x")
    edit(tiny_dir, "contracts", 2, "product", "y")
    edit(tiny_dir, "lines", 2, "rate", "z")
    _, problems = read_case(tiny_dir)
    assert [(p.file, p.row) for p in problems] == sorted((p.file, p.row) for p in problems)
