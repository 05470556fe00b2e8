"""Lower bounds on the car-sequencing objective (ratio excess and paint colour changes).

The score of a sequence (:func:`insource.plant._sequence.evaluate_sequence`) is a
weighted sum of parts: for each ratio rule ``k`` the sum over its windows ``W`` of the
excess ``max(0, n_W - p_k)``, and the paint colour changes. A lower bound on each part
taken alone is a lower bound on the score (the weights are positive):

- **one option alone** (:func:`option_excess_bound`): the least total excess of rule
  ``k`` over all placements of the ``D_k`` cars that carry option ``k`` in the ``n``
  slots of day J, with the cars of day J-1 fixed and the same windows as the
  evaluation (full windows, or also the ones cut short at the end of the day for
  ROADEF instances). As a linear programme over slot indicators ``y_i in [0, 1]``::

      min  sum_W e_W
      s.t. sum_{i in W} y_i - e_W <= p_k - f_W     (f_W: option cars of day J-1 in W)
           sum_i y_i = D_k,   0 <= y_i <= 1,   e_W >= 0

  every window is an interval of slots and so is the demand row, so the constraint
  matrix is an interval matrix next to an identity: totally unimodular, and the LP
  optimum (HiGHS via :func:`scipy.optimize.linprog`) is integral, i.e. the exact
  minimum for this rule alone (Schrijver 1986, Ch. 19; the same interval structure
  underlies the sequence constraint's flow filtering, Maher et al. 2008).
- **paint** (:func:`colour_change_bound`, over the sequences that meet the hard
  batch limit, the only ones the search returns): a colour with ``d`` cars needs at least
  ``ceil(d / L)`` batches under the batch limit ``L``; ``R`` batches in the day make
  at least ``R - 1`` changes, one more when the day's first car cannot continue the
  colour of day J-1's last car.

These bounds ignore how options are shared by the classes, so they are weak on the
classic CSPLib instances (0 on all of them: each option alone fits) and strong when
one rule is overloaded on its own (ROADEF "difficult" high-priority rules).

- **groups of rules** (:func:`group_excess_bound`, :func:`interaction_bound`): the
  LP relaxation of a flow over window states of the cars projected on a few rules,
  with the projected type counts as side constraints; the total excess is a sum over
  rules, so the bounds of disjoint groups add up. On CSPLib 19/71 the group of the
  first three options gives 2, the lower bound Gent (1998) proved by hand.

References
----------
Schrijver, A. (1986). *Theory of Linear and Integer Programming*. Wiley.
Gent, I.P. (1998). Two results on car-sequencing problems. Report APES-02-1998,
APES research group.
Maher, M., Narodytska, N., Quimper, C.-G., Walsh, T. (2008). Flow-based propagators
for the SEQUENCE and related global constraints. *CP 2008*, LNCS 5202, 159-174.

"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, hstack, identity

from insource.plant._problems import CarSequencingInstance

__all__ = [
    "colour_change_bound",
    "group_arcs",
    "group_excess_bound",
    "interaction_bound",
    "option_excess_bound",
    "score_lower_bound",
]


def option_excess_bound(
    inst: CarSequencingInstance, k: int, *, partial_end: bool, time_limit: float | None = None
) -> int:
    """Least total window excess of ratio rule ``k`` taken alone (exact, see module doc).

    ``0`` (still a bound) if HiGHS stops at ``time_limit`` seconds before the optimum.

    Parameters
    ----------
    inst
        The day of cars (cars of day J-1 in ``inst.previous`` are fixed).
    k
        Index of the ratio rule in ``inst.ratios``.
    partial_end
        Also count the windows cut short at the end of the day (ROADEF 2005).

    """
    r = inst.ratios[k]
    n, P = inst.n_cars, len(inst.previous)
    total = sum(d * o[k] for d, o in zip(inst.demand, inst.options, strict=True))
    if total == 0 or n == 0:
        return 0
    N = P + n
    lo = max(0, P - r.q + 1)
    hi = N - 1 if partial_end else N - r.q
    if hi < lo:
        return 0
    starts = np.arange(lo, hi + 1)
    prev = np.array([inst.options[c][k] for c in inst.previous], dtype=float)
    prev_sum = np.concatenate([[0.0], np.cumsum(prev)])
    fixed = prev_sum[np.minimum(starts + r.q, P)] - prev_sum[np.minimum(starts, P)]
    # day-J slots of window s: full indices max(s, P) .. min(s + q, N) - 1
    first = np.maximum(starts, P) - P
    last = np.minimum(starts + r.q, N) - P  # exclusive
    lengths = np.maximum(last - first, 0)
    rows = np.repeat(np.arange(len(starts)), lengths)
    cols = np.concatenate([np.arange(a, b) for a, b in zip(first, last, strict=True)])
    windows = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(starts), n))
    a_ub = hstack([windows, -identity(len(starts))]).tocsr()
    b_ub = r.p - fixed
    a_eq = np.concatenate([np.ones(n), np.zeros(len(starts))])[None, :]
    cost = np.concatenate([np.zeros(n), np.ones(len(starts))])
    bounds = [(0.0, 1.0)] * n + [(0.0, None)] * len(starts)
    options = {} if time_limit is None else {"time_limit": max(0.01, time_limit)}
    res = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[total], bounds=bounds, options=options
    )
    if res.status != 0:  # the time limit (the LP itself is feasible and bounded)
        return 0
    return max(0, math.ceil(res.fun - 1e-6))


def colour_change_bound(inst: CarSequencingInstance) -> int:
    """Least number of paint colour changes in day J (0 without colours).

    With ``d_y`` cars of colour ``y`` and batch limit ``L`` the day holds at least
    ``R = sum_y ceil(d_y / L)`` batches (one per colour without a limit), hence at
    least ``R - 1`` changes, plus one when there are cars of day J-1 and no car of
    day J has the colour of the last of them.
    """
    if not inst.colours or inst.n_cars == 0:
        return 0
    by_colour: dict[int, int] = {}
    for c, d in enumerate(inst.demand):
        if d:
            by_colour[inst.colours[c]] = by_colour.get(inst.colours[c], 0) + d
    limit = inst.paint_batch_limit
    batches = sum(-(-d // limit) if limit else 1 for d in by_colour.values())
    extra = 1 if inst.previous and inst.colours[inst.previous[-1]] not in by_colour else 0
    return batches - 1 + extra


def score_lower_bound(
    inst: CarSequencingInstance,
    weights: dict[str, int],
    *,
    partial_end: bool,
    time_limit: float | None = None,
) -> tuple[int, tuple[int, ...]]:
    """Lower bound on the weighted score, and the bound of each ratio rule.

    ``weights`` maps ``HPRC``, ``LPRC`` and ``PCC`` to the objective weights; the
    bound is ``sum_k w_k LB_k + w_PCC LB_PCC``. With ``time_limit`` (seconds) the rule
    LPs run in order of weight (high priority first) while the time lasts; a rule
    whose LP does not finish in time counts with ``LB_k = 0`` (still a bound).
    """
    start = time.perf_counter()
    found = {}
    order = sorted(range(len(inst.ratios)), key=lambda k: not inst.ratios[k].high_priority)
    for k in order:
        left = None if time_limit is None else time_limit - (time.perf_counter() - start)
        if left is not None and left <= 0:
            found[k] = 0
        else:
            found[k] = option_excess_bound(inst, k, partial_end=partial_end, time_limit=left)
    per_rule = tuple(found[k] for k in range(len(inst.ratios)))
    total = sum(
        weights["HPRC" if r.high_priority else "LPRC"] * b
        for r, b in zip(inst.ratios, per_rule, strict=True)
    )
    total += weights["PCC"] * colour_change_bound(inst)
    return total, per_rule


def group_excess_bound(
    inst: CarSequencingInstance,
    group: Sequence[int],
    weights: Sequence[int],
    *,
    time_limit: float | None = None,
) -> int | None:
    """Lower bound on the weighted excess of the rules in ``group`` taken together.

    Plain car sequencing only (no cars of day J-1, full windows). Cars are projected
    on the group's options (a *type* is a 0/1 pattern over them, ``d_t`` cars each).
    A sequence of types is a path through layers ``i = 0..n``; the node after slot
    ``i`` holds, for each rule ``k`` of the group, its option flags in the last
    ``q_k - 1`` slots (all a window ending at the next slot needs), and the arc that
    puts type ``t`` at slot ``i`` costs ``sum_{k in group} w_k max(0, n_{k,W} - p_k)``
    over the full windows ``W`` ending at ``i``. The bound is the LP relaxation of
    this flow with the type counts as side constraints::

        min  sum_a c_a f_a
        s.t. flow conservation, one unit from the empty start,
             sum_{a places t} f_a = d_t  for every type t,   0 <= f <= 1

    rounded up (every sequence of day J is a path meeting the counts, so the LP
    optimum is at most the least excess). Solved by HiGHS' interior point method
    with crossover through :func:`scipy.optimize.linprog`.

    Returns
    -------
    int or None
        The bound, or ``None`` if HiGHS stopped before proving the LP optimum
        (``time_limit``).

    """
    if inst.previous:
        raise ValueError("group_excess_bound needs an instance without cars of day J-1")
    n = inst.n_cars
    counts: dict[tuple[int, ...], int] = {}
    for d, o in zip(inst.demand, inst.options, strict=True):
        if d:
            key = tuple(o[k] for k in group)
            counts[key] = counts.get(key, 0) + d
    types = np.array(list(counts), dtype=np.int64).reshape(len(counts), len(group))
    n_t = len(types)
    rules = [inst.ratios[k] for k in group]
    widths = [r.q - 1 for r in rules]
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
    src_l, dst_l, typ_l, cost_l = [], [], [], []
    layer: dict[int, int] = {0: 0}  # state code -> node id
    next_id = 1
    t_all = np.arange(n_t)
    for i in range(n):
        codes = np.repeat(np.fromiter(layer.keys(), dtype=np.int64), n_t)
        ids = np.repeat(np.fromiter(layer.values(), dtype=np.int64), n_t)
        t = np.tile(t_all, len(layer))
        new_codes = np.zeros_like(codes)
        cost = np.zeros(len(codes))
        for j, r in enumerate(rules):
            mask = (1 << widths[j]) - 1
            field = (codes >> offsets[j]) & mask
            flag = types[t, j]
            if i >= r.q - 1:  # a full window ends at slot i
                held = np.bitwise_count(field) + flag
                cost += weights[j] * np.maximum(0, held - r.p)
            new_codes |= (((field << 1) | flag) & mask) << offsets[j]
        unique = np.unique(new_codes)
        nxt = dict(zip(unique.tolist(), range(next_id, next_id + len(unique)), strict=True))
        next_id += len(unique)
        src_l.append(ids)
        dst_l.append(np.searchsorted(unique, new_codes) + next_id - len(unique))
        typ_l.append(t)
        cost_l.append(cost)
        layer = nxt
    src, dst = np.concatenate(src_l), np.concatenate(dst_l)
    typ, cost = np.concatenate(typ_l), np.concatenate(cost_l)
    n_arcs, n_nodes = len(src), next_id
    inner = np.ones(n_nodes, dtype=bool)
    inner[list(layer.values())] = False  # the last layer drains freely
    n_inner = int(inner.sum())
    node_row = np.cumsum(inner) - 1
    arcs = np.arange(n_arcs)
    out_ok, in_ok = inner[src], inner[dst]
    rows = np.concatenate([node_row[src[out_ok]], node_row[dst[in_ok]], n_inner + typ])
    cols = np.concatenate([arcs[out_ok], arcs[in_ok], arcs])
    vals = np.concatenate([np.ones(out_ok.sum()), -np.ones(in_ok.sum()), np.ones(n_arcs)])
    a_eq = coo_matrix((vals, (rows, cols)), shape=(n_inner + n_t, n_arcs)).tocsr()
    b_eq = np.zeros(n_inner + n_t)
    b_eq[0] = 1.0  # the start node (layer 0) sends one unit
    b_eq[n_inner:] = [counts[tuple(row)] for row in types.tolist()]
    options = {} if time_limit is None else {"time_limit": max(0.1, time_limit)}
    res = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, 1), method="highs-ipm", options=options)
    if res.status != 0:
        return None
    return max(0, math.ceil(res.fun - 1e-6))


def group_arcs(inst: CarSequencingInstance, group: Sequence[int]) -> int:
    """Size of :func:`group_excess_bound`'s flow: about ``n T min(T^(Q-1), 2^sum(q_k - 1))``."""
    patterns = zip(inst.demand, inst.options, strict=True)
    n_types = len({tuple(o[k] for k in group) for d, o in patterns if d})
    longest = max(inst.ratios[k].q for k in group) - 1
    bits = sum(inst.ratios[k].q - 1 for k in group)
    return inst.n_cars * n_types * min(n_types**longest, 2**bits)


