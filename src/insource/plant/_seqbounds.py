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

The bound ignores how options are shared by the classes, so it is weak on the
classic CSPLib instances (0 on all of them: each option alone fits) and strong when
one rule is overloaded on its own (ROADEF "difficult" high-priority rules).

References
----------
Schrijver, A. (1986). *Theory of Linear and Integer Programming*. Wiley.
Maher, M., Narodytska, N., Quimper, C.-G., Walsh, T. (2008). Flow-based propagators
for the SEQUENCE and related global constraints. *CP 2008*, LNCS 5202, 159-174.

"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, hstack, identity

from insource.plant._problems import CarSequencingInstance

__all__ = ["colour_change_bound", "option_excess_bound", "score_lower_bound"]


def option_excess_bound(inst: CarSequencingInstance, k: int, *, partial_end: bool) -> int:
    """Least total window excess of ratio rule ``k`` taken alone (exact, see module doc).

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
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[total], bounds=bounds)
    if res.status != 0:  # (cannot happen: y = any placement, e large, is feasible)
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
    inst: CarSequencingInstance, weights: dict[str, int], *, partial_end: bool
) -> tuple[int, tuple[int, ...]]:
    """Lower bound on the weighted score, and the bound of each ratio rule.

    ``weights`` maps ``HPRC``, ``LPRC`` and ``PCC`` to the objective weights; the
    bound is ``sum_k w_k LB_k + w_PCC LB_PCC``.
    """
    per_rule = tuple(
        option_excess_bound(inst, k, partial_end=partial_end) for k in range(len(inst.ratios))
    )
    total = sum(
        weights["HPRC" if r.high_priority else "LPRC"] * b
        for r, b in zip(inst.ratios, per_rule, strict=True)
    )
    total += weights["PCC"] * colour_change_bound(inst)
    return total, per_rule
