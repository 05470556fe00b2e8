"""Plant commands: ``insource plant balance | sequence | simulate`` and the loop.

``insource plant CASE --line LINE`` (a case instead of a subcommand) runs the loop of
:func:`insource.plant.plant_loop`: the group routes an unknown first argument to the
hidden ``line`` subcommand.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from typer._click import Context, HelpFormatter
from typer._click.core import Command
from typer.core import TyperCommand, TyperGroup

from insource.cli import app, console, emit_json, err_console
from insource.errors import InsourceError

__all__ = ["plant_app"]


class _PlantGroup(TyperGroup):
    """``plant SUBCOMMAND ...`` or ``plant CASE --line LINE ...`` (the loop)."""

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        first = args[0] if args else ""
        if first and not first.startswith("-") and self.get_command(ctx, first) is None:
            typo = get_close_matches(first, ["balance", "sequence", "simulate"], n=1, cutoff=0.75)
            if not typo or Path(first).exists():  # a case, not a misspelt subcommand
                return "line", self.get_command(ctx, "line"), args
        return super().resolve_command(ctx, args)


class _LoopCommand(TyperCommand):
    """The hidden ``line`` command, shown as ``insource plant [OPTIONS] CASE``."""

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        path = ctx.parent.command_path if ctx.parent is not None else ctx.command_path
        formatter.write_usage(path, " ".join(self.collect_usage_pieces(ctx)))


plant_app = typer.Typer(
    cls=_PlantGroup,
    help=(
        "Line balancing, mixed-model sequencing and line simulation; "
        "[bold]insource plant CASE --line LINE[/] runs the loop (plan, takt, balance, "
        "sequence a day, simulate, write the line rate back)."
    ),
    no_args_is_help=True,
)
app.add_typer(plant_app, name="plant")

F = TypeVar("F", bound=Callable[..., None])


def _unwrap(doc: str) -> str:
    """Help text from a docstring: each paragraph on one line, so the terminal wraps it."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split("\n")) for p in paragraphs)


def _command(name: str, **kwargs: Any) -> Callable[[F], F]:
    """Register a plant subcommand with its docstring as unwrapped help."""

    def register(fn: F) -> F:
        plant_app.command(name, help=_unwrap(fn.__doc__ or ""), **kwargs)(fn)
        return fn

    return register


JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
SeedOpt = Annotated[int, typer.Option(help="Random seed (same seed, same answer).")]
LimitOpt = Annotated[float, typer.Option("--time-limit", help="Solver time limit in seconds.")]
MixOpt = Annotated[
    str | None,
    typer.Option(help="Model mix for a .csv task table, e.g. 'sakura=0.7,ek=0.3'."),
]


