"""The plant loop: plan -> takt -> balance -> sequence a day -> simulate -> line rate.

Issue 7, part 4. The sourcing plan says how many cars of each model a line must
build; the plant side answers how fast the line really runs with that mix:

1. **Load.** Plan the option (:func:`insource.plan.plan`). For each fiscal year take
   the line's planned volume (in-house products plus ``other_load`` models) and its
   planned hours (hours per shift x days x efficiency x the planned shifts). The takt
   is ``c = 3600 H / V`` seconds. The loop balances for the **shortest takt over the
   horizon** (the busiest year; ties go to the first, i.e. the first steady-state
   year): a line balanced for the most demanding year can run every other year.
2. **Cars.** A car class is a model with a set of its options (``model_options``;
   options of a model independent, so a class's share is the product of the option
   shares). The class's time for task ``j`` is the model's time (``task_times``, else
   ``tasks.time``) if the task is for every car or for an option the class carries,
   else 0.
3. **Balance.** SALBP-1 for the takt (:func:`insource.plant.salbp1`) on the joint
   precedence graph of all models (Thomopoulos 1970) with the *envelope* times
   ``t_j = min(max_c t_jc, c)``: every station holds its tasks for the heaviest car,
   so no car exceeds the takt anywhere except at a task that alone is longer than the
   takt (clipped to ``c``, it fills a station alone). Balancing on the mix-weighted
   mean instead packs stations so that the majority models overrun the takt, which
   no sequence can absorb (found on the built-in case: rules such as 1/10 for half
   of the cars). Efficiency is reported on the mix-weighted loads.
4. **Sequencing rules.** A station ``s`` whose load ``L_sc`` for some classes exceeds
   the takt can only take those heavy cars spaced out. With ``h`` the largest heavy
   and ``l`` the largest light load, ``p`` heavy cars in any ``q`` consecutive cars fit
   into ``q`` takts when ``p h + (q - p) l <= q c``, i.e. ``p/q <= (c - l)/(h - l)``;
   the rule is the largest such ``p/q`` with ``q <= q_max`` (ratio rules derived from
   station capacities, as in Drexl & Kimms 2001; Bolat & Yano 1992).
5. **Day.** A representative day: the year's volume of each model over the line's
   working days, split into classes by largest remainders; sequenced with
   :func:`insource.plant.sequence_cars` under the rules.
6. **Simulate.** The day's sequence through the balanced stations (class loads as
   station times) with SimPy, breakdowns from ``lines.station_mtbf/station_mttr``
   when the case gives them, seeded replications: the mean throughput with its
   confidence interval is the achievable rate, written back as ``lines.rate``.

References
----------
Thomopoulos, N.T. (1970). Mixed model line balancing with smoothed station
assignments. *Management Science* 16(9), 593-603.
Bolat, A., Yano, C.A. (1992). Scheduling algorithms to minimize utility work at a
single station on a paced assembly line. *Production Planning & Control* 3(4).
Drexl, A., Kimms, A. (2001). Sequencing JIT mixed-model assembly lines under
station-load and part-usage constraints. *Management Science* 47(3), 480-491.

"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from insource.case import Case
from insource.errors import InsourceError
from insource.plant._balance import BalanceResult, salbp1
from insource.plant._problems import CarSequencingInstance, RatioConstraint, TaskGraph, find_cycle
from insource.plant._sequence import SequenceResult, sequence_cars
from insource.plant._simulate import SimulationResult, simulate_line
from insource.plant._tasktimes import mix_times, station_loads

__all__ = [
    "CarClass",
    "LineLoad",
    "LineTaskList",
    "LoopResult",
    "car_classes",
    "class_loads",
    "day_instance",
    "line_load",
    "line_task_list",
    "plant_loop",
    "ratio_rules",
    "with_line_rate",
]

Progress = Callable[[str], None]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


# --- the task list -------------------------------------------------------------------


@dataclass(frozen=True)
class LineTaskList:
    """A line's tasks from the case: ids, times per model, precedence, options.

    ``times`` holds the default time of each task; ``model_times`` the tasks whose
    time differs on a model; ``options[j]`` is the option task ``j`` serves ('' = all).
    """

    line: str
    tasks: tuple[str, ...]
    names: tuple[str, ...]
    times: tuple[float, ...]
    options: tuple[str, ...]
    operators: tuple[int, ...]
    precedences: tuple[tuple[int, int], ...]
    model_times: Mapping[str, Mapping[int, float]]
    model_options: Mapping[str, Mapping[str, float]]

    def time_of(self, model: str, options: frozenset[str]) -> tuple[float, ...]:
        """Time of each task for a car of ``model`` with ``options``."""
        own = self.model_times.get(model, {})
        return tuple(
            own.get(j, t) if not o or o in options else 0.0
            for j, (t, o) in enumerate(zip(self.times, self.options, strict=True))
        )


def _row_label(case: Case, table: str, row: object) -> str:
    """``tasks.csv, row 5``: loaded tables are indexed by their file row."""
    return f"{case.locations.get(table, table + '.csv')}, row {row}"


def line_task_list(case: Case, line: str) -> LineTaskList:
    """Read the task list of ``line`` from the ``tasks``, ``task_times`` and ``model_options`` tables.

    Raises
    ------
    InsourceError
        The line is unknown or has no tasks; a predecessor, task or option is
        unknown; the precedence relations have a cycle (named with file and row).

    """
    lines = case.tables["lines"]
    if line not in set(lines["id"].astype(str)):
        known = ", ".join(map(str, lines["id"])) or "none"
        raise InsourceError(f"the case has no line {line!r}", f"lines: {known}")
    tasks = case.tables["tasks"]
    mine = tasks[tasks["line"].astype(str) == line]
    if mine.empty:
        with_tasks = sorted(set(tasks["line"].astype(str)))
        raise InsourceError(
            f"the case has no task list for line {line!r}",
            "add rows for it to tasks.csv (task, time in seconds, predecessors, option)"
            + (f"; lines with tasks: {', '.join(with_tasks)}" if with_tasks else ""),
        )
    ids = [str(t) for t in mine["task"]]
    index = {t: j for j, t in enumerate(ids)}
    rows = list(mine.index)
    arcs: list[tuple[int, int]] = []
    for j, (pos, preds) in enumerate(zip(rows, mine["predecessors"], strict=True)):
        if _blank(preds):
            continue
        for p in str(preds).replace(",", ";").split(";"):
            p = p.strip()
            if not p:
                continue
            if p not in index:
                raise InsourceError(
                    f"{_row_label(case, 'tasks', pos)}, column predecessors: unknown task {p!r} "
                    f"on line {line}",
                    "name tasks of the same line, separated by ';'",
                )
            arcs.append((index[p], j))
    cycle = find_cycle(len(ids), arcs)
    if cycle:
        path = " -> ".join(ids[k] for k in cycle)
        raise InsourceError(
            f"{case.locations.get('tasks', 'tasks.csv')}: cyclic precedence on line {line}: {path}",
            "a task cannot (indirectly) precede itself; remove one of these predecessors",
        )
    options = tuple("" if _blank(o) else str(o).strip() for o in mine["option"])
    ops = mine["operators"] if "operators" in mine else pd.Series(1, index=mine.index)
    operators = tuple(1 if _blank(v) else int(v) for v in ops)
    tt = case.tables["task_times"]
    tt = tt[tt["line"].astype(str) == line]
    model_times: dict[str, dict[int, float]] = {}
    for pos, r in tt.iterrows():
        task = str(r["task"])
        if task not in index:
            raise InsourceError(
                f"{_row_label(case, 'task_times', pos)}, column task: line {line} has no "
                f"task {task!r}",
                "use a task id of tasks.csv on the same line",
            )
        model_times.setdefault(str(r["model"]), {})[index[task]] = float(r["time"])
    mo = case.tables["model_options"]
    mo = mo[mo["line"].astype(str) == line]
    model_options: dict[str, dict[str, float]] = {}
    for _, r in mo.iterrows():
        model_options.setdefault(str(r["model"]), {})[str(r["option"])] = float(r["share"])
    carried = {o for opts in model_options.values() for o in opts}
    for pos, o in zip(rows, options, strict=True):
        if o and o not in carried:
            raise InsourceError(
                f"{_row_label(case, 'tasks', pos)}, column option: no model on line {line} "
                f"carries option {o!r}",
                "add it to model_options.csv (line, model, option, share) or clear the cell",
            )
    names = tuple("" if _blank(n) else str(n) for n in mine["name"])
    return LineTaskList(
        line=line,
        tasks=tuple(ids),
        names=names,
        times=tuple(float(t) for t in mine["time"]),
        options=options,
        operators=operators,
        precedences=tuple(arcs),
        model_times=model_times,
        model_options=model_options,
    )


# --- planned load and takt -----------------------------------------------------------


@dataclass(frozen=True)
class LineLoad:
    """The line's planned load in one fiscal year and the takt it implies.

    ``years`` has one row per fiscal year: ``volume`` (units/yr), ``hours`` (planned
    running hours), ``takt`` (s); ``models`` the chosen year's volume per model.
    """

    line: str
    option: str
    fiscal_year: int
    label: str
    takt: float
    hours: float
    days: float
    models: pd.Series
    years: pd.DataFrame
    reason: str

    @property
    def volume(self) -> float:
        """Planned units in the chosen year."""
        return float(self.models.sum())

    @property
    def day_hours(self) -> float:
        """Planned running hours per working day."""
        return self.hours / self.days


def line_load(
    case: Case,
    volumes: pd.DataFrame,
    utilisation: pd.DataFrame,
    line: str,
    option: str,
    year: int | None = None,
) -> LineLoad:
    """Planned volume per model and takt of ``line`` from a plan's tables.

    Parameters
    ----------
    case
        The case (for ``other_load`` and the calendar).
    volumes, utilisation
        ``PlanResult.volumes`` (monthly, ``kind == "inhouse"`` rows with ``source`` the
        line) and ``PlanResult.utilisation`` (per line and fiscal year, ``hours_planned``).
    line, option
        The line, and the option the plan was made for (for the report).
    year
        Fiscal year to use; ``None``: the year with the shortest takt.

    """
    from insource.case._views import other_load

    cal = case.calendar
    inh = volumes[(volumes["kind"] == "inhouse") & (volumes["source"] == line)]
    oth = other_load(case)
    oth = oth[oth["line"] == line]
    parts = [
        pd.DataFrame(
            {
                "fy": cal.fiscal_year(pd.PeriodIndex(rows["period"].astype(str), freq="M")),
                "model": rows[model].to_numpy(),
                "volume": rows["volume"].to_numpy(float),
            }
        )
        for rows, model in ((inh, "product"), (oth, "model"))
        if not rows.empty
    ]
    if not parts:
        raise InsourceError(
            f"option {option!r} plans no volume on line {line}",
            "choose an option that builds on this line (--option) or add other_load rows",
        )
    vol = pd.concat(parts).groupby(["fy", "model"])["volume"].sum()
    util = utilisation[utilisation["line"] == line].set_index("fiscal_year")
    # only whole fiscal years inside the horizon count
    months = pd.Series(cal.fiscal_year(case.horizon)).value_counts()
    whole = sorted(int(str(y)) for y, n in months.items() if n == 12)
    per_year = vol.groupby(level="fy").sum()
    years = pd.DataFrame({"volume": per_year}).reindex(whole).dropna()
    years["hours"] = util["hours_planned"].reindex(years.index).astype(float)
    years = years[(years["volume"] > 0.5) & (years["hours"] > 0)]
    if years.empty:
        raise InsourceError(
            f"line {line} has no planned volume in a whole fiscal year under option {option!r}",
            "check the option and the horizon",
        )
    years["takt"] = years["hours"] * 3600.0 / years["volume"]
    years.index.name = "fiscal_year"
    years.attrs.update(name=f"planned load of {line}", unit="units/yr, h, s")
    takts = years["takt"].astype(float)
    fy: int
    if year is None:
        fy = int(str(years["takt"].idxmin()))
        reason = (
            f"{cal.label(fy)} has the shortest takt ({takts[fy]:.2f} s) of the "
            "horizon: a line balanced for its busiest year can build every other year"
        )
    else:
        if year not in years.index:
            have = ", ".join(cal.label(int(str(y))) for y in years.index)
            raise InsourceError(f"no planned load on {line} in {cal.label(year)}", f"years: {have}")
        fy, reason = year, f"{cal.label(year)} chosen with --year"
    models = vol.loc[fy]
    models = models[models > 0.5]
    days = float(
        case.tables["lines"]
        .set_index("id")["days_per_year"]
        .astype(float)
        .fillna(240.0)
        .get(line, 240.0)
    )
    return LineLoad(
        line=line,
        option=option,
        fiscal_year=fy,
        label=cal.label(fy),
        takt=float(takts[fy]),
        hours=float(years["hours"].astype(float)[fy]),
        days=days,
        models=models.rename("units_per_year"),
        years=years.reset_index(),
        reason=reason,
    )


# --- car classes, rules and the day --------------------------------------------------


@dataclass(frozen=True)
class CarClass:
    """Cars of one model with one set of its options; ``share`` of the line's volume."""

    model: str
    options: frozenset[str]
    share: float

    @property
    def key(self) -> str:
        """Label such as ``kei-ev-2028+battery-l``."""
        return "+".join([self.model, *sorted(self.options)])


