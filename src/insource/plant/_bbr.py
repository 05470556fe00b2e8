"""Branch, bound and remember search for the SALBP-1 decision problem "do m stations suffice?".

Station-oriented depth-first search (Scholl & Klein 1997; Sewell & Jacobson 2012):
stations are filled one after the other; the children of a node are the *maximal*
loads of the next station (sets of available tasks, including tasks that become
available inside the station, whose time fits ``c`` and to which no further available
task fits), best filled first. Pruning, all exact:

* bounds on the remaining tasks ``R`` with ``l`` stations left: ``LB1, LB2, LB3, L2 of R
  <= l`` (see :mod:`insource.plant._bounds`); LB1 is used as the idle-time budget,
  so a station may idle at most ``l c - sum_{j in R} t_j``;
* idle time: every unassigned task longer than ``c/2`` has its own station, which
  idles at least ``c - t_j - f_j`` (``f_j`` the largest subset sum ``<= c - t_j`` of
  the unassigned tasks of at most ``c/2``); together at most ``l c - t(R)``;
* latest stations: a task whose followers need ``a_j`` stations (itself included)
  must be assigned while at least ``a_j`` stations are left;
* Jackson dominance: task ``i`` dominates ``j`` when ``F*(i) >= F*(j)`` and
  ``t_i >= t_j`` (ties by index); a load holding ``j`` (with no follower of ``j`` in
  the load) but not an available ``i`` that would fit in ``j``'s place is skipped,
  since swapping ``i`` and ``j`` in any completion keeps it feasible;
* memory (BB&R): each set of assigned tasks is expanded once, at the fewest stations
  it was reached with (``seen``); reaching it again with as many or more stations is
  pruned, since it cannot be completed with more stations left if it could not with
  fewer. The memory is per search: :meth:`StationSearch.start` clears it for each ``m``.

Heuristic variants keep only the ``max_batch`` fullest loads found per node (within
a step budget) and prove nothing; with ``dive=True`` the deepest level is expanded
first (depth-first with memory instead of cyclic best-first), and each station's load
is first sought with at most twice the average idle time left (the idle time is spread
over the stations instead of being spent on the first ones).

The search runs within a node budget (deterministic) and a wall-clock deadline; it
is a proof of infeasibility only when it ends without hitting either.

References
----------
Scholl, A., Klein, R. (1997). SALOME: a bidirectional branch-and-bound procedure for
assembly line balancing. *INFORMS J. Computing* 9(4), 319-334.
Sewell, E.C., Jacobson, S.H. (2012). A branch, bound, and remember algorithm for the
simple assembly line balancing problem. *INFORMS J. Computing* 24(3), 433-442.
Jackson, J.R. (1956). A computing procedure for a line balancing problem.
*Management Science* 2(3), 261-271.

"""

from __future__ import annotations

import contextlib
import heapq
import time
from collections.abc import Sequence

import numpy as np

from insource.plant._bounds import closures, l2_bound, weights

__all__ = ["StationSearch"]


class _Stop(Exception):
    """Deadline reached."""


class _Capped(Exception):
    """Too many steps enumerating the loads of one station."""