def _parse_mix(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    mix = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep:
            raise InsourceError(
                f"bad mix entry {part!r}", "write name=share, e.g. sakura=0.7,ek=0.3"
            )
        try:
            mix[name.strip()] = float(value)
        except ValueError:
            raise InsourceError(f"bad share {value!r} in the mix", "shares are numbers") from None
    return mix


def _working(what: str, seconds: float, quiet: bool) -> contextlib.AbstractContextManager[object]:
    """A spinner on stderr while a solve runs (nothing with ``--json`` or off a terminal)."""
    if quiet:
        return contextlib.nullcontext()
    return err_console.status(f"{what} (time limit {seconds:g} s)")


@_command("balance")
def balance_command(
    file: Annotated[Path, typer.Argument(help="Task file: Scholl .IN2, .alb, or .csv table.")],
    cycle_time: Annotated[
        float | None, typer.Option("--cycle-time", help="SALBP-1: fewest stations for this cycle.")
    ] = None,
    stations: Annotated[
        int | None,
        typer.Option("--stations", help="SALBP-2: shortest cycle for this many stations."),
    ] = None,
    mix: MixOpt = None,
    model_cycle_time: Annotated[
        float | None, typer.Option(help="Mixed-model: cap every model's load per station.")
    ] = None,
    time_limit: LimitOpt = 10.0,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Balance an assembly line (SALBP-1 or SALBP-2): bounds, branch-bound-and-remember, CP-SAT.

    Example: [bold]insource plant balance MERTENS.IN2 --cycle-time 10 --json[/]
    """
    from insource.plant import balance, read_task_file

    graph = read_task_file(file, _parse_mix(mix))
    if cycle_time is None and stations is None and graph.cycle_time is not None:
        cycle_time = graph.cycle_time
    with _working(f"balancing {graph.name}", time_limit, as_json):
        res = balance(
            graph,
            cycle_time=cycle_time,
            stations=stations,
            time_limit=time_limit,
            seed=seed,
            model_cycle_time=model_cycle_time,
        )
    if as_json:
        emit_json(res.to_dict())
        return
    console.print(
        f"{res.problem} {graph.name}: [bold]{res.status}[/], objective {res.objective:g}, "
        f"bound {res.bound:g}, {res.stations} stations, cycle time {res.cycle_time:g}, "
        f"efficiency {res.efficiency:.1%} ({res.seconds:.2f} s)"
    )
    table = Table("station", "load", "tasks")
    for k in range(1, res.stations + 1):
        tasks = [str(j + 1) for j, s in enumerate(res.assignment) if s == k]
        table.add_row(str(k), f"{res.loads[k - 1]:g}", " ".join(tasks))
    console.print(table)


@_command("sequence")
def sequence_command(
    file: Annotated[Path, typer.Argument(help="CSPLib prob001 file or ROADEF 2005 folder.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csplib or roadef (default: by file type).")
    ] = None,
    instance: Annotated[
        str | None, typer.Option(help="Instance name in a multi-instance CSPLib file.")
    ] = None,
    method: Annotated[str, typer.Option(help="auto, local, tabu or cpsat.")] = "auto",
    soft: Annotated[
        bool, typer.Option("--soft", help="Allow ratio violations (minimise them).")
    ] = False,
    time_limit: LimitOpt = 10.0,
    seed: SeedOpt = 0,
    max_moves: Annotated[
        int | None,
        typer.Option(
            "--max-moves",
            min=1,
            help="Move budget of the local search instead of its clock: the same "
            "sequence under any load (CP-SAT stages still use 20 % of --time-limit).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sequence a day of cars under p/q ratio rules (and ROADEF 2005 paint batches).

    Plain car sequencing (CSPLib) treats the ratio rules as hard: if no sequence meets
    them all the command exits with status 2 and names the violated windows of the
    best sequence found (use --soft to accept it). ROADEF instances are scored with
    the challenge's lexicographic objective.

    Example: [bold]insource plant sequence data.txt --instance 60-01 --json[/]
    """
    from insource.plant import read_sequencing_file, sequence_cars

    inst = read_sequencing_file(file, fmt, instance)
    with _working(f"sequencing {inst.name}", time_limit, as_json):
        res = sequence_cars(
            inst, time_limit=time_limit, seed=seed, method=method, max_moves=max_moves
        )
    ev = res.evaluation
    if not inst.colours and not soft and ev.violations > 0:
        windows = "; ".join(
            f"{o} cars {s + 1}-{s + q}: {nw} > {p}" for o, s, nw, p, q in ev.violated[:5]
        )
        proof = (
            "it is proven that no sequence meets every ratio rule"
            if res.bound >= 1
            else f"no sequence without violations found in {time_limit:g} s (not proven infeasible)"
        )
        raise InsourceError(
            f"{inst.name}: the demand mix cannot be sequenced within the ratio rules: {proof}; "
            f"best sequence has {ev.violations} violations (lower bound {res.bound:g})",
            f"violated windows: {windows}. Rerun with --soft to accept violations, "
            "or change the mix",
        )
    if as_json:
        emit_json(res.to_dict())
        return
    console.print(
        f"{inst.name}: [bold]{res.status}[/] by {res.method}, objective {res.objective} "
        f"(bound {res.bound:g}; HPRC {ev.hprc}, LPRC {ev.lprc}, PCC {ev.pcc}) "
        f"in {res.seconds:.2f} s"
    )
    cars = list(res.car_ids) if res.car_ids else [str(c) for c in res.sequence]
    console.print(" ".join(cars))


@_command("simulate")
def simulate_command(
    file: Annotated[Path, typer.Argument(help="Task file: Scholl .IN2, .alb, or .csv table.")],
    cycle_time: Annotated[
        float, typer.Option("--cycle-time", help="Takt time the line is balanced for.")
    ],
    mix: MixOpt = None,
    buffers: Annotated[int, typer.Option(help="Buffer places between stations.")] = 0,
    mtbf: Annotated[float | None, typer.Option(help="Mean time between failures.")] = None,
    mttr: Annotated[float | None, typer.Option(help="Mean time to repair.")] = None,
    hours: Annotated[float, typer.Option(help="Simulated hours per replication.")] = 8.0,
    replications: Annotated[int, typer.Option(help="Number of replications.")] = 10,
    seconds_per_unit: Annotated[
        float, typer.Option(help="Seconds per time unit of the task times.")
    ] = 1.0,
    time_limit: LimitOpt = 10.0,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Balance the line for a takt time, then simulate it: achievable rate per hour.

    Example: [bold]insource plant simulate MERTENS.IN2 --cycle-time 10 --mtbf 500 --mttr 50[/]
    """
    from insource.plant import achievable_rate, read_task_file

    shares = _parse_mix(mix)
    graph = read_task_file(file)  # achievable_rate weights the task times by the mix
    if (mtbf is None) != (mttr is None):
        raise InsourceError("give both --mtbf and --mttr, or neither", "")
    res = achievable_rate(
        graph,
        shares,
        cycle_time,
        buffers=buffers,
        mtbf=mtbf,
        mttr=mttr,
        hours=hours,
        replications=replications,
        seed=seed,
        time_limit=time_limit,
        seconds_per_unit=seconds_per_unit,
    )
    if as_json:
        emit_json(res.to_dict())
        return
    mean, low, high = res.rate
    console.print(
        f"{graph.name}: {res.balance.stations} stations; achievable rate [bold]{mean:.2f}[/] "
        f"jobs/h (95% CI {low:.2f}-{high:.2f}); nominal {res.nominal_rate:.2f}, "
        f"takt {res.takt_rate:.2f}"
    )
    table = Table("station", "utilisation", "blocked", "availability")
    for row in res.simulation.stations.itertuples():
        table.add_row(
            str(row.station),
            f"{row.utilisation:.1%}",
            f"{row.blocked:.1%}",
            f"{row.availability:.1%}",
        )
    console.print(table)


def _parse_year(text: str | None) -> int | None:
    if not text:
        return None
    digits = text.upper().removeprefix("FY").removeprefix("CY")
    if not digits.isdigit() or len(digits) != 4:
        raise InsourceError(f"bad year {text!r}", "write a fiscal year such as FY2030")
    return int(digits)


@_command("line", hidden=True, cls=_LoopCommand)
def line_command(
    case_spec: Annotated[
        str, typer.Argument(metavar="CASE", help="A built-in case, a case folder or a workbook.")
    ],
    line: Annotated[str, typer.Option("--line", help="Line id (lines.csv) to run the loop for.")],
    option: Annotated[
        str | None,
        typer.Option(
            "--option", help="Option to plan (default: the first insource option onto the line)."
        ),
    ] = None,
    year: Annotated[
        str | None,
        typer.Option(help="Fiscal year to balance for (default: the one with the shortest takt)."),
    ] = None,
    buffers: Annotated[int, typer.Option(help="Buffer places between stations.")] = 0,
    replications: Annotated[int, typer.Option(help="Simulation replications.")] = 5,
    soft: Annotated[
        bool, typer.Option("--soft", help="Simulate even if the day breaks ratio rules.")
    ] = False,
    write: Annotated[
        bool, typer.Option("--write", help="Write the achievable rate into the case (in place).")
    ] = False,
    to: Annotated[
        Path | None, typer.Option("--to", help="Write the updated case to this new path instead.")
    ] = None,
    time_limit: LimitOpt = 10.0,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Plan, take the line's load, balance, sequence a day, simulate: the achievable rate.

    Example: [bold]insource plant my-case --line kyushu-1 --write[/]
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from insource.case import builtin_cases, load_case, resolve_case, save_case
    from insource.plant import plant_loop, with_line_rate

    if write and to is not None:
        raise InsourceError("give --write or --to, not both", "")
    if write and case_spec in builtin_cases() and not Path(case_spec).exists():
        raise InsourceError(
            f"{case_spec!r} is a built-in case and cannot be changed in place",
            f"copy it first: insource new my-case --from {case_spec}; then run "
            f"insource plant my-case --line {line} --write (or use --to PATH)",
        )
    if replications < 1 or buffers < 0:
        raise InsourceError("--replications must be >= 1 and --buffers >= 0", "")
    case = load_case(case_spec)
    steps = ["plan", "balance", "sequence", "simulate"]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
        transient=True,
    ) as bar:
        task = bar.add_task("plant loop", total=len(steps))

        def tick(what: str) -> None:
            done = next((k for k, s in enumerate(steps) if what.startswith(s[:4])), 0)
            bar.update(task, completed=done, description=what)

        res = plant_loop(
            case,
            line,
            option,
            year=_parse_year(year),
            buffers=buffers,
            replications=replications,
            seed=seed,
            balance_time=time_limit,
            sequence_time=time_limit,
            soft=soft,
            progress=tick,
        )
        bar.update(task, completed=len(steps))
    written = None
    if write or to is not None:
        if res.rate[0] <= 0:
            raise InsourceError(
                f"the simulated rate of {line} is 0: nothing written", "check the task list"
            )
        target = resolve_case(case_spec) if write else to
        assert target is not None
        written = str(save_case(with_line_rate(case, res), target, overwrite=write))
    if as_json:
        payload = res.to_dict()
        payload["written"] = written
        emit_json(payload)
        return
    _print_loop(res, written)


def _print_loop(res: object, written: str | None) -> None:
    from insource.plant import LoopResult

    assert isinstance(res, LoopResult)
    ld = res.load
    years = Table("fiscal year", "units", "hours", "takt (s)", title=f"Planned load of {ld.line}")
    for fy, volume, hours, takt in ld.years[["fiscal_year", "volume", "hours", "takt"]].to_numpy():
        mark = " *" if int(fy) == ld.fiscal_year else ""
        years.add_row(
            f"{ld.label[:2]}{int(fy)}{mark}", f"{volume:,.0f}", f"{hours:,.0f}", f"{takt:.2f}"
        )
    console.print(years)
    console.print(f"* {ld.reason}; option {ld.option}")
    mean, low, high = res.rate
    ev = res.sequence.evaluation
    bal = res.balance
    summary = Table("", "value", title=f"Plant loop: {ld.line}, {ld.label}")
    models = ", ".join(f"{k} {v:,.0f}" for k, v in ld.models.items())
    rows = [
        ("planned units", f"{ld.volume:,.0f} ({models})"),
        ("takt", f"{ld.takt:.2f} s ({3600 / ld.takt:.1f} cars/h)"),
        ("stations", f"{bal.stations} ({bal.status}; lower bound {bal.bound:g})"),
        ("balance efficiency", f"{res.efficiency:.1%} (mix-weighted)"),
        ("labour content", f"{res.labour_minutes:.0f} person-min per car (mix-weighted)"),
        (
            "sequencing rules",
            ", ".join(f"{r.name} {r.p}/{r.q}" for r, _, _ in res.rules) or "none needed",
        ),
        ("day sequenced", f"{res.instance.n_cars} cars, {res.sequence.status}"),
        ("sequence violations", str(ev.violations)),
        (
            "buffers / breakdowns",
            f"{res.buffers} / "
            + (
                f"station MTBF {res.breakdowns[0]:g} h, MTTR {res.breakdowns[1]:g} h"
                if res.breakdowns
                else "none in the case"
            ),
        ),
        (
            "simulated rate",
            f"[bold]{mean:.2f}[/] cars/h (95% CI {low:.2f}-{high:.2f}, "
            f"{len(res.simulation.replications)} replications)",
        ),
        ("line rate in the case", f"{res.old_rate:g} cars/h"),
    ]
    for k, v in rows:
        summary.add_row(k, v)
    console.print(summary)
    st = Table("station", "tasks", "mean load (s)", "min-max load (s)", title="Stations")
    for row in res.stations().itertuples():
        st.add_row(
            str(row.station),
            str(row.tasks),
            f"{row.load_s:.1f}",
            f"{row.min_load_s:.1f}-{row.max_load_s:.1f}",
        )
    console.print(st)
    if ev.violated:
        vt = Table("rule", "cars", "with the option", "p/q", title="Violated windows (first 10)")
        for o, s, nw, p, q in ev.violated[:10]:
            vt.add_row(o, f"{s + 1}-{s + q}", str(nw), f"{p}/{q}")
        console.print(vt)
    if written:
        console.print(f"wrote rate {mean:.1f} cars/h for {ld.line} into [bold]{written}[/]")
    else:
        console.print("not written (use --write or --to PATH to write the rate into the case)")
