"""The compiled move search, the task-time helpers and the plant CLI's help."""

from __future__ import annotations

import random
import time

import pytest

from insource.cli import main
from insource.errors import InsourceError
from insource.plant import (
    CarSequencingInstance,
    RatioConstraint,
    achievable_rate,
    evaluate_sequence,
    read_csplib,
    read_task_file,
    restart_search,
)
from insource.plant._moves import move_search
from insource.plant._sequence import _partial_end, _weights
from insource.plant._tasktimes import mix_times, station_loads


def _random_instance(rng: random.Random, paint: bool) -> CarSequencingInstance:
    n_cls = rng.randint(1, 6)
    k = rng.randint(0, 3)  # no ratio rule at all: only paint is scored
    ratios = tuple(
        RatioConstraint(f"o{j}", rng.randint(1, 2), rng.randint(2, 5), rng.random() < 0.6)
        for j in range(k)
    )
    demand = tuple(rng.randint(0, 6) for _ in range(n_cls))
    options = tuple(tuple(rng.randint(0, 1) for _ in range(k)) for _ in range(n_cls))
    if not paint:
        return CarSequencingInstance("plain", ratios, demand, options)
    return CarSequencingInstance(
        "paint",
        ratios,
        demand,
        options,
        colours=tuple(rng.randint(1, 3) for _ in range(n_cls)),
        paint_batch_limit=rng.randint(2, 5),
        objective_order=tuple(rng.sample(["HPRC", "PCC", "LPRC"], 3)),
        previous=tuple(rng.randrange(n_cls) for _ in range(rng.randint(0, 5))),
    )


@pytest.mark.parametrize("mix", [(1, 0, 0), (0, 1, 0), (0, 0, 1), (5, 3, 2)])
def test_move_search_score_equals_a_full_evaluation(mix):
    rng = random.Random(sum(i * m for i, m in enumerate(mix)))
    for trial in range(40):
        inst = _random_instance(rng, paint=trial % 2 == 1)
        start = [c for c, d in enumerate(inst.demand) for _ in range(d)]
        rng.shuffle(start)
        w = _weights(inst)
        wr = [w["HPRC" if r.high_priority else "LPRC"] for r in inst.ratios]
        first = evaluate_sequence(inst, start)
        for budget in (1, 13, 400):
            seq, score = move_search(
                inst,
                start,
                wr,
                w["PCC"],
                time_limit=None,
                max_moves=budget,
                seed=trial,
                mix=mix,
                max_distance=rng.randint(1, 8),
                partial_end=_partial_end(inst),
            )
            ev = evaluate_sequence(inst, seq)  # also checks the demand is kept
            # the incrementally tracked score is the true score of the returned sequence
            assert score == ev.score
            assert score <= first.score
            if first.batch_violations == 0:
                assert ev.batch_violations == 0  # moves that break the batch limit are refused
            again = move_search(
                inst, start, wr, w["PCC"], time_limit=None, max_moves=budget, seed=trial,
                mix=mix, max_distance=8, partial_end=_partial_end(inst),
            )  # fmt: skip
            assert again == move_search(
                inst, start, wr, w["PCC"], time_limit=None, max_moves=budget, seed=trial,
                mix=mix, max_distance=8, partial_end=_partial_end(inst),
            )  # fmt: skip


def test_restart_search_solves_satisfiable_100_car_instance(shared):
    inst = {i.name: i for i in read_csplib(shared / "carseq_csplib" / "data.txt")}["41/66"]
    res = restart_search(inst, time_limit=None, max_moves=3_000_000, seed=0)
    assert res.evaluation.violations == 0
    assert res.status == "optimal"


def test_station_loads_and_mix_times_by_hand():
    assert station_loads((1.0, 2.0, 3.0, 4.0), (2, 1, 2, 3), 3) == (2.0, 4.0, 4.0)
    assert mix_times({"a": (10, 0), "b": (20, 4)}, {"a": 3, "b": 1}) == (12.5, 1.0)
    assert mix_times({"a": (10, 0), "b": (20, 4)}, None) == (15.0, 2.0)
    with pytest.raises(InsourceError, match="unknown models"):
        mix_times({"a": (1,)}, {"z": 1})
    with pytest.raises(InsourceError, match="positive sum"):
        mix_times({"a": (1,)}, {"a": 0})


def test_zero_mix_is_a_clear_error(data, capsys):
    graph = read_task_file(data / "mixed.csv")
    with pytest.raises(InsourceError, match="positive sum"):
        achievable_rate(graph, {"sakura": 0}, 70, hours=1, replications=1)
    args = ["plant", "simulate", str(data / "mixed.csv"), "--cycle-time", "70", "--mix", "ek=0"]
    assert main(args) == 2
    assert "positive sum" in capsys.readouterr().err


def test_loop_help_shows_the_case_usage_and_help_is_unwrapped(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["plant", "my-case", "--help"]) == 0
    out = capsys.readouterr().out
    assert "insource plant [OPTIONS] CASE" in out.replace("{", "").replace("}", "")
    assert "plant line" not in out
    assert main(["plant", "sequence", "--help"]) == 0
    out = capsys.readouterr().out
    # a paragraph of the docstring comes out on one line, for the terminal to wrap
    assert "if no sequence meets them all the command exits with status 2" in out


def test_move_search_rejects_a_start_that_is_not_the_demand():
    inst = CarSequencingInstance("s", (RatioConstraint("a", 1, 2),), (2, 1), ((1,), (0,)))
    w = [1]
    with pytest.raises(InsourceError, match=r"class 5, outside 0\.\.1"):
        move_search(inst, [0, 5, 1], w, 0, time_limit=None, max_moves=10)
    with pytest.raises(InsourceError, match="class -1"):
        move_search(inst, [0, -1, 1], w, 0, time_limit=None, max_moves=10)
    with pytest.raises(InsourceError, match=r"class counts \[1, 2\], but the demand is \[2, 1\]"):
        move_search(inst, [0, 1, 1], w, 0, time_limit=None, max_moves=10)
    with pytest.raises(InsourceError, match="demand"):
        move_search(inst, [0, 0, 1, 1], w, 0, time_limit=None, max_moves=10)
    # a permutation of the demand is accepted: 0 1 0 has no excess
    assert move_search(inst, [0, 0, 1], w, 0, time_limit=None, max_moves=50) == ([0, 1, 0], 0)


def test_searches_without_an_end_are_refused_and_one_car_returns_at_once():
    inst = CarSequencingInstance("s", (RatioConstraint("a", 1, 2),), (2, 1), ((1,), (0,)))
    with pytest.raises(ValueError, match="time_limit or max_moves"):
        restart_search(inst, time_limit=None, max_moves=None)
    with pytest.raises(ValueError, match="time_limit or max_moves"):
        move_search(inst, [0, 0, 1], [1], 0, time_limit=None, max_moves=None)
    # one car of day J after two of day J-1 with the option: an excess no move can fix
    one = CarSequencingInstance(
        "one", (RatioConstraint("a", 1, 3),), (1,), ((1,),), previous=(0, 0)
    )
    t0 = time.perf_counter()
    assert move_search(one, [0], [1], 0, time_limit=30.0) == ([0], 2)
    res = restart_search(one, time_limit=30.0)
    assert time.perf_counter() - t0 < 10.0  # not the 2 x 30 s time limit
    assert res.evaluation.violations == 2
