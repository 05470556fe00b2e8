"""The ``risk`` command: spread of outcomes, drivers, break-evens and the value of waiting."""

from __future__ import annotations

import math
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from insource._atomic import write_tables
from insource.case import load_case
from insource.cli import app, console, emit_json, err_console
from insource.errors import InsourceError
from insource.plan import compare
from insource.risk._analyse import RiskResult, analyse
from insource.risk._cluster import dask_client
from insource.risk._sampling import METHODS

__all__: list[str] = []


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [
        {
            str(k): (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in r.items()
        }
        for r in clean.to_dict("records")
    ]


def _money(x: Any) -> str:
    return f"{float(x) + 0.0:,.0f}" if isinstance(x, int | float) and math.isfinite(x) else "-"


def _scaled(x: Any, div: float) -> str:
    if not (isinstance(x, int | float) and math.isfinite(x)):
        return "-"
    return f"{float(x) / div + 0.0:,.1f}" if div > 1 else f"{float(x) + 0.0:,.0f}"


def _num(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, int | float) and math.isfinite(x) else "-"


def _rows(frame: pd.DataFrame, n: int | None = None) -> list[Any]:
    """Rows as objects with attribute access (typed loosely for the tables below)."""
    from types import SimpleNamespace

    part = frame if n is None else frame.head(n)
    return [SimpleNamespace(**{str(k): v for k, v in r.items()}) for r in part.to_dict("records")]


def _show(result: RiskResult, title: str, currency: str) -> None:
    meta = result.meta
    s = result.summary
    # money in millions when the amounts are large (a case in yen), else as it is
    big = float(s[["mean", "p5", "p95"]].abs().max().max()) if len(s) else 0.0
    div = 1e6 if big >= 1e7 else 1.0
    cur = f"m {currency}" if div > 1 else currency
    t = Table(
        "option",
        f"mean ({cur})",
        "P5",
        "P50",
        "P95",
        "P(beats status quo)",
        "expected regret",
        "VaR 5%",
        "CVaR 5%",
        title=f"{title}: NPV over {meta['samples']:,} samples ({meta['method']}, seed {meta['seed']})",
    )
    for r in _rows(s):
        beat = "-" if not math.isfinite(r.prob_beats_baseline) else f"{r.prob_beats_baseline:.1%}"
        t.add_row(
            str(r.option),
            _scaled(r.mean, div),
            _scaled(r.p5, div),
            _scaled(r.p50, div),
            _scaled(r.p95, div),
            beat,
            _scaled(r.expected_regret, div),
            _scaled(r.var_5, div),
            _scaled(r.cvar_5, div),
        )
    console.print(t)
    if not result.tornado.empty:
        tor = result.tornado
        t = Table(
            "input",
            "low",
            "high",
            f"NPV diff at low ({cur})",
            "at high",
            "swing",
            title=f"What drives it: {tor.attrs['measure']} (one at a time, P5/P95)",
        )
        for r in _rows(tor, 8):
            t.add_row(
                str(r.label),
                _num(r.low),
                _num(r.high),
                _scaled(r.npv_low, div),
                _scaled(r.npv_high, div),
                _scaled(r.swing, div),
            )
        console.print(t)
    if not result.sobol.empty:
        t = Table("input", "S1", "ST", title="Share of the variance (Sobol indices)")
        for r in _rows(result.sobol, 8):
            t.add_row(
                str(r.label), f"{r.S1:.3f} ± {r.S1_conf:.3f}", f"{r.ST:.3f} ± {r.ST_conf:.3f}"
            )
        console.print(t)
    be = result.breakeven
    if not be.empty:
        t = Table("option", "input", "case value", "break-even", "unit", title="Break-even values")
        for r in _rows(be):
            value = _num(r.breakeven) if math.isfinite(r.breakeven) else str(r.note)
            t.add_row(str(r.option), str(r.label), _num(r.base), value, str(r.unit))
        console.print(t)
    if result.waiting is not None:
        t = Table("metric", "value", "", title="Value of waiting (two-stage programme)")
        for r in _rows(result.waiting):
            t.add_row(str(r.metric), _money(r.value), str(r.note))
        console.print(t)
    where = f"{meta['workers']} Dask workers" if meta["where"] == "dask" else "this process"
    console.print(f"{meta['seconds']:.1f} s on {where}; baseline {meta['baseline']}")


@app.command("risk")
def risk_command(
    case_spec: Annotated[
        str,
        typer.Argument(
            metavar="CASE", help="A built-in case name, a case folder or an .xlsx workbook."
        ),
    ],
    samples: Annotated[int, typer.Option("--samples", min=1, help="Joint samples.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed: same seed, same results.")] = 0,
    method: Annotated[
        str, typer.Option("--method", help=f"Sampling design: {', '.join(METHODS)}.")
    ] = "lhs",
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address tcp://HOST:PORT (default: here)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Workers of a local Dask cluster.")
    ] = None,
    waiting: Annotated[
        bool, typer.Option("--waiting", help="Also value waiting a year (two-stage programme).")
    ] = False,
    waiting_scenarios: Annotated[
        int,
        typer.Option(
            "--waiting-scenarios",
            min=2,
            help="Scenarios of the two-stage programme; above 300 they are solved in batches, "
            "on the Dask cluster when there is one.",
        ),
    ] = 100,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write the tables to (CSV and Parquet).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """How sure are we: NPV spread per option, drivers, break-evens, value of waiting.

    Example: [bold]insource risk nissan-kei-ev --samples 20000 --out risk/[/]
    """
    if method not in METHODS:
        raise InsourceError(
            f"unknown sampling method {method!r}", f"use one of {', '.join(METHODS)}"
        )
    case = load_case(case_spec)
    with ExitStack() as stack:
        client = None
        if scheduler is not None:
            client = stack.enter_context(dask_client(scheduler, timeout=5.0))
        if as_json:
            comparison = compare(case)
        else:
            with err_console.status("planning the options"):
                comparison = compare(case)
        bar = None
        task = None
        if not as_json:
            bar = stack.enter_context(
                Progress(
                    TextColumn("sampling"),
                    BarColumn(),
                    TextColumn("{task.completed:,}/{task.total:,} samples"),
                    TimeElapsedColumn(),
                    console=err_console,
                    transient=True,
                )
            )
            task = bar.add_task("risk", total=samples)

        def tick(done: int, total: int) -> None:
            if bar is not None and task is not None:
                bar.update(task, completed=done, total=total)

        result = analyse(
            case,
            comparison,
            samples=samples,
            seed=seed,
            method=method,
            scheduler=client,
            workers=workers,
            waiting=waiting,
            progress=tick,
            waiting_scenarios=waiting_scenarios,
        )
    currency = str(case.finance["currency"])
    if out is not None:
        write_tables(out, result.tables())
    if as_json:
        emit_json(
            {
                "case": case.name,
                "currency": currency,
                "meta": result.meta,
                **{
                    name: _records(frame)
                    for name, frame in result.tables().items()
                    if name != "npv"
                },
                "out": str(out) if out else None,
            }
        )
        return
    _show(result, case.title, currency)
    if out is not None:
        console.print(f"tables written to {out}")
