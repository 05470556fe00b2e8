"""Tabu search for plain car sequencing (p/q rules, no paint), with vectorised swap moves.

Each iteration picks a few cars that sit in violated windows and evaluates swapping
each of them with *every* other car at once, then makes the best non-tabu swap
(aspiration: a tabu swap is allowed if it beats the best score), as in Michel & Van
Hentenryck (2002). Swapping ``a`` and ``b`` changes option ``k`` by ``d = f_k(c_b) -
f_k(c_a)`` at ``a`` and ``-d`` at ``b``. With ``h(n) = max(0, n - p)`` and per window
``s`` the increments ``u_s = h(n_s + 1) - h(n_s)`` and ``v_s = h(n_s - 1) - h(n_s)``,
the change of the total excess is

    Δ_k(a, b) = [d = 1] (U_a + V_b) + [d = -1] (V_a + U_b) - sum_{s ∋ a, b} (u_s + v_s)

where ``U_x = sum_{s ∋ x} u_s`` (a sliding sum, one ``numpy.convolve``) and the last
term corrects the windows that hold both cars (their count does not change), read
from a cumulative sum. So one iteration costs ``O(|A| N K)`` array operations.

References
----------
Michel, L., Van Hentenryck, P. (2002). A constraint-based architecture for local
search. *OOPSLA 2002*, 83-100 (car sequencing with tabu search over swaps).

"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from insource.plant._problems import CarSequencingInstance

__all__ = ["tabu_search"]


def tabu_search(
    inst: CarSequencingInstance,
    initial: Sequence[int],
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    max_iterations: int | None = None,
    sample: int = 8,
    tenure: tuple[int, int] = (4, 12),
) -> tuple[list[int], int]:
    """Minimise the total window excess of a plain car-sequencing day.

    Only for instances without paint and without cars of day J-1 (full windows only,
    as in CSPLib prob001). Returns the best sequence and its total excess.
    """
    rng = np.random.default_rng(seed)
    seq = np.asarray(initial, dtype=np.int64)
    n = len(seq)
    K = len(inst.ratios)
    flags = np.asarray(inst.options, dtype=np.int64).reshape(inst.n_classes, K)
    p = np.array([r.p for r in inst.ratios])
    q = np.array([r.q for r in inst.ratios])
    active = [k for k in range(K) if q[k] <= n]
    start = time.perf_counter()
    tabu = np.zeros((n, inst.n_classes), dtype=np.int64)
    positions = np.arange(n)

    def windows(k: int, f: np.ndarray) -> np.ndarray:
        return np.convolve(f, np.ones(q[k], dtype=np.int64), mode="valid")

    def score_of(s: np.ndarray) -> int:
        fx = flags[s]
        return int(sum(np.maximum(0, windows(k, fx[:, k]) - p[k]).sum() for k in active))

    score = score_of(seq)
    best, best_seq = score, seq.copy()
    it = 0
    while best > 0:
        it += 1
        if max_iterations is not None and it > max_iterations:
            break
        if it & 63 == 0 and time.perf_counter() - start > time_limit:
            break
        fx = flags[seq]  # (n, K)
        delta = None
        conflict = np.zeros(n, dtype=bool)
        parts = []
        for k in active:
            cnt = windows(k, fx[:, k])
            u = (cnt >= p[k]).astype(np.int64)
            v = -(cnt > p[k]).astype(np.int64)
            ones = np.ones(q[k], dtype=np.int64)
            U = np.convolve(u, ones)[:n]
            V = np.convolve(v, ones)[:n]
            both = np.concatenate(([0], np.cumsum(u + v)))
            over = (cnt > p[k]).astype(np.int64)
            inside = np.convolve(over, ones)[:n] > 0
            conflict |= inside & (fx[:, k] == 1)
            parts.append((k, U, V, both))
        cand = np.flatnonzero(conflict)
        if len(cand) == 0:
            break
        A = rng.choice(cand, size=min(sample, len(cand)), replace=False)
        delta = np.zeros((len(A), n), dtype=np.int64)
        m = n
        for k, U, V, both in parts:
            f = fx[:, k]
            d = f[None, :] - f[A][:, None]  # change at a (row) when b (column) moves in
            lo = np.maximum(np.maximum(A[:, None], positions[None, :]) - q[k] + 1, 0)
            hi = np.minimum(np.minimum(A[:, None], positions[None, :]), m - q[k])
            ov = np.where(hi >= lo, both[np.maximum(hi + 1, 0)] - both[lo], 0)
            gain = np.where(
                d == 1,
                U[A][:, None] + V[None, :] - ov,
                np.where(d == -1, V[A][:, None] + U[None, :] - ov, 0),
            )
            delta += gain
        ca = seq[A]
        same = seq[None, :] == ca[:, None]
        is_tabu = (tabu[A[:, None], seq[None, :]] > it) | (
            tabu[positions[None, :], ca[:, None]] > it
        )
        allowed = ~same & (~is_tabu | (score + delta < best))
        if not allowed.any():
            continue
        masked = np.where(allowed, delta, np.iinfo(np.int64).max)
        low = masked.min()
        rows, cols = np.nonzero(masked == low)
        pick = rng.integers(len(rows))
        a, b = int(A[rows[pick]]), int(cols[pick])
        seq[a], seq[b] = seq[b], seq[a]
        tabu[a, seq[b]] = it + rng.integers(tenure[0], tenure[1] + 1)
        tabu[b, seq[a]] = it + rng.integers(tenure[0], tenure[1] + 1)
        score += int(low)
        if score < best:
            best, best_seq = score, seq.copy()
    return [int(c) for c in best_seq], best
