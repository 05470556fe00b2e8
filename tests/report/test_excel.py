from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from insource.report import write_results_workbook


def _tables() -> dict[str, pd.DataFrame]:
    vol = pd.DataFrame(
        {
            "source": ["contract", "kyushu-1", "contract"],
            "fiscal_year": [2028, 2028, 2029],
            "volume": [5000.0, 15000.0, 0.0],
        }
    )
    vol.attrs.update(name="Volume by source", unit="units")
    npv = pd.DataFrame(
        {"option": ["contract", "insource"], "npv": [1.5e9, 2.25e9], "irr": [None, 0.12]}
    )
    npv.attrs.update(name="NPV by option", unit="JPY", units={"npv": "JPY", "irr": "fraction"})
    return {"volumes": vol, "npv: options/compare [long name that is cut]": npv}


def test_workbook_holds_every_table_with_units_and_totals(tmp_path: Path) -> None:
    tables = _tables()
    path = write_results_workbook(tables, tmp_path / "r.xlsx", title="Results")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "README"
    assert len(wb.sheetnames) == 1 + len(tables)
    ws = wb["volumes"]
    assert [c.value for c in ws[1]] == ["source", "fiscal_year", "volume [units]"]
    assert ws.freeze_panes == "A2"
    assert (
        sum(r[2] for r in ws.iter_rows(min_row=2, values_only=True))
        == tables["volumes"]["volume"].sum()
    )
    npv = wb[wb.sheetnames[2]]
    assert len(wb.sheetnames[2]) <= 31
    assert [c.value for c in npv[1]] == ["option", "npv [JPY]", "irr [fraction]"]
    assert npv["C2"].value is None  # a missing IRR stays empty
    assert npv["C3"].number_format == "0.0%"
    assert npv["B2"].number_format == "#,##0"
    rows = list(wb["README"].iter_rows(values_only=True))
    head = rows.index(("sheet", "table", "unit", "rows", "what it holds"))
    assert [r[1] for r in rows[head + 1 :]] == ["Volume by source", "NPV by option"]
    assert [r[3] for r in rows[head + 1 :]] == [3, 2]
    assert any("Units are in the column headers" in str(r[0]) for r in rows[:head])


def test_write_is_atomic(tmp_path: Path, monkeypatch) -> None:
    from openpyxl import Workbook

    def boom(self, filename):
        Path(filename).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        write_results_workbook(_tables(), tmp_path / "r.xlsx", title="Results")
    assert list(tmp_path.iterdir()) == []
