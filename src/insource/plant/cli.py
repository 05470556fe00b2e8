"""Plant commands: ``insource plant balance | sequence | simulate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from insource.cli import app, console, emit_json
from insource.errors import InsourceError

__all__ = ["plant_app"]

plant_app = typer.Typer(
    help="Line balancing, mixed-model sequencing and line simulation.",
    no_args_is_help=True,
)
app.add_typer(plant_app, name="plant")

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


@plant_app.command("balance")
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
    """Balance an assembly line (SALBP-1 or SALBP-2) with CP-SAT.

    Example: [bold]insource plant balance MERTENS.IN2 --cycle-time 10 --json[/]
    """
    from insource.plant import balance, read_task_file

    graph = read_task_file(file, _parse_mix(mix))
    if cycle_time is None and stations is None and graph.cycle_time is not None:
        cycle_time = graph.cycle_time
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


@plant_app.command("sequence")
def sequence_command(
    file: Annotated[Path, typer.Argument(help="CSPLib prob001 file or ROADEF 2005 folder.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csplib or roadef (default: by file type).")
    ] = None,
    instance: Annotated[
        str | None, typer.Option(help="Instance name in a multi-instance CSPLib file.")
    ] = None,
    method: Annotated[str, typer.Option(help="auto, cpsat or local.")] = "auto",
    soft: Annotated[
        bool, typer.Option("--soft", help="Allow ratio violations (minimise them).")
    ] = False,
    time_limit: LimitOpt = 10.0,
    seed: SeedOpt = 0,
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
    res = sequence_cars(inst, time_limit=time_limit, seed=seed, method=method)
    ev = res.evaluation
    if not inst.colours and not soft and ev.violations > 0:
        windows = "; ".join(
            f"{o} cars {s + 1}-{s + q}: {nw} > {p}" for o, s, nw, p, q in ev.violated[:5]
        )
        proof = (
            "CP-SAT proved that no sequence meets every ratio rule"
            if res.status in ("infeasible", "optimal")
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


@plant_app.command("simulate")
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
    graph = read_task_file(file, shares)
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
