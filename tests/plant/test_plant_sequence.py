from __future__ import annotations

import random

import pytest

from insource.errors import InsourceError
from insource.plant import (
    CarSequencingInstance,
    RatioConstraint,
    evaluate_sequence,
    local_search_sequence,
    read_csplib,
    read_roadef,
    sequence_cars,
    solve_sequence_cpsat,
)
from insource.plant._sequence import _State


def test_roadef_evaluation_by_hand(data):
    inst = read_roadef(data / "roadef_tiny")
    # day J = car2, car3, car4, car5 = classes 2, 3, 4, 1 (see the docstring of the test data)
    ev = evaluate_sequence(inst, [2, 3, 4, 1])
    assert (ev.hprc, ev.lprc, ev.pcc, ev.batch_violations) == (0, 0, 2, 0)
    assert ev.score == 2_000  # order HPRC > PCC > LPRC -> 10^6, 10^3, 1
    ev = evaluate_sequence(inst, [4, 2, 3, 1])
    # car4, car2 both carry HPRC1 (1/2): one excess car; colours 1 2 | 2 1 1 2 -> 2 changes
    assert (ev.hprc, ev.lprc, ev.pcc) == (1, 0, 2)
    assert ev.score == 1_002_000
    assert ev.violated == (("HPRC1", 0, 2, 1, 2),)


def test_cpsat_finds_feasible_tiny_sequence(data):
    (inst,) = read_csplib(data / "tiny_csplib.txt")
    res = solve_sequence_cpsat(inst, time_limit=5)
    assert res.status == "optimal"
    assert evaluate_sequence(inst, res.sequence).violations == 0


def test_infeasible_mix_is_proven_and_minimised(data):
    # 4 of 6 cars need an option allowed once in any 2 cars: at most 3 fit -> infeasible
    (inst,) = read_csplib(data / "infeasible_csplib.txt")
    hard = solve_sequence_cpsat(inst, time_limit=5)
    assert hard.status == "infeasible"
    res = sequence_cars(inst, time_limit=5)
    assert res.evaluation.violations == 1  # e.g. 1 0 1 0 1 1
    assert res.bound == 1
    assert res.status == "optimal"


def test_incremental_swap_evaluation_matches_full_evaluation(data):
    inst = read_roadef(data / "roadef_tiny")
    rng = random.Random(3)
    big = CarSequencingInstance(
        "random",
        (RatioConstraint("a", 1, 3), RatioConstraint("b", 2, 5, False)),
        (5, 6, 4, 5),
        ((1, 0), (0, 1), (1, 1), (0, 0)),
        colours=(1, 2, 1, 3),
        paint_batch_limit=3,
        objective_order=("PCC", "HPRC", "LPRC"),
        previous=(3, 0, 2),
    )
    for case in (inst, big):
        seq = [c for c, d in enumerate(case.demand) for _ in range(d)]
        rng.shuffle(seq)
        st = _State(case, seq)
        for _ in range(200):
            a, b = sorted(rng.sample(range(st.P, st.N), 2))
            before = evaluate_sequence(case, st.full[st.P :])
            pred = st.ratio_delta(a, b)
            st.apply_ratio(a, b)
            st.full[a], st.full[b] = st.full[b], st.full[a]
            after = evaluate_sequence(case, st.full[st.P :])
            w = {"HPRC": 0, "LPRC": 0}
            diff = (after.hprc - before.hprc, after.lprc - before.lprc)
            w_h = st.wr[0] if case.ratios[0].high_priority else 0
            w_l = next((st.wr[k] for k, r in enumerate(case.ratios) if not r.high_priority), 0)
            assert pred == diff[0] * w_h + diff[1] * w_l, w


def test_local_search_is_reproducible_with_max_moves(shared):
    inst = read_csplib(shared / "carseq_csplib" / "data.txt")[9]  # 60-01, satisfiable
    a = local_search_sequence(inst, max_moves=20_000, time_limit=60, seed=5)
    b = local_search_sequence(inst, max_moves=20_000, time_limit=60, seed=5)
    assert a.sequence == b.sequence
    assert a.evaluation.violations == 0


@pytest.mark.parametrize("index", [9, 25, 47, 78])
def test_csplib_200_car_sample_has_zero_violations(shared, index):
    inst = read_csplib(shared / "carseq_csplib" / "data.txt")[index]
    res = sequence_cars(inst, time_limit=10)
    assert res.evaluation.violations == 0
    assert res.status == "optimal"


def test_paint_batch_demand_that_cannot_be_met():
    inst = CarSequencingInstance(
        "paint",
        (RatioConstraint("a", 1, 2),),
        (7, 1),
        ((0,), (0,)),
        colours=(1, 2),
        paint_batch_limit=3,
    )
    with pytest.raises(InsourceError, match="7 cars of colour 1 need at least 3 batches"):
        sequence_cars(inst)


