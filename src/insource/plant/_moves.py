"""Compiled local search for car sequencing: swap, insertion and reversal moves.

The sequence (cars of day J-1 first, fixed) is improved by random moves, each
evaluated incrementally and accepted when it does not worsen the score (plateau
search), as in the local search that won the ROADEF 2005 challenge (Estellon, Gardi &
Nouioua 2008):

* **swap** cars at ``a`` and ``b``;
* **insertion**: take the car at ``a`` out and put it back at ``b`` (the cars between
  shift by one), ``|a - b| <= D``;
* **reversal** of the segment ``a..b``, ``|a - b| <= D``.

A move changes the cars in one or two position ranges ``[l, h]``. Only the windows of
rule ``k`` that meet a range change (starts ``l - q_k + 1 .. h``); their new counts
come from one sliding sum (``n_{s+1} = n_s - f_s + f_{s+q}``), so a move costs
``O(sum_k (h - l + 2 q_k))``; colour changes are read on the edges ``l .. h+1`` and the
paint batch limit on the runs that meet the range. Score:

    sum_k w_k sum_s max(0, n_{k,s} - p_k)  +  w_PCC * colour changes

with the lexicographic weights of :mod:`insource.plant._sequence`. A move that makes
a paint batch longer than the limit is refused. The kernel is compiled with Numba and
runs a fixed number of moves per call, so a move budget gives the same result however
loaded the machine is; the wall-clock limit is checked between calls.

References
----------
Estellon, B., Gardi, F., Nouioua, K. (2008). Two local search approaches for solving
real-life car sequencing problems. *EJOR* 191(3), 928-944.

"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numba
import numpy as np

from insource.errors import InsourceError
from insource.plant._problems import CarSequencingInstance

__all__ = ["move_search"]

SWAP, INSERT, REVERSE = 0, 1, 2


@numba.njit(cache=True)
def _windows(k, x0, x1, q, lo, hi):  # type: ignore[no-untyped-def]
    """Starts of the windows of rule ``k`` that meet positions ``x0..x1``."""
    return max(lo[k], x0 - q[k] + 1), min(hi[k], x1)


@numba.njit(cache=True)
def _ranges(k, q, lo, hi, l1, h1, l2, h2):  # type: ignore[no-untyped-def]
    """Window starts of rule ``k`` meeting ``[l1, h1]`` or ``[l2, h2]`` (``l2 < 0``: none).

    Returns ``(r0, r1, s0, s1)``: one or two ranges of starts, the second empty
    (``s1 < s0``) when the two overlap or touch.
    """
    a0, a1 = _windows(k, l1, h1, q, lo, hi)
    if l2 < 0:
        return a0, a1, 0, -1
    b0, b1 = _windows(k, l2, h2, q, lo, hi)
    if b0 <= a1 + 1:
        return a0, max(a1, b1), 0, -1
    return a0, a1, b0, b1


@numba.njit(cache=True)
def _old_ratio(cnt, p, q, lo, hi, wr, l1, h1, l2, h2):  # type: ignore[no-untyped-def]
    """Weighted excess of the windows meeting ``[l1, h1]`` or ``[l2, h2]`` (stored counts)."""
    total = 0
    for k in range(len(p)):
        if wr[k] == 0:
            continue
        r0, r1, s0, s1 = _ranges(k, q, lo, hi, l1, h1, l2, h2)
        ex = 0
        for s in range(r0, r1 + 1):
            if cnt[k, s] > p[k]:
                ex += cnt[k, s] - p[k]
        for s in range(s0, s1 + 1):
            if cnt[k, s] > p[k]:
                ex += cnt[k, s] - p[k]
        total += wr[k] * ex
    return total


@numba.njit(cache=True)
def _recount(seq, flags, cnt, p, q, k, r0, r1, commit):  # type: ignore[no-untyped-def]
    """Excess of the windows ``r0..r1`` of rule ``k`` recounted on ``seq`` (sliding sum)."""
    if r1 < r0:
        return 0
    N = len(seq)
    c = 0
    for i in range(r0, min(r0 + q[k], N)):
        c += flags[seq[i], k]
    ex = 0
    for s in range(r0, r1 + 1):
        if s > r0:
            c -= flags[seq[s - 1], k]
            if s + q[k] - 1 < N:
                c += flags[seq[s + q[k] - 1], k]
        if c > p[k]:
            ex += c - p[k]
        if commit:
            cnt[k, s] = c
    return ex


@numba.njit(cache=True)
def _new_ratio(seq, flags, cnt, p, q, lo, hi, wr, l1, h1, l2, h2, commit):  # type: ignore[no-untyped-def]
    """Weighted excess of the same windows recounted on ``seq``; ``commit`` stores the counts."""
    total = 0
    for k in range(len(p)):
        if wr[k] == 0:
            continue
        r0, r1, s0, s1 = _ranges(k, q, lo, hi, l1, h1, l2, h2)
        ex = _recount(seq, flags, cnt, p, q, k, r0, r1, commit)
        ex += _recount(seq, flags, cnt, p, q, k, s0, s1, commit)
        total += wr[k] * ex
    return total


@numba.njit(cache=True)
def _colour_changes(seq, colour, P, x0, x1):  # type: ignore[no-untyped-def]
    """Colour changes on the edges ``x0..x1+1`` (edge ``e`` joins cars ``e-1`` and ``e``)."""
    N = len(seq)
    n = 0
    for e in range(max(x0, P, 1), min(x1 + 1, N - 1) + 1):
        if colour[seq[e]] != colour[seq[e - 1]]:
            n += 1
    return n


@numba.njit(cache=True)
def _move_colour_changes(seq, colour, P, l1, h1, l2, h2):  # type: ignore[no-untyped-def]
    """Colour changes on the edges of ``[l1, h1]`` and (``l2 >= 0``) ``[l2, h2]``, each once."""
    n = _colour_changes(seq, colour, P, l1, h1)
    if l2 >= 0:
        n += _colour_changes(seq, colour, P, l2, h2)
        if l2 <= h1 + 1:  # adjacent swap: edge h1+1 = l2 counted twice
            n -= _colour_changes(seq, colour, P, l2, l2 - 1)
    return n


@numba.njit(cache=True)
def _too_long(seq, colour, limit, x0, x1):  # type: ignore[no-untyped-def]
    """Whether a paint batch meeting ``[x0, x1]`` is longer than ``limit``."""
    N = len(seq)
    i = x0
    while i > 0 and colour[seq[i - 1]] == colour[seq[x0]]:
        i -= 1
    while i <= min(x1 + 1, N - 1):
        j = i
        while j + 1 < N and colour[seq[j + 1]] == colour[seq[i]]:
            j += 1
            if j - i + 1 > limit:
                return True
        i = j + 1
    return False


@numba.njit(cache=True)
def _apply(seq, kind, a, b):  # type: ignore[no-untyped-def]
    """Apply a move in place; the inverse move is ``(kind, b, a)``."""
    if kind == SWAP:
        seq[a], seq[b] = seq[b], seq[a]
    elif kind == INSERT:
        car = seq[a]
        if a < b:
            for i in range(a, b):
                seq[i] = seq[i + 1]
        else:
            for i in range(a, b, -1):
                seq[i] = seq[i - 1]
        seq[b] = car
    else:
        i, j = min(a, b), max(a, b)
        while i < j:
            seq[i], seq[j] = seq[j], seq[i]
            i += 1
            j -= 1


@numba.njit(cache=True)
def _pick_conflict(rng, seq, flags, cnt, p, q, lo, hi, wr, P):  # type: ignore[no-untyped-def]
    """A random car with option ``k`` in an overloaded window of ``k``, or -1."""
    N = len(seq)
    K = len(p)
    if K == 0:
        return -1
    k = rng.integers(0, K)
    if wr[k] == 0 or hi[k] < lo[k]:
        return -1
    for _ in range(8):
        s = lo[k] + rng.integers(0, hi[k] - lo[k] + 1)
        if cnt[k, s] > p[k]:
            chosen, seen = -1, 0
            for x in range(max(s, P), min(s + q[k], N)):
                if flags[seq[x], k]:
                    seen += 1
                    if rng.integers(0, seen) == 0:
                        chosen = x
            return chosen
    return -1


@numba.njit(cache=True)
def _search(  # type: ignore[no-untyped-def]
    rng, seq, flags, cnt, p, q, lo, hi, wr, colour, wp, limit, P, moves, dmax, mix, state, best_seq
):
    """Run ``moves`` random moves; ``state`` = [current score, best score]."""
    N = len(seq)
    n = N - P
    if n < 2:
        return
    for _ in range(moves):
        if state[1] == 0:
            return
        u = rng.random()
        kind = SWAP if u < mix[0] else (INSERT if u < mix[0] + mix[1] else REVERSE)
        a = -1
        if rng.random() < 0.5:
            a = _pick_conflict(rng, seq, flags, cnt, p, q, lo, hi, wr, P)
        if a < 0:
            a = P + rng.integers(0, n)
        if kind == SWAP:
            b = P + rng.integers(0, n)
        else:
            b = a + rng.integers(0, 2 * dmax + 1) - dmax
            if b < P or b >= N:
                continue
        if a == b or (kind == SWAP and seq[a] == seq[b]):
            continue
        lo_, hi_ = min(a, b), max(a, b)
        if kind == SWAP:
            l1, h1, l2, h2 = lo_, lo_, hi_, hi_
        else:
            l1, h1, l2, h2 = lo_, hi_, -1, -1
        old = _old_ratio(cnt, p, q, lo, hi, wr, l1, h1, l2, h2)
        old_c = 0
        if wp > 0 or limit > 0:
            old_c = _move_colour_changes(seq, colour, P, l1, h1, l2, h2)
        _apply(seq, kind, a, b)
        if limit > 0:
            bad = _too_long(seq, colour, limit, l1, h1)
            if not bad and l2 >= 0:
                bad = _too_long(seq, colour, limit, l2, h2)
            if bad:
                _apply(seq, kind, b, a)
                continue
        new = _new_ratio(seq, flags, cnt, p, q, lo, hi, wr, l1, h1, l2, h2, False)
        new_c = 0
        if wp > 0 or limit > 0:
            new_c = _move_colour_changes(seq, colour, P, l1, h1, l2, h2)
        delta = new - old + wp * (new_c - old_c)
        if delta <= 0:
            _new_ratio(seq, flags, cnt, p, q, lo, hi, wr, l1, h1, l2, h2, True)
            state[0] += delta
            if state[0] < state[1]:
                state[1] = state[0]
                best_seq[:] = seq
        else:
            _apply(seq, kind, b, a)


def move_search(
    inst: CarSequencingInstance,
    initial: Sequence[int],
    weights: Sequence[int],
    colour_weight: int,
    *,
    time_limit: float | None = 10.0,
    max_moves: int | None = None,
    seed: int = 0,
    mix: tuple[float, float, float] = (0.5, 0.3, 0.2),
    max_distance: int | None = None,
    partial_end: bool = False,
    chunk: int = 20_000,
) -> tuple[list[int], int]:
    """Improve ``initial`` (one class per car of day J) by swap, insertion and reversal moves.

    Parameters
    ----------
    inst
        The day of cars (cars of day J-1 in ``inst.previous`` stay fixed).
    initial
        Start sequence.
    weights, colour_weight
        Weight of each ratio rule's excess and of a colour change (0 = ignored).
    time_limit
        Wall-clock limit in seconds, checked every ``chunk`` moves (``None``: no limit).
    max_moves
        Move budget (attempted moves); with it and ``time_limit=None`` the result does
        not depend on the machine's load.
    seed
        Random seed.
    mix
        Shares of swap, insertion and reversal moves.
    max_distance
        Largest ``|a - b|`` of an insertion or reversal (default ``max(10, 3 max q)``).
    partial_end
        Count the windows cut short at the end of the day (ROADEF).

    Returns
    -------
    (sequence, score)
        The best sequence found and its score.

    Raises
    ------
    ValueError
        If neither ``time_limit`` nor ``max_moves`` is given (the search could not end).
    InsourceError
        If ``initial`` is not one class id (``0 <= c < n_classes``) per car of the
        instance's demand (the compiled kernel does not check bounds).

    """
    if time_limit is None and max_moves is None:
        raise ValueError("move_search needs time_limit or max_moves (or both)")
    start = time.perf_counter()
    _check_initial(inst, initial)
    P = len(inst.previous)
    seq = np.asarray([*inst.previous, *initial], dtype=np.int64)
    N = len(seq)
    K = len(inst.ratios)
    flags = np.asarray(inst.options, dtype=np.int64).reshape(inst.n_classes, K)
    p = np.array([r.p for r in inst.ratios], dtype=np.int64).reshape(K)
    q = np.array([r.q for r in inst.ratios], dtype=np.int64).reshape(K)
    lo = np.maximum(0, P - q + 1)
    hi = np.full(K, N - 1, dtype=np.int64) if partial_end else N - q
    wr = np.asarray(weights, dtype=np.int64).reshape(K)
    cnt = np.zeros((K, max(N, 1)), dtype=np.int64)
    for k in range(K):
        f = flags[seq, k]
        sums = np.concatenate(([0], np.cumsum(f)))
        s = np.arange(lo[k], hi[k] + 1)
        if len(s):
            cnt[k, s] = sums[np.minimum(s + q[k], N)] - sums[s]
    colour = np.asarray(inst.colours or [0] * inst.n_classes, dtype=np.int64)
    limit = int(inst.paint_batch_limit or 0) if inst.colours else 0
    wp = int(colour_weight) if inst.colours else 0
    excess = np.maximum(0, cnt - p[:, None])
    valid = (np.arange(cnt.shape[1])[None, :] >= lo[:, None]) & (
        np.arange(cnt.shape[1])[None, :] <= hi[:, None]
    )
    score = int((wr[:, None] * np.where(valid, excess, 0)).sum())
    if wp:
        cols = colour[seq]
        edges = np.arange(max(P, 1), N)
        score += wp * int((cols[edges] != cols[edges - 1]).sum())
    if N - P < 2:  # no move to make
        return [int(c) for c in seq[P:]], score
    state = np.array([score, score], dtype=np.int64)
    best_seq = seq.copy()
    dmax = max_distance if max_distance is not None else max(10, 3 * int(q.max(initial=1)))
    dmax = max(1, min(dmax, N - P - 1))
    mix_arr = np.asarray(mix, dtype=np.float64) / sum(mix)
    rng = np.random.default_rng(seed)
    done = 0
    while state[1] > 0:
        step = chunk if max_moves is None else min(chunk, max_moves - done)
        if step <= 0:
            break
        _search(
            rng,
            seq,
            flags,
            cnt,
            p,
            q,
            lo,
            hi,
            wr,
            colour,
            wp,
            limit,
            P,
            step,
            dmax,
            mix_arr,
            state,
            best_seq,
        )
        done += step
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
    return [int(c) for c in best_seq[P:]], int(state[1])


def _check_initial(inst: CarSequencingInstance, initial: Sequence[int]) -> None:
    """Check that ``initial`` holds each class ``c`` exactly ``demand[c]`` times."""
    arr = np.asarray(initial, dtype=np.int64).reshape(-1)
    if arr.size and (arr.min() < 0 or arr.max() >= inst.n_classes):
        bad = int(arr[(arr < 0) | (arr >= inst.n_classes)][0])
        raise InsourceError(
            f"{inst.name}: start sequence holds class {bad}, outside 0..{inst.n_classes - 1}",
            "give one class id per car of day J",
        )
    counts = np.bincount(arr, minlength=inst.n_classes)
    if tuple(int(c) for c in counts) != tuple(inst.demand):
        raise InsourceError(
            f"{inst.name}: start sequence has {arr.size} cars with class counts "
            f"{counts.tolist()}, but the demand is {list(inst.demand)}",
            "give a permutation of the day's cars (each class as often as its demand)",
        )
