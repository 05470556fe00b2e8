"""Exact bin packing decisions for the node bound of the SALBP-1 station search.

Question: do the items ``cnt[k]`` of size ``vals[k]`` fit into ``l`` bins of size
``c``? The station search (:mod:`insource.plant._bbr`) asks it for the tasks still
unassigned at a node with ``l`` stations left and prunes the node on a proven "no"
(Sewell & Jacobson 2012 prune with the optimal number of bins of the unassigned tasks;
a "no" here is the same test). The answer is one of

* ``FITS``: a packing into at most ``l`` bins was found;
* ``NO_FIT``: proven impossible;
* ``UNDECIDED``: the step budget ran out; the caller must not prune.

Method: the table of answers, ``L2``, first fit decreasing (a quick "fits"), then
bin completion (Korf 2003; Martello & Toth 1990), depth first. The largest item left
goes into a new bin; the branches are the ways to complete that bin with items left
(a *completion*), fullest first, and the rest is packed into ``l - 1`` bins the same
way. A completion may waste at most the slack ``l c - sum`` (the whole idle budget),
and only undominated completions are tried, all by exchange arguments (a completion
``B`` is dropped when some packing with ``B`` turns into one with another completion
``B'`` of at least the load and, at equal load, fewer items, by swapping items with
other bins; the chain of such swaps ends at a completion that is tried):

* maximal: no item left fits in the gap ``c - load``;
* single swap: an item of ``B`` can be exchanged for a larger item left that still
  fits (``t_i < t_e <= t_i + gap``);
* pair swap: two items of ``B`` can be exchanged for one item left with
  ``t_i + t_j <= t_e <= t_i + t_j + gap``;
* whole swap: ``B`` has two or more items and an item left holds them all
  (``load(B) <= t_e``).

The whole and single swaps make a completion weigh more than the largest size left out (except the
single largest item that fits), which the enumeration (sizes in decreasing order)
applies as soon as an item is left out, together with a bitset of the sums the items
still to decide can reach. A bin with more than 64 undominated completions makes the
question undecided (Sewell & Jacobson's code stops at 50 loads).

Every state is first tested with Martello & Toth's ``L2`` (which implies
``ceil(sum / c)``). States are multisets, so the search remembers them by the
counts vector, not by the items: a fixed-size table (:class:`BinPackMemo`, exact keys,
the counts packed into 64-bit words, four probes then overwrite) holds for each state
met the most bins known not to suffice (``lo - 1``), the fewest known to suffice
(``hi``), and the last undecided question (bins and steps spent), which is not tried
again with the same bins and no larger budget. The table lives as long as its owner
(one station search), so the states of one node's question answer later nodes'
questions at once.

Why a hand-written kernel rather than a solver library: the station search spends
about 12 microseconds per node and asks this question at many of them; a call of
CP-SAT or HiGHS costs milliseconds, and the multiset memory shared across calls is
what makes the answers cheap. Numba compiles the kernel; after editing this module,
clear the Numba cache of :mod:`insource.plant._bbr` too (its compiled search calls
these functions and Numba does not track that dependency).

References
----------
Martello, S., Toth, P. (1990). Lower bounds and reduction procedures for the bin
packing problem. *Discrete Applied Mathematics* 28(1), 59-70.
Korf, R.E. (2003). An improved algorithm for optimal bin packing. *Proceedings of
IJCAI-03*.
Sewell, E.C., Jacobson, S.H. (2012). A branch, bound, and remember algorithm for the
simple assembly line balancing problem. *INFORMS J. Computing* 24(3), 433-442 (their
public code, ``bin_packing.c``, solves the bin packing problem of every new state).

"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

__all__ = ["FITS", "NO_FIT", "UNDECIDED", "BinPackMemo", "decide", "fits_bins"]

UNDECIDED, FITS, NO_FIT = 0, 1, 2
_PROBES = 4
_USED, _LO, _HI, _TRIED_BINS, _TRIED_STEPS = 0, 1, 2, 3, 4  # columns of the table's info
_MAX_COMPLETIONS = 64


class BinPackMemo:
    """Sizes, bounds data and the state table of the bin packing decisions of one line.

    Parameters
    ----------
    times
        Integer item sizes (all items that can ever be asked about; a question may
        hold any sub-multiset of them).
    cycle
        Bin size ``c`` (every size at most ``c``).
    slots
        Table size (rounded up to a power of two).

    Attributes
    ----------
    vals
        Distinct sizes, increasing; questions give counts over these.
    topidx, half
        For ``L2``: first index with size ``> c - vals[k]``; first index with size
        ``> c/2``.
    boff, keys, info
        Bit offsets of the counts in the packed keys, and the table: per slot the
        packed counts and ``used, lo, hi, tried_bins, tried_steps`` (``lo``: the
        state needs at least ``lo`` bins; ``hi > 0``: it fits into ``hi``; the last
        question about it, ``tried_bins`` bins, was undecided after
        ``tried_steps`` steps).

    """

    def __init__(self, times: Sequence[int], cycle: int, slots: int = 1 << 14) -> None:
        t = np.asarray(times, dtype=np.int64)
        self.c = int(cycle)
        self.vals, counts = np.unique(t, return_counts=True)
        self.vals = self.vals.astype(np.int64)
        self.topidx = np.searchsorted(self.vals, self.c - self.vals, side="right").astype(np.int64)
        self.half = int(np.searchsorted(self.vals, self.c // 2, side="right"))
        # each count in a field of bit_length(total count) bits, never across two words
        self.boff = np.zeros(len(self.vals), dtype=np.int64)
        pos = 0
        for k, total in enumerate(counts):
            width = int(total).bit_length()
            if pos // 64 != (pos + width - 1) // 64:
                pos = (pos // 64 + 1) * 64
            self.boff[k] = pos
            pos += width
        words = max(1, -(-pos // 64))
        size = 1 << max(4, (int(slots) - 1).bit_length())
        self.keys = np.zeros((size, words), dtype=np.uint64)
        self.info = np.zeros((size, 5), dtype=np.int64)
        self.steps = 0

    def counts(self, items: Sequence[int]) -> np.ndarray:
        """Counts over :attr:`vals` of a multiset of sizes (each one of the line's)."""
        idx = np.searchsorted(self.vals, np.asarray(items, dtype=np.int64))
        return np.bincount(idx, minlength=len(self.vals)).astype(np.int64)

    def decide(self, items: Sequence[int], bins: int, budget: int) -> int:
        """``FITS``, ``NO_FIT`` or ``UNDECIDED`` for ``items`` in ``bins`` bins."""
        verdict, steps = decide(
            self.counts(items), self.vals, self.c, bins, budget, self.topidx, self.half,
            self.boff, self.keys, self.info,
        )  # fmt: skip
        self.steps += steps
        return int(verdict)


def fits_bins(items: Sequence[int], cycle: int, bins: int, budget: int = 10**6) -> int:
    """One question without a table kept: ``FITS``, ``NO_FIT`` or ``UNDECIDED``."""
    if not items:
        return FITS
    return BinPackMemo(items, cycle, slots=1 << 10).decide(items, bins, budget)


# --- table ---------------------------------------------------------------------------


@numba.njit(cache=True)
def _pack(cnt, boff, key):  # type: ignore[no-untyped-def]
    for w in range(key.shape[0]):
        key[w] = np.uint64(0)
    for k in range(cnt.shape[0]):
        if cnt[k] > 0:
            key[boff[k] >> 6] |= np.uint64(cnt[k]) << np.uint64(boff[k] & 63)
    h = np.uint64(1469598103934665603)
    for w in range(key.shape[0]):
        h = (h ^ key[w]) * np.uint64(1099511628211)
        h ^= h >> np.uint64(31)
    return h


@numba.njit(cache=True)
def _find(key, h, keys, info):  # type: ignore[no-untyped-def]
    """Slot of the state ``key`` (hash ``h``) in the table, or -1."""
    size = keys.shape[0]
    for p in range(_PROBES):
        s = np.int64((h + np.uint64(p)) & np.uint64(size - 1))
        if info[s, _USED] == 0:
            return -1
        same = True
        for w in range(key.shape[0]):
            if keys[s, w] != key[w]:
                same = False
                break
        if same:
            return s
    return -1


@numba.njit(cache=True)
def _slot(key, h, keys, info):  # type: ignore[no-untyped-def]
    """Slot of the state ``key``, claimed (cleared) if it is not in the table yet."""
    size = keys.shape[0]
    slot = -1
    for p in range(_PROBES):
        s = np.int64((h + np.uint64(p)) & np.uint64(size - 1))
        if info[s, _USED] == 0:
            slot = s
            break
        same = True
        for w in range(key.shape[0]):
            if keys[s, w] != key[w]:
                same = False
                break
        if same:
            return s
    if slot < 0:  # all probes taken by other states: overwrite the first
        slot = np.int64(h & np.uint64(size - 1))
    for w in range(key.shape[0]):
        keys[slot, w] = key[w]
    for f in range(info.shape[1]):
        info[slot, f] = 0
    info[slot, _USED] = 1
    return slot


@numba.njit(cache=True)
def _store(key, h, keys, info, new_lo, new_hi):  # type: ignore[no-untyped-def]
    """Record ``lo >= new_lo`` (0: nothing) and ``hi <= new_hi`` (0: nothing) for a state."""
    s = _slot(key, h, keys, info)
    if new_lo > info[s, _LO]:
        info[s, _LO] = new_lo
    if new_hi > 0 and (info[s, _HI] == 0 or new_hi < info[s, _HI]):
        info[s, _HI] = new_hi


# --- bounds --------------------------------------------------------------------------


@numba.njit(cache=True)
def _l2(cnt, vals, c, topidx, half, scnt, stot):  # type: ignore[no-untyped-def]
    """Martello & Toth's ``L2`` over the counts (it implies ``ceil(sum / c)``)."""
    nv = vals.shape[0]
    scnt[nv] = 0
    stot[nv] = 0
    for k in range(nv - 1, -1, -1):
        scnt[k] = scnt[k + 1] + cnt[k]
        stot[k] = stot[k + 1] + cnt[k] * vals[k]
    best = 0
    for k in range(-1, half):
        if k >= 0 and (cnt[k] == 0 or vals[k] == 0):
            continue
        top = topidx[k] if k >= 0 else nv
        first3 = k if k >= 0 else 0
        n2 = scnt[half] - scnt[top]
        extra = stot[first3] - stot[half] - (n2 * c - (stot[half] - stot[top]))
        bound = scnt[top] + n2
        if extra > 0:
            bound += (extra + c - 1) // c
        if bound > best:
            best = bound
    return best


# --- completions ---------------------------------------------------------------------


@numba.njit(cache=True)
def _dominated(x, av, na, cnt, vals, load, gap, ex):  # type: ignore[no-untyped-def]
    """True if the completion ``x`` (counts at the positions ``av``) is dominated.

    Returns ``(dominated, work)``; ``ex`` is scratch for the sizes left out.
    """
    # maximal: the smallest item left out must not fit in the gap
    for q in range(na - 1, -1, -1):
        if x[q] < cnt[av[q]]:
            if vals[av[q]] <= gap:
                return True, na
            break
    nitems = 0
    ne = 0
    for q in range(na):
        nitems += x[q]
        if x[q] < cnt[av[q]]:
            ex[ne] = vals[av[q]]  # decreasing
            ne += 1
    # whole swap: one item left out holds the whole completion
    if nitems >= 2 and ne > 0 and ex[0] >= load:
        return True, na
    # single swap: a larger item left out fits in the place of an item taken
    last = -1
    for q in range(na):
        k = av[q]
        if x[q] > 0 and last >= 0 and last <= vals[k] + gap:
            return True, na
        if x[q] < cnt[k]:
            last = vals[k]
    # pair swap: one item left out takes the place of two items taken
    work = na
    if nitems >= 2 and ne > 0:
        for q1 in range(na):
            if x[q1] == 0:
                continue
            for q2 in range(q1, na):
                if x[q2] == 0 or (q2 == q1 and x[q1] < 2):
                    continue
                s = vals[av[q1]] + vals[av[q2]]
                if s > ex[0]:
                    continue
                # the smallest size left out that is >= s (ex decreases)
                lo, hi = 0, ne - 1
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    if ex[mid] >= s:
                        lo = mid
                    else:
                        hi = mid - 1
                work += 1
                if ex[lo] <= s + gap:
                    return True, work
    return False, work


@numba.njit(cache=True)
def _completions(  # type: ignore[no-untyped-def]
    cnt, vals, room, minload, top, pool, pload, start, x, av, below, ex, reach, need, exb, limit
):
    """Append the undominated completions of a bin with ``room`` left to ``pool``.

    ``cnt`` holds the items left (the bin's first item already taken out); only sizes
    at index ``<= top`` are considered. A completion's load must be at least
    ``minload`` (the waste within the slack). Returns ``(count, pool, pload, steps)``;
    count ``-1`` when the enumeration takes more than ``limit`` steps or finds more
    than 64 completions (Sewell & Jacobson's code gives up at 50 loads). ``reach[p]`` is
    the set of sums (a bitset over ``0..room``) of the items at positions ``> p - 1``
    still to decide, so a partial choice is dropped as soon as no completion of it
    lands in ``[minload, room]``.

    Whole and single swaps are applied while enumerating: once an item of size ``e``
    is left out (the largest left out, as sizes are taken in decreasing order), a
    completion must weigh more than ``e`` (``need``), except the single item of the
    largest size that fits, recorded first.
    """
    na = 0
    for k in range(top, -1, -1):
        if cnt[k] > 0 and vals[k] <= room:
            av[na] = k
            na += 1
    below[na] = 0
    for p in range(na - 1, -1, -1):
        below[p] = below[p + 1] + cnt[av[p]] * vals[av[p]]
    nout = 0
    steps = 0
    if below[0] < minload:
        return 0, pool, pload, 1
    if na == 0:  # nothing fits: the bin holds its first item alone
        if start >= pool.shape[0]:
            pool, pload = _grow(pool, pload)
        pool[start, :] = 0
        pload[start] = 0
        return 1, pool, pload, 1
    words = room // 64 + 1
    for w in range(words):
        reach[na, w] = np.uint64(0)
    reach[na, 0] = np.uint64(1)
    for p in range(na - 1, -1, -1):
        v = vals[av[p]]
        for w in range(words):
            reach[p, w] = reach[p + 1, w]
        for _ in range(min(cnt[av[p]], room // v)):
            _shift_or(reach[p], reach[p], v, words)
        steps += words
    if not _any_in(reach[0], minload, room):
        return 0, pool, pload, steps
    e0 = vals[av[0]]
    if cnt[av[0]] >= 2 and e0 >= minload:
        # the single largest item, when maximal (the enumeration below skips it)
        small = vals[av[na - 1]]
        if small > room - e0:
            if start >= pool.shape[0]:
                pool, pload = _grow(pool, pload)
            pool[start, :] = 0
            pool[start, av[0]] = 1
            pload[start] = e0
            nout = 1
    p = 0
    k = av[0]
    x[0] = min(cnt[k], room // vals[k])
    load = x[0] * vals[k]
    while True:
        steps += 1
        if steps > limit:
            return -1, pool, pload, steps
        # the load needed given the items left out so far
        if p > 0 and exb[p - 1]:
            need[p] = need[p - 1]
            exb[p] = True
        else:
            base = need[p - 1] if p > 0 else minload
            exb[p] = x[p] < cnt[av[p]]
            need[p] = max(base, vals[av[p]] + 1) if exb[p] else base
        descend = False
        if load + below[p + 1] < need[p]:
            # this count and every smaller one at p fall short: back up
            load -= x[p] * vals[av[p]]
            x[p] = 0
            p -= 1
        elif not _any_in(reach[p + 1], need[p] - load, room - load):
            pass  # no sum of the items still to decide lands in the window: next count
        elif p == na - 1:
            dom, work = _dominated(x, av, na, cnt, vals, load, room - load, ex)
            steps += work
            if not dom:
                row = start + nout
                if row >= pool.shape[0]:
                    pool, pload = _grow(pool, pload)
                for q in range(pool.shape[1]):
                    pool[row, q] = 0
                for q in range(na):
                    pool[row, av[q]] = x[q]
                pload[row] = load
                nout += 1
                if nout > _MAX_COMPLETIONS:
                    return -1, pool, pload, steps
        else:
            descend = True
        if descend:
            p += 1
            k = av[p]
            x[p] = min(cnt[k], (room - load) // vals[k])
            load += x[p] * vals[k]
            continue
        # next count: decrease the deepest positive position
        while p >= 0 and x[p] == 0:
            p -= 1
        if p < 0:
            break
        x[p] -= 1
        load -= vals[av[p]]
    return nout, pool, pload, steps


@numba.njit(cache=True)
def _shift_or(dst, src, s, words):  # type: ignore[no-untyped-def]
    """``dst = src | (src << s)`` on ``words`` words (bits beyond the last word dropped).

    ``dst`` may be ``src`` (the words are written from the top down).
    """
    ws = s >> 6
    bs = np.uint64(s & 63)
    for k in range(words - 1, -1, -1):
        v = src[k]
        if k - ws >= 0:
            x = src[k - ws] << bs
            if bs != np.uint64(0) and k - ws - 1 >= 0:
                x |= src[k - ws - 1] >> (np.uint64(64) - bs)
            v |= x
        dst[k] = v


@numba.njit(cache=True)
def _any_in(row, lo, hi):  # type: ignore[no-untyped-def]
    """True if a bit in ``[max(lo, 0), hi]`` is set."""
    if lo < 0:
        lo = 0
    if hi < lo:
        return False
    k0, k1 = lo >> 6, hi >> 6
    for k in range(k0, k1 + 1):
        w = row[k]
        if k == k0:
            w &= ~np.uint64(0) << np.uint64(lo & 63)
        if k == k1 and (hi & 63) != 63:
            w &= (np.uint64(1) << np.uint64((hi & 63) + 1)) - np.uint64(1)
        if w != np.uint64(0):
            return True
    return False


@numba.njit(cache=True)
def _grow(pool, pload):  # type: ignore[no-untyped-def]
    bigger = np.zeros((2 * pool.shape[0], pool.shape[1]), np.int64)
    bigger[: pool.shape[0]] = pool
    more = np.zeros(2 * pload.shape[0], np.int64)
    more[: pload.shape[0]] = pload
    return bigger, more


# --- the decision --------------------------------------------------------------------


@numba.njit(cache=True)
def _first_fit(cnt, vals, c, bins, loads):  # type: ignore[no-untyped-def]
    """First fit decreasing into ``bins`` bins; returns ``(fits, work)``."""
    for b in range(bins):
        loads[b] = 0
    used = 0
    work = 0
    for k in range(vals.shape[0] - 1, -1, -1):
        v = vals[k]
        for _ in range(cnt[k]):
            b = 0
            while b < used and loads[b] + v > c:
                b += 1
            work += b + 1
            if b == used:
                if used == bins:
                    return False, work
                used += 1
            loads[b] += v
    return True, work


@numba.njit(cache=True)
def decide(  # type: ignore[no-untyped-def]
    cnt0, vals, c, bins, budget, topidx, half, boff, keys, info
):
    """Decide whether the items (``cnt0[k]`` of size ``vals[k]``) fit into ``bins`` bins.

    The bins have size ``c``. Returns ``(verdict, steps)``: ``FITS``, ``NO_FIT`` or
    ``UNDECIDED`` (more than ``budget`` steps: completions enumerated plus states
    visited, or a bin with more than 64 undominated completions). First the table,
    ``L2`` and first fit decreasing, then bin completion. The table (``keys, info``,
    see :class:`BinPackMemo`) is read and updated; a question found undecided is
    not tried again with the same bins and at most the same budget.
    """
    nv = vals.shape[0]
    words = keys.shape[1]
    if nv > 0 and vals[0] == 0 and cnt0[0] > 0:  # items of size 0 fit anywhere
        cnt0 = cnt0.copy()
        cnt0[0] = 0
    total = 0
    for k in range(nv):
        total += cnt0[k] * vals[k]
    if total == 0:
        return FITS, 1
    if bins <= 0:
        return NO_FIT, 1
    key = np.zeros(words, np.uint64)
    h = _pack(cnt0, boff, key)
    s = _find(key, h, keys, info)
    if s >= 0:
        if 0 < info[s, _HI] <= bins:
            return FITS, 1
        if info[s, _LO] > bins:
            return NO_FIT, 1
        if info[s, _TRIED_BINS] == bins and info[s, _TRIED_STEPS] >= budget:
            return UNDECIDED, 1
    verdict, steps = _decide(cnt0, vals, c, bins, budget, topidx, half, boff, keys, info)
    if verdict == UNDECIDED:
        s = _slot(key, h, keys, info)
        info[s, _TRIED_BINS] = bins
        info[s, _TRIED_STEPS] = budget
    else:
        _store(key, h, keys, info, bins + 1 if verdict == NO_FIT else 0, bins * (verdict == FITS))
    return verdict, steps


@numba.njit(cache=True)
def _decide(  # type: ignore[no-untyped-def]
    cnt0, vals, c, bins, budget, topidx, half, boff, keys, info
):
    """The bin completion search behind :func:`decide` (root not in the table, no size 0)."""
    nv = vals.shape[0]
    words = keys.shape[1]
    total = 0
    for k in range(nv):
        total += cnt0[k] * vals[k]
    cnt = cnt0.copy()
    scnt = np.zeros(nv + 1, np.int64)
    stot = np.zeros(nv + 1, np.int64)
    if _l2(cnt, vals, c, topidx, half, scnt, stot) > bins:
        return NO_FIT, 1
    loads = np.zeros(bins, np.int64)
    fits, work = _first_fit(cnt, vals, c, bins, loads)
    steps = 1 + work // 8
    if fits:
        return FITS, steps
    depth = bins + 1
    dkey = np.zeros((depth, words), np.uint64)
    dh = np.zeros(depth, np.uint64)
    dstart = np.zeros(depth, np.int64)
    dn = np.zeros(depth, np.int64)
    dit = np.zeros(depth, np.int64)
    dfirst = np.zeros(depth, np.int64)
    dkeyed = np.zeros(depth, np.bool_)
    order = np.zeros(64, np.int64)
    pool = np.zeros((64, nv), np.int64)
    pload = np.zeros(64, np.int64)
    x = np.zeros(nv, np.int64)
    av = np.zeros(nv, np.int64)
    below = np.zeros(nv + 1, np.int64)
    ex = np.zeros(nv, np.int64)
    reach = np.zeros((nv + 1, c // 64 + 1), np.uint64)
    need = np.zeros(nv, np.int64)
    exb = np.zeros(nv, np.bool_)
    d = 0
    entering = True
    while True:
        left = bins - d
        if entering:
            entering = False
            steps += 1
            dkeyed[d] = False
            if total == 0:
                verdict = FITS
            elif steps > budget:
                return UNDECIDED, steps
            else:
                verdict = UNDECIDED
                if d > 0 and _l2(cnt, vals, c, topidx, half, scnt, stot) > left:
                    verdict = NO_FIT
                else:
                    dh[d] = _pack(cnt, boff, dkey[d])
                    dkeyed[d] = True
                    s = _find(dkey[d], dh[d], keys, info)
                    if s >= 0 and 0 < info[s, _HI] <= left:
                        verdict = FITS
                    elif s >= 0 and info[s, _LO] > left:
                        verdict = NO_FIT
                        dkeyed[d] = False  # nothing new to store
            if verdict == FITS:
                for e in range(d):
                    if dkeyed[e]:
                        _store(dkey[e], dh[e], keys, info, 0, bins - e)
                return FITS, steps
            if verdict == NO_FIT:
                if d == 0:
                    return NO_FIT, steps
                d -= 1
                _undo(cnt, pool, order, dstart, dit, dfirst, d)
                total += pload[order[dstart[d] + dit[d] - 1]] + vals[dfirst[d]]
                continue
            # branch: the largest item opens a bin
            a = nv - 1
            while cnt[a] == 0:
                a -= 1
            dfirst[d] = a
            cnt[a] -= 1
            room = c - vals[a]
            slack = left * c - total
            start = dstart[d - 1] + dn[d - 1] if d > 0 else 0
            dstart[d] = start
            nout, pool, pload, st = _completions(
                cnt,
                vals,
                room,
                room - slack,
                a,
                pool,
                pload,
                start,
                x,
                av,
                below,
                ex,
                reach,
                need,
                exb,
                budget - steps,
            )
            cnt[a] += 1
            steps += st
            if nout < 0:
                return UNDECIDED, steps
            dn[d] = nout
            dit[d] = 0
            if order.shape[0] < pool.shape[0]:
                bigger = np.zeros(pool.shape[0], np.int64)
                bigger[: order.shape[0]] = order
                order = bigger
            # fullest first (stable)
            srt = np.argsort(-pload[start : start + nout], kind="mergesort")
            for i in range(nout):
                order[start + i] = start + srt[i]
        if dit[d] < dn[d]:
            row = order[dstart[d] + dit[d]]
            dit[d] += 1
            a = dfirst[d]
            cnt[a] -= 1
            for k in range(nv):
                cnt[k] -= pool[row, k]
            total -= pload[row] + vals[a]
            d += 1
            entering = True
            continue
        # every completion failed: this state does not fit into `left` bins
        if dkeyed[d]:
            _store(dkey[d], dh[d], keys, info, left + 1, 0)
        if d == 0:
            return NO_FIT, steps
        d -= 1
        _undo(cnt, pool, order, dstart, dit, dfirst, d)
        total += pload[order[dstart[d] + dit[d] - 1]] + vals[dfirst[d]]


@numba.njit(cache=True)
def _undo(cnt, pool, order, dstart, dit, dfirst, d):  # type: ignore[no-untyped-def]
    """Put back the items of the completion last taken at depth ``d``."""
    row = order[dstart[d] + dit[d] - 1]
    cnt[dfirst[d]] += 1
    for k in range(cnt.shape[0]):
        cnt[k] += pool[row, k]
