"""OR-Library capacitated facility location: import, plan, compare with the optimum."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from insource.case import load_case
from insource.cli import main
from insource.errors import InsourceError
from insource.plan import PlanSettings, plan
from insource.plan._orlib import read_orlib_cap, write_orlib_case

DATA = Path(__file__).parents[1] / "data" / "orlib"
SHARED = Path(__file__).parents[2] / ".." / "shared" / "benchmarks" / "orlib_cap"
SETTINGS = PlanSettings(allow_lost_sales=False, inventory=False)


def _cost(folder: Path) -> float:
    r = plan(load_case(folder), "optimise", SETTINGS, gap=1e-9, duals=False)
    assert r.status == "optimal"
    return -r.npv


def test_read_format():
    cap, fixed, demand, cost = read_orlib_cap(DATA / "tiny2x3.txt")
    assert cap.tolist() == [10, 10]
    assert fixed.tolist() == [100, 50]
    assert demand.tolist() == [5, 4, 6]
    assert cost[:, 2].tolist() == [12, 6]


def test_small_instance_by_hand(tmp_path):
    # capacity 10 each, demand 15: both open (150); c1 from f1 (5), c2 and c3 from f2 (4 + 6)
    assert _cost(write_orlib_case(DATA / "tiny2x3.txt", tmp_path / "a")) == pytest.approx(165.0)
    # capacity 20: only f2 opens (50) and serves everyone (10 + 4 + 6)
    assert _cost(write_orlib_case(DATA / "tiny2x3.txt", tmp_path / "b", 20)) == pytest.approx(70.0)


def test_capacity_word_needs_option(tmp_path):
    with pytest.raises(InsourceError, match="--capacity"):
        write_orlib_case(DATA / "tinycap.txt", tmp_path / "c")
    assert (
        main(["import", "orlib-cap", str(DATA / "tinycap.txt"), "--to", str(tmp_path / "d")]) == 2
    )
    assert (
        main(
            [
                "import",
                "orlib-cap",
                str(DATA / "tinycap.txt"),
                "--to",
                str(tmp_path / "e"),
                "--capacity",
                "9",
            ]
        )
        == 0
    )
    # demand 9 fits in f2 (50 + 5 + 4... per unit costs 2 and 1): 50 + 10 + 4 = 64
    assert _cost(tmp_path / "e") == pytest.approx(64.0)


def _optima() -> pd.DataFrame:
    return pd.read_csv(SHARED / "optima.csv")


# one instance of each size class keeps the suite fast; benchmarks/bench_plan_orlib.py
# runs all 37 of cap41..cap134 and capa/capb/capc
@pytest.mark.parametrize("instance", ["cap41", "cap71", "cap101"])
def test_published_optimum(instance, tmp_path):
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the OR-Library instances are not available here")
    row = _optima().set_index("instance").loc[instance]
    folder = write_orlib_case(SHARED / row["file"], tmp_path / instance)
    assert _cost(folder) == pytest.approx(float(row["value"]), rel=1e-6)
