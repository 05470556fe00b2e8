"""``insource forecast``: exit codes, JSON, files written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from insource.cli import main
from insource.demand import bass_cdf

DATA = Path(__file__).parent / "data" / "kei"
ENTRIES = Path(__file__).parents[2] / "src/insource/demand/data/kei_ev_entries.csv"


def _write(path: Path, periods: list[str], values: list[object]) -> Path:
    pd.DataFrame({"period": periods, "value": values}).to_csv(path, index=False)
    return path


@pytest.fixture
def bass_csv(tmp_path: Path) -> Path:
    t = np.arange(1.0, 31)
    y = 50_000 * (bass_cdf(t, 0.01, 0.2) - bass_cdf(t - 1, 0.01, 0.2))
    months = [str(p) for p in pd.period_range("2020-01", periods=30, freq="M")]
    return _write(tmp_path / "sales.csv", months, list(y.round(1)))


def test_fit_bass_json(bass_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "forecast",
            "fit",
            str(bass_csv),
            "--model",
            "bass",
            "--horizon",
            "6",
            "--out",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    est = {r["parameter"]: r["estimate"] for r in payload["parameters"]}
    assert est["m"] == pytest.approx(50_000, rel=1e-3)
    assert payload["forecast"][0]["period"] == "2022-07"
    assert (out / "fan.html").read_text().count("plotly") > 10  # plotly inlined
    assert (out / "forecast.csv").is_file()


def test_fit_plain_text(bass_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forecast", "fit", str(bass_csv)]) == 0
    assert "parameters" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("periods", "values", "message"),
    [
        (["2023-01", "2023-02", "2023-03"], [1, 2, 3], "too few points"),
        (["2023-01", "2023-02", "2023-03", "2023-04", "2023-05"], [1, -2, 3, 4, 5], "negative"),
        (["2023-01", "2023-03", "2023-02", "2023-04", "2023-05"], [1, 2, 3, 4, 5], "sort"),
        (["2023-01", "2023-01", "2023-02", "2023-04", "2023-05"], [1, 2, 3, 4, 5], "twice"),
        (["2023-01", "2023-02", "2023-03", "2023-04", "2023-05"], [1, None, 3, 4, 5], "missing"),
        ([str(i) for i in range(1, 13)], [float(2**i) for i in range(12)], "converge"),
    ],
)
def test_bad_files_exit_2(
    tmp_path: Path,
    periods: list[str],
    values: list[object],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _write(tmp_path / "bad.csv", periods, values)
    assert main(["forecast", "fit", str(path), "--model", "bass"]) == 2
    err = capsys.readouterr().err
    assert message.lower() in err.lower()
    assert "Traceback" not in err


def test_usage_errors_exit_2(tmp_path: Path, bass_csv: Path) -> None:
    assert main(["forecast", "fit"]) == 2
    assert main(["forecast", "fit", str(tmp_path / "nope.csv")]) == 2
    assert main(["forecast", "fit", str(bass_csv), "--model", "prophet"]) == 2
    assert main(["forecast", str(DATA), "--model", "ets"]) == 2
    assert main(["forecast", "no-such-case"]) == 2


def test_irregular_series_rejected_by_statistical_model(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "gaps.csv",
        ["2023-01", "2023-02", "2023-05", "2023-06", "2023-07"],
        [1, 2, 3, 4, 5],
    )
    assert main(["forecast", "fit", str(path), "--model", "theta"]) == 2


def test_builtin_case_writes_valid_scenario_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from insource.case import load_case, resolve_case

    case = tmp_path / "kei"
    shutil.copytree(resolve_case("nissan-kei-ev"), case)
    code = main(
        [
            "forecast",
            str(case),
            "--scenarios",
            "500",
            "--seed",
            "4",
            "--entries",
            str(ENTRIES),
            "--out",
            str(case),
            "--json",
        ]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in payload["scenarios"]} == {"low", "base", "high"}
    reloaded = load_case(case)  # the case still validates with the new tables
    assert reloaded.tables["scenarios"]["probability"].sum() == pytest.approx(1.0)
    dem = reloaded.tables["demand_scenarios"]
    assert set(dem["scenario"]) == {"low", "base", "high"}
    assert {"sakura", "kei-ev-2028"} <= set(dem["product"])
    assert str(reloaded.horizon[0]) == "2026-04"
    assert "FY2035" in set(dem["period"])
    paths = pd.read_parquet(tmp_path / "kei.forecast" / "demand_paths.parquet")
    assert paths["path"].nunique() == 500
    page = (tmp_path / "kei.forecast" / "demand.html").read_text()
    assert page.count("Plotly.newPlot") == 2  # segment and product-line fan charts


def test_case_folder_of_demand_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forecast", str(DATA), "--scenarios", "200", "--out", str(tmp_path)]) == 0
    assert "scenario summary" in capsys.readouterr().out
    assert (tmp_path / "demand_scenarios.csv").is_file()


def test_case_from_a_workbook_matches_the_built_in_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from insource.case import load_case, save_case

    book = save_case(load_case("nissan-kei-ev"), tmp_path / "kei.xlsx")
    runs = []
    for case in ("nissan-kei-ev", str(book)):
        assert main(["forecast", case, "--scenarios", "50", "--json"]) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert runs[0]["parameters"] == runs[1]["parameters"]
    assert runs[0]["summary"] == runs[1]["summary"]
    row = runs[1]["summary"][0]
    assert list(row) == ["item", "period", "mean", "p5", "p50", "p95", "low", "high"]
    assert row["p5"] <= row["low"] <= row["p50"] <= row["high"] <= row["p95"]


# -- fan charts ---------------------------------------------------------------
def test_fit_chart_html_is_self_contained(bass_csv: Path, tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "fan.html"
    assert main(["forecast", "fit", str(bass_csv), "--horizon", "6", "--chart", str(chart)]) == 0
    page = chart.read_text()
    assert '<script src="http' not in page  # opens offline: nothing loaded from a CDN
    assert len(page) > 1_000_000  # plotly.js itself is inside
    assert '"name":"history"' in page
    assert '"name":"P5-P95"' in page  # bands of the sampled paths
    assert "2022-07" in page  # first forecast month follows the history
    assert [p.name for p in chart.parent.iterdir()] == ["fan.html"]  # no temporary left over


def test_case_chart_html_has_both_fans(tmp_path: Path) -> None:
    chart = tmp_path / "kei.html"
    assert main(["forecast", str(DATA), "--scenarios", "200", "--chart", str(chart)]) == 0
    page = chart.read_text()
    assert page.count('"name":"P5-P95"') == 2  # segment and product line
    assert "kei_bev: history and 200 sampled paths" in page


@pytest.mark.skipif(
    not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")),
    reason="PNG export needs a local Chrome or Chromium",
)
def test_fit_chart_png(bass_csv: Path, tmp_path: Path) -> None:
    chart = tmp_path / "fan.png"
    assert main(["forecast", "fit", str(bass_csv), "--horizon", "6", "--chart", str(chart)]) == 0
    data = chart.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1000, 560)


@pytest.mark.parametrize("name", ["fan.svg", "fan"])
def test_unknown_chart_format_exits_2_before_fitting(
    bass_csv: Path, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        ["forecast", "fit", str(bass_csv), "--out", str(out), "--chart", str(tmp_path / name)]
    )
    assert code == 2
    assert "unknown chart format" in capsys.readouterr().err
    assert not out.exists()  # refused before anything was written


# -- bad input: the rest of the list ------------------------------------
def test_missing_period_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "gap.csv", ["2023-01", "", "2023-03", "2023-04"], [1, 2, 3, 4])
    assert main(["forecast", "fit", str(path)]) == 2
    err = capsys.readouterr().err
    assert "row 3: period is missing" in err
    assert "Traceback" not in err


def test_series_too_short_for_ets_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    months = [f"2023-{m:02d}" for m in range(1, 6)]
    path = _write(tmp_path / "short.csv", months, [1, 2, 3, 4, 5])
    assert main(["forecast", "fit", str(path), "--model", "ets"]) == 2
    err = capsys.readouterr().err
    assert "ets could not be fitted on a series of 5 points" in err
    assert "Traceback" not in err


def _kei_folder(tmp_path: Path, edit: object) -> Path:
    folder = tmp_path / "kei"
    shutil.copytree(DATA, folder)
    f = folder / "market_history.csv"
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    edit(df).to_csv(f, index=False)  # type: ignore[operator]
    return folder


def _negative(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(volume=df["volume"].where(df["period"] != "CY2022", "-27221"))


def _blank(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(volume=df["volume"].where(df["period"] != "CY2023", ""))


def _duplicate(df: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([df, df[df["period"] == "CY2023"].assign(volume="50000")])


def _too_few(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["period"].isin(["CY2022", "CY2023"])]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_negative, "market_history (market kei_bev): row 3: value -27221 is negative"),
        (_blank, "market_history (market kei_bev): row 4: value is missing"),
        (_duplicate, "market_history (market kei_bev): period CY2023 appears 2 times"),
        (_too_few, "market_history (market kei_bev): too few points to fit a Bass model: 2"),
    ],
)
def test_bad_case_history_exits_2(
    tmp_path: Path, edit: object, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _kei_folder(tmp_path, edit)
    out = tmp_path / "out"
    assert main(["forecast", str(folder), "--scenarios", "50", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in " ".join(err.split())
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--end", "garbage"], "is not a month or year"),
        (["--end", "2020-01"], "before the first reported month"),
        (["--seed", "-1"], "greater than or equal to 0"),
        (["--scenarios", "0"], "greater than or equal to 1"),
    ],
)
def test_bad_case_options_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forecast", "nissan-kei-ev", *args]) == 2
    assert message in capsys.readouterr().err


def test_fit_bad_windows_and_level_exit_2(
    bass_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forecast", "fit", str(bass_csv), "--windows", "0"]) == 2
    assert main(["forecast", "fit", str(bass_csv), "--level", "150"]) == 2
    assert "--level" in capsys.readouterr().err
