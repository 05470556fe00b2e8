from __future__ import annotations

import json

import pandas as pd
import pytest

from insource.cli import main


def test_plan_json_and_out(make_dir, tmp_path, capsys):
    case = make_dir()
    folder = tmp_path / "res"
    assert main(["plan", str(case), "--option", "make", "--json", "--out", str(folder)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "optimal"
    assert payload["npv"] == pytest.approx(300 * 190 + 900 * 300 - 6000)
    vol = pd.read_csv(folder / "volumes.csv")
    assert vol.query("kind == 'inhouse'")["volume"].sum() == pytest.approx(900)
    assert (folder / "pnl.parquet").exists()


def test_compare_json(make_dir, capsys):
    assert main(["compare", str(make_dir()), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    opts = {o["option"]: o for o in payload["options"]}
    assert opts["free"]["npv_vs_baseline"] == pytest.approx(1200 * 300 - 6000 - 1200 * 190)
    assert payload["recommendation"].startswith("Choose free")


def test_unknown_option_exits_2(make_dir, capsys):
    assert main(["plan", str(make_dir()), "--option", "nope"]) == 2
    assert "unknown option 'nope'" in capsys.readouterr().err


def test_infeasible_policy_exits_2(make_dir, capsys):
    con = "id,product,partner,site,unit_price,capacity\nc1,car,maker,plant-p,800,600\n"
    case = make_dir(**{"contracts.csv": con})
    assert main(["plan", str(case), "--option", "buy", "--no-lost-sales", "--json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert "cannot be met" in payload["error"]
    assert "Product-balance" in payload["problems"][0]["what"]


def test_help_has_examples(capsys):
    for cmd in (["plan"], ["compare"], ["import", "orlib-cap"]):
        assert main([*cmd, "--help"]) == 0
        assert "Example" in capsys.readouterr().out
