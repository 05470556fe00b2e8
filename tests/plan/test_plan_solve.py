"""Solver paths: MIP start, time limit, a plan stopped with a gap."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from insource.cli import main
from insource.plan import PlanSettings, build_model, plan_data, select_option, solve_model
from insource.plan._model import objective_constant
from insource.plan._results import collect_results
from insource.plan._start import relaxation_start, round_relaxation
from insource.plan.cli import _status_text


def test_rounding_rule():
    # cumulative start 0.2, 0.5 -> start in month 1; 0.4 in total -> no start
    z = np.array([[[0.2, 0.3, 0.5], [0.1, 0.3, np.nan]]])
    n = np.array([[0.2, 1.0, 1.5]])
    out = round_relaxation(
        lambda name: {"Capability-start": z, "Line-shifts": n}.get(name),
        low=np.array([1.0]),
        high=np.array([2.0]),
    )
    assert out["Capability-start"].tolist() == [[[0, 1, 0], [0, 0, 0]]]
    assert out["Line-shifts"].tolist() == [[1, 1, 2]]
    assert "Contract-exit" not in out


def test_rounded_start_reaches_the_same_optimum(make_case):
    case = make_case()
    d = plan_data(case, select_option(case, "free"), PlanSettings())
    plain = solve_model(build_model(d))
    started = solve_model(build_model(d), rounded_start=relaxation_start(d))
    assert started.status == plain.status == "optimal"
    assert started.objective == pytest.approx(plain.objective, rel=1e-9)


def test_time_limit_before_any_plan_exits_2(make_dir, capsys):
    assert main(["plan", str(make_dir()), "--option", "free", "--time-limit", "0"]) == 2
    err = capsys.readouterr().err
    assert "no feasible plan found within the time limit" in err
    assert "Traceback" not in err


def test_plan_stopped_at_the_limit_is_marked_with_its_gap(make_case):
    case = make_case()
    d = plan_data(case, select_option(case, "free"), PlanSettings())
    m = build_model(d)
    done = solve_model(m)
    stopped = dataclasses.replace(done, status="feasible", termination="time_limit", gap=0.02)
    r = collect_results(m, d, stopped, objective_constant(d), "free")
    assert r.status == "feasible"
    assert r.gap == pytest.approx(0.02)
    text = _status_text(r)
    assert "NOT proven optimal" in text
    assert "2.00%" in text