class StationSearch:
    """Decision search for one direction of one SALBP-1 instance, with its memory.

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

    """

    def __init__(
        self,
        times: Sequence[int],
        arcs: Sequence[tuple[int, int]],
        cycle: int,
        after: Sequence[int],
        max_steps: int = 50_000,
        max_batch: int | None = None,
        dive: bool = False,
    ) -> None:
        n = len(times)
        self.n, self.c, self.t = n, cycle, list(times)
        self.full = (1 << n) - 1
        self.total = sum(times)
        pred_bits, succ_bits, _ = closures(n, arcs)
        self.fol = succ_bits
        self.after = list(after)
        # Numpy copies for the node check of the heads (_head_blocked).
        self._nbytes = (n + 7) // 8
        self._t_np = np.asarray(times, dtype=np.int64)
        self._after_np = np.asarray(after, dtype=np.int64)
        self._pred_np = np.zeros((n, n), dtype=np.int64)
        succ_np = np.zeros((n, n), dtype=np.int64)
        for j in range(n):
            self._pred_np[j] = self._bits(pred_bits[j])
            succ_np[j] = self._bits(succ_bits[j])
        tail = [int(x) for x in self._t_np + succ_np @ self._t_np]
        self.tail = tail
        self.pred = [0] * n
        self.succ: list[list[int]] = [[] for _ in range(n)]
        for i, j in arcs:
            self.pred[j] |= 1 << i
            self.succ[i].append(j)
        # Candidate order inside a station: longer tasks and heavier tails first.
        self.rank = sorted(range(n), key=lambda j: (-times[j], -tail[j], j))
        self.pos = [0] * n
        for p, j in enumerate(self.rank):
            self.pos[j] = p
        for lst in self.succ:
            lst.sort(key=self.pos.__getitem__)
        self.w2, self.w6 = weights(times, cycle)
        self.tot2, self.tot6 = sum(self.w2), sum(self.w6)
        self.bigmask = sum(1 << j for j in range(n) if 2 * times[j] > cycle)
        self.values = sorted(set(times))
        by_value: dict[int, int] = {}
        for j, tj in enumerate(times):
            by_value[tj] = by_value.get(tj, 0) | 1 << j
        self.vmask = [by_value[v] for v in self.values]
        top = max(after) + 2
        self.must = [0] * (top + 1)
        for j, a in enumerate(after):
            for left in range(1, a + 1):
                self.must[left] |= 1 << j
        self.dom: list[list[int]] = [[] for _ in range(n)]
        for j in range(n):
            for i in range(n):
                if i == j or (pred_bits[j] | succ_bits[j]) >> i & 1:
                    continue
                if times[i] < times[j] or succ_bits[j] & ~succ_bits[i]:
                    continue
                if times[i] == times[j] and succ_bits[i] == succ_bits[j] and i > j:
                    continue
                self.dom[j].append(i)
        self.domm = [sum(1 << i for i in self.dom[j]) for j in range(n)]
        self.max_steps = max_steps
        self.max_batch = max_batch
        self.dive = dive
        self.exhaustive = True
        self.steps = 0
        self._deadline = 0.0

    # --- loads ---------------------------------------------------------------------

    def _zone(self, done: int) -> tuple[list[int], list[int]]:
        """Tasks that can join the next station, and suffix subset sums over them.

        The *zone* holds the unassigned tasks whose own time plus that of their
        unassigned predecessors fits ``c``, in a topological order. ``sums[k]`` is the
        bitset of the totals reachable by subsets of ``zone[k:]`` (precedence ignored).
        """
        t, c, pred, succ = self.t, self.c, self.pred, self.succ
        zone = [j for j in self.rank if not done >> j & 1 and not pred[j] & ~done]
        inzone = 0
        anc: dict[int, int] = {}
        for j in zone:
            anc[j] = 0
            inzone |= 1 << j
        for v in zone:
            for w in succ[v]:
                if w in anc or pred[w] & ~(done | inzone):
                    continue
                up = 0
                bits = pred[w] & ~done
                while bits:
                    low = bits & -bits
                    up |= anc[low.bit_length() - 1] | low
                    bits ^= low
                total = t[w]
                bits = up
                while bits and total <= c:
                    low = bits & -bits
                    total += t[low.bit_length() - 1]
                    bits ^= low
                if total <= c:
                    anc[w] = up
                    inzone |= 1 << w
                    zone.append(w)
        cap = (1 << (c + 1)) - 1
        sums = [1] * (len(zone) + 1)
        for k in range(len(zone) - 1, -1, -1):
            sums[k] = (sums[k + 1] | (sums[k + 1] << t[zone[k]])) & cap
        return zone, sums

    def _enumerate(
        self, done: int, zone: list[int], sums: list[int], lo: int, hi: int
    ) -> list[int]:
        """Maximal, non-dominated loads of the next station with a time in ``[lo, hi]``.

        Each zone task in turn is taken or left. Leaving out an available task ``j``
        that fits demands a final load above ``c - t_j`` (maximality). A branch ends
        when no subset of the zone tasks still to come (``sums``) brings the load into
        the range. Jackson dominance: a load holding ``j`` (no follower of ``j`` in it)
        but not an available task ``i`` that dominates ``j`` and fits in its place is
        dropped; it is tested while branching for ``j`` with no follower in the zone,
        and at the end for the rest.
        """
        t, c, pred, fol, dom = self.t, self.c, self.pred, self.fol, self.dom
        out: list[int] = []
        first = self.steps
        batch = self.max_batch or -1
        min_slack = c - hi

        def leaf(mask: int, load: int) -> None:
            bits = mask
            while bits:
                low = bits & -bits
                j = low.bit_length() - 1
                bits ^= low
                if fol[j] & mask:
                    continue
                room = c - load + t[j]
                base = done | (mask & ~low)
                for i in dom[j]:
                    if t[i] <= room and not (done | mask) >> i & 1 and not pred[i] & ~base:
                        return
            out.append(mask)
            if len(out) == batch:
                raise _Capped

        inzone = 0
        for j in zone:
            inzone |= 1 << j
        domm = self.domm

        def gen(i: int, mask: int, load: int, need: int, excl: int, dead: int, pot: int) -> None:
            self.steps += 1
            if self.steps & 1023 == 0:
                if time.perf_counter() > self._deadline:
                    raise _Stop
                if self.steps - first > self.max_steps:
                    raise _Capped
            low = need - load if need > load else 0
            if hi < need or load + pot < need:
                return
            if not (sums[i] >> low) & ((1 << (hi - load - low + 1)) - 1):
                return
            if load == hi or i == len(zone):
                leaf(mask, load)  # the rest of the zone stays out
                return
            j = zone[i]
            tj = t[j]
            if dead >> j & 1:
                gen(i + 1, mask, load, need, excl, dead, pot)
                return
            if not pred[j] & ~(done | mask) and load + tj <= c:
                if load + tj <= hi:
                    beaten = domm[j] & excl if not fol[j] & inzone else 0
                    while beaten:  # a left-out dominating task could take j's place
                        bit = beaten & -beaten
                        if t[bit.bit_length() - 1] <= tj + min_slack:
                            break
                        beaten ^= bit
                    if not beaten:
                        gen(i + 1, mask | (1 << j), load + tj, need, excl, dead, pot - tj)
                need = max(need, c - tj + 1)  # leaving j out: it must not fit at the end
                excl |= 1 << j
            kill = fol[j] & inzone & ~dead
            dead |= kill | (1 << j)
            pot -= tj
            while kill:  # j's followers cannot join without j
                bit = kill & -kill
                pot -= t[bit.bit_length() - 1]
                kill ^= bit
            gen(i + 1, mask, load, need, excl, dead, pot)

        try:
            gen(0, 0, 0, max(lo, 1), 0, 0, sum(t[j] for j in zone))
        except _Capped:
            self.exhaustive = False
        return out

    def _best_loads(
        self, done: int, zone: list[int], sums: list[int], low: int
    ) -> list[tuple[int, int]]:
        """Heuristic children: the best-filled maximal loads found within a step budget.

        Depth-first over the zone (take before leave), keeping loads of at least
        ``low``; stops after ``max_steps`` steps and returns the ``max_batch`` fullest.
        """
        t, c, pred = self.t, self.c, self.pred
        size = len(zone)
        found: list[tuple[int, int]] = []
        first = self.steps
        limit = max(200, self.max_steps // 10)
        batch = self.max_batch or 1
        full = [0]

        inzone = 0
        for j in zone:
            inzone |= 1 << j
        fol = self.fol

        def gen(i: int, mask: int, load: int, need: int, dead: int, pot: int) -> None:
            self.steps += 1
            if self.steps - first > limit:
                raise _Capped
            if self.steps & 1023 == 0 and time.perf_counter() > self._deadline:
                raise _Stop
            if load + pot < need:
                return
            lo = need - load if need > load else 0
            if not (sums[i] >> lo) & ((1 << (c - load - lo + 1)) - 1):
                return
            if i == size:
                found.append((load, mask))
                if load == c:
                    full[0] += 1
                    if full[0] >= batch:
                        raise _Capped
                return
            j = zone[i]
            tj = t[j]
            if dead >> j & 1:
                gen(i + 1, mask, load, need, dead, pot)
                return
            if not pred[j] & ~(done | mask) and load + tj <= c:
                gen(i + 1, mask | (1 << j), load + tj, need, dead, pot - tj)
                need = max(need, c - tj + 1)
            kill = fol[j] & inzone & ~dead
            dead |= kill | (1 << j)
            pot -= tj
            while kill:
                bit = kill & -kill
                pot -= t[bit.bit_length() - 1]
                kill ^= bit
            gen(i + 1, mask, load, need, dead, pot)

        with contextlib.suppress(_Capped):
            gen(0, 0, 0, max(low, 1), 0, sum(t[j] for j in zone))
        self.exhaustive = False
        found.sort(key=lambda x: -x[0])
        return [(mask, load) for load, mask in found[: self.max_batch]]

    # --- cyclic best-first search ---------------------------------------------------

    def start(self, stations: int) -> None:
        """Begin a new search for ``stations`` stations (the root holds no task)."""
        self.m = stations
        self.heaps: list[list[tuple[int, int, int, int, int, int, int]]] = [
            [] for _ in range(stations + 1)
        ]
        self.seen: dict[int, int] = {0: 0}
        self.parent: dict[int, tuple[int, int]] = {}
        self.cursor = 0
        self.count = 0
        self.solution: list[int] | None = None
        self.exhaustive = True
        self.closed = (
            stations < 1
            or self.total > stations * self.c
            or any(self.must[left] for left in range(stations + 1, len(self.must)))
        )
        if not self.closed:
            self.heaps[0].append((self.total, 0, 0, 0, self.total, 0, 0))

    def run(self, steps: int, deadline: float) -> str:
        """Search for about ``steps`` enumeration steps; returns the verdict.

        The verdict is ``feasible``, ``infeasible``, ``exhausted`` or ``unknown``.

        Cyclic best-first search (Sewell & Jacobson 2012): one heap per level (stations
        used); each cycle expands the best node of every level in turn, best = least
        remaining time (least idle so far), then the heaviest tails in the last load. A
        set of assigned tasks is kept once, at the fewest stations it was reached with.
        ``exhausted`` means the search can no longer prove anything: a load enumeration
        was cut short (always so for a search with ``max_batch``), and either the heaps
        ran empty or it is an exhaustive search, which then stops.
        """
        if self.solution is not None:
            return "feasible"
        if self.closed or (self.max_batch is None and not self.exhaustive):
            return "infeasible" if self.exhaustive else "exhausted"
        self._deadline = deadline
        m, heaps, seen = self.m, self.heaps, self.seen
        count = 0
        stop = self.steps + steps
        try:
            while self.steps < stop:
                if self.max_batch is None and not self.exhaustive:
                    return "exhausted"
                if self.dive:  # deepest level first (depth-first with memory)
                    lvl = m
                    while lvl >= 0 and not heaps[lvl]:
                        lvl -= 1
                    if lvl < 0:
                        self.closed = True
                        return "infeasible" if self.exhaustive else "exhausted"
                else:
                    lvl = self.cursor
                    for _ in range(m + 1):
                        if heaps[lvl]:
                            break
                        lvl = lvl + 1 if lvl < m else 0
                    else:
                        self.closed = True
                        return "infeasible" if self.exhaustive else "exhausted"
                    self.cursor = lvl + 1 if lvl < m else 0
                _, _, _, done, rest, s2, s6 = heapq.heappop(heaps[lvl])
                count += 1
                self.steps += 1
                if count & 31 == 0 and time.perf_counter() > deadline:
                    heapq.heappush(heaps[lvl], (0, 0, -1, done, rest, s2, s6))
                    return "unknown"
                if seen.get(done, lvl) < lvl:
                    continue  # reached again with fewer stations
                left = m - lvl
                if (self.tot2 - s2 + 1) // 2 > left or (self.tot6 - s6 + 5) // 6 > left:
                    continue
                if self._l2(done) > left or self._head_blocked(done, left):
                    continue
                if self._idle_blocked(done, left * self.c - rest):
                    continue
                if self._expand(done, lvl, rest, s2, s6):
                    return "feasible"
        except _Stop:
            return "unknown"
        return "unknown"

    def _l2(self, done: int) -> int:
        """Martello & Toth's L2 of the unassigned tasks (:func:`~insource.plant._bounds.l2_bound`)."""
        rest = self.full & ~done
        counts = [(rest & vm).bit_count() for vm in self.vmask]
        return l2_bound(self.values, counts, self.c)

    def _idle_blocked(self, done: int, budget: int) -> bool:
        """True if the stations of the long unassigned tasks must idle more than ``budget``.

        Every unassigned task ``j`` with ``t_j > c/2`` has its own station; the most it
        can share it with is the largest subset sum ``f_j <= c - t_j`` of the other
        unassigned tasks of at most ``c/2`` (precedence ignored), so that station idles at
        least ``c - t_j - f_j``; the total over these distinct stations may not exceed
        the idle time ``l c - t(R)`` left.
        """
        rest = self.full & ~done
        big = rest & self.bigmask
        if not big:
            return False
        c, t = self.c, self.t
        cap = (1 << (c + 1)) - 1
        sums = 1
        bits = rest & ~self.bigmask
        while bits:
            low = bits & -bits
            sums = (sums | (sums << t[low.bit_length() - 1])) & cap
            bits ^= low
        idle = 0
        while big:
            low = big & -big
            room = c - t[low.bit_length() - 1]
            idle += room - ((sums & ((1 << (room + 1)) - 1)).bit_length() - 1)
            if idle > budget:
                return True
            big ^= low
        return False

    def _head_blocked(self, done: int, left: int) -> bool:
        """True if an unassigned task's unassigned predecessors and followers need too much.

        Task ``j`` and its unassigned predecessors need ``ceil(h_j / c)`` stations, of
        which the last is ``j``'s, and ``j`` with its followers ``a_j``: so
        ``ceil(h_j / c) + a_j - 1 <= left`` (the node version of ``E_j + a_j - 1 <= m``).
        """
        undone = self._bits(self.full & ~done)
        h = self._t_np + self._pred_np @ (self._t_np * undone)
        room = (left + 1 - self._after_np) * self.c
        return bool(np.any((h > room) & (undone > 0)))

    def _bits(self, mask: int) -> np.ndarray:
        """0/1 vector (int64) of a bitset over the ``n`` tasks."""
        raw = np.frombuffer(mask.to_bytes(self._nbytes, "little"), dtype=np.uint8)
        return np.unpackbits(raw, bitorder="little")[: self.n].astype(np.int64)

    def _expand(self, done: int, lvl: int, rest: int, s2: int, s6: int) -> bool:
        """Queue the children of a node: its loads, fullest first (True if one completes)."""
        left = self.m - lvl
        low_load = max(rest - (left - 1) * self.c, 1)
        zone, sums = self._zone(done)
        if self.max_batch is not None:
            loads = []
            if self.dive and left > 1:  # spread the idle time: at most twice the average
                spread = self.c - 2 * (left * self.c - rest) // left
                if spread > low_load:
                    loads = self._best_loads(done, zone, sums, spread)
            if not loads:
                loads = self._best_loads(done, zone, sums, low_load)
        else:
            masks = self._enumerate(done, zone, sums, low_load, self.c)
            loads = sorted(((mask, self._time(mask)) for mask in masks), key=lambda x: -x[1])
        return self._push(done, lvl, rest, s2, s6, loads)

    def _time(self, mask: int) -> int:
        total = 0
        t = self.t
        while mask:
            low = mask & -mask
            total += t[low.bit_length() - 1]
            mask ^= low
        return total

    def _push(
        self, done: int, lvl: int, rest: int, s2: int, s6: int, loads: list[tuple[int, int]]
    ) -> bool:
        """Queue the children ``done + load``; True when one of them completes the line."""
        m, seen, full = self.m, self.seen, self.full
        w2, w6, tail = self.w2, self.w6, self.tail
        left = m - lvl
        must = self.must[left] if left < len(self.must) else 0
        heap = self.heaps[lvl + 1]
        for mask, load in loads:
            new = done | mask
            if must & ~new or seen.get(new, m + 1) <= lvl + 1:
                continue
            seen[new] = lvl + 1
            self.parent[new] = (done, mask)
            if new == full:
                self.solution = self._rebuild(new)
                return True
            d2 = d6 = pr = 0
            bits = mask
            while bits:
                low = bits & -bits
                j = low.bit_length() - 1
                d2 += w2[j]
                d6 += w6[j]
                pr += tail[j]
                bits ^= low
            self.count += 1
            r = rest - load
            heapq.heappush(heap, (r, -pr, self.count, new, r, s2 + d2, s6 + d6))
        return False

    def _rebuild(self, state: int) -> list[int]:
        masks = []
        while state:
            state, mask = self.parent[state]
            masks.append(mask)
        station = [0] * self.n
        for k, mask in enumerate(reversed(masks), start=1):
            for j in range(self.n):
                if mask >> j & 1:
                    station[j] = k
        return station
