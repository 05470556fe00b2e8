"""Brute-force references for the line-balancing tests (small instances only)."""

from __future__ import annotations


def min_stations(times, arcs, c):  # type: ignore[no-untyped-def]
    """Fewest stations by breadth-first search over (assigned set, open station load)."""
    n = len(times)
    pred = [0] * n
    for i, j in arcs:
        pred[j] |= 1 << i
    full = (1 << n) - 1
    frontier = {(0, 0)}
    stations = 1
    seen = set(frontier)
    while True:
        # close nothing: add tasks to the open station while they fit
        stack = list(frontier)
        while stack:
            done, load = stack.pop()
            if done == full:
                return stations
            for j in range(n):
                if not done >> j & 1 and not pred[j] & ~done and load + times[j] <= c:
                    nxt = (done | 1 << j, load + times[j])
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
                        frontier.add(nxt)
        frontier = {(done, 0) for done, _ in frontier}
        seen |= frontier
        stations += 1


def min_bins(times, c):  # type: ignore[no-untyped-def]
    """Fewest bins of size c, by trying every bin for every item (largest first)."""
    items = sorted(times, reverse=True)
    best = len(items)

    def place(k, loads):
        nonlocal best
        if len(loads) >= best:
            return
        if k == len(items):
            best = len(loads)
            return
        tried = set()
        for b, load in enumerate(loads):
            if load + items[k] <= c and load not in tried:
                tried.add(load)
                loads[b] += items[k]
                place(k + 1, loads)
                loads[b] -= items[k]
        place(k + 1, [*loads, items[k]])

    place(0, [])
    return best
