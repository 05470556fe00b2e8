"""Solver paths: MIP start, time limit, a plan stopped with a gap."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from insource.cli import main
from insource.plan import PlanSettings, build_model, plan_data, select_option, solve_model
from insource.plan._model import objective_constant
from insource.plan._results import collect_results, solution_arrays
from insource.plan._solve import Resolver, _BoundSolve, _relaxation_bound
from insource.plan._start import (
    line_groups,
    neighbourhoods,
    product_groups,
    relaxation_start,
    round_relaxation,
    status_quo_start,
)
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


def test_rounded_start_and_fix_and_optimise_reach_the_same_optimum(make_case):
    case = make_case()
    d = plan_data(case, select_option(case, "free"), PlanSettings())
    plain = solve_model(build_model(d))
    started = solve_model(build_model(d), rounded_start=relaxation_start(d))
    assert started.status == plain.status == "optimal"
    assert started.objective == pytest.approx(plain.objective, rel=1e-9)
    # every line its own neighbourhood; the MIP after it still proves the optimum
    improved = solve_model(
        build_model(d),
        start=status_quo_start(d),
        rounded_start=relaxation_start(d),
        neighbourhoods=line_groups(d, most=1),
    )
    assert improved.status == "optimal"
    assert improved.objective == pytest.approx(plain.objective, rel=1e-9)


def test_resolver_rounded_start_reaches_the_optimum_and_the_bound_is_unscaled(make_case):
    case = make_case()
    d = plan_data(case, select_option(case, "free"), PlanSettings())
    plain, _ = Resolver(build_model(d)).solve()
    rounded, _ = Resolver(build_model(d)).solve(rounded_start=relaxation_start(d))
    assert rounded.status == plain.status == "optimal"
    assert rounded.objective == pytest.approx(plain.objective, rel=1e-9)
    # the relaxation is solved with its objective scaled below 1e6; the bound
    # read back is in the model's own units (the unscaled LP optimum)
    m = build_model(d)
    h, h2 = Resolver(m).highs, Resolver(build_model(d)).highs
    for x in (h, h2):  # money in yen: costs far above 1e6
        cost = np.asarray(x.getLp().col_cost_) * 1e5
        x.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
    assert np.abs(np.asarray(h.getLp().col_cost_)).max() > 1e6  # scaling applies
    bound, _ = _relaxation_bound(h, m)
    h2.setOptionValue("solve_relaxation", True)
    h2.run()
    assert bound == pytest.approx(h2.getInfo().objective_function_value, rel=1e-9)
    assert bound >= h.getInfo().objective_function_value - 1e-6 * abs(bound)


def test_line_groups_partition_the_decisions(make_case):
    case = make_case()
    d = plan_data(case, select_option(case, "free"), PlanSettings())
    allowed = d.allowed_start.transpose("line", "product", "period").to_numpy()
    lines = len(d.hours.indexes["line"])
    for most, groups in ((1, lines), (10_000, 1)):  # a line each, or all lines in one group
        g = line_groups(d, most=most)
        assert g["Capability-start"].shape == (groups, *allowed.shape)
        # each allowed start and each shift is free in exactly one group
        assert (g["Capability-start"].sum(axis=0) == allowed).all()
        assert (g["Line-shifts"].sum(axis=0) == 1).all()
        # an exit is free where a line of the group can start the contract's product
        exits = d.exit_allowed.transpose("contract", "period").to_numpy()
        assert (g["Contract-exit"].any(axis=0) <= exits).all()
        assert g["Contract-exit"].any()


def test_product_groups_free_a_products_starts_exits_and_lines(make_case):
    case = make_case()
    d = plan_data(case, select_option(case, "free"), PlanSettings())
    allowed = d.allowed_start.transpose("line", "product", "period").to_numpy()
    exits = d.exit_allowed.transpose("contract", "period").to_numpy()
    of = d.of_product.transpose("contract", "product").to_numpy() > 0
    for most in (1, 10_000):  # a product each, or all products in one group
        g = product_groups(d, most=most)
        z, n, e = g["Capability-start"], g["Line-shifts"], g["Contract-exit"]
        # each allowed start and each allowed exit is free in exactly one group
        assert (z.sum(axis=0) == allowed).all()
        assert (e.sum(axis=0) == exits).all()
        for k in range(z.shape[0]):  # over groups
            products = z[k].any(axis=(0, 2)) | (of[e[k].any(axis=1)]).any(axis=0)
            # the group's lines are exactly those that can start one of its products
            assert (n[k].all(axis=1) == allowed[:, products].any(axis=(1, 2))).all()
            assert (n[k].any(axis=1) == n[k].all(axis=1)).all()
            # a product's starts are free on every line at once
            assert (z[k][:, products] == allowed[:, products]).all()
    both = neighbourhoods(d, most=1)
    lines, products = line_groups(d, most=1), product_groups(d, most=1)
    n_l, n_p = len(lines["Line-shifts"]), len(products["Line-shifts"])
    assert len(both["Line-shifts"]) == n_l + n_p
    # alternating: line group 0, product group 0, line group 1, ...
    assert (both["Capability-start"][0] == lines["Capability-start"][0]).all()
    assert (both["Capability-start"][1] == products["Capability-start"][0]).all()


def test_product_neighbourhoods_reach_the_optimum(make_case):
    case = make_case()
    d = plan_data(case, select_option(case, "free"), PlanSettings())
    plain = solve_model(build_model(d))
    improved = solve_model(
        build_model(d),
        start=status_quo_start(d),
        rounded_start=relaxation_start(d),
        neighbourhoods=neighbourhoods(d, most=1),
    )
    assert improved.status == plain.status == "optimal"
    assert improved.objective == pytest.approx(plain.objective, rel=1e-9)


def test_background_bound_bounds_the_optimum_and_leaves_the_plan(make_case):
    case = make_case()
    d = plan_data(case, select_option(case, "free"), PlanSettings())
    plain = solve_model(build_model(d))
    assert plain.status == "optimal"
    both = solve_model(
        build_model(d),
        time_limit=120,
        start=status_quo_start(d),
        rounded_start=relaxation_start(d),
        neighbourhoods=product_groups(d, most=1),
        background_bound=True,
    )
    assert both.status == "optimal"
    assert both.objective == pytest.approx(plain.objective, rel=1e-9)
    # the copy in the background, run to its end: its dual bound is within its
    # gap above the optimum (maximising), and the caller's model is untouched
    solver = Resolver(build_model(d))
    bg = _BoundSolve(solver.highs, 120, None)
    bg.thread.join()
    bound = bg.stop()
    assert plain.objective - 1e-9 * abs(plain.objective) <= bound
    assert bound <= plain.objective + 1e-6 * abs(plain.objective) + 1e-6


def _hard_knapsack():  # type: ignore[no-untyped-def]
    """A 5-constraint 0-1 knapsack of 80 items HiGHS cannot close in a minute."""
    import highspy

    rng = np.random.default_rng(0)
    n, k = 80, 5
    w = rng.integers(20, 100, size=(k, n)).astype(float)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    for j in range(n):
        h.addVar(0.0, 1.0)
        h.changeColCost(j, -float(w[:, j].sum() + rng.integers(0, 10)))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.uint8))
    for i in range(k):
        h.addRow(-inf, w[i].sum() / 2, n, np.arange(n, dtype=np.int32), w[i])
    return h


def test_stopping_the_background_bound_stops_it() -> None:
    # stop() must interrupt the hard knapsack (cancelSolve alone is ignored by
    # HiGHS unless the user interrupt is enabled), not wait for its 60 s limit
    import time

    h = _hard_knapsack()
    bg = _BoundSolve(h, 60, None)
    time.sleep(1.0)
    t = time.perf_counter()
    bound = bg.stop()
    assert time.perf_counter() - t < 10.0
    assert not bg.thread.is_alive()
    assert np.isnan(bound) or bound <= 0.0  # minimising a negative cost: a lower bound


def test_status_quo_start_is_the_status_quo_and_reaches_the_optimum(make_case):
    lines = (
        "id,site,rate,hours_per_shift,days_per_year,min_shifts,max_shifts,shift_step_months\n"
        "lp,plant-p,10,8,240,0,2,3\nlo,plant-o,1,8,240,0,2,3\n"
    )
    other = "line,model,period,units_per_year,rate_factor\nlo,Old,2026-02,150,1\n"
    case = make_case(**{"lines.csv": lines, "other_load.csv": other})
    d = plan_data(case, select_option(case, "make"), PlanSettings())
    start = status_quo_start(d)
    z = start["Capability-start"]
    assert z.sum() == 1  # only the option's forced start (April)
    assert z[0, 0, 3] == 1
    # 150 h of other load in February on 160 h a shift: one shift for the quarter Jan-Mar
    assert start["Line-shifts"][0].tolist() == [1, 1, 1] + [0] * 9
    assert not start["Contract-exit"].any()
    plain = solve_model(build_model(d))
    started = solve_model(build_model(d), start=start)
    assert started.objective == pytest.approx(plain.objective, rel=1e-9)
    # the same floor is the lower bound of the strong model's shifts (the own
    # line); the textbook and the elastic models keep the line's minimum, 0
    low = build_model(d).variables["Line-shifts"].lower.transpose("line", "period").to_numpy()
    assert low[0].tolist() == [1, 1, 1] + [0] * 9
    textbook = dataclasses.replace(d, settings=PlanSettings(formulation="textbook"))
    assert (build_model(textbook).variables["Line-shifts"].lower == 0).all()
    assert (build_model(d, elastic=True).variables["Line-shifts"].lower == 0).all()
    # the floor is valid: the textbook model (without it) has the same optimum
    assert solve_model(build_model(textbook)).objective == pytest.approx(plain.objective, rel=1e-6)


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
    r = collect_results(solution_arrays(m), d, stopped, objective_constant(d), "free")
    assert r.status == "feasible"
    assert r.gap == pytest.approx(0.02)
    # the decisions as tables: one start per started capability, shifts every month
    z = m.variables["Capability-start"].solution.fillna(0.0)
    assert len(r.starts) == round(float(z.sum()))
    for row in r.starts.itertuples():
        assert float(z.sel(line=row.line, product=row.product, period=str(row.period))) == 1
    assert len(r.shifts) == d.hours.size
    assert (r.shifts["shifts"] == np.rint(r.shifts["shifts"])).all()
    assert list(r.exits.columns) == ["contract", "period"]
    text = _status_text(r)
    assert "NOT proven optimal" in text
    assert "2.00%" in text


def test_shift_floor_keeps_a_minimum_above_the_maximum_infeasible(make_case):
    # the floor never goes below min_shifts, even where that is above
    # max_shifts: the strong model stays infeasible like the textbook one

    from insource.plan._model import shift_floor

    case = make_case()
    d = plan_data(case, select_option(case, "free"), PlanSettings())
    floor = shift_floor(d)
    assert (floor >= d.min_shifts.to_numpy()[:, None]).all()
    assert (floor <= d.max_shifts.to_numpy()[:, None]).all()
    bad = dataclasses.replace(d, min_shifts=d.max_shifts + 1)
    assert (shift_floor(bad) == (d.max_shifts + 1).to_numpy()[:, None]).all()


def test_checked_takes_the_objective_from_the_columns_and_the_tightest_bound() -> None:
    # a stub HiGHS whose own objective is wrong (as 1.16 can report after a
    # start): the plan's objective is c'x + c0, the gap is the one against the
    # tightest of its dual bound and the other bounds, and "optimal" holds only
    # when that gap is within the requested one
    from types import SimpleNamespace

    import highspy

    from insource.plan._solve import _checked

    class Stub:
        def __init__(self, dual: float) -> None:
            self.dual = dual

        def getLp(self):
            return SimpleNamespace(col_cost_=np.array([2.0, 3.0]), offset_=10.0)

        def getSolution(self):
            return SimpleNamespace(col_value=np.array([1.0, 2.0]))

        def getObjectiveSense(self):
            return (None, highspy.ObjSense.kMaximize)

        def getInfo(self):
            return SimpleNamespace(
                mip_dual_bound=self.dual, mip_gap=0.0, objective_function_value=999.0
            )

    objective, gap, holds = _checked(Stub(20.0), (float("nan"),), 1e-4)
    assert objective == 18.0  # 2*1 + 3*2 + 10, not the 999 HiGHS reported
    assert gap == pytest.approx(2.0 / 18.0)
    assert not holds  # HiGHS's gap of 0 is not believed
    objective, gap, holds = _checked(Stub(20.0), (18.0 + 1e-7, 19.0), 1e-4)
    assert gap == pytest.approx(1e-7 / 18.0)  # the relaxation's bound is tighter
    assert holds
    # a "bound" below the plan when maximising is no bound on it: ignored, and with
    # nothing else HiGHS's own gap of 0 (computed against it) is not believed either
    objective, gap, holds = _checked(Stub(17.0), (float("nan"),), 1e-4)
    assert not holds
    objective, gap, holds = _checked(Stub(17.0), (18.5,), 1e-4)
    assert gap == pytest.approx(0.5 / 18.0)
    assert not holds


def test_a_bound_that_closes_the_gap_stops_the_main_solve() -> None:
    # the main MIP's callbacks stop it once the background bound is within the gap
    # of its plan: with the LP bound as that bound and a gap of 5% (HiGHS's own gap
    # stays 1e-4), the hard knapsack stops at once instead of running to 60 s, and the
    # plan is classified optimal (within the gap) although HiGHS was interrupted
    import time
    from types import SimpleNamespace

    import highspy

    from insource.plan._solve import _classify

    h = _hard_knapsack()
    h.setOptionValue("solve_relaxation", True)
    h.run()
    lp_bound = float(h.getInfo().objective_function_value)
    h.setOptionValue("solve_relaxation", False)
    h.clearSolver()
    h.setOptionValue("time_limit", 60.0)
    fake = SimpleNamespace(live=lp_bound)
    t = time.perf_counter()
    with _BoundSolve.stopping(fake, h, 0.05):  # type: ignore[arg-type]
        h.run()
    assert time.perf_counter() - t < 30.0
    assert h.getModelStatus() == highspy.HighsModelStatus.kInterrupt
    status, objective, gap = _classify(h, True, (lp_bound,), 0.05)
    assert status == "optimal"
    assert lp_bound <= objective <= lp_bound * (1 - 0.05)  # negative costs: minimising
    # the gap against the tightest bound: HiGHS's own after its root cuts, or the LP's
    assert 0.0 < gap <= (objective - lp_bound) / abs(objective) + 1e-12
    # with HiGHS's default gap the same plan is only feasible
    assert _classify(h, True, (lp_bound,), None)[0] == "feasible"
    # a bound that does not close the gap does not stop it: the 2 s limit is
    # reached (HiGHS keeps the interrupt flag of the run before on the same Highs);
    # nor does a "bound" on the wrong side of the plans, however near
    for wrong in (lp_bound * 1.5, objective + 1e-3 * abs(objective)):
        h.clearSolver()
        h.setOptionValue("time_limit", 2.0)
        fake.live = wrong
        with _BoundSolve.stopping(fake, h, 0.05):  # type: ignore[arg-type]
            h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit


def test_solve_model_stops_when_the_background_bound_closes_the_gap(caplog, monkeypatch) -> None:
    # the whole path (fix-and-optimise on the hard knapsack, then the MIP beside the
    # background copy) is wired to the interrupt: with the background's "bound" made
    # to follow the main solve's plan, the solve stops at once at a gap of 1e-9 that
    # HiGHS cannot close in its 60 s, reports the interrupt, and linopy's "potentially
    # failed" warning for it is not shown
    import contextlib
    import logging
    import time

    import linopy
    import xarray as xr

    real = _BoundSolve.stopping

    @contextlib.contextmanager
    def following(self, h, gap):  # type: ignore[no-untyped-def]
        def copy(event) -> None:  # type: ignore[no-untyped-def]
            self.live = float(event.data_out.mip_primal_bound)

        h.cbMipImprovingSolution.subscribe(copy)
        try:
            with real(self, h, gap):
                yield
        finally:
            h.cbMipImprovingSolution.unsubscribe(copy)

    monkeypatch.setattr(_BoundSolve, "_record", lambda self, event: None)
    monkeypatch.setattr(_BoundSolve, "stopping", following)
    rng = np.random.default_rng(0)
    n, k = 80, 5
    w = rng.integers(20, 100, size=(k, n)).astype(float)
    m = linopy.Model()
    x = m.add_variables(binary=True, coords=[np.arange(n)], dims=["i"], name="x")
    for i in range(k):
        m.add_constraints((xr.DataArray(w[i], dims=["i"]) * x).sum() <= w[i].sum() / 2)
    value = w.sum(axis=0) + rng.integers(0, 10, n)
    m.add_objective((xr.DataArray(value, dims=["i"]) * x).sum(), sense="max")
    groups = {"x": np.repeat(np.eye(4, dtype=bool), n // 4, axis=1)}
    t = time.perf_counter()
    with caplog.at_level(logging.WARNING):
        out = solve_model(
            m, time_limit=60, gap=1e-9, neighbourhoods=groups, background_bound=True, threads=1
        )
    assert time.perf_counter() - t < 30.0
    assert out.termination == "user_interrupt"
    assert out.status == "feasible"  # the true bounds do not close 1e-9
    assert out.gap > 1e-9
    assert not [r for r in caplog.records if r.name.startswith("linopy")]
