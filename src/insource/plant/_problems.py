"""Data classes for the plant problems: a precedence graph of tasks, a car-sequencing day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from insource.errors import InsourceError

__all__ = ["CarSequencingInstance", "RatioConstraint", "TaskGraph"]


@dataclass(frozen=True)
class TaskGraph:
    """Tasks of an assembly line with their times and precedence relations.

    Parameters
    ----------
    times
        Task time of each task (tasks are numbered 0..n-1 internally; the file
        formats number them from 1).
    precedences
        Direct precedence relations ``(i, j)``: task ``i`` must be done at the
        same or an earlier station than task ``j``.
    name
        Instance name (file stem) for reports.
    cycle_time
        Cycle time stored in the file (``.alb`` files carry one), if any.
    model_times
        For mixed-model lines: task times per model, ``{model: times}``; ``times``
        then holds the mix-weighted average.

    """

    times: tuple[float, ...]
    precedences: tuple[tuple[int, int], ...]
    name: str = "tasks"
    cycle_time: float | None = None
    model_times: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of tasks."""
        return len(self.times)

    def check(self) -> None:
        """Raise :class:`InsourceError` on bad indices, negative times or a cycle."""
        n = self.n
        if n == 0:
            raise InsourceError(f"{self.name}: no tasks", "give at least one task")
        for j, t in enumerate(self.times):
            if t < 0:
                raise InsourceError(
                    f"{self.name}: task {j + 1} has a negative time {t}", "task times must be >= 0"
                )
        for i, j in self.precedences:
            if not (0 <= i < n and 0 <= j < n):
                raise InsourceError(
                    f"{self.name}: precedence {i + 1},{j + 1} refers to a task outside 1..{n}",
                    "fix the precedence list",
                )
        cycle = find_cycle(n, self.precedences)
        if cycle:
            path = " -> ".join(str(k + 1) for k in cycle)
            raise InsourceError(
                f"{self.name}: cyclic precedence {path}",
                "a task cannot (indirectly) precede itself; remove one of these relations",
            )


def find_cycle(n: int, arcs: Sequence[tuple[int, int]]) -> list[int]:
    """Return one directed cycle ``[a, b, ..., a]`` of the graph, or ``[]`` if it is acyclic."""
    succ: list[list[int]] = [[] for _ in range(n)]
    for i, j in arcs:
        succ[i].append(j)
    colour = [0] * n  # 0 new, 1 on stack, 2 done
    parent = [-1] * n
    for root in range(n):
        if colour[root]:
            continue
        stack: list[tuple[int, int]] = [(root, 0)]
        colour[root] = 1
        while stack:
            v, k = stack[-1]
            if k < len(succ[v]):
                stack[-1] = (v, k + 1)
                w = succ[v][k]
                if colour[w] == 0:
                    colour[w] = 1
                    parent[w] = v
                    stack.append((w, 0))
                elif colour[w] == 1:
                    cyc = [w]
                    u = v
                    while u != w:
                        cyc.append(u)
                        u = parent[u]
                    cyc.append(w)
                    return cyc[::-1]
            else:
                colour[v] = 2
                stack.pop()
    return []


@dataclass(frozen=True)
class RatioConstraint:
    """At most ``p`` cars with option ``name`` in any ``q`` consecutive cars (p/q rule)."""

    name: str
    p: int
    q: int
    high_priority: bool = True


@dataclass(frozen=True)
class CarSequencingInstance:
    """One day of cars to sequence on a mixed-model line.

    Cars are grouped in classes (identical option sets and colour).

    Parameters
    ----------
    name
        Instance name.
    ratios
        The p/q ratio constraints, one per option.
    demand
        Number of cars of each class.
    options
        ``options[c][k]`` is 1 when class ``c`` carries option ``k``.
    colours
        Paint colour of each class (ROADEF 2005), or empty.
    paint_batch_limit
        Maximum number of consecutive cars of one colour (ROADEF 2005), or ``None``.
    objective_order
        Lexicographic objective order, e.g. ``("HPRC", "PCC", "LPRC")``.
    previous
        Classes of the cars already sequenced at the end of the previous day (J-1),
        in order; they are fixed and only count in windows that reach into day J.
    car_ids
        Original identifier of each car of day J, grouped by class: ``car_ids[c]``.

    """

    name: str
    ratios: tuple[RatioConstraint, ...]
    demand: tuple[int, ...]
    options: tuple[tuple[int, ...], ...]
    colours: tuple[int, ...] = ()
    paint_batch_limit: int | None = None
    objective_order: tuple[str, ...] = ("HPRC", "LPRC")
    previous: tuple[int, ...] = ()
    car_ids: tuple[tuple[str, ...], ...] = ()

    @property
    def n_cars(self) -> int:
        """Number of cars to sequence (day J)."""
        return sum(self.demand)

    @property
    def n_classes(self) -> int:
        """Number of car classes."""
        return len(self.demand)
