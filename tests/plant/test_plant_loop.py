"""The plant loop: task list from the case, takt from the plan, rules, day, write-back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from insource.case import load_case
from insource.cli import main
from insource.errors import InsourceError
from insource.plant import (
    CarClass,
    car_classes,
    class_loads,
    day_instance,
    evaluate_sequence,
    line_load,
    line_task_list,
    plant_loop,
    ratio_rules,
)

TASKS = Path(__file__).parent / "data" / "tiny_line"


@pytest.fixture
def line_case(tiny_dir: Path) -> Path:
    """The tiny case with the hand-made task list of its own line ``lo``."""
    for f in TASKS.glob("*.csv"):
        shutil.copy(f, tiny_dir / f.name)
    return tiny_dir


# --- pieces, by hand --------------------------------------------------------------------


def test_ratio_rule_from_station_loads():
    # station 2: class a takes 40 s, b 10 s, takt 25: p*40 + (q-p)*10 <= 25 q -> p/q <= 1/2
    rules = ratio_rules({"a": [20, 40], "b": [20, 10]}, 25.0)
    assert len(rules) == 1
    rule, heavy, station = rules[0]
    assert (rule.p, rule.q, heavy, station) == (1, 2, frozenset({"a"}), 2)
    # 3 heavy at 30 s, light 20 s, takt 27: p/q <= 7/10 exactly
    (rule, _, _), *_ = ratio_rules({"h": [30], "l": [20]}, 27.0)
    assert (rule.p, rule.q) == (7, 10)
    assert ratio_rules({"a": [20, 25], "b": [5, 25]}, 25.0) == []


def test_classes_share_and_task_times(line_case: Path):
    case = load_case(line_case)
    tasks = line_task_list(case, "lo")
    assert tasks.tasks == ("t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8")
    assert (tasks.tasks[7], sorted(j for j, k in tasks.precedences if k == 7)) == ("t8", [3, 5, 6])
    classes = car_classes(tasks, {"Old model": 3.0, "car": 1.0})
    shares = {c.key: c.share for c in classes}
    assert shares == {"Old model": 0.75, "car": 0.125, "car+big-battery": 0.125}
    # car: no engine (t5 = 0 via task_times), the big-battery task only with the option
    assert tasks.time_of("car", frozenset()) == (400, 500, 600, 0, 0, 500, 300, 400)
    assert tasks.time_of("car", frozenset({"big-battery"}))[3] == 1500
    assert tasks.time_of("Old model", frozenset())[2:5] == (0, 0, 600)
    loads = class_loads({"x": (1, 2, 3)}, [1, 2, 1], 2)
    assert loads == {"x": (4, 2)}


def test_day_counts_and_capacity_rule():
    classes = [CarClass("a", frozenset(), 0.5), CarClass("b", frozenset(), 0.3),
               CarClass("c", frozenset(), 0.2)]  # fmt: skip
    rules = ratio_rules({"a": [30], "b": [10], "c": [10]}, 20.0)  # a heavy: 1/2
    inst = day_instance(classes, 11, rules, "day")
    assert inst.demand == (6, 3, 2)  # 5.5, 3.3, 2.2 -> largest remainders
    assert inst.options == ((1,), (0,), (0,))
    # 6 of 11 cars need a 1/2 rule: at most 6 fit (positions 1, 3, ..., 11), so it is tight
    seq = [0, 1, 0, 2, 0, 1, 0, 2, 0, 1, 0]
    assert evaluate_sequence(inst, seq).violations == 0


def test_line_load_takt_by_hand(line_case: Path):
    case = load_case(line_case)
    months = pd.period_range("2026-07", "2026-12", freq="M").astype(str)
    volumes = pd.DataFrame(
        {"kind": "inhouse", "source": "lo", "product": "car", "region": "home",
         "period": months, "volume": 100.0}
    )  # fmt: skip
    util = pd.DataFrame(
        {"line": "lo", "fiscal_year": [2026, 2027], "hours_planned": [1920.0, 3840.0]}
    )
    load = line_load(case, volumes, util, "lo", "make")
    # 2026: other load 4,800 + 600 cars in 1,920 h -> takt 1,920 * 3600 / 5,400 = 1,280 s
    assert load.fiscal_year == 2026
    assert load.takt == pytest.approx(1280.0)
    assert dict(load.models) == {"Old model": pytest.approx(4800.0), "car": 600.0}
    assert load.day_hours == pytest.approx(8.0)
    with pytest.raises(InsourceError, match="no planned load on lo in CY2027"):
        line_load(case, volumes, util, "lo", "make", year=2027)


# --- bad input ----------------------------------------------------------------------


def test_bad_task_lists(line_case: Path):
    case = load_case(line_case)
    with pytest.raises(InsourceError, match="no line 'nope'"):
        line_task_list(case, "nope")
    with pytest.raises(InsourceError, match="no task list for line 'lp'"):
        line_task_list(case, "lp")
    bad = case.copy()
    bad.tables["tasks"].loc[3, "predecessors"] = "t9"  # indexed by file row
    with pytest.raises(
        InsourceError, match=r"tasks.csv, row 3, column predecessors: unknown task 't9'"
    ):
        line_task_list(bad, "lo")
    bad = case.copy()
    bad.tables["tasks"].loc[2, "predecessors"] = "t8"
    with pytest.raises(InsourceError, match=r"cyclic precedence on line lo: t1 -> .* -> t1"):
        line_task_list(bad, "lo")
    bad = case.copy()
    bad.tables["tasks"].loc[2, "option"] = "sunroof"
    with pytest.raises(
        InsourceError, match="row 2, column option: no model on line lo carries option 'sunroof'"
    ):
        line_task_list(bad, "lo")


def test_cli_errors_exit_2(line_case: Path, tiny_dir: Path, capsys):
    assert main(["plant", str(line_case), "--line", "nope"]) == 2
    assert "the case has no line 'nope'" in capsys.readouterr().err
    assert main(["plant", "balanse", "x.IN2"]) == 2  # a misspelt subcommand is not a case
    assert "Did you mean 'balance'" in capsys.readouterr().err
    assert main(["plant", "nissan-kei-ev", "--line", "kyushu-1", "--write"]) == 2
    assert "built-in case" in capsys.readouterr().err
    (tiny_dir.parent / "plain").mkdir()
    shutil.copytree(tiny_dir, tiny_dir.parent / "plain" / "case")
    for f in TASKS.glob("*.csv"):
        (tiny_dir.parent / "plain" / "case" / f.name).unlink(missing_ok=True)
    assert main(["plant", str(tiny_dir.parent / "plain" / "case"), "--line", "lo"]) == 2
    assert "no task list for line 'lo'" in capsys.readouterr().err


# --- the whole loop ---------------------------------------------------------------


def test_loop_writes_the_simulated_rate(line_case: Path, tmp_path: Path, capsys):
    out = tmp_path / "after"
    args = [
        "plant",
        str(line_case),
        "--line",
        "lo",
        "--to",
        str(out),
        "--json",
        "--time-limit",
        "3",
    ]
    assert main(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert (res["option"], res["fiscal_year"], res["fiscal_year_label"]) == ("make", 2026, "CY2026")
    # 2026: 4,800 old + 450 cars (ramp 0.5 then 1 from July) in 1,920 h
    assert res["planned_units"] == pytest.approx(5250.0)
    assert res["takt_s"] == pytest.approx(1920 * 3600 / 5250)
    assert res["stations"] >= 3
    assert res["sequence_violations"] == 0
    # t4 (1,500 s, big battery only) is longer than the takt c: it fills a station alone;
    # p * 1500 + (q - p) * 0 <= q c gives p/q <= 0.8777, so 7/8 (8/9 = 0.889 is too many)
    assert [(r["classes"], r["p"], r["q"]) for r in res["rules"]] == [(["car+big-battery"], 7, 8)]
    mean = res["rate_per_hour"]["mean"]
    assert mean > 0
    assert res["rate_per_hour"]["low"] <= mean <= res["rate_per_hour"]["high"]
    lines = load_case(out).tables["lines"].set_index("id")
    assert lines.loc["lo", "rate"] == pytest.approx(round(mean, 1))
    assert lines.loc["lo", "rate_confidence"] == "derived"
    assert str(lines.loc["lo", "rate_source"]).startswith("insource plant loop: option make")
    assert lines.loc["lp", "rate"] == 10  # other lines untouched
    # same seed, same answer; the table output names the steps
    assert main(["plant", str(line_case), "--line", "lo", "--time-limit", "3"]) == 0
    text = capsys.readouterr().out
    for part in ("simulated rate", f"{mean:.2f}", "Stations"):
        assert part in text


def test_unsequenceable_mix_names_windows(line_case: Path):
    case = load_case(line_case)
    # on one-hour shifts with 300 old-model cars, 2027 (900 cars, no other load) has the
    # shortest takt: 240 h x 3600 / 900 = 960 s. Every car needs t3 = 6,000 s, so at
    # most p/q <= 960 / 6000 = 0.16 -> 1/7 of the cars may need it: 1 of the day's 4.
    tt = case.tables["task_times"]
    tt.loc[tt.index.max() + 1] = {"line": "lo", "task": "t3", "model": "car", "time": 6000.0}
    ol = case.tables["other_load"]
    ol.loc[ol.index[0], "units_per_year"] = 300.0
    lines = case.tables["lines"]
    lines.loc[lines["id"] == "lo", "hours_per_shift"] = 1.0
    with pytest.raises(InsourceError, match="cannot be sequenced") as err:
        plant_loop(case, "lo", "make", replications=1, balance_time=2, sequence_time=2)
    assert "(1/7): 4 cars need it, at most 1 of 4 fit" in err.value.message
    assert "--soft" in err.value.hint
    res = plant_loop(case, "lo", "make", replications=1, balance_time=2, sequence_time=2, soft=True)
    assert res.load.takt == pytest.approx(960.0)
    # the line cannot keep the takt: the simulated rate is below 3600 / 960 = 3.75
    assert 0 < res.rate[0] < 3.75


def test_builtin_kyushu_task_list_is_an_estimate():
    case = load_case("nissan-kei-ev")
    tasks = line_task_list(case, "kyushu-1")
    assert len(tasks.tasks) >= 40
    assert set(case.tables["tasks"]["confidence"]) == {"estimate"}
    # the kei EV's battery bolt-up is longer than the 27.6 s takt (3600 / 130.2)
    j = tasks.tasks.index("B08")
    assert tasks.time_of("kei-ev-2028", frozenset())[j] > 3600 / 130.2
    assert tasks.time_of("note", frozenset())[j] < 3600 / 130.2
    assert set(tasks.model_options) == {"serena-x-trail-rogue", "note", "kei-ev-2028"}
