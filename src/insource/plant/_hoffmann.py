"""Hoffmann's station-oriented heuristic for SALBP-1, compiled with Numba.

Stations are filled one after the other; each takes the load (a set of available
tasks, including tasks that become available inside the station) of least cost

    cost = idle - alpha sum_j pw_j - beta sum_j |succ(j)| + gamma |load|

among the loads met while enumerating at most ``max_loads`` full loads depth-first
over the available tasks (Hoffmann 1963; the weighted variant with positional
weights ``pw_j = t_j + sum_{i in F*(j)} t_i`` and the parameter grid of Sewell &
Jacobson 2012, whose branch-bound-and-remember code starts from the best of these
runs). With ``alpha = beta = gamma = 0`` this is Hoffmann's least-idle rule.

References
----------
Hoffmann, T.R. (1963). Assembly line balancing with a precedence matrix.
*Management Science* 9(4), 551-562.
Sewell, E.C., Jacobson, S.H. (2012). A branch, bound, and remember algorithm for the
simple assembly line balancing problem. *INFORMS J. Computing* 24(3), 433-442.

"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numba
import numpy as np

from insource.plant._bbr import precedence_matrices

__all__ = ["HoffmannGrid", "hoffmann_balance"]

_ALPHAS = (0.0, 0.005, 0.01, 0.015, 0.02)
_GAMMAS = (0.0, 0.01, 0.02, 0.03)


@numba.njit(cache=True)
def _hoffmann(  # type: ignore[no-untyped-def]
    t, c, sp, sidx, npred, pw, nsu, alpha, beta, gamma, max_loads, station
):
    """One Hoffmann run; fills ``station`` (1-based) and returns the number of stations."""
    n = t.shape[0]
    deg = npred.copy()
    elig = np.zeros(n + 1, np.int64)
    tasks = np.zeros(n + 1, np.int64)
    best = np.zeros(n + 1, np.int64)
    f_ii = np.zeros(n + 2, np.int64)
    f_ne = np.zeros(n + 2, np.int64)
    f_rem = np.zeros(n + 2, np.int64)
    f_cost = np.zeros(n + 2, np.float64)
    f_full = np.zeros(n + 2, np.int64)
    assigned = 0
    k = 0
    while assigned < n:
        ne = 0
        for i in range(n):
            if deg[i] == 0:
                elig[ne] = i
                ne += 1
        min_cost = np.inf
        nbest = 0
        nfull = 0
        stop = False
        d = 0
        f_ii[0] = 0
        f_ne[0] = ne
        f_rem[0] = c
        f_cost[0] = c
        f_full[0] = 1
        while d >= 0:
            descended = False
            while not stop and f_ii[d] < f_ne[d]:
                ii = f_ii[d]
                f_ii[d] += 1
                i = elig[ii]
                if t[i] > f_rem[d]:
                    continue
                tasks[d] = i
                deg[i] = -1
                nsub = f_ne[d]
                f_full[d] = 0
                for q in range(sp[i], sp[i + 1]):
                    j = sidx[q]
                    deg[j] -= 1
                    if deg[j] == 0:
                        elig[nsub] = j
                        nsub += 1
                cost = f_cost[d] - t[i] - alpha * pw[i] - beta * nsu[i] + gamma
                if cost < min_cost:
                    min_cost = cost
                    for q in range(d + 1):
                        best[q] = tasks[q]
                    nbest = d + 1
                f_ii[d + 1] = ii + 1
                f_ne[d + 1] = nsub
                f_rem[d + 1] = f_rem[d] - t[i]
                f_cost[d + 1] = cost
                f_full[d + 1] = 1
                d += 1
                descended = True
                break
            if descended:
                continue
            if not stop:
                nfull += f_full[d]
                if nfull >= max_loads:
                    stop = True
            d -= 1
            if d >= 0:  # undo the task taken at depth d
                i = tasks[d]
                deg[i] = 0
                for q in range(sp[i], sp[i + 1]):
                    deg[sidx[q]] += 1
        k += 1
        for q in range(nbest):
            i = best[q]
            station[i] = k
            deg[i] = -1
            assigned += 1
            for r in range(sp[i], sp[i + 1]):
                deg[sidx[r]] -= 1
    return k


class HoffmannGrid:
    """Hoffmann runs over the parameter grid, forwards then backwards, resumable.

    ``alpha, beta`` in ``0, 0.005, ..., 0.02`` and ``gamma`` in ``0, 0.01, 0.02, 0.03``:
    100 runs per direction, 200 in all. :meth:`run` carries on from the last run done,
    so a caller can spread the grid over several time slices; :attr:`best` is the best
    balance so far (1-based stations) and :attr:`done` tells whether the grid is through.
    """

    def __init__(
        self,
        times: Sequence[int],
        arcs: Sequence[tuple[int, int]],
        cycle: int,
        max_loads: int = 5000,
    ) -> None:
        self.n, self.cycle, self.max_loads = len(times), int(cycle), int(max_loads)
        self.t = np.asarray(times, dtype=np.int64)
        self.arcs = list(arcs)
        self.grid = [(a, b, g) for a in _ALPHAS for b in _ALPHAS for g in _GAMMAS]
        self.next = 0
        self.best: list[int] | None = None
        self._data: dict[bool, tuple[np.ndarray, ...]] = {}

    @property
    def done(self) -> bool:
        """Whether every point of the grid has been run."""
        return self.next >= 2 * len(self.grid)

    def _direction(self, backwards: bool) -> tuple[np.ndarray, ...]:
        if backwards not in self._data:
            n, t = self.n, self.t
            pairs = [(j, i) for i, j in self.arcs] if backwards else self.arcs
            adj, reach = precedence_matrices(n, pairs)
            pw = (t + reach.astype(np.int64) @ t).astype(np.float64)
            nsu = adj.sum(axis=1).astype(np.float64)
            npred = adj.sum(axis=0).astype(np.int64)
            sp = np.zeros(n + 1, dtype=np.int64)
            sp[1:] = np.cumsum(adj.sum(axis=1))
            sidx = np.nonzero(adj)[1].astype(np.int64)
            self._data[backwards] = (sp, sidx, npred, pw, nsu)
        return self._data[backwards]

    def run(self, target: int, deadline: float) -> list[int] | None:
        """Carry on through the grid until a balance with ``target`` stations or ``deadline``.

        Runs at least one point of the grid (the deadline is checked between runs) and
        returns :attr:`best`.
        """
        station = np.zeros(self.n, dtype=np.int64)
        first = True
        while not self.done and (first or time.perf_counter() <= deadline):
            first = False
            backwards = self.next >= len(self.grid)
            alpha, beta, gamma = self.grid[self.next % len(self.grid)]
            self.next += 1
            sp, sidx, npred, pw, nsu = self._direction(backwards)
            m = _hoffmann(
                self.t, self.cycle, sp, sidx, npred, pw, nsu, alpha, beta, gamma,
                self.max_loads, station,
            )  # fmt: skip
            if self.best is None or m < max(self.best):
                self.best = [int(s) for s in station]
                if backwards:
                    self.best = [m + 1 - s for s in self.best]
            if m <= target:
                break
        return self.best


def hoffmann_balance(
    times: Sequence[int],
    arcs: Sequence[tuple[int, int]],
    cycle: int,
    target: int,
    deadline: float,
    max_loads: int = 5000,
) -> list[int] | None:
    """Best balance of Hoffmann runs over the parameter grid, forwards and backwards.

    Runs ``alpha, beta`` in ``0, 0.005, ..., 0.02`` and ``gamma`` in ``0, 0.01, 0.02,
    0.03`` (100 runs per direction), stopping as soon as a balance with ``target``
    stations is found or at ``deadline`` (checked between runs). Returns the 1-based
    stations of the best balance found (``None`` if no run finished).
    """
    if time.perf_counter() > deadline:
        return None
    return HoffmannGrid(times, arcs, cycle, max_loads).run(target, deadline)
