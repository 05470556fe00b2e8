"""Branch, bound and remember search for the SALBP-1 decision problem "do m stations suffice?".

Station-oriented search (Scholl & Klein 1997; Sewell & Jacobson 2012), compiled with
Numba: stations are filled one after the other; the children of a node are the
*maximal* loads of the next station (sets of available tasks, including tasks that
become available inside the station, whose time fits ``c`` and to which no further
available task fits). Pruning, all exact:

* bounds on the remaining tasks ``R`` with ``l`` stations left: ``LB1, LB2, LB3, LB3b, L2 of
  R <= l`` (see :mod:`insource.plant._bounds`); LB1 is used as the idle-time budget,
  so a station may idle at most ``l c - sum_{j in R} t_j``;
* idle time: every unassigned task longer than ``c/2`` has its own station, which
  idles at least ``c - t_j - f_j`` (``f_j`` the largest subset sum ``<= c - t_j`` of
  the unassigned tasks of at most ``c/2``); together at most ``l c - t(R)``;
* heads and latest stations: an unassigned task ``j`` and its unassigned predecessors
  need ``e_j`` stations (the largest of LB1, LB2, LB3 of that set), the last of them
  ``j``'s, and ``j`` with its followers ``a_j``, so ``e_j + a_j - 1 <= l``; a task with
  ``a_j >= l`` must be in the station being filled;
* exact bin packing (Sewell & Jacobson 2012 prune with the optimal number of bins of
  the unassigned tasks): when ``LB1`` of ``R`` equals ``l`` and the cheaper bounds did
  not prune, :func:`insource.plant._binpack.decide` asks whether the task times of
  ``R`` fit into ``l`` bins of size ``c`` (bin completion with a memory of multisets
  kept across nodes and calls); a proven "no" prunes the node, "undecided" (over its
  budget: ``BP_BUDGET`` steps, at most an eighth of the search's) does not. A search
  asks while the questions' steps stay within ``BP_PER_PRUNE`` per node they pruned
  (plus one) and a ``1 / BP_SHARE`` share of the search's own steps (a bin packing
  step takes about a quarter of the time of a search step), and while the undecided
  ones took at most ``BP_PER_PRUNE`` steps per pruned node plus ``BP_UNDECIDED`` times
  that, so where the answers do not prune (SCHOLL, whose questions are too hard, or
  loose relaxations) they cost little (at most about 25 ms per search on SCHOLL). The questions' steps are not part of the step budget (a round's budget
  stays the search's own), but the deadline is checked after every million of them.
  WEE-MAG ``c = 47`` with 32 stations is proven infeasible this way in 789 nodes,
  where the search without it does not end in 100 M steps;
* a load of tasks none of which has a successor, while some unassigned task has one,
  is skipped: that station can be moved to the end of any completion;
* Jackson dominance: task ``i`` dominates ``j`` when ``F*(i) >= F*(j)`` and
  ``t_i >= t_j`` (ties by index); a load holding ``j`` (with no follower of ``j`` in
  the load) but not an available ``i`` that would fit in ``j``'s place is skipped,
  since swapping ``i`` and ``j`` in any completion keeps it feasible;
* memory (BB&R): each set of assigned tasks is kept once, at the fewest stations it
  was reached with, in an open-addressing hash table keyed on the task bitset
  (``ceil(n/64)`` 64-bit words); reaching it again with as many or more stations is
  pruned, since it cannot be completed with more stations left if it could not with
  fewer.

Nodes are expanded in cyclic best-first order (Sewell & Jacobson 2012): one heap per
level (stations used); each cycle expands the best node of every level in turn, best =
least ``idle / stations - 0.02 * unassigned tasks`` (Sewell & Jacobson's key: least
idle, and at nearly equal idle the node with more tasks left, i.e. longer tasks placed),
then the heaviest tails in the last load. :meth:`StationSearch.reorder` perturbs the
candidate order of the tasks (which loads a heuristic search meets first) for restarts.

Heuristic variants keep only the ``batch`` fullest loads found per node (within a
step budget) and prove nothing; with ``dive=True`` the deepest level is expanded first
(depth-first with memory), and each station's load is first sought with at most twice
the average idle time left (the idle time is spread over the stations instead of
being spent on the first ones).

A search runs within a budget of steps (node expansions plus load-enumeration steps;
deterministic for a given sequence of calls, since the bin-packing memory carries
over) and a wall-clock deadline; it is a proof of infeasibility only when
it ends without hitting either. Every feasible answer is a balance the caller checks.

References
----------
Scholl, A., Klein, R. (1997). SALOME: a bidirectional branch-and-bound procedure for
assembly line balancing. *INFORMS J. Computing* 9(4), 319-334.
Sewell, E.C., Jacobson, S.H. (2012). A branch, bound, and remember algorithm for the
simple assembly line balancing problem. *INFORMS J. Computing* 24(3), 433-442.
Morrison, D.R., Sewell, E.C., Jacobson, S.H. (2014). An application of the branch,
bound, and remember algorithm to a new simple assembly line balancing dataset.
*EJOR* 236(2), 403-409.
Jackson, J.R. (1956). A computing procedure for a line balancing problem.
*Management Science* 2(3), 261-271.

"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numba
import numpy as np

from insource.plant._binpack import (
    NO_FIT,
    UNDECIDED,
    BinPackMemo,
    _any_in,
    _l2,
    _shift_or,
    decide,
)
from insource.plant._bounds import quarter_weights, weights

__all__ = ["StationSearch", "precedence_matrices"]

BINPACK_SHA256 = "f3738fef094141bb"
"""First 16 hex digits of the SHA-256 of ``_binpack.py``, whose kernels ``_search`` calls.