def test_roadef_local_search_respects_batch_limit(data):
    inst = read_roadef(data / "roadef_tiny")
    res = sequence_cars(inst, time_limit=1)
    assert res.evaluation.batch_violations == 0
    # optimum by enumeration of the 24 orders
    import itertools

    evals = [evaluate_sequence(inst, p) for p in itertools.permutations([1, 2, 3, 4])]
    # 1000 is reachable only by a batch of three colour-2 cars (limit 2)
    assert min(e.score for e in evals) == 1000
    assert res.objective == min(e.score for e in evals if e.batch_violations == 0) == 2000


def test_swap_check_refuses_every_move_that_breaks_the_batch_limit():
    rng = random.Random(0)
    for _ in range(200):
        n_cls = rng.randint(2, 5)
        inst = CarSequencingInstance(
            "t",
            (RatioConstraint("a", 1, 2),),
            tuple(rng.randint(1, 5) for _ in range(n_cls)),
            tuple((rng.randint(0, 1),) for _ in range(n_cls)),
            colours=tuple(rng.randint(1, 3) for _ in range(n_cls)),
            paint_batch_limit=rng.randint(1, 4),
            previous=tuple(rng.randrange(n_cls) for _ in range(rng.randint(0, 4))),
        )
        seq = [c for c, d in enumerate(inst.demand) for _ in range(d)]
        rng.shuffle(seq)
        st = _State(inst, seq)
        for _ in range(30):
            if st.N - st.P < 2:
                break
            a, b = sorted(rng.sample(range(st.P, st.N), 2))
            before = evaluate_sequence(inst, st.full[st.P :]).batch_violations
            st.full[a], st.full[b] = st.full[b], st.full[a]
            _, too_long = st.colour_cost((a, b))
            after = evaluate_sequence(inst, st.full[st.P :]).batch_violations
            # from a valid sequence, every swap that breaks the limit is caught
            assert too_long or before > 0 or after == 0


def test_batch_running_on_from_the_previous_day_counts():
    inst = CarSequencingInstance(
        "carry",
        (RatioConstraint("a", 1, 2),),
        (1, 1),
        ((0,), (0,)),
        colours=(1, 2),
        paint_batch_limit=2,
        previous=(0, 0),
    )
    # J-1 ends with two colour-1 cars; a third one first in day J breaks the limit
    assert evaluate_sequence(inst, [0, 1]).batch_violations == 1
    assert evaluate_sequence(inst, [1, 0]).batch_violations == 0


def test_tabu_search_tracks_the_true_excess_and_is_reproducible():
    from insource.plant._tabu import tabu_search

    rng = random.Random(11)
    for trial in range(6):
        k = 3
        ratios = tuple(
            RatioConstraint(f"o{j}", rng.randint(1, 2), rng.randint(3, 5)) for j in range(k)
        )
        classes = [tuple(rng.randint(0, 1) for _ in range(k)) for _ in range(5)]
        inst = CarSequencingInstance("rnd", ratios, tuple(rng.randint(2, 6) for _ in classes),
                                     tuple(classes))  # fmt: skip
        start = [c for c, d in enumerate(inst.demand) for _ in range(d)]
        rng.shuffle(start)
        for its in (1, 7, 60):
            seq, best = tabu_search(inst, start, max_iterations=its, seed=trial, time_limit=60)
            # the incrementally tracked excess equals a full evaluation of the sequence
            assert best == evaluate_sequence(inst, seq).violations
            assert best <= evaluate_sequence(inst, start).violations
            again = tabu_search(inst, start, max_iterations=its, seed=trial, time_limit=60)
            assert again == (seq, best)


def test_tabu_search_solves_a_satisfiable_instance(data):
    from insource.plant import greedy_sequence
    from insource.plant._tabu import tabu_search

    inst = read_csplib(data / "tiny_csplib.txt")[0]
    seq, best = tabu_search(inst, greedy_sequence(inst), time_limit=5, seed=0)
    assert best == 0
    assert evaluate_sequence(inst, seq).violations == 0


def test_tabu_method_refuses_paint_and_previous_day(data, capsys):
    from insource.cli import main

    roadef = read_roadef(data / "roadef_tiny")
    with pytest.raises(InsourceError, match="method 'tabu' needs plain car sequencing"):
        sequence_cars(roadef, method="tabu", time_limit=1)
    carry = CarSequencingInstance(
        "carry", (RatioConstraint("a", 1, 2),), (2, 2), ((1,), (0,)), previous=(0,)
    )
    with pytest.raises(InsourceError, match="no paint, no day J-1 cars"):
        sequence_cars(carry, method="tabu", time_limit=1)
    args = ["plant", "sequence", str(data / "roadef_tiny"), "--method", "tabu"]
    assert main([*args, "--time-limit", "1"]) == 2
    err = capsys.readouterr().err
    assert "method 'tabu' needs plain car sequencing" in err
    assert "Use auto or local" in err
    assert "Traceback" not in err


