"""Lower bounds on the car-sequencing score: hand-checked cases and brute force."""

from __future__ import annotations

import itertools
import random

from insource.plant import (
    CarSequencingInstance,
    RatioConstraint,
    evaluate_sequence,
    read_csplib,
    restart_search,
    sequence_cars,
)
from insource.plant._seqbounds import (
    colour_change_bound,
    group_excess_bound,
    interaction_bound,
    option_excess_bound,
    score_lower_bound,
)
from insource.plant._sequence import _partial_end, _weights


def _one_option(
    p: int, q: int, with_option: int, without: int, **kw: object
) -> CarSequencingInstance:
    return CarSequencingInstance(
        "one", (RatioConstraint("a", p, q),), (with_option, without), ((1,), (0,)), **kw
    )


def test_three_of_four_cars_under_one_in_two_need_one_excess():
    # 3 windows of 2 slots; 3 option cars in 4 slots: 1 0 1 1 has excess 1, and no
    # placement has 0 (at most 2 fit)
    inst = _one_option(1, 2, 3, 1)
    assert option_excess_bound(inst, 0, partial_end=False) == 1
    assert min(evaluate_sequence(inst, s).score for s in _orders(inst)) == 1


def test_satisfiable_option_has_bound_zero():
    inst = _one_option(2, 5, 4, 6)  # 2 in any 5: 1 1 0 0 0 1 1 0 0 0 fits
    assert option_excess_bound(inst, 0, partial_end=False) == 0


def test_windows_cut_short_at_the_end_count_only_with_partial_end():
    # 2 option cars, 1/3: no full window of 3 in 2 slots; the cut-short window [0, 2)
    # holds both cars -> excess 1 under the ROADEF rule
    inst = _one_option(1, 3, 2, 0)
    assert option_excess_bound(inst, 0, partial_end=False) == 0
    assert option_excess_bound(inst, 0, partial_end=True) == 1


def test_cars_of_the_previous_day_count_in_the_first_windows():
    # J-1 ends with an option car; day J: 1 option car of 2, rule 1/2 -> it goes
    # second (0 excess); with 2 option cars of 2 the first window (J-1 car, car 1) and
    # the second (car 1, car 2) each hold 2 -> excess 2
    assert option_excess_bound(_one_option(1, 2, 1, 1, previous=(0,)), 0, partial_end=False) == 0
    inst = _one_option(1, 2, 2, 0, previous=(0,))
    assert option_excess_bound(inst, 0, partial_end=False) == 2
    assert evaluate_sequence(inst, [0, 0]).violations == 2


def test_colour_changes_bound_by_hand():
    # colour 1: 3 cars, limit 2 -> 2 batches; colour 2: 1 batch -> >= 2 changes (1 1 2 1)
    inst = CarSequencingInstance(
        "paint", (), (3, 1), ((), ()), colours=(1, 2), paint_batch_limit=2, objective_order=("PCC",)
    )
    assert colour_change_bound(inst) == 2
    assert evaluate_sequence(inst, [0, 0, 1, 0]).pcc == 2
    # day J-1 ends with a colour no car of day J has: the first car is one more change
    prev = CarSequencingInstance(
        "paint",
        (),
        (3, 1, 0),
        ((), (), ()),
        colours=(1, 2, 3),
        paint_batch_limit=2,
        objective_order=("PCC",),
        previous=(2,),
    )
    assert colour_change_bound(prev) == 3
    assert evaluate_sequence(prev, [0, 0, 1, 0]).pcc == 3


def test_sequence_cars_is_optimal_when_it_reaches_a_positive_bound():
    inst = _one_option(1, 2, 3, 1)
    for method in ("auto", "local"):
        res = sequence_cars(inst, time_limit=2, method=method, max_moves=1_000)
        assert (res.objective, res.bound, res.status) == (1, 1, "optimal")
    res = restart_search(inst, time_limit=None, max_moves=1_000)
    assert (res.objective, res.bound, res.status) == (1, 1, "optimal")


def test_infeasible_file_is_proven_by_the_bound(data):
    # 4 of 6 cars need an option allowed once in any 2 cars: at most 3 fit
    (inst,) = read_csplib(data / "infeasible_csplib.txt")
    assert score_lower_bound(inst, _weights(inst), partial_end=False) == (1, (1,))


def _orders(inst: CarSequencingInstance) -> set[tuple[int, ...]]:
    cars = [c for c, d in enumerate(inst.demand) for _ in range(d)]
    return set(itertools.permutations(cars))


def _random_instance(rng: random.Random) -> CarSequencingInstance:
    n_opt = rng.randint(1, 2)
    ratios = tuple(
        RatioConstraint(f"o{k}", p, rng.randint(p + 1, 4), rng.random() < 0.6)
        for k, p in enumerate(rng.randint(1, 2) for _ in range(n_opt))
    )
    n_cls = rng.randint(2, 3)
    options = tuple(tuple(rng.randint(0, 1) for _ in ratios) for _ in range(n_cls))
    demand = [rng.randint(0, 3) for _ in range(n_cls)]
    while sum(demand) > 6 or sum(demand) < 2:
        demand = [rng.randint(0, 3) for _ in range(n_cls)]
    paint = rng.random() < 0.5
    return CarSequencingInstance(
        "random",
        ratios,
        tuple(demand),
        options,
        colours=tuple(rng.randint(1, 2) for _ in range(n_cls)) if paint else (),
        paint_batch_limit=rng.choice([None, 2, 3]) if paint else None,
        objective_order=("HPRC", "PCC", "LPRC"),
        previous=tuple(rng.randrange(n_cls) for _ in range(rng.randint(0, 2))),
    )