def interaction_bound(
    inst: CarSequencingInstance,
    weights: Sequence[int],
    rule_bounds: Sequence[int],
    *,
    time_limit: float,
    max_arcs: int = 200_000,
    max_size: int = 3,
    target: float | None = None,
) -> int:
    """Best bound from disjoint groups of rules (plain car sequencing only).

    Every group of 2..``max_size`` rules whose flow (:func:`group_excess_bound`)
    has at most ``max_arcs`` arcs (about ``n T^Q`` for ``T`` types and longest
    window ``Q``) is bounded, cheapest first, while ``time_limit`` seconds last. The
    total excess is the sum over a partition of the rules into groups, so the bound
    is the best such partition (a subset dynamic programme), rules outside every
    group counting with their own bound ``w_k LB_k``. Returns that weighted sum
    (without groups: ``sum_k w_k LB_k``). With ``target`` (the best score found) it
    stops as soon as one group with the other rules' own bounds reaches it.
    """
    start = time.perf_counter()
    n_rules = len(inst.ratios)
    value = {1 << k: weights[k] * rule_bounds[k] for k in range(n_rules)}
    if inst.previous or inst.colours or n_rules > 12 or inst.n_cars == 0:
        return sum(value.values())
    candidates = []
    for size in range(2, max_size + 1):
        for group in itertools.combinations(range(n_rules), size):
            arcs = group_arcs(inst, group)
            if arcs <= max_arcs:
                candidates.append((arcs, group))
    for _, group in sorted(candidates):
        left = time_limit - (time.perf_counter() - start)
        if left <= 0:
            break
        bound = group_excess_bound(inst, group, [weights[k] for k in group], time_limit=left)
        mask = sum(1 << k for k in group)
        own = sum(value[1 << k] for k in group)
        value[mask] = max(own, bound if bound is not None else 0)
        rest = sum(v for g, v in value.items() if g.bit_count() == 1 and not g & mask)
        if target is not None and value[mask] + rest >= target:
            break
    best = [0] * (1 << n_rules)
    for mask in range(1, 1 << n_rules):
        low = mask & -mask
        best[mask] = max(v + best[mask ^ g] for g, v in value.items() if g & low and g & mask == g)
    return best[-1]
