"""The ``insource report`` command: compare, demand and risk, then the page and the workbook."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from insource.case import Case, load_case
from insource.cli import app, console, err_console
from insource.errors import InsourceError
from insource.plan import Comparison, PlanResult, build_model, compare
from insource.plan.cli import options_table
from insource.report._build import audit_table, build_report, write_report
from insource.report._demand import demand_view
from insource.report._risk import RiskLike
from insource.report._tables import chosen_options

__all__: list[str] = []

_STEPS = ("compare", "demand", "risk", "model size", "report")


def _run_risk(
    case: Case,
    comparison: Comparison,
    samples: int,
    seed: int,
    progress: Callable[..., None] | None,
) -> RiskLike:
    """Sample the case's uncertainty and evaluate every option (``insource.risk.analyse``)."""
    from insource.risk import analyse

    result: RiskLike = analyse(
        case, comparison=comparison, samples=samples, seed=seed, progress=progress
    )
    return result


def _model_size(result: PlanResult) -> dict[str, Any]:
    """Variables and constraints of an option's MILP (the model is rebuilt, not solved)."""
    assert result.data is not None
    m = build_model(result.data)
    return {
        "option": result.option,
        "variables": int(m.nvars),
        "integers": int(m.variables.binaries.nvars + m.variables.integers.nvars),
        "constraints": int(m.ncons),
    }


def _money(x: float) -> str:
    return f"{x:,.0f}" if math.isfinite(x) else "-"


def _print_summary(case: Case, cmp: Comparison, risk: RiskLike | None) -> None:
    cur = case.finance["currency"]
    title = f"{case.title}: options against {cmp.baseline}"
    console.print(options_table(cmp, title, cur, margins=False))
    if risk is not None and len(risk.summary):
        rt = Table(
            "option",
            f"mean NPV ({cur})",
            "P5",
            "P95",
            "P(beats status quo)",
            "expected regret",
            title="NPV over the samples",
            title_justify="left",
        )
        for _, r in risk.summary.iterrows():
            rt.add_row(
                str(r["option"]),
                _money(float(r["mean"])),
                _money(float(r["p5"])),
                _money(float(r["p95"])),
                "-" if not math.isfinite(p := float(r["prob_beats_baseline"])) else f"{p:.0%}",
                _money(float(r["expected_regret"])),
            )
        console.print(rt)
    console.print(cmp.recommendation, highlight=False)


@app.command("report")
def report_command(
    case_spec: Annotated[
        str,
        typer.Argument(
            metavar="CASE", help="A built-in case name, a case folder or an .xlsx workbook."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="The HTML report to write (self-contained).")
    ] = Path("report.html"),
    xlsx: Annotated[
        Path | None,
        typer.Option("--xlsx", help="Also write every result table to this Excel workbook."),
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", help="Monte Carlo samples of the risk analysis.")
    ] = 10_000,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed of the risk and demand samples.")
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="No progress bar and no tables; print the path only.")
    ] = False,
) -> None:
    """Run the whole decision (compare, demand, risk) and write the report.

    Writes one self-contained HTML page (opens offline) with the
    recommendation, key figures, charts, assumptions and an audit, and with
    [bold]--xlsx[/] the workbook of every result table.

    Example: [bold]insource report nissan-kei-ev --out build/report.html --xlsx build/results.xlsx[/]
    """
    if samples < 1:
        raise InsourceError(f"--samples {samples} is not positive", "give --samples 1 or more")
    if out.suffix.lower() not in (".html", ".htm"):
        raise InsourceError(f"--out {out} is not an .html file", "give --out report.html")
    if xlsx is not None and xlsx.suffix.lower() != ".xlsx":
        raise InsourceError(f"--xlsx {xlsx} is not an .xlsx file", "give --xlsx results.xlsx")
    case = load_case(case_spec)
    timings: dict[str, float] = {}
    progress = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=False,
    )
    n_opts = max(len(case.tables["options"]), 1)
    with progress:
        overall = progress.add_task("report", total=len(_STEPS))
        step = progress.add_task("comparing options", total=n_opts)

        seen: list[str] = []

        def tick(name: str) -> None:
            # compare calls back before each option: count the previous one as done
            progress.update(step, description=f"planning {name}"[:28], completed=len(seen))
            seen.append(name)

        t0 = time.perf_counter()
        cmp = compare(case, progress=tick)
        progress.update(step, completed=n_opts, description="options compared")
        timings["compare"] = time.perf_counter() - t0
        progress.advance(overall)

        t0 = time.perf_counter()
        demand = demand_view(case, paths=1000, seed=seed)
        timings["demand"] = time.perf_counter() - t0
        progress.advance(overall)

        t0 = time.perf_counter()
        risk_task = progress.add_task("risk analysis", total=samples)

        def risk_tick(done: int, total: int) -> None:  # analyse's progress(done, total)
            progress.update(risk_task, completed=done, total=total)

        risk = _run_risk(case, cmp, samples, seed, risk_tick)
        progress.update(risk_task, completed=samples)
        timings["risk"] = time.perf_counter() - t0
        progress.advance(overall)

        t0 = time.perf_counter()
        best = chosen_options(cmp)["best"]
        size = _model_size(cmp.results[str(best)])
        timings["model size"] = time.perf_counter() - t0
        progress.advance(overall)

        t0 = time.perf_counter()
        audit = audit_table(case, cmp, seed=seed, samples=samples, model_size=size, risk=risk)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        rep = build_report(case, cmp, risk, demand, audit, generated=stamp)
        written = write_report(rep, out, xlsx)
        timings["report"] = time.perf_counter() - t0
        progress.advance(overall)
    if not quiet:
        _print_summary(case, cmp, risk)
        console.print(
            "time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()), highlight=False
        )
        for p in written[1:]:
            console.print(f"workbook: {p}", highlight=False)
    console.print(f"report: {written[0]}", highlight=False, soft_wrap=True)