def test_bound_never_exceeds_the_brute_force_optimum_and_is_exact_for_one_rule():
    rng = random.Random(11)
    exact_and_positive = 0
    for _ in range(120):
        inst = _random_instance(rng)
        partial = _partial_end(inst)
        bound, per_rule = score_lower_bound(inst, _weights(inst), partial_end=partial)
        evals = [evaluate_sequence(inst, s) for s in _orders(inst)]
        # the paint batch limit is hard: the bound holds over the orders that meet it
        assert bound <= min((e.score for e in evals if not e.batch_violations), default=bound)
        for k, r in enumerate(inst.ratios):
            # rule k alone: the least excess over all orders, by brute force; the
            # orders reach every placement of the rule's option cars, so the bound
            # (an LP over those placements) must equal it
            alone = min(
                sum(nw - r.p for name, _, nw, _, _ in e.violated if name == r.name) for e in evals
            )
            assert per_rule[k] == alone
            exact_and_positive += alone > 0
    assert exact_and_positive >= 5  # the check met strictly positive bounds


def test_two_interacting_options_have_a_group_bound_of_one(tmp_path):
    # options A and B both 1/2, one car each of A, B and AB: each option alone fits
    # (its two cars in slots 1 and 3), together they do not (both slots would need
    # the AB car); A B AB has one excess
    (tmp_path / "two.txt").write_text("3 2 3\n1 1\n2 2\n0 1 1 0\n1 1 0 1\n2 1 1 1\n")
    (inst,) = read_csplib(tmp_path / "two.txt")
    assert score_lower_bound(inst, _weights(inst), partial_end=False) == (0, (0, 0))
    assert group_excess_bound(inst, (0, 1), (1, 1)) == 1
    assert interaction_bound(inst, (1, 1), (0, 0), time_limit=30) == 1
    res = sequence_cars(inst, time_limit=30, max_moves=1_000)
    assert (res.objective, res.bound, res.status) == (1, 1, "optimal")


def test_gent_bound_of_csplib_19_71(shared):
    # Gent (1998): 19/71 needs at least 2 violations; options 1-3 (1/2, 2/3, 1/3)
    # together already force them, and the best known sequence has 2
    insts = {i.name: i for i in read_csplib(shared / "carseq_csplib" / "data.txt")}
    inst = insts["19/71"]
    assert group_excess_bound(inst, (0, 1, 2), (1, 1, 1)) == 2
    assert group_excess_bound(inst, (0, 1), (1, 1)) == 0  # pairs are not enough


def test_group_bound_never_exceeds_the_brute_force_optimum():
    rng = random.Random(5)
    positive = 0
    for _ in range(60):
        inst = _random_instance(rng)
        inst = CarSequencingInstance(inst.name, inst.ratios, inst.demand, inst.options)
        group = tuple(range(len(inst.ratios)))
        weights = [2, 1][: len(group)]
        bound = group_excess_bound(inst, group, weights)
        assert bound is not None
        best = min(
            sum(
                weights[k] * (nw - r.p)
                for o, _, nw, _, _ in evaluate_sequence(inst, s).violated
                for k, r in enumerate(inst.ratios)
                if o == r.name
            )
            for s in _orders(inst)
        )
        assert 0 <= bound <= best
        positive += bound > 0
    assert positive >= 5


def test_rule_bounds_out_of_time_count_zero_and_high_priority_rules_go_first(monkeypatch):
    import time

    from insource.plant import _seqbounds

    # rule 0 (low priority) and rule 1 (high priority) both have bound 1 alone:
    # 3 option cars of 4 under 1/2; colour bound 1 (two colours, no limit)
    inst = CarSequencingInstance(
        "two",
        (RatioConstraint("lo", 1, 2, high_priority=False), RatioConstraint("hi", 1, 2)),
        (3, 1),
        ((1, 1), (0, 0)),
        colours=(1, 2),
    )
    w = {"HPRC": 1000, "LPRC": 1, "PCC": 10}
    assert score_lower_bound(inst, w, partial_end=False) == (1011, (1, 1))
    assert score_lower_bound(inst, w, partial_end=False, time_limit=0.0) == (10, (0, 0))
    # a clock that jumps 1 s at each reading: only the first rule LP (the
    # high-priority one) starts within a 1.5 s budget
    real, ticks = time.perf_counter, [0]

    def clock() -> float:
        ticks[0] += 1
        return real() + ticks[0]

    monkeypatch.setattr(time, "perf_counter", clock)
    assert _seqbounds.score_lower_bound(inst, w, partial_end=False, time_limit=1.5) == (
        1010,
        (0, 1),
    )
