"""The decision report and workbook built from a real comparison of the tiny case."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import insource.risk
from insource.cli import main
from insource.report import (
    audit_table,
    build_report,
    case_checksum,
    chosen_options,
    write_report,
)
from tests.report.conftest import TINY, hand_risk


def _risk(cmp):
    return hand_risk([str(o) for o in cmp.summary["option"]], cmp.baseline)


def _sheet(wb, name: str) -> pd.DataFrame:
    rows = list(wb[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_workbook_holds_every_table_and_its_totals(tiny_compared, tmp_path: Path) -> None:
    case, cmp = tiny_compared
    rep = build_report(case, cmp, _risk(cmp))
    html, xlsx = write_report(rep, tmp_path / "r.html", tmp_path / "r.xlsx")
    assert html.is_file()
    wb = load_workbook(xlsx)
    assert wb.sheetnames[0] == "README"
    assert set(rep.tables) <= set(wb.sheetnames)
    listed = [r[0] for r in wb["README"].iter_rows(values_only=True) if r[0] in rep.tables]
    assert listed == list(rep.tables)  # the README lists every sheet, in order
    for name in rep.tables:
        assert wb[name].freeze_panes == "A2"
    # units in the headers
    options = _sheet(wb, "options")
    assert "npv [EUR]" in options.columns
    assert "payback_months [months]" in options.columns
    assert options["npv [EUR]"].sum() == pytest.approx(cmp.summary["npv"].sum())
    # totals: every option's cash, volumes and NPV items match the result tables
    pnl = _sheet(wb, "pnl")
    for opt, r in cmp.results.items():
        got = pnl.loc[pnl["option"] == opt, "cash [EUR]"].sum()
        assert got == pytest.approx(r.cash["cash"].sum(), rel=1e-9, abs=1e-6)
    vols = _sheet(wb, "volume_by_site")
    for opt, r in cmp.results.items():
        assert vols.loc[vols["option"] == opt, "volume [units]"].sum() == pytest.approx(
            r.volume_by_site()["volume"].sum()
        )
    items = _sheet(wb, "npv_items")
    for opt, r in cmp.results.items():
        assert items.loc[items["option"] == opt, "npv [EUR]"].sum() == pytest.approx(
            r.item_npv().sum()
        )
    # risk tables: the NPV percentiles reproduce the samples' quantiles
    pct = _sheet(wb, "risk_npv_percentiles")
    risk = _risk(cmp)
    make = risk.npv.loc[risk.npv["option"] == "make", "npv"]
    assert pct.loc[pct["percentile [% of samples]"] == 50, "make [EUR]"].item() == pytest.approx(
        make.median()
    )
    assert pct["make [EUR]"].iloc[-1] == pytest.approx(make.max())
    summ = _sheet(wb, "risk_summary")
    assert summ["mean [EUR]"].to_numpy() == pytest.approx(risk.summary["mean"].to_numpy())
    # number formats: money with thousands separators
    ws = wb["options"]
    col = [c.value for c in ws[1]].index("npv [EUR]") + 1
    assert ws.cell(row=2, column=col).number_format == "#,##0"


def test_report_sections_and_charts(tiny_compared) -> None:
    case, cmp = tiny_compared
    with_risk = build_report(case, cmp, _risk(cmp), generated="t")
    without = build_report(case, cmp, None, generated="t")
    titles = [s.title for s in with_risk.sections]
    assert titles[0] == "Recommendation"
    assert titles[-1] == "Audit"
    assert "Risk" in titles
    assert "Assumptions" in titles
    assert "Risk" not in [s.title for s in without.sections]
    assert {"npv_distribution", "tornado", "breakeven"} <= set(with_risk.figures)
    assert not {"npv_distribution", "tornado", "breakeven"} & set(without.figures)
    assert {"unit_margin", "volume", "utilisation", "breakeven_volume"} <= set(without.figures)
    lead = with_risk.sections[0].blocks[0].text
    assert lead.startswith(cmp.recommendation)
    # the status quo wins the tiny case; the confidence names the strongest rival
    assert chosen_options(cmp)["best"] == "buy"
    p = float(_risk(cmp).summary.set_index("option")["prob_beats_baseline"].drop("buy").max())
    assert f"in only {p:.0%} of them" in lead
    assert "Confidence: not assessed" in without.sections[0].blocks[0].text
    page = with_risk.html()
    assert len(page.encode()) < 10_000_000
    assert page.count('class="plotly-graph-div"') == len(with_risk.figures)
    assert not re.search(r"<script[^>]+src=", page)  # everything inlined


def test_assumptions_carry_provenance_and_what_they_drive(tiny_compared) -> None:
    case, cmp = tiny_compared
    rep = build_report(case, cmp, _risk(cmp))
    a = rep.tables["assumptions"].set_index("input")
    assert a.loc["price", "figure"] == "contracts.c1.unit_price"
    assert a.loc["price", "value"] == "800"
    assert a.loc["price", "low / base / high"] == "750 / 800 / 900"
    assert a.loc["rate", "source"] == "hand-made"
    assert a.loc["rate", "confidence"] == "estimate"
    assert a.loc["price", "npv_at_low"] == 1.2e5
    assert a.loc["price", "npv_swing"] == 7e4
    assert a.loc["price", "sobol_total"] == 0.62
    assert a.loc["price", "breakeven"] == "make: 860"
    assert a.loc["batt", "breakeven"] == ""  # no finite break-even


def test_report_is_deterministic_apart_from_the_timestamp(tiny_compared) -> None:
    case, cmp = tiny_compared
    a = build_report(case, cmp, _risk(cmp), generated="2026-01-01 00:00 UTC").html()
    b = build_report(case, cmp, hand_risk(list(cmp.summary["option"]), "buy")).html()
    c = build_report(case, cmp, _risk(cmp), generated="2026-01-02 09:30 UTC").html()
    assert a.replace("2026-01-01 00:00 UTC", "2026-01-02 09:30 UTC") == c
    assert a.replace("; generated 2026-01-01 00:00 UTC", "") == b
    other = build_report(case, cmp, hand_risk(list(cmp.summary["option"]), "buy", seed=1)).html()
    assert other != b  # a different seed gives different risk figures


def test_case_checksum_follows_the_content(tiny_compared) -> None:
    case, _ = tiny_compared
    first = case_checksum(case)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert case_checksum(case.copy()) == first
    changed = case.with_overrides("contracts.c1.unit_price=801")
    assert case_checksum(changed) != first


def test_audit_names_solver_seed_and_checksum(tiny_compared) -> None:
    case, cmp = tiny_compared
    size = {"option": "buy", "variables": 10, "integers": 2, "constraints": 7}
    audit = audit_table(case, cmp, seed=7, samples=400, model_size=size, risk=_risk(cmp))
    rows = dict(zip(audit["item"], audit["value"], strict=True))
    assert rows["case checksum (sha256 of the canonical tables)"] == case_checksum(case)
    assert rows["model size (buy)"] == "10 variables (2 integer), 7 constraints"
    assert rows["solver"].startswith("HiGHS ")
    assert rows["MIP gap"] == "every option solved to optimality (gap 0)"
    assert rows["seed"] == "7"
    assert rows["risk analysis"] == "400 samples, seed 0, method lhs"
    assert re.fullmatch(r"[\d.]+ s over 4 options", rows["solve time"])


def test_failed_workbook_leaves_no_file(tiny_compared, tmp_path: Path, monkeypatch) -> None:
    import insource.report._build as build

    case, cmp = tiny_compared
    rep = build_report(case, cmp)
    (tmp_path / "r.html").write_text("old")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(build, "write_results_workbook", boom)
    with pytest.raises(OSError, match="disk full"):
        write_report(rep, tmp_path / "r.html", tmp_path / "r.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]
    assert (tmp_path / "r.html").read_text() == "old"


def test_cli_writes_both_files_and_prints_the_path(
    tiny_compared, tmp_path: Path, monkeypatch, capsys
) -> None:
    import insource.report.cli as cli

    _, cmp = tiny_compared
    monkeypatch.setattr(cli, "compare", lambda case, progress=None: cmp)
    out, xlsx = tmp_path / "r.html", tmp_path / "r.xlsx"
    args = ["report", str(TINY), "--out", str(out), "--xlsx", str(xlsx), "--samples", "50"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert printed.rstrip().splitlines()[-1] == f"report: {out}"
    assert "options against buy" in printed
    assert out.stat().st_size < 10_000_000
    assert load_workbook(xlsx).sheetnames[0] == "README"
    assert "model size (buy)" in out.read_text()


def test_cli_hands_the_comparison_samples_and_seed_to_risk(
    tiny_compared, tmp_path: Path, monkeypatch, capsys
) -> None:
    import insource.report.cli as cli

    _case, cmp = tiny_compared
    calls = []

    def analyse(case, comparison=None, samples=10_000, seed=0, progress=None, **kw):
        calls.append((samples, seed))
        if progress is not None:
            progress(samples, samples)
        return hand_risk(list(comparison.summary["option"]), comparison.baseline, seed=seed)

    monkeypatch.setattr(insource.risk, "analyse", analyse, raising=False)
    monkeypatch.setattr(cli, "compare", lambda case, progress=None: cmp)
    monkeypatch.setattr(cli, "_model_size", lambda r: {"option": r.option})  # tested above
    out = tmp_path / "r.html"
    assert main(["report", str(TINY), "--out", str(out), "--samples", "64", "--seed", "3"]) == 0
    assert calls == [(64, 3)]
    text = out.read_text()
    assert "NPV over the samples" in text
    assert "value of waiting a year" in text
    assert "2.5k EUR" in text  # the value_of_waiting row, not the first (scenarios) row
    assert "P(beats status quo)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "r.pdf"], "is not an .html file"),
        (["--xlsx", "r.csv"], "is not an .xlsx file"),
        (["--samples", "0"], "--samples 0 is not positive"),
    ],
)
def test_cli_bad_options_exit_2(args, message, capsys) -> None:
    assert main(["report", str(TINY), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_unknown_case_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path / "missing"), "--out", str(tmp_path / "r.html")]) == 2
    assert not (tmp_path / "r.html").exists()
