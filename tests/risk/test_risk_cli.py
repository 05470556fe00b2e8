"""The risk command: tables out, and bad input as a clear message with exit status 2."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from insource.cli import main
from insource.errors import InsourceError
from insource.risk._cluster import map_chunks


def test_risk_json_and_tables(
    tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "risk"
    opts = pd.read_csv(tiny_dir / "options.csv")
    opts[opts["id"].isin(["buy", "make"])].to_csv(tiny_dir / "options.csv", index=False)
    assert (
        main(
            ["risk", str(tiny_dir), "--samples", "1500", "--seed", "2", "--json", "--out", str(out)]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["meta"]["samples"] == 1500
    assert payload["meta"]["baseline"] == "buy"
    assert {r["option"] for r in payload["summary"]} == {"buy", "make"}
    npv = pd.read_parquet(out / "npv.parquet")
    assert len(npv) == 2 * 1500
    assert list(npv.columns) == ["sample", "option", "npv"]
    summary = pd.read_csv(out / "summary.csv").set_index("option")
    mean = npv.groupby("option")["npv"].mean()
    assert summary.loc["make", "mean"] == pytest.approx(mean["make"], rel=1e-12)
    assert not list(out.glob(".*"))  # no temporary files left behind


def _edit(path: Path, column: str, row: int, value: str) -> None:
    frame = pd.read_csv(path, dtype=str)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)


def test_low_above_high_exits_2(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(tiny_dir / "uncertainty.csv", "low", 0, "950")  # price: low 950 > high 900
    assert main(["risk", str(tiny_dir)]) == 2
    err = capsys.readouterr().err
    assert "uncertainty.csv" in err
    assert "row 2" in err
    assert "above high" in err
    assert "Traceback" not in err


def test_inconsistent_correlations_exit_2(
    tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tiny_dir / "correlations.csv").write_text(
        "a,b,rho\nprice,batt,0.9\nbatt,capex,0.9\nprice,capex,-0.9\n"
    )
    assert main(["risk", str(tiny_dir)]) == 2
    err = capsys.readouterr().err
    assert "positive semi-definite" in err
    assert "Traceback" not in err


def test_unreachable_scheduler_exits_2_quickly(
    tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t0 = time.monotonic()
    assert main(["risk", str(tiny_dir), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert time.monotonic() - t0 < 30
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler" in err
    assert "Traceback" not in err


def test_unknown_method_exits_2(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", str(tiny_dir), "--method", "halton"]) == 2
    assert "unknown sampling method" in capsys.readouterr().err


def _slow(start: int, stop: int, seed: int) -> int:
    time.sleep(0.3)
    return stop - start


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_cluster_that_goes_away_mid_run_is_a_clear_error() -> None:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    client = Client(cluster)
    try:

        def gone(done: int) -> None:
            if done == 1:
                threading.Thread(target=cluster.close).start()

        with pytest.raises(InsourceError, match="went away"):
            map_chunks(_slow, 20, 1, 0, client=client, progress=gone, lost_after=2.0)
    finally:
        client.close()
        cluster.close()
