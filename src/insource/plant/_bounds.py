"""Lower bounds and station windows for SALBP-1 (simple assembly line balancing).

All functions work on integer task times ``t_j`` and an integer cycle time ``c``;
task sets are Python integers used as bitsets (bit ``j`` set = task ``j`` in the set).

* Bin-packing bounds on the number of stations for any set ``S`` of tasks
  (Scholl 1999, sec. 5.1.3; Scholl & Klein 1997):
  ``LB1 = ceil(sum t / c)``; ``LB2 = ceil(sum_j w2_j / 2)`` with ``w2 = 2`` for
  ``t > c/2`` and ``1`` for ``t = c/2`` (no two tasks longer than ``c/2`` share a
  station); ``LB3 = ceil(sum_j w6_j / 6)`` with ``w6 = 6, 4, 3, 2`` for
  ``t > 2c/3, = 2c/3, in (c/3, 2c/3), = c/3`` (thirds, as sixths to stay integer).
* Martello & Toth's (1990) bin-packing bound ``L2``: for a threshold ``alpha <= c/2``,
  the tasks longer than ``c - alpha`` (``J1``) and those in ``(c/2, c - alpha]`` (``J2``)
  each need their own station, and the tasks in ``[alpha, c/2]`` (``J3``) fit only in the
  idle time of the ``J2`` stations or in new ones (no ``J3`` task fits next to a ``J1``
  task): ``L2 = max_alpha |J1| + |J2| + max(0, ceil((t(J3) - (|J2| c - t(J2))) / c))``.
  It dominates LB1 and LB2.
* A quarter-weight bound in the spirit of Sewell & Jacobson's ``LB3b`` (an extension
  of Scholl & Becker's LB3): with the times sorted decreasingly, the longest tasks
  that pairwise exceed ``c`` get weight 1, then tasks of which no three fit together
  get 1/2 (demoting to 1/2 any weight-1 task that fits next to one), then shorter
  tasks get 1/4 while no cheap combination of them fits with the heavier ones. The
  weights are then *checked*, not trusted: ``K = max {w(S) : t(S) <= c}`` is found by a
  0/1 knapsack over ``c``, and ``LB3b = ceil(w(J) / K)`` is valid for any weights (each
  station carries at most ``K``). The same ``w, K`` bound every subset of the tasks.
* Task time incrementing (Scholl & Klein 1997, SALOME's preprocessing): a task that
  cannot share a station with any task whose station window overlaps its own is
  alone at its station, so its time may be raised to ``c`` without changing the
  feasible balances; the raised times strengthen every bound.
* Station windows: all predecessors ``P*(j)`` of ``j`` come at or before ``j``'s
  station, so ``E_j = LB(P*(j) + j)`` (``LB`` the largest of LB2, LB3, L2 and LB3b); all followers ``F*(j)`` at or after it, so
  ``j`` needs ``a_j = LB(F*(j) + j)`` stations from its own to the last one and
  ``L_j(m) = m - a_j + 1``; hence ``m >= max_j E_j + a_j - 1``.

References
----------
Scholl, A. (1999). *Balancing and Sequencing of Assembly Lines*, 2nd ed. Physica.
Martello, S., Toth, P. (1990). Lower bounds and reduction procedures for the bin
packing problem. *Discrete Applied Mathematics* 28(1), 59-70.
Scholl, A., Klein, R. (1997). SALOME: a bidirectional branch-and-bound procedure for
assembly line balancing. *INFORMS J. Computing* 9(4), 319-334.

"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "LineBounds",
    "closures",
    "l2_bound",
    "line_bounds",
    "quarter_weights",
    "station_bounds",
    "weights",
]


def closures(n: int, arcs: Sequence[tuple[int, int]]) -> tuple[list[int], list[int], list[int]]:
    """Transitive predecessor and successor sets as bitsets, and a topological order."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for i, j in arcs:
        succ[i].append(j)
        indeg[j] += 1
    order = [j for j in range(n) if indeg[j] == 0]
    for v in order:
        for w in succ[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                order.append(w)
    pred_bits = [0] * n
    for v in order:
        for w in succ[v]:
            pred_bits[w] |= pred_bits[v] | (1 << v)
    succ_bits = [0] * n
    for v in reversed(order):
        for w in succ[v]:
            succ_bits[v] |= succ_bits[w] | (1 << w)
    return pred_bits, succ_bits, order


def weights(times: Sequence[int], cycle: int) -> tuple[list[int], list[int]]:
    """Per-task weights of LB2 (halves) and LB3 (sixths)."""
    w2 = [2 if 2 * t > cycle else 1 if 2 * t == cycle else 0 for t in times]
    w6 = [
        6
        if 3 * t > 2 * cycle
        else 4
        if 3 * t == 2 * cycle
        else 3
        if 3 * t > cycle
        else 2
        if 3 * t == cycle
        else 0
        for t in times
    ]
    return w2, w6


def quarter_weights(times: Sequence[int], cycle: int) -> tuple[list[int], int]:
    """Quarter weights ``w_j`` (in quarters: 4, 2, 1, 0) and the largest station load ``K``.

    Returns the weights in the tasks' order and ``K = max {sum_{j in S} w_j : t(S) <= c}``
    (0/1 knapsack on the cycle time), so ``ceil(sum_{j in R} w_j / K)`` stations are
    needed by any task set ``R`` (Sewell & Jacobson's LB3b weights; the knapsack makes
    the bound valid whatever the weights are).

    Examples
    --------
    Five tasks of 20 and four of 17 with ``c = 49``: two 20s and a 17 or three 17s
    do not fit (57, 51 > 49), so the 20s and 17s weigh 1/2 and the bound is
    ``ceil(9 / 2) = 5`` where ``LB1 = ceil(168 / 49) = 4`` and LB3 (thirds) gives 5 too.

    >>> w, k = quarter_weights([20, 20, 20, 20, 20, 17, 17, 17, 17], 49)
    >>> w, k, -(-sum(w) // k)
    ([2, 2, 2, 2, 2, 2, 2, 2, 2], 4, 5)

    """
    c = cycle
    n = len(times)
    order = sorted(range(n), key=lambda j: -times[j])
    ts = [times[j] for j in order]
    w = [0] * n
    if n == 0:
        return [], 1
    # weight 1: the longest tasks, pairwise too long to share a station
    i = 0
    w[0] = 4
    while i + 1 < n and ts[i] + ts[i + 1] > c:
        i += 1
        w[i] = 4
    total = best = sum(w)
    best_w = w[:]
    # weight 1/2: tasks no three of which fit together; a weight-1 task that fits with
    # one of them drops to 1/2
    for j in range(i + 1, n):
        if j > i + 1 and ts[j - 2] + ts[j - 1] + ts[j] <= c:
            break
        while i >= 0 and ts[i] + ts[j] <= c:
            w[i] = 2
            total -= 2
            i -= 1
        w[j] = 2
        total += 2
        if total > best:
            best, best_w = total, w[:]
    # weight 1/4: shorter tasks while no cheap combination with the heavier ones fits
    w = best_w[:]
    for k in range(n):
        if 3 * ts[k] < c - c % 3:  # t < floor(c / 3), as in the original rule
            w[k] = 0
    last_one = max((k for k in range(n) if w[k] == 4), default=-1)
    last_half = max((k for k in range(n) if w[k] == 2), default=-1)
    first_half = min((k for k in range(n) if w[k] == 2), default=-1)
    quarters = w[:]
    for k in range(max(last_one, last_half) + 1, n):
        fits = (
            (last_one >= 0 and ts[last_one] + ts[k] <= c)
            or (last_half - first_half > 0 and ts[last_half - 1] + ts[last_half] + ts[k] <= c)
            or (
                last_half >= 0 and k - last_half > 2 and ts[last_half] + sum(ts[k - 2 : k + 1]) <= c
            )
            or (k - last_half > 4 and sum(ts[k - 4 : k + 1]) <= c)
        )
        if fits:
            break
        quarters[k] = 1
    if sum(quarters) > best:
        best_w = quarters
    out = [0] * n
    for k, j in enumerate(order):
        out[j] = best_w[k]
    # K: the heaviest load of one station (0/1 knapsack over the cycle time)
    dp = np.zeros(c + 1, dtype=np.int64)
    for j in range(n):
        tj = times[j]
        if out[j] and tj <= c:
            if tj == 0:
                dp += out[j]
            else:
                dp[tj:] = np.maximum(dp[tj:], dp[:-tj] + out[j])
    return out, max(int(dp[c]), 1)


def station_bounds(times: Sequence[int], cycle: int) -> dict[str, int]:
    """Scholl's bin-packing lower bounds LB1, LB2, LB3 on the number of stations.

    ``LB1 = ceil(sum t / c)``; ``LB2 = |{t > c/2}| + ceil(|{t = c/2}| / 2)``;
    ``LB3 = ceil(sum_j w_j)`` with ``w = 1`` for ``t > 2c/3``, ``2/3`` for ``t = 2c/3``,
    ``1/2`` for ``c/3 < t < 2c/3`` and ``1/3`` for ``t = c/3`` (Scholl 1999, sec. 5.1.3).

    Examples
    --------
    >>> station_bounds([6, 7, 6, 4, 4], 10)
    {'LB1': 3, 'LB2': 3, 'LB3': 3}

    """
    w2, w6 = weights(times, cycle)
    return {"LB1": -(-sum(times) // cycle), "LB2": -(-sum(w2) // 2), "LB3": -(-sum(w6) // 6)}


def l2_bound(values: Sequence[int], counts: Sequence[int], cycle: int) -> int:
    """Martello & Toth's ``L2`` for tasks with ``counts[k]`` tasks of time ``values[k]``.

    ``values`` must be sorted increasingly. For every threshold ``alpha`` among the
    values ``<= c/2`` (and ``alpha = 0``)::

        L(alpha) = |J1| + |J2| + max(0, ceil((t(J3) - (|J2| c - t(J2))) / c))

    with ``J1 = {t > c - alpha}``, ``J2 = {c/2 < t <= c - alpha}``,
    ``J3 = {alpha <= t <= c/2}``; ``L2 = max_alpha L(alpha)`` (Martello & Toth 1990).
    ``alpha = 0`` gives ``max(LB1, |{t > c/2}|)``.

    Examples
    --------
    Three tasks of 6 and three of 5 with ``c = 10``: every 6 is alone (5 + 6 > 10), the
    5s pair up, so 5 stations (LB1 = 4, LB2 = 3).

    >>> l2_bound([5, 6], [3, 3], 10)
    5

    """
    c = cycle
    size = len(values)
    cnt = [0] * (size + 1)  # tasks with index >= k
    tot = [0] * (size + 1)  # their total time
    for k in range(size - 1, -1, -1):
        cnt[k] = cnt[k + 1] + counts[k]
        tot[k] = tot[k + 1] + counts[k] * values[k]
    half = bisect.bisect_right(values, c // 2)  # first index with value > c/2
    best = 0
    for alpha in (0, *sorted({v for v in values[:half] if v > 0})):
        top = bisect.bisect_right(values, c - alpha)  # first index with value > c - alpha
        first3 = bisect.bisect_left(values, alpha)
        n2 = cnt[half] - cnt[top]
        extra = tot[first3] - tot[half] - (n2 * c - (tot[half] - tot[top]))
        best = max(best, cnt[top] + n2 + (-(-extra // c) if extra > 0 else 0))
    return best


def _set_bound(
    bits: int,
    times: Sequence[int],
    w2: Sequence[int],
    w6: Sequence[int],
    c: int,
    wq: Sequence[int] = (),
    kq: int = 1,
) -> int:
    s2 = s6 = sq = 0
    hist: dict[int, int] = {}
    while bits:
        low = bits & -bits
        j = low.bit_length() - 1
        hist[times[j]] = hist.get(times[j], 0) + 1
        s2 += w2[j]
        s6 += w6[j]
        if wq:
            sq += wq[j]
        bits ^= low
    values = sorted(hist)
    return max(
        l2_bound(values, [hist[v] for v in values], c), -(-s2 // 2), -(-s6 // 6), -(-sq // kq)
    )


@dataclass(frozen=True)
class LineBounds:
    """Bounds of one SALBP-1 instance (integer times, cycle ``c``).

    Attributes
    ----------
    times
        Task times after incrementing (a task alone at its station counts ``c``).
    earliest
        ``E_j``: the earliest station of task ``j`` (1-based).
    after
        ``a_j``: stations task ``j`` and its followers need, so ``L_j(m) = m - a_j + 1``.
    lower
        Lower bound on ``m``: ``max(LB1, LB2, LB3, L2, max_j E_j + a_j - 1)`` on the
        incremented times (``E_j`` and ``a_j`` from the same bounds of ``P*(j) + j``
        and ``F*(j) + j``).
    parts
        The individual bounds by name.

    """

    times: tuple[int, ...]
    earliest: tuple[int, ...]
    after: tuple[int, ...]
    lower: int
    parts: dict[str, int]

    def latest(self, m: int) -> list[int]:
        """Latest station ``L_j(m) = m - a_j + 1`` of every task for ``m`` stations."""
        return [m - a + 1 for a in self.after]


def line_bounds(
    times: Sequence[int],
    arcs: Sequence[tuple[int, int]],
    cycle: int,
    upper: int | None = None,
) -> LineBounds:
    """Task time incrementing, station windows and the lower bound of a SALBP-1 instance.

    Parameters
    ----------
    times, arcs, cycle
        Integer task times, direct precedences ``(i, j)`` and the cycle time.
    upper
        Largest number of stations still of interest (e.g. the heuristic's ``UB - 1``):
        two tasks can share a station only if their windows ``[E, L(upper)]`` overlap.
        ``None`` ignores the windows when incrementing.

    Notes
    -----
    Incrementing and windows feed each other (raised times tighten the windows, tighter
    windows separate more tasks), so both are repeated until nothing changes.

    """
    n = len(times)
    pred_bits, succ_bits, _ = closures(n, arcs)
    t = list(times)
    while True:
        w2, w6 = weights(t, cycle)
        wq, kq = quarter_weights(t, cycle)
        earliest = [_set_bound(pred_bits[j] | (1 << j), t, w2, w6, cycle, wq, kq) for j in range(n)]
        after = [_set_bound(succ_bits[j] | (1 << j), t, w2, w6, cycle, wq, kq) for j in range(n)]
        changed = False
        for j in range(n):
            if t[j] >= cycle:
                continue
            room = cycle - t[j]
            lo = earliest[j]
            alone = True
            for i in range(n):
                if t[i] > room or i == j:
                    continue
                if upper is not None and (
                    earliest[i] > upper - after[j] + 1 or upper - after[i] + 1 < lo
                ):
                    continue
                alone = False
                break
            if alone:
                t[j] = cycle
                changed = True
        if not changed:
            break
    w2, w6 = weights(t, cycle)
    wq, kq = quarter_weights(t, cycle)
    parts = {
        "LB1": -(-sum(t) // cycle),
        "LB2": -(-sum(w2) // 2),
        "LB3": -(-sum(w6) // 6),
        "L2": l2_bound(sorted(set(t)), [t.count(v) for v in sorted(set(t))], cycle),
        "LB3b": -(-sum(wq) // kq),
        "windows": max(earliest[j] + after[j] - 1 for j in range(n)),
    }
    return LineBounds(tuple(t), tuple(earliest), tuple(after), max(parts.values()), parts)
