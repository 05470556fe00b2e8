"""Folder and workbook round trips: nothing is lost, nothing half-written."""

from pathlib import Path

import pandas as pd
import pytest

from insource.case import load_case, read_case, save_case
from insource.errors import InsourceError


def _assert_same(a, b) -> None:
    assert a.meta == b.meta
    for name in a.tables:
        pd.testing.assert_frame_equal(
            a.tables[name].reset_index(drop=True),
            b.tables[name].reset_index(drop=True),
            check_like=True,
        )
    assert a.equals(b)


def _unicode(case):
    case = case.copy()
    case.meta["title"] = "日産サクラ — Kyūshū test ✓"
    case.products.loc[:, "name"] = "サクラ"
    case.products["note"] = pd.Series(
        'quotes " and, commas', index=case.products.index, dtype=object
    )
    return case


@pytest.mark.parametrize("target", ["folder", "book.xlsx"])
def test_round_trip_tiny(tiny_dir: Path, tmp_path: Path, target: str) -> None:
    case = _unicode(load_case(tiny_dir))
    path = save_case(case, tmp_path / target)
    back = load_case(path)
    _assert_same(case, back)
    # and a second trip is byte-stable for folders
    again = save_case(back, tmp_path / f"again-{target}")
    _assert_same(back, load_case(again))


@pytest.mark.parametrize("target", ["folder", "book.xlsx"])
def test_round_trip_builtin(tmp_path: Path, target: str) -> None:
    case = load_case("nissan-kei-ev")
    back = load_case(save_case(case, tmp_path / target))
    _assert_same(case, back)


def test_provenance_columns_survive(tiny_dir: Path, tmp_path: Path) -> None:
    case = load_case(tiny_dir)
    back = load_case(save_case(case, tmp_path / "b.xlsx"))
    assert back.provenance("products", "car", "net_revenue") == {
        "source": "hand-made",
        "confidence": "reported",
    }
    assert "net_revenue_source" in back.products.columns


def test_folder_files_are_plain(tiny_dir: Path, tmp_path: Path) -> None:
    out = save_case(load_case(tiny_dir), tmp_path / "out")
    text = (out / "contracts.csv").read_text(encoding="utf-8")
    assert "800," in text
    assert "800.0" not in text
    assert (out / "case.toml").read_text(encoding="utf-8").startswith("[case]")


def test_refuses_to_overwrite(tiny_dir: Path, tmp_path: Path) -> None:
    case = load_case(tiny_dir)
    save_case(case, tmp_path / "x")
    with pytest.raises(InsourceError, match="already exists"):
        save_case(case, tmp_path / "x")
    save_case(case, tmp_path / "x", overwrite=True)


@pytest.mark.parametrize("target", ["folder", "book.xlsx"])
def test_failed_write_leaves_nothing(
    tiny_dir: Path, tmp_path: Path, monkeypatch, target: str
) -> None:
    import insource.case._io as io

    case = load_case(tiny_dir)
    real = io.format_cell if target == "folder" else io._excel_value
    calls = {"n": 0}

    def flaky(value):
        calls["n"] += 1
        if calls["n"] > 40:  # fail part-way through, after some files or sheets
            raise OSError("disk full")
        return real(value)

    monkeypatch.setattr(io, "format_cell" if target == "folder" else "_excel_value", flaky)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OSError, match="disk full"):
        save_case(case, out / target)
    assert list(out.iterdir()) == []  # no partial file, no temporary left behind


def test_excel_dates_in_month_columns_are_read_as_months(tiny_dir: Path, tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import load_workbook

    book = save_case(load_case(tiny_dir), tmp_path / "b.xlsx")
    wb = load_workbook(book)
    ws = wb["options"]
    header = [c.value for c in ws[1]]
    ws.cell(
        row=3, column=header.index("start") + 1, value=datetime(2026, 8, 1)
    )  # Excel turned it into a date
    wb.save(book)
    case, problems = read_case(book)
    assert problems == []
    assert case.options.loc[3, "start"] == "2026-08"


def test_workbook_headers_explain_the_columns(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = save_case(load_case("nissan-kei-ev"), tmp_path / "k.xlsx")
    ws = load_workbook(book)["contracts"]
    header = {c.value: c for c in ws[1]}
    assert "money/unit" in header["unit_price"].comment.text
    assert "required" in header["unit_price"].comment.text
    assert "Take-or-pay" in header["min_volume"].comment.text


def test_text_that_looks_like_a_formula_and_exact_floats_survive_excel(
    tiny_dir: Path, tmp_path: Path
) -> None:
    case = load_case(tiny_dir)
    case.options.loc[2, "description"] = "=Status quo"
    case.products.loc[2, "battery_cost"] = 0.30000000000000004
    case.products.loc[2, "net_revenue"] = 123456789012345678.0
    back = load_case(save_case(case, tmp_path / "b.xlsx"))
    assert back.options.loc[2, "description"] == "=Status quo"
    assert back.products.loc[2, "battery_cost"] == 0.30000000000000004
    assert back.products.loc[2, "net_revenue"] == 123456789012345678.0


def test_force_replaces_only_a_case_folder(tiny_dir: Path, tmp_path: Path, monkeypatch) -> None:
    case = load_case(tiny_dir)
    other = tmp_path / "other"
    other.mkdir()
    (other / "important.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InsourceError, match="holds no case"):
        save_case(case, other, overwrite=True)
    assert (other / "important.txt").read_text(encoding="utf-8") == "keep me"
    monkeypatch.chdir(tiny_dir)
    with pytest.raises(InsourceError, match="current folder"):
        save_case(case, ".", overwrite=True)


def test_csv_booleans_are_lower_case(tiny_dir: Path, tmp_path: Path) -> None:
    out = save_case(load_case(tiny_dir), tmp_path / "o")
    text = (out / "options.csv").read_text(encoding="utf-8")
    assert ",true," in text
    assert "True" not in text


def test_workbook_with_blank_rows_above_the_header(tiny_dir: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = save_case(load_case(tiny_dir), tmp_path / "b.xlsx")
    wb = load_workbook(book)
    ws = wb["lines"]
    ws.insert_rows(1, amount=2)
    header = [c.value for c in ws[3]]
    ws.cell(row=5, column=header.index("rate") + 1, value="fast")
    wb.save(book)
    _, problems = read_case(book)
    assert [(p.file, p.row, p.column) for p in problems] == [("b.xlsx[lines]", 5, "rate")]


def test_case_from_tables_matches_reading_files(tiny_dir: Path) -> None:
    import csv

    from insource.case import case_from_tables
    from insource.errors import ProblemsError

    frames = {}
    for path in sorted(tiny_dir.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        frames[path.stem] = pd.DataFrame(rows[1:], columns=rows[0])
    meta = load_case(tiny_dir).meta
    built = case_from_tables(frames, meta)
    assert built.equals(load_case(tiny_dir))
    frames["lines"].loc[0, "rate"] = float("nan")  # an empty required cell, as pandas writes it
    with pytest.raises(ProblemsError, match="1 problem"):
        case_from_tables(frames, meta)