Numba's cache of ``_search`` is keyed on this file only (its time stamp and size):
an edit of ``_binpack.py`` alone would leave the old bin-packing code compiled into
the cached search. A test checks this digest, so every edit of ``_binpack.py`` comes
with an edit here, which invalidates the cache.
"""

FEASIBLE, INFEASIBLE, UNKNOWN, EXHAUSTED = 1, 2, 0, 3
_VERDICT = {
    FEASIBLE: "feasible",
    INFEASIBLE: "infeasible",
    UNKNOWN: "unknown",
    EXHAUSTED: "exhausted",
}
_ONE = np.uint64(1)
BP_BUDGET = 200_000
"""Steps of one bin packing question at a node (:func:`insource.plant._binpack.decide`)."""
BP_PER_PRUNE, BP_SHARE, BP_UNDECIDED = 50_000, 4, 16
"""A search asks bin packing questions while their steps stay within
``BP_PER_PRUNE * (1 + nodes they pruned) + (search steps) / BP_SHARE`` and the steps
of the undecided ones within ``BP_PER_PRUNE * (BP_UNDECIDED + nodes they pruned)``."""


# --- bitset helpers (rows of uint64 words) ---------------------------------------------


@numba.njit(cache=True)
def _has(row, j):  # type: ignore[no-untyped-def]
    return (row[j >> 6] >> np.uint64(j & 63)) & np.uint64(1) != np.uint64(0)


@numba.njit(cache=True)
def _set(row, j):  # type: ignore[no-untyped-def]
    row[j >> 6] |= np.uint64(1) << np.uint64(j & 63)


@numba.njit(cache=True)
def _top_bit_le(row, hi):  # type: ignore[no-untyped-def]
    """Largest set bit ``<= hi`` (-1 if none)."""
    for k in range(hi >> 6, -1, -1):
        w = row[k]
        if k == hi >> 6 and (hi & 63) != 63:
            w &= (np.uint64(1) << np.uint64((hi & 63) + 1)) - np.uint64(1)
        if w != np.uint64(0):
            b = 63
            while (w >> np.uint64(b)) & np.uint64(1) == np.uint64(0):
                b -= 1
            return 64 * k + b
    return -1


@numba.njit(cache=True)
def _hash(row):  # type: ignore[no-untyped-def]
    h = np.uint64(1469598103934665603)
    for k in range(row.shape[0]):
        h = (h ^ row[k]) * np.uint64(1099511628211)
        h ^= h >> np.uint64(29)
    return h


# --- node bounds ---------------------------------------------------------------------


@numba.njit(cache=True)
def _blocked(undone, left, rest, inst, cw, buf, cnt):  # type: ignore[no-untyped-def]
    """True if the unassigned tasks cannot fit ``left`` stations (the node bounds)."""
    t, c, after, pp, pidx, _, _, _, _, w2, w6, wq, kq, vidx, vals, topidx, half, big, _ = inst
    n = t.shape[0]
    s2 = 0
    s6 = 0
    sq = 0
    for k in range(cnt.shape[0]):
        cnt[k] = 0
    for j in range(n):
        if undone[j]:
            s2 += w2[j]
            s6 += w6[j]
            sq += wq[j]
            cnt[vidx[j]] += 1
    if (s2 + 1) // 2 > left or (s6 + 5) // 6 > left or (sq + kq - 1) // kq > left:
        return True
    # Martello & Toth's L2 over the value histogram
    nv = vals.shape[0]
    if (
        _l2(cnt, vals, c, topidx, half, np.zeros(nv + 1, np.int64), np.zeros(nv + 1, np.int64))
        > left
    ):
        return True
    # heads: LB(j and its unassigned predecessors) + a_j - 1 <= left (LB1, LB2, LB3)
    for j in range(n):
        if not undone[j]:
            continue
        h = t[j]
        h2 = w2[j]
        h6 = w6[j]
        for q in range(pp[j], pp[j + 1]):
            i = pidx[q]
            if undone[i]:
                h += t[i]
                h2 += w2[i]
                h6 += w6[i]
        first = max((h + c - 1) // c, (h2 + 1) // 2, (h6 + 5) // 6)
        if first + after[j] - 1 > left:
            return True
    # idle time of the stations of the tasks longer than c/2
    budget = left * c - rest
    has_big = False
    for j in range(n):
        if undone[j] and big[j]:
            has_big = True
            break
    if not has_big:
        return False
    for k in range(cw):
        buf[0, k] = np.uint64(0)
    buf[0, 0] = np.uint64(1)
    cur = 0
    for j in range(n):
        if undone[j] and not big[j]:
            _shift_or(buf[1 - cur], buf[cur], t[j], cw)
            cur = 1 - cur
    idle = 0
    for j in range(n):
        if undone[j] and big[j]:
            room = c - t[j]
            idle += room - _top_bit_le(buf[cur], room)
            if idle > budget:
                return True
    return False


# --- heaps (one per level; key = (rest, -tail), lexicographic) ------------------------


@numba.njit(cache=True)
def _less(a, b, k1, k2):  # type: ignore[no-untyped-def]
    return k1[a] < k1[b] or (k1[a] == k1[b] and (k2[a] < k2[b] or (k2[a] == k2[b] and a < b)))


@numba.njit(cache=True)
def _heap_push(heap, size, x, k1, k2):  # type: ignore[no-untyped-def]
    if size == heap.shape[0]:
        bigger = np.empty(2 * size + 16, np.int64)
        bigger[:size] = heap[:size]
        heap = bigger
    i = size
    heap[i] = x
    while i > 0:
        p = (i - 1) >> 1
        if _less(heap[i], heap[p], k1, k2):
            heap[i], heap[p] = heap[p], heap[i]
            i = p
        else:
            break
    return heap


@numba.njit(cache=True)
def _heap_pop(heap, size, k1, k2):  # type: ignore[no-untyped-def]
    top = heap[0]
    size -= 1
    heap[0] = heap[size]
    i = 0
    while True:
        a = 2 * i + 1
        if a >= size:
            break
        b = a + 1
        s = b if b < size and _less(heap[b], heap[a], k1, k2) else a
        if _less(heap[s], heap[i], k1, k2):
            heap[i], heap[s] = heap[s], heap[i]
            i = s
        else:
            break
    return top


# --- the search ----------------------------------------------------------------------


@numba.njit(cache=True)
def _search(  # type: ignore[no-untyped-def]
    inst, order, memo, m, budget, deadline, batch, dive, idle_key, bp_budget, station, bp_stats
):
    """Cyclic best-first BB&R for ``m`` stations.

    Returns ``(verdict, steps, nodes stored, deepest level expanded)``.

    ``inst`` (:meth:`StationSearch._instance`): the instance's fixed arrays, among
    them ``pp/pidx``: all predecessors; ``fp/fidx``: all followers; ``dp/didx``: the
    tasks dominating each task. ``order``: the candidate order ``rank`` and the direct
    successors in it ``sp/sidx`` (CSR). ``memo``: the bin-packing table
    (:class:`insource.plant._binpack.BinPackMemo`). On a feasible verdict ``station``
    holds the 1-based stations.
    """
    t, c, after, pp, pidx, fp, fidx, dp, didx, _, _, _, _, _, vals, topidx, half, _, tail = inst
    rank, sp, sidx = order
    bp_boff, bp_keys, bp_info = memo
    n = t.shape[0]
    words = (n + 63) // 64
    cw = c // 64 + 1
    total = 0
    for j in range(n):
        total += t[j]
    if m < 1 or total > m * c:
        return INFEASIBLE, 0, 0, 0
    for j in range(n):
        if after[j] > m:
            return INFEASIBLE, 0, 0, 0
    by_after = np.argsort(-after, kind="mergesort")
    npred = np.zeros(n, np.int64)
    for j in range(n):
        for q in range(sp[j], sp[j + 1]):
            npred[sidx[q]] += 1
    # node pool
    cap = 1024
    bits = np.zeros((cap, words), np.uint64)
    lvl = np.zeros(cap, np.int64)
    rest = np.zeros(cap, np.int64)
    parent = np.zeros(cap, np.int64)
    k1 = np.zeros(cap, np.int64)
    k2 = np.zeros(cap, np.int64)
    count = 1
    rest[0] = total
    parent[0] = -1
    # memory: open addressing on node ids
    hsize = 4096
    table = np.full(hsize, -1, np.int64)
    table[_hash(bits[0]) & np.uint64(hsize - 1)] = 0
    heaps = [np.empty(16, np.int64) for _ in range(m + 1)]
    hlen = np.zeros(m + 1, np.int64)
    heaps[0] = _heap_push(heaps[0], 0, 0, k1, k2)
    hlen[0] = 1
    # work arrays
    done = np.zeros(n, np.bool_)
    undone = np.zeros(n, np.bool_)
    inmask = np.zeros(n, np.bool_)
    inzone = np.zeros(n, np.bool_)
    excl = np.zeros(n, np.bool_)
    killer = np.full(n, -1, np.int64)
    pend = np.zeros(n, np.int64)
    zone = np.zeros(n, np.int64)
    sums = np.zeros((n + 1, cw), np.uint64)
    buf = np.zeros((2, cw), np.uint64)
    cnt = np.zeros(vals.shape[0], np.int64)
    d_load = np.zeros(n + 2, np.int64)
    d_need = np.zeros(n + 2, np.int64)
    d_pot = np.zeros(n + 2, np.int64)
    d_phase = np.zeros(n + 2, np.int64)
    d_took = np.zeros(n + 2, np.bool_)
    d_left = np.zeros(n + 2, np.bool_)
    ocap = 256
    out = np.zeros((ocap, words), np.uint64)
    oload = np.zeros(ocap, np.int64)
    child = np.zeros(words, np.uint64)
    steps = 0
    deepest = 0
    bp_unchecked = 0
    exhaustive = True
    cursor = 0
    while True:
        # --- choose the level
        lv = -1
        if dive:
            for q in range(m, -1, -1):
                if hlen[q] > 0:
                    lv = q
                    break
        else:
            for q in range(m + 1):
                cand = (cursor + q) % (m + 1)
                if hlen[cand] > 0:
                    lv = cand
                    break
            cursor = (lv + 1) % (m + 1)
        if lv < 0:
            return (INFEASIBLE if exhaustive else EXHAUSTED), steps, count, deepest
        node = _heap_pop(heaps[lv], hlen[lv], k1, k2)
        hlen[lv] -= 1
        steps += 1
        if lvl[node] != lv:
            continue  # reached again with fewer stations
        deepest = max(deepest, lv)
        left = m - lv
        for j in range(n):
            done[j] = _has(bits[node], j)
            undone[j] = not done[j]
        r = rest[node]
        if _blocked(undone, left, r, inst, cw, buf, cnt):
            continue
        if (
            bp_budget > 0
            and left * c - r < c
            and bp_stats[6] <= BP_PER_PRUNE * (BP_UNDECIDED + bp_stats[3])
            and bp_stats[4] <= BP_PER_PRUNE * (1 + bp_stats[3]) + (bp_stats[5] + steps) // BP_SHARE
        ):
            # exact bin packing of the unassigned tasks into the stations left (only
            # when LB1 is tight, and while its work pays: see the module docstring)
            verdict, bsteps = decide(
                cnt, vals, c, left, min(bp_budget, max(budget // 8, 1000)), topidx, half,
                bp_boff, bp_keys, bp_info,
            )  # fmt: skip
            bp_stats[0] += 1
            bp_stats[verdict + 1] += 1
            bp_stats[4] += bsteps
            if verdict == UNDECIDED:
                bp_stats[6] += bsteps
            bp_unchecked += bsteps
            if bp_unchecked > 1_000_000:  # about 30 ms of questions since the last look
                bp_unchecked = 0
                with numba.objmode(now="float64"):
                    now = time.perf_counter()
                if now > deadline:
                    return UNKNOWN, steps, count, deepest
            if verdict == NO_FIT:
                continue
        # --- zone: tasks that can join the next station, in candidate order
        for j in range(n):
            pend[j] = 0
            inzone[j] = False
        for j in range(n):
            if done[j]:
                for q in range(sp[j], sp[j + 1]):
                    pend[sidx[q]] += 1
        for j in range(n):
            pend[j] = npred[j] - pend[j]
        z = 0
        for p in range(n):
            j = rank[p]
            if not done[j] and pend[j] == 0:
                zone[z] = j
                z += 1
                inzone[j] = True
        head = 0
        while head < z:
            v = zone[head]
            head += 1
            for q in range(sp[v], sp[v + 1]):
                w = sidx[q]
                if inzone[w]:
                    continue
                ok = True
                for q2 in range(pp[w], pp[w + 1]):
                    i = pidx[q2]
                    if not done[i] and not inzone[i]:
                        ok = False
                        break
                if not ok:
                    continue
                tot = t[w]
                for q2 in range(pp[w], pp[w + 1]):
                    i = pidx[q2]
                    if not done[i]:
                        tot += t[i]
                if tot <= c:
                    inzone[w] = True
                    zone[z] = w
                    z += 1
        for k in range(cw):
            sums[z, k] = np.uint64(0)
        sums[z, 0] = np.uint64(1)
        for p in range(z - 1, -1, -1):
            _shift_or(sums[p], sums[p + 1], t[zone[p]], cw)
        lo_load = max(r - (left - 1) * c, 1)
        usucc = 0
        for j in range(n):
            if undone[j] and sp[j + 1] > sp[j]:
                usucc += 1
        # --- loads: take/leave each zone task in turn (iterative, with undo)
        nout = 0
        pot0 = 0
        for p in range(z):
            pot0 += t[zone[p]]
        first_try = True
        spread = 0
        if dive and batch > 0 and left > 1:
            spread = c - 2 * (left * c - r) // left
        while True:
            need0 = lo_load
            if first_try and spread > lo_load:
                need0 = spread
            nout = 0
            start_steps = steps
            limit = budget if batch == 0 else 5000
            d = 0
            d_load[0] = 0
            d_need[0] = need0
            d_pot[0] = pot0
            d_phase[0] = 0
            capped = False
            while d >= 0:
                ph = d_phase[d]
                if ph == 0:
                    steps += 1
                    if (steps & 4095) == 0:
                        with numba.objmode(now="float64"):
                            now = time.perf_counter()
                        if now > deadline or steps > budget:
                            return UNKNOWN, steps, count, deepest
                    if steps - start_steps > limit:
                        capped = True
                        break
                    load = d_load[d]
                    need = d_need[d]
                    low = need - load if need > load else 0
                    if c < need or load + d_pot[d] < need or not _any_in(sums[d], low, c - load):
                        d -= 1
                        continue
                    if load == c or d == z:
                        # leaf: Jackson dominance check, then record
                        keep = True
                        if usucc > 0:  # a load of tasks without successors can go last
                            keep = False
                            for p in range(d):
                                j = zone[p]
                                if inmask[j] and sp[j + 1] > sp[j]:
                                    keep = True
                                    break
                        for p in range(d):
                            if not keep:
                                break
                            j = zone[p]
                            if not inmask[j]:
                                continue
                            hasfol = False
                            for q in range(sp[j], sp[j + 1]):
                                if inmask[sidx[q]]:
                                    hasfol = True
                                    break
                            if hasfol:
                                continue
                            room = c - load + t[j]
                            for q in range(dp[j], dp[j + 1]):
                                i = didx[q]
                                if t[i] <= room and not done[i] and not inmask[i] and pend[i] == 0:
                                    keep = False
                                    break
                            if not keep:
                                break
                        if keep:
                            if nout == out.shape[0]:
                                o2 = np.zeros((2 * nout, words), np.uint64)
                                o2[:nout] = out
                                out = o2
                                l2 = np.zeros(2 * nout, np.int64)
                                l2[:nout] = oload
                                oload = l2
                            for k in range(words):
                                out[nout, k] = np.uint64(0)
                            for p in range(d):
                                if inmask[zone[p]]:
                                    _set(out[nout], zone[p])
                            oload[nout] = load
                            nout += 1
                            if batch > 0 and load == c and nout >= batch:
                                capped = True
                                break
                        d -= 1
                        continue
                    j = zone[d]
                    d_took[d] = False
                    d_left[d] = False
                    if killer[j] >= 0:  # a predecessor was left out: j cannot join
                        d_phase[d] = 3
                        d_load[d + 1] = load
                        d_need[d + 1] = need
                        d_pot[d + 1] = d_pot[d]
                        d_phase[d + 1] = 0
                        d += 1
                        continue
                    d_phase[d] = 1
                    if pend[j] == 0 and load + t[j] <= c:
                        beaten = False
                        hasfol = False
                        for q in range(sp[j], sp[j + 1]):
                            if inzone[sidx[q]]:
                                hasfol = True
                                break
                        if not hasfol:
                            for q in range(dp[j], dp[j + 1]):
                                i = didx[q]
                                if excl[i] and t[i] <= t[j]:
                                    beaten = True
                                    break
                        if not beaten:
                            d_took[d] = True
                            inmask[j] = True
                            for q in range(sp[j], sp[j + 1]):
                                pend[sidx[q]] -= 1
                            d_load[d + 1] = load + t[j]
                            d_need[d + 1] = need
                            d_pot[d + 1] = d_pot[d] - t[j]
                            d_phase[d + 1] = 0
                            d += 1
                            continue
                elif ph == 1:
                    j = zone[d]
                    if d_took[d]:
                        inmask[j] = False
                        for q in range(sp[j], sp[j + 1]):
                            pend[sidx[q]] += 1
                        d_took[d] = False
                    need = d_need[d]
                    if pend[j] == 0 and d_load[d] + t[j] <= c:
                        need = max(need, c - t[j] + 1)  # leaving j out: it must not fit
                        excl[j] = True
                        d_left[d] = True
                    pot = d_pot[d] - t[j]
                    killer[j] = d
                    for q in range(fp[j], fp[j + 1]):
                        f = fidx[q]
                        if inzone[f] and killer[f] < 0:
                            killer[f] = d
                            pot -= t[f]
                    d_phase[d] = 2
                    d_load[d + 1] = d_load[d]
                    d_need[d + 1] = need
                    d_pot[d + 1] = pot
                    d_phase[d + 1] = 0
                    d += 1
                    continue
                elif ph == 2:
                    j = zone[d]
                    if d_left[d]:
                        excl[j] = False
                    killer[j] = -1
                    for q in range(fp[j], fp[j + 1]):
                        f = fidx[q]
                        if killer[f] == d:
                            killer[f] = -1
                    d -= 1
                else:
                    d -= 1
            if capped or d >= 0:  # stopped early: undo the open decisions
                for p in range(z):
                    j = zone[p]
                    if inmask[j]:
                        inmask[j] = False
                        for q in range(sp[j], sp[j + 1]):
                            pend[sidx[q]] += 1
                    excl[j] = False
                    killer[j] = -1
                exhaustive = False
            if nout > 0 and first_try and spread > lo_load:
                exhaustive = False  # the loads below the spread were not kept
            if nout > 0 or not first_try or spread <= lo_load:
                break
            first_try = False
        for p in range(z):
            inzone[zone[p]] = False
        # --- children: fullest first; the batch variants keep the fullest few
        order = np.argsort(-oload[:nout], kind="mergesort")
        nkeep = nout
        if batch > 0 and nout > batch:
            exhaustive = False
            nkeep = batch
        for oi in range(nkeep):
            o = order[oi]
            for k in range(words):
                child[k] = bits[node, k] | out[o, k]
            ok = True
            for q in range(n):
                j = by_after[q]
                if after[j] < left:
                    break
                if not _has(child, j):
                    ok = False
                    break
            if not ok:
                continue
            # memory lookup
            h = _hash(child) & np.uint64(hsize - 1)
            slot = np.int64(h)
            found = -1
            while table[slot] >= 0:
                e = table[slot]
                same = True
                for k in range(words):
                    if bits[e, k] != child[k]:
                        same = False
                        break
                if same:
                    found = e
                    break
                slot = (slot + 1) & (hsize - 1)
            if found >= 0 and lvl[found] <= lv + 1:
                continue
            if found >= 0:
                new = found
            else:
                if count == bits.shape[0]:
                    nb = np.zeros((2 * count, words), np.uint64)
                    nb[:count] = bits
                    bits = nb
                    lvl = np.concatenate((lvl, np.zeros(count, np.int64)))
                    rest = np.concatenate((rest, np.zeros(count, np.int64)))
                    parent = np.concatenate((parent, np.zeros(count, np.int64)))
                    k1 = np.concatenate((k1, np.zeros(count, np.int64)))
                    k2 = np.concatenate((k2, np.zeros(count, np.int64)))
                new = count
                count += 1
                bits[new] = child
                table[slot] = new
                if 2 * count > hsize:  # grow the table and rehash
                    hsize *= 4
                    table = np.full(hsize, -1, np.int64)
                    for e in range(count):
                        s2 = np.int64(_hash(bits[e]) & np.uint64(hsize - 1))
                        while table[s2] >= 0:
                            s2 = (s2 + 1) & (hsize - 1)
                        table[s2] = e
            lvl[new] = lv + 1
            parent[new] = node
            rest[new] = r - oload[o]
            if rest[new] == 0:
                # complete: number the stations along the parent chain
                chain = np.zeros(lv + 2, np.int64)
                ln = 0
                e = new
                while e > 0:
                    chain[ln] = e
                    ln += 1
                    e = parent[e]
                for j in range(n):
                    station[j] = 0
                for s in range(ln):
                    e = chain[ln - 1 - s]
                    pe = parent[e]
                    for j in range(n):
                        if _has(bits[e], j) and not _has(bits[pe], j):
                            station[j] = s + 1
                return FEASIBLE, steps, count, deepest
            pr = 0
            nun = n
            for j in range(n):
                if _has(out[o], j):
                    pr += tail[j]
                if _has(child, j):
                    nun -= 1
            if idle_key:  # idle so far (less is better), then the tails
                k1[new] = rest[new]
            else:  # Sewell & Jacobson's idle / stations - 0.02 * unassigned, times 50 (lv + 1)
                k1[new] = 50 * rest[new] - (lv + 1) * nun
            k2[new] = -pr
            heaps[lv + 1] = _heap_push(heaps[lv + 1], hlen[lv + 1], new, k1, k2)
            hlen[lv + 1] += 1
        if steps > budget:
            return UNKNOWN, steps, count, deepest


class StationSearch:
    """Decision search for one direction of one SALBP-1 instance.

    Parameters
    ----------
    times
        Integer task times (after incrementing), each at most ``cycle``.
    arcs
        Direct precedences ``(i, j)``; pass the reversed arcs for a backward search.
    cycle
        Cycle time ``c``.
    after
        ``a_j``: stations task ``j`` and its followers need (for the given direction).
    batch
        0 for the exhaustive search (a proof when it ends within its budget); else keep
        only the ``batch`` fullest loads per node (a heuristic that proves nothing).
    dive
        Expand the deepest level first (depth-first with memory).
    bin_packing
        Steps per bin packing question at a node (0: no such questions); the answers
        are remembered in :attr:`memo` across calls of :meth:`solve`, and
        :attr:`bp_stats` counts questions, undecided, fits, no fits, their steps, the
        search's own steps and the steps of the undecided questions (this one per number of
        stations asked about: a hard m does not switch bin packing off for the next).

    Attributes
    ----------
    idle_key
        Order the nodes of a level by least idle time, then heaviest tails of the last
        load, instead of Sewell & Jacobson's ``idle / stations - 0.02 * unassigned``
        (default ``False``; the dives alternate, since either order finds some tight
        balances the other misses).

    """

    def __init__(
        self,
        times: Sequence[int],
        arcs: Sequence[tuple[int, int]],
        cycle: int,
        after: Sequence[int],
        batch: int = 0,
        dive: bool = False,
        bin_packing: int = BP_BUDGET,
    ) -> None:
        n = len(times)
        self.n, self.c = n, int(cycle)
        self.batch, self.dive = int(batch), bool(dive)
        t = np.asarray(times, dtype=np.int64)
        adj, reach = precedence_matrices(n, arcs)
        tail = t + reach.astype(np.int64) @ t
        self._succ = [np.flatnonzero(adj[i]).tolist() for i in range(n)]
        self.t, self.tail = t, tail.astype(np.int64)
        self.reorder(0)
        self.pp, self.pidx = _csr([np.flatnonzero(reach[:, j]).tolist() for j in range(n)])
        self.fp, self.fidx = _csr([np.flatnonzero(reach[j]).tolist() for j in range(n)])
        # i dominates j: unrelated, t_i >= t_j, F*(j) within F*(i); ties by index
        rf = reach.astype(np.float32)
        missing = rf @ (1.0 - rf).T  # [j, i] = |F*(j) - F*(i)|
        related = reach | reach.T | np.eye(n, dtype=np.bool_)
        dom = (t[None, :] >= t[:, None]) & (missing == 0) & ~related
        tie = (t[None, :] == t[:, None]) & (missing == 0) & (missing.T == 0)
        dom &= ~(tie & (np.arange(n)[None, :] > np.arange(n)[:, None]))
        self.dp, self.didx = _csr([np.flatnonzero(dom[j]).tolist() for j in range(n)])
        w2, w6 = weights(times, cycle)
        self.w2 = np.asarray(w2, dtype=np.int64)
        self.w6 = np.asarray(w6, dtype=np.int64)
        wq, self.kq = quarter_weights(times, cycle)
        self.wq = np.asarray(wq, dtype=np.int64)
        self.vals = np.unique(t)
        self.vidx = np.searchsorted(self.vals, t).astype(np.int64)
        self.half = int(np.searchsorted(self.vals, cycle // 2, side="right"))
        self.topidx = np.searchsorted(self.vals, cycle - self.vals, side="right").astype(np.int64)
        self.big = 2 * t > cycle
        self.after = np.asarray(after, dtype=np.int64)
        self.memo = BinPackMemo(times, cycle)
        self.bp_budget = int(bin_packing)
        self.bp_stats = np.zeros(7, dtype=np.int64)
        self._bp_m = -1  # the m of the last call (the undecided steps are counted per m)
        self.steps = 0
        self.idle_key = False
        self.solution: list[int] | None = None

    def reorder(self, seed: int) -> None:
        """Candidate order of the tasks: longest first, then longest tail; ``seed > 0`` perturbs it.

        The order decides which loads a heuristic search meets first (and so keeps);
        a perturbed order (times scaled by ``1 + U(0, 0.1)`` from a generator seeded with
        ``seed``) gives a different, equally plausible search, as in randomised restarts.
        """
        n, t = self.n, self.t
        key = t.astype(np.float64)
        if seed > 0:
            key = key * (1.0 + 0.1 * np.random.default_rng(seed).random(n))
        self.rank = np.lexsort((np.arange(n), -self.tail, -key)).astype(np.int64)
        pos = np.empty(n, dtype=np.int64)
        pos[self.rank] = np.arange(n)
        self.sp, self.sidx = _csr([sorted(s, key=pos.__getitem__) for s in self._succ])

    def _instance(self) -> tuple[object, ...]:
        """The fixed arrays and numbers of the instance, as ``_search`` unpacks them."""
        return (
            self.t, self.c, self.after, self.pp, self.pidx, self.fp, self.fidx, self.dp,
            self.didx, self.w2, self.w6, self.wq, self.kq, self.vidx, self.vals, self.topidx,
            self.half, self.big, self.tail,
        )  # fmt: skip

    def solve(self, stations: int, budget: int, deadline: float) -> str:
        """Search for a balance with ``stations`` stations within ``budget`` steps.

        Returns ``feasible`` (the balance in :attr:`solution`), ``infeasible`` (a proof:
        the exhaustive search ended within its budget), ``unknown`` (budget or deadline
        hit) or ``exhausted`` (a heuristic search ran out of nodes).
        """
        station = np.zeros(self.n, dtype=np.int64)
        if stations != self._bp_m:  # a hard m must not switch bin packing off for the next
            self.bp_stats[6] = 0
            self._bp_m = stations
        code, steps, self.nodes, self.deepest = _search(
            self._instance(),
            (self.rank, self.sp, self.sidx),
            (self.memo.boff, self.memo.keys, self.memo.info),
            stations,
            budget,
            deadline,
            self.batch,
            self.dive,
            self.idle_key,
            self.bp_budget,
            station,
            self.bp_stats,
        )
        self.steps += steps
        self.bp_stats[5] += steps
        self.solution = [int(s) for s in station] if code == FEASIBLE else None
        return _VERDICT[code]


def precedence_matrices(n: int, arcs: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Direct and transitive precedence as boolean matrices (``[i, j]``: ``i`` before ``j``).

    The closure is built in reverse topological order, one row per task
    (``reach[v] = adj[v] | OR_{w in succ(v)} reach[w]``).
    """
    adj = np.zeros((n, n), dtype=np.bool_)
    if arcs:
        src, dst = np.asarray(arcs, dtype=np.int64).T
        adj[src, dst] = True
    indeg = adj.sum(axis=0)
    order = [j for j in range(n) if indeg[j] == 0]
    for v in order:
        for w in np.flatnonzero(adj[v]):
            indeg[w] -= 1
            if indeg[w] == 0:
                order.append(int(w))
    reach = adj.copy()
    for v in reversed(order):
        succ = np.flatnonzero(adj[v])
        if succ.size:
            reach[v] |= reach[succ].any(axis=0)
    return adj, reach


def _csr(lists: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    idx = np.asarray([v for x in lists for v in x], dtype=np.int64)
    return ptr, idx