def car_classes(tasks: LineTaskList, models: Mapping[str, float]) -> list[CarClass]:
    """Classes of the line's cars with their share of the volume (options independent)."""
    total = float(sum(models.values()))
    out = []
    for model, vol in models.items():
        opts = sorted(tasks.model_options.get(model, {}).items())
        for flags in itertools.product((0, 1), repeat=len(opts)):
            share = vol / total
            chosen = []
            for (name, s), f in zip(opts, flags, strict=True):
                share *= s if f else 1.0 - s
                if f:
                    chosen.append(name)
            if share > 0:
                out.append(CarClass(model, frozenset(chosen), share))
    return out


def class_loads(
    times: Mapping[str, Sequence[float]], assignment: Sequence[int], stations: int
) -> dict[str, tuple[float, ...]]:
    """Load of every station for every class: ``L_sc = sum_{j at s} t_jc``."""
    return {key: station_loads(t, assignment, stations) for key, t in times.items()}


def _largest_remainder(weights: Sequence[float], total: int) -> list[int]:
    w = np.asarray(weights, dtype=float)
    raw = w / w.sum() * total
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: total - int(base.sum())]] += 1
    return [int(x) for x in base]


def ratio_rules(
    model_loads: Mapping[str, Sequence[float]], takt: float, q_max: int = 10
) -> list[tuple[RatioConstraint, frozenset[str], int]]:
    """Ratio rules ``p/q`` for stations whose load exceeds the takt on some classes.

    Returns ``(rule, heavy class keys, station)`` per distinct heavy set, the tightest
    rule of the stations sharing it. ``p/q`` is the largest ratio with ``q <= q_max``
    and ``p h + (q - p) l <= q c`` (see the module notes).
    """
    best: dict[frozenset[str], tuple[float, int, int, int]] = {}
    keys = list(model_loads)
    m = len(next(iter(model_loads.values()))) if keys else 0
    eps = 1e-9
    for s in range(m):
        loads = {k: float(model_loads[k][s]) for k in keys}
        heavy = frozenset(k for k, v in loads.items() if v > takt + eps)
        if not heavy:
            continue
        h = max(loads[k] for k in heavy)
        # every car heavy: only gaps could space them, so l = 0 (the rule then fails the
        # capacity check: no sequence of the day's cars meets it)
        light = max((v for k, v in loads.items() if k not in heavy), default=0.0)
        r_max = (takt - light) / (h - light)
        cand = None
        for q in range(1, q_max + 1):
            p = math.floor(q * r_max + 1e-9)
            if p >= 1 and (cand is None or p / q > cand[0] + 1e-12):
                cand = (p / q, p, q)
        if cand is None:
            cand = (1 / q_max, 1, q_max)  # at most one heavy car in q_max (best effort)
        ratio, p, q = cand
        old = best.get(heavy)
        if old is None or ratio < old[0] - 1e-12:
            best[heavy] = (ratio, p, q, s + 1)
    out = []
    for heavy, (_, p, q, s) in sorted(best.items(), key=lambda kv: kv[1][3]):
        out.append((RatioConstraint(f"station-{s}", p, q), heavy, s))
    return out


