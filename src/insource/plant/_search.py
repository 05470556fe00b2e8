"""Station-oriented depth-first search for SALBP-1 feasibility (after SALOME and BB&R).

Fill stations one after the other. For the next station enumerate the *maximal*
loads (sets of available tasks whose total time fits the cycle time and to which no
further available task can be added), best-filled first, and recurse. Prune with

* the idle-time budget ``m c - sum t``: the idle time of the closed stations never
  exceeds it (Scholl & Klein 1997, SALOME's "local lower bound");
* latest stations: a task whose followers need ``ceil(F_j/c) - 1`` stations after it
  must be assigned by station ``m - ceil(F_j/c) + 1``;
* memory: a set of assigned tasks that failed from station ``k`` also fails from any
  later station (Sewell & Jacobson 2012, BB&R's memory).

The search is exhaustive unless it hits its deadline or its cap on loads per station,
so "not found" is a proof of infeasibility only when ``exhaustive`` is true.

References
----------
Scholl, A., Klein, R. (1997). SALOME: a bidirectional branch-and-bound procedure for
assembly line balancing. *INFORMS J. Computing* 9(4), 319-334.
Sewell, E.C., Jacobson, S.H. (2012). A branch, bound, and remember algorithm for the
simple assembly line balancing problem. *INFORMS J. Computing* 24(3), 433-442.

"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SearchOutcome", "station_search"]


@dataclass
class SearchOutcome:
    """Result of :func:`station_search`: a station per task, or a proof, or a timeout."""

    assignment: list[int] | None
    exhaustive: bool
    nodes: int


class _Timeout(Exception):
    pass


def station_search(
    times: Sequence[int],
    arcs: Sequence[tuple[int, int]],
    cycle: int,
    stations: int,
    latest: Sequence[int],
    priority: Sequence[float],
    deadline: float,
    max_loads: int = 2000,
) -> SearchOutcome:
    """Find a balance with at most ``stations`` stations, or prove there is none.

    Parameters
    ----------
    times, arcs, cycle
        Integer task times, direct precedences ``(i, j)`` and the cycle time.
    stations
        Number of stations ``m`` to fit into.
    latest
        Latest feasible station of each task for this ``m`` (1-based).
    priority
        Task priority used to order candidate tasks (higher first).
    deadline
        ``time.perf_counter()`` value at which to give up.
    max_loads
        Cap on the number of loads tried per station (the search is then not exhaustive).

    """
    n = len(times)
    full = (1 << n) - 1
    total = sum(times)
    budget = stations * cycle - total
    if budget < 0:
        return SearchOutcome(None, True, 0)
    pred = [0] * n
    succ: list[list[int]] = [[] for _ in range(n)]
    for i, j in arcs:
        pred[j] |= 1 << i
        succ[i].append(j)
    for lst in succ:
        lst.sort(key=lambda w: -priority[w])
    must = [0] * (stations + 2)
    for j in range(n):
        k = max(0, min(latest[j], stations + 1))
        must[k] |= 1 << j
    for k in range(1, stations + 2):
        must[k] |= must[k - 1]
    if must[0]:
        return SearchOutcome(None, True, 0)
    big = sum(1 << j for j in range(n) if 2 * times[j] > cycle)
    half = sum(1 << j for j in range(n) if 2 * times[j] == cycle)
    failed: dict[int, int] = {}
    state = {"nodes": 0, "exhaustive": True}
    assign = [0] * n

    def loads(assigned: int, idle_left: int) -> list[tuple[int, int]]:
        avail = [j for j in range(n) if not (assigned >> j) & 1 and not pred[j] & ~assigned]
        avail.sort(key=lambda j: -priority[j])
        out: list[tuple[int, int]] = []
        cands = list(avail)
        min_load = cycle - idle_left

        def gen(i: int, mask: int, load: int) -> None:
            state["nodes"] += 1
            if state["nodes"] & 4095 == 0 and time.perf_counter() > deadline:
                raise _Timeout
            if len(out) >= max_loads:
                state["exhaustive"] = False
                return
            if i == len(cands):
                free = cycle - load
                if load < min_load or mask == 0:
                    return
                for j in cands:
                    if not (mask >> j) & 1 and times[j] <= free:
                        return
                out.append((mask, load))
                return
            # upper bound on the load still reachable from here
            reach = load + sum(times[j] for j in cands[i:])
            if reach < min_load and not any(succ[j] for j in cands[i:]):
                return
            j = cands[i]
            if load + times[j] <= cycle:
                inside = assigned | mask | (1 << j)
                newly = [w for w in succ[j] if not pred[w] & ~inside]
                cands.extend(newly)
                gen(i + 1, mask | (1 << j), load + times[j])
                if newly:
                    del cands[len(cands) - len(newly) :]
            gen(i + 1, mask, load)

        gen(0, 0, 0)
        out.sort(key=lambda x: -x[1])
        return out

    def dfs(assigned: int, k: int, idle_used: int, done_time: int) -> bool:
        if assigned == full:
            return True
        if k > stations:
            return False
        if failed.get(assigned, stations + 1) <= k:
            return False
        rest = total - done_time
        left = stations - k + 1
        if -(-rest // cycle) > left:
            return False
        rest_big = ~assigned & big
        if rest_big.bit_count() + (-(-(~assigned & half).bit_count() // 2)) > left:
            return False
        for mask, load in loads(assigned, budget - idle_used):
            new = assigned | mask
            if must[k] & ~new:
                continue
            if dfs(new, k + 1, idle_used + cycle - load, done_time + load):
                bits = mask
                while bits:
                    low = bits & -bits
                    assign[low.bit_length() - 1] = k
                    bits ^= low
                return True
        if state["exhaustive"]:
            failed[assigned] = min(k, failed.get(assigned, k))
        return False

    try:
        found = dfs(0, 1, 0, 0)
    except _Timeout:
        return SearchOutcome(None, False, state["nodes"])
    except RecursionError:  # pragma: no cover - very deep graphs
        return SearchOutcome(None, False, state["nodes"])
    if found:
        return SearchOutcome(list(assign), True, state["nodes"])
    return SearchOutcome(None, bool(state["exhaustive"]), state["nodes"])