class _Spy:
    """Wrap ``solve_sequence_cpsat`` (still solving) to record its time limit and hint."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, tuple[int, ...]]] = []

    def __call__(self, inst, **kw):  # type: ignore[no-untyped-def]
        self.calls.append((kw["time_limit"], tuple(kw["hint"])))
        return solve_sequence_cpsat(inst, **kw)


def test_auto_with_max_moves_hands_cpsat_the_same_sequence_under_any_clock(shared, monkeypatch):
    import time

    from insource.plant import _sequence

    # 26/82: 60 000 moves leave 3 excess cars; the tabu stage (120 iterations) gets 2,
    # but it would not within its first 64 iterations (where a clock check could stop it)
    inst = {i.name: i for i in read_csplib(shared / "carseq_csplib" / "data.txt")}["26/82"]
    real = time.perf_counter
    hints = []
    for jump in (0.0, 1_000.0):  # the real clock, then one that jumps at every reading
        spy = _Spy()
        monkeypatch.setattr(_sequence, "solve_sequence_cpsat", spy)
        ticks = [0]

        def clock(jump: float = jump, ticks: list[int] = ticks) -> float:
            ticks[0] += 1
            return real() + jump * ticks[0]

        monkeypatch.setattr(time, "perf_counter", clock)
        res = sequence_cars(inst, time_limit=1, seed=0, max_moves=60_000)
        monkeypatch.setattr(time, "perf_counter", real)
        assert res.sequence  # CP-SAT's repair or the local search's sequence
        hints.append(spy.calls[0][1])
    assert hints[0] == hints[1]
    assert evaluate_sequence(inst, hints[0]).violations == 2


# 3 cars, options A and B both 1/2, classes A, B, AB (one car each): each option alone
# fits (its 2 cars in slots 1 and 3), together they cannot (slots 1 and 3 would both
# need the one AB car). The rule-by-rule bound is 0, the optimum 1 (A, B, AB).
# (test_plant_seqbounds.py checks that the bound on the two rules together is 1.)
TWO_OPTIONS = "3 2 3\n1 1\n2 2\n0 1 1 0\n1 1 0 1\n2 1 1 1\n"


def test_cpsat_keeps_its_share_after_a_slow_move_budget(tmp_path, monkeypatch):
    import time

    from insource.plant import _sequence

    # no local search reaches zero, and the rule-by-rule bound (0) cannot stop it
    (tmp_path / "two.txt").write_text(TWO_OPTIONS)
    (inst,) = read_csplib(tmp_path / "two.txt")
    real, offset = time.perf_counter, [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: real() + offset[0])
    restart = _sequence.restart_search

    def slow_restart(*args, **kw):  # type: ignore[no-untyped-def]
        res = restart(*args, **kw)
        offset[0] += 100.0  # the move budget took 25 x the time limit (a loaded machine)
        return res

    monkeypatch.setattr(_sequence, "restart_search", slow_restart)
    # (the group bound would prove the optimum 1 and make CP-SAT unnecessary)
    monkeypatch.setattr(_sequence, "interaction_bound", lambda *a, **kw: 0)
    spy = _Spy()
    monkeypatch.setattr(_sequence, "solve_sequence_cpsat", spy)
    res = sequence_cars(inst, time_limit=4, seed=0, max_moves=5_000)
    # hard model: half of the 20 % share (0.4 s), not the 0.01 s floor
    assert 0.3 < spy.calls[0][0] <= 0.4
    assert res.status == "optimal"
    assert res.evaluation.violations == 1


def test_the_bound_phases_count_in_the_time_limit(tmp_path, monkeypatch):
    import time

    from insource.plant import _sequence

    (tmp_path / "two.txt").write_text(TWO_OPTIONS)
    (inst,) = read_csplib(tmp_path / "two.txt")
    real, offset = time.perf_counter, [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: real() + offset[0])
    budgets: dict[str, float] = {}
    rule_bound = _sequence.score_lower_bound

    def slow_rule_bound(*args, **kw):  # type: ignore[no-untyped-def]
        budgets["rules"] = kw["time_limit"]
        offset[0] += kw["time_limit"]  # it used its whole budget
        return rule_bound(*args, **kw)

    def group_bound(*args, **kw):  # type: ignore[no-untyped-def]
        budgets["groups"] = kw["time_limit"]
        return 0  # (the real one proves the optimum 1 at once)

    monkeypatch.setattr(_sequence, "score_lower_bound", slow_rule_bound)
    monkeypatch.setattr(_sequence, "interaction_bound", group_bound)
    res = sequence_cars(inst, time_limit=2, seed=0)
    # rules: 15 % of 2 s; groups: from the end of the first search (30 %) to 75 %
    assert budgets["rules"] == pytest.approx(0.3)
    assert 0.8 < budgets["groups"] <= 0.9
    assert res.seconds <= 2.0 + 0.5  # (the fake clock counts the rule budget)
    assert (res.evaluation.violations, res.bound, res.status) == (1, 1, "optimal")