def day_instance(
    classes: Sequence[CarClass],
    cars: int,
    rules: Sequence[tuple[RatioConstraint, frozenset[str], int]],
    name: str,
) -> CarSequencingInstance:
    """A representative day: ``cars`` split over the classes, with the ratio rules."""
    counts = _largest_remainder([c.share for c in classes], cars)
    keep = [k for k, n in enumerate(counts) if n > 0]
    options = tuple(tuple(int(classes[k].key in heavy) for _, heavy, _ in rules) for k in keep)
    return CarSequencingInstance(
        name=name,
        ratios=tuple(r for r, _, _ in rules),
        demand=tuple(counts[k] for k in keep),
        options=options,
        car_ids=tuple((classes[k].key,) * counts[k] for k in keep),
    )


def _capacity_check(inst: CarSequencingInstance) -> list[str]:
    """Rules whose cars cannot fit in any sequence: ``D_k > p floor(N/q) + min(p, N mod q)``."""
    n = inst.n_cars
    out = []
    for k, r in enumerate(inst.ratios):
        d = sum(dm * o[k] for dm, o in zip(inst.demand, inst.options, strict=True))
        most = r.p * (n // r.q) + min(r.p, n % r.q)
        if d > most:
            out.append(f"{r.name} ({r.p}/{r.q}): {d} cars need it, at most {most} of {n} fit")
    return out


# --- the loop ------------------------------------------------------------------------


@dataclass
class LoopResult:
    """Everything the loop found: load, balance, rules, sequence, simulation, rate."""

    load: LineLoad
    tasks: LineTaskList
    classes: list[CarClass]
    balance: BalanceResult
    class_loads: dict[str, tuple[float, ...]]
    rules: list[tuple[RatioConstraint, frozenset[str], int]]
    instance: CarSequencingInstance
    sequence: SequenceResult
    simulation: SimulationResult
    breakdowns: tuple[float, float] | None
    buffers: int
    old_rate: float
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def rate(self) -> tuple[float, float, float]:
        """Simulated throughput ``(mean, low, high)`` in cars per hour."""
        return self.simulation.throughput

    @property
    def mean_times(self) -> tuple[float, ...]:
        """Mix-weighted task times ``t_j = sum_c w_c t_jc`` over the day's car classes."""
        return mix_times(
            {c.key: self.tasks.time_of(c.model, c.options) for c in self.classes},
            {c.key: c.share for c in self.classes},
        )

    @property
    def efficiency(self) -> float:
        """Mix-weighted balance efficiency ``sum_j t_j / (m c)`` (``t_j``: :attr:`mean_times`)."""
        return sum(self.mean_times) / (self.balance.stations * self.load.takt)

    @property
    def labour_minutes(self) -> float:
        """Mix-weighted labour content per car (person-minutes): ``sum_j t_j x operators_j / 60``."""
        return float(np.dot(self.mean_times, self.tasks.operators)) / 60.0

    def stations(self) -> pd.DataFrame:
        """One row per station: tasks, mix-weighted load, least and most class load."""
        bal = self.balance
        mean = station_loads(self.mean_times, bal.assignment, bal.stations)
        rows = []
        for s in range(1, bal.stations + 1):
            tasks = [self.tasks.tasks[j] for j, k in enumerate(bal.assignment) if k == s]
            loads = [v[s - 1] for v in self.class_loads.values()]
            rows.append(
                {
                    "station": s,
                    "tasks": " ".join(tasks),
                    "load_s": mean[s - 1],
                    "min_load_s": min(loads),
                    "max_load_s": max(loads),
                }
            )
        out = pd.DataFrame(rows)
        out.attrs.update(name=f"stations of {self.load.line}", unit="s")
        return out

    def to_dict(self) -> dict[str, object]:
        """Plain dictionary for JSON output."""
        mean, low, high = self.rate
        ev = self.sequence.evaluation
        ld = self.load
        return {
            "line": ld.line,
            "option": ld.option,
            "fiscal_year": ld.fiscal_year,
            "fiscal_year_label": ld.label,
            "year_reason": ld.reason,
            "planned_units": ld.volume,
            "planned_hours": ld.hours,
            "models": {str(k): float(v) for k, v in ld.models.items()},
            "takt_s": ld.takt,
            "years": ld.years.to_dict(orient="records"),
            "stations": self.balance.stations,
            "station_bound": self.balance.bound,
            "balance_status": self.balance.status,
            "balance_efficiency": self.efficiency,
            "labour_person_minutes": self.labour_minutes,
            "rules": [
                {"name": r.name, "p": r.p, "q": r.q, "classes": sorted(h), "station": s}
                for r, h, s in self.rules
            ],
            "day_cars": self.instance.n_cars,
            "sequence_status": self.sequence.status,
            "sequence_violations": ev.violations,
            "violated_windows": [
                {"rule": o, "start": s + 1, "cars": nw, "p": p, "q": q}
                for o, s, nw, p, q in ev.violated[:20]
            ],
            "buffers": self.buffers,
            "breakdowns": (
                {"station_mtbf_h": self.breakdowns[0], "station_mttr_h": self.breakdowns[1]}
                if self.breakdowns
                else None
            ),
            "replications": len(self.simulation.replications),
            "rate_per_hour": {"mean": mean, "low": low, "high": high},
            "takt_rate_per_hour": 3600.0 / ld.takt,
            "old_rate_per_hour": self.old_rate,
            "station_table": self.stations().to_dict(orient="records"),
        }


def _breakdowns(case: Case, line: str) -> tuple[float, float] | None:
    row = case.tables["lines"].set_index("id").loc[line]
    a: Any = row.get("station_mtbf")
    b: Any = row.get("station_mttr")
    if _blank(a) and _blank(b):
        return None
    if _blank(a) or _blank(b):
        raise InsourceError(
            f"lines.csv, line {line}: give both station_mtbf and station_mttr, or neither", ""
        )
    return float(a), float(b)


def plant_loop(
    case: Case,
    line: str,
    option: str | None = None,
    *,
    year: int | None = None,
    buffers: int = 0,
    replications: int = 5,
    seed: int = 0,
    balance_time: float = 10.0,
    sequence_time: float = 10.0,
    soft: bool = False,
    progress: Progress | None = None,
    plan_time_limit: float | None = None,
) -> LoopResult:
    """Run the loop for ``line``: plan, takt, balance, sequence a day, simulate.

    Parameters
    ----------
    case
        The case; it needs a task list for the line (``tasks`` table).
    line
        Line id.
    option
        Option to plan; ``None``: the first ``insource`` option onto ``line``, else the
        free optimisation.
    year
        Fiscal year (default: the busiest, see :func:`line_load`).
    buffers, replications, seed
        Simulation settings (places between stations; seeded replications).
    balance_time, sequence_time
        Solver time limits in seconds.
    soft
        Accept a day sequence that breaks ratio rules even when no sequence can meet
        them (otherwise an :class:`InsourceError` names the violated windows).
    progress
        Called with the name of each step as it starts.

    """
    from insource.plan import plan

    say = progress or (lambda _step: None)
    tasks = line_task_list(case, line)
    opts = case.tables["options"]
    if option is None:
        onto = opts[(opts["policy"] == "insource") & (opts["line"].astype(str) == line)]
        option = str(onto["id"].iloc[0]) if not onto.empty else None
    say(f"planning option {option or 'optimise'}")
    result = plan(case, option, time_limit=plan_time_limit, duals=False)
    load = line_load(case, result.volumes, result.utilisation, line, option or "optimise", year)
    models = {str(k): float(v) for k, v in load.models.items()}
    for table, names in (("task_times", tasks.model_times), ("model_options", tasks.model_options)):
        on_line = (
            set(models)
            | set(case.tables["products"]["id"].astype(str))
            | set(case.tables["other_load"]["model"].astype(str))
        )
        unknown = sorted(set(names) - on_line)
        if unknown:
            raise InsourceError(
                f"{table}.csv names unknown models {unknown} on line {line}",
                f"use product ids or other_load models; planned here in {load.label}: "
                + ", ".join(models),
            )
    classes = car_classes(tasks, models)
    model_times = {c.key: tasks.time_of(c.model, c.options) for c in classes}
    # Balance for the envelope: every station must hold its tasks for the heaviest car
    # (``max_c t_jc``), so no class exceeds the takt anywhere, except where a task is
    # itself longer than the takt; such a task is clipped to the takt (it then fills a
    # station alone) and the cars that need it are spaced out by a ratio rule.
    # (The cycle is the takt rounded down to 0.01 s, so that times scale to integers.)
    cycle = math.floor(load.takt * 100 + 1e-9) / 100
    envelope = tuple(min(max(col), cycle) for col in zip(*model_times.values(), strict=True))
    graph = TaskGraph(
        times=envelope,
        precedences=tasks.precedences,
        name=f"{case.name or 'case'}/{line}",
    )
    say(f"balancing for takt {load.takt:.2f} s")
    bal = salbp1(graph, cycle, time_limit=balance_time, seed=seed)
    loads = class_loads(model_times, bal.assignment, bal.stations)
    rules = ratio_rules(loads, load.takt)
    cars = max(1, round(load.volume / load.days))
    inst = day_instance(classes, cars, rules, f"{line} {load.label} day")
    short = _capacity_check(inst)
    say(f"sequencing a day of {inst.n_cars} cars")
    if inst.ratios:
        method = "auto" if inst.n_cars <= 400 else "local"
        seq = sequence_cars(inst, time_limit=sequence_time, seed=seed, method=method)
    else:
        from insource.plant._sequence import greedy_sequence, local_search_sequence

        seq = local_search_sequence(
            inst, time_limit=0.0, max_moves=0, initial=greedy_sequence(inst)
        )
    ev = seq.evaluation
    # Proof that no sequence meets the rules: counting (``short``) or CP-SAT.
    proven = bool(short) or (ev.violations > 0 and seq.status == "infeasible")
    if proven and not soft:
        windows = "; ".join(
            f"{o} cars {s + 1}-{s + q}: {nw} > {p}" for o, s, nw, p, q in ev.violated[:5]
        )
        why = "; ".join(short) if short else "CP-SAT proved no sequence meets every rule"
        raise InsourceError(
            f"line {line}, {load.label}: the day's mix cannot be sequenced within the "
            f"stations' ratio rules ({why}); best sequence has {ev.violations} violations",
            (f"violated windows: {windows}. " if windows else "")
            + "Rerun with --soft to simulate it anyway, add buffers, split the heavy "
            "tasks, or change the mix",
        )
    order = [inst.car_ids[c][0] for c in seq.sequence]
    brk = _breakdowns(case, line)
    say(f"simulating {replications} replications")
    sim = simulate_line(
        {k: list(v) for k, v in loads.items() if k in set(order)},
        order,
        buffers=buffers,
        mtbf=None if brk is None else brk[0] * 3600.0,
        mttr=None if brk is None else brk[1] * 3600.0,
        hours=max(load.day_hours, 50 * load.takt / 3600.0),  # at least ~50 cars
        replications=replications,
        seed=seed,
    )
    old = float(case.tables["lines"].set_index("id")["rate"].astype(float)[line])
    return LoopResult(
        load=load,
        tasks=tasks,
        classes=classes,
        balance=bal,
        class_loads=loads,
        rules=rules,
        instance=inst,
        sequence=seq,
        simulation=sim,
        breakdowns=brk,
        buffers=buffers,
        old_rate=old,
    )


def with_line_rate(case: Case, res: LoopResult, decimals: int = 1) -> Case:
    """Copy of ``case`` with the line's ``rate`` set to the simulated rate, with provenance."""
    out = case.copy()
    lines = out.tables["lines"].copy()
    mean, low, high = res.rate
    ld = res.load
    hit = lines["id"].astype(str) == ld.line
    note = (
        f"insource plant loop: option {ld.option}, {ld.label} load {ld.volume:,.0f} units in "
        f"{ld.hours:,.0f} h, takt {ld.takt:.2f} s, {res.balance.stations} stations "
        f"({res.balance.status}), {res.instance.n_cars}-car day with "
        f"{res.sequence.evaluation.violations} rule violations, SimPy {len(res.simulation.replications)} "
        f"replications: {mean:.2f} cars/h (95% CI {low:.2f}-{high:.2f}); was {res.old_rate:g}"
    )
    for col in ("rate_source", "rate_confidence"):
        if col not in lines.columns:
            lines[col] = pd.Series([None] * len(lines), dtype=object)
        lines[col] = lines[col].astype(object)
    lines.loc[hit, "rate"] = round(mean, decimals)
    lines.loc[hit, "rate_source"] = note
    lines.loc[hit, "rate_confidence"] = "derived"
    out.tables["lines"] = lines
    return out
