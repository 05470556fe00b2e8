"""Planning commands: ``plan``, ``compare`` and ``import orlib-cap``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from insource._atomic import write_tables
from insource.case import load_case
from insource.cli import app, console, emit_json, err_console
from insource.plan._data import PlanSettings
from insource.plan._orlib import write_orlib_case
from insource.plan._plan import Comparison, compare, plan
from insource.plan._results import PlanResult

__all__: list[str] = []

CaseArg = Annotated[
    str,
    typer.Argument(
        metavar="CASE", help="A built-in case name, a case folder or an .xlsx workbook."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Folder to write the result tables to (CSV and Parquet)."),
]
ScenarioOpt = Annotated[
    str | None,
    typer.Option(
        "--scenario",
        help="Demand scenario to plan against (default: the probability-weighted expected demand).",
    ),
]
TimeOpt = Annotated[float | None, typer.Option("--time-limit", help="Seconds per solve.")]
GapOpt = Annotated[float | None, typer.Option("--gap", help="Relative MIP gap to stop at.")]
LostOpt = Annotated[
    bool, typer.Option("--no-lost-sales", help="Forbid unmet demand (the policy may then fail).")
]

StockOpt = Annotated[
    bool, typer.Option("--stock", help="Allow building ahead into stock (no holding cost).")
]

import_app = typer.Typer(help="Turn files in other formats into cases.", no_args_is_help=True)
app.add_typer(import_app, name="import")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.PeriodDtype):
            out[col] = out[col].astype(str)
    clean = out.astype(object).where(out.notna(), None)
    rows = clean.to_dict("records")
    return [
        {
            str(k): (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in r.items()
        }
        for r in rows
    ]


@contextmanager
def _progress(what: str, quiet: bool) -> Iterator[None]:
    if quiet:
        yield
        return
    with err_console.status(what):
        yield


def _tables(r: PlanResult) -> dict[str, pd.DataFrame]:
    return {
        "volumes": r.volumes,
        "volume_by_site": r.volume_by_site(),
        "money_lines": r.lines,
        "cash_flow": r.cash,
        "pnl": r.pnl(),
        "unit_margin": r.bridge(),
        "utilisation": r.utilisation,
        "capacity_value": r.duals,
        "starts": r.starts,
        "shifts": r.shifts,
        "exits": r.exits,
    }


def _status_text(r: PlanResult) -> str:
    if r.status == "optimal":
        return "optimal" + (f" (within gap {r.gap:.2%})" if r.gap > 1e-9 else "")
    return f"stopped at the limit with gap {r.gap:.2%}: NOT proven optimal"


def _money(x: float) -> str:
    return f"{x:,.0f}" if math.isfinite(x) else "-"


#: Columns of the options table: summary column, header ({cur}: the currency).
_OPTION_COLUMNS = [
    ("npv", "NPV ({cur})"),
    ("npv_vs_baseline", "vs status quo"),
    ("payback_months", "payback (months)"),
    ("inhouse_unit_margin", "unit margin in-house"),
    ("contract_unit_margin", "unit margin contract"),
    ("breakeven_units_per_year", "break-even units/yr"),
]


def options_table(cmp: Comparison, title: str, currency: str, margins: bool = True) -> Table:
    """The options of a comparison as a Rich table (``margins=False`` leaves out unit margins)."""
    cols = [(k, h) for k, h in _OPTION_COLUMNS if margins or "unit_margin" not in k]
    t = Table(
        "option",
        "policy",
        "status",
        *(h.format(cur=currency) for _, h in cols),
        title=title,
        title_justify="left",
    )
    for _, r in cmp.summary.iterrows():
        status_text = str(r["status"])
        if status_text == "feasible":
            status_text = f"gap {r['gap']:.2%}"
        t.add_row(
            str(r["option"]),
            str(r.get("policy", "")),
            status_text,
            *(_money(float(r.get(k, float("nan")))) for k, _ in cols),
        )
    return t


@app.command("plan")
def plan_command(
    case_spec: CaseArg,
    option: Annotated[
        str | None, typer.Option("--option", help="Option to plan (default: free optimisation).")
    ] = None,
    time_limit: TimeOpt = None,
    gap: GapOpt = None,
    out: OutOpt = None,
    scenario: ScenarioOpt = None,
    no_lost_sales: LostOpt = False,
    stock: StockOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Find the sourcing plan with the highest NPV for one option.

    Example: [bold]insource plan nissan-kei-ev --option insource-fy2028 --out results/[/]
    """
    case = load_case(case_spec)
    settings = PlanSettings(scenario=scenario, allow_lost_sales=not no_lost_sales, inventory=stock)
    with _progress(f"planning {option or 'optimise'}", as_json):
        r = plan(case, option, settings, time_limit, gap)
    tables = _tables(r)
    if out is not None:
        write_tables(out, tables)
    cur = case.finance["currency"]
    if as_json:
        emit_json(
            {
                "case": case.name,
                "option": r.option,
                "policy": r.policy,
                "scenario": scenario or "expected",
                "status": r.status,
                "gap": r.gap,
                "npv": r.npv,
                "currency": cur,
                "volume_by_site": _records(tables["volume_by_site"]),
                "pnl": _records(tables["pnl"]),
                "unit_margin": _records(tables["unit_margin"]),
                "utilisation": _records(tables["utilisation"]),
                "capacity_value": _records(tables["capacity_value"]),
                "out": str(out) if out else None,
            }
        )
        return
    console.print(
        f"[bold]{case.title}[/] option [bold]{r.option}[/] ({r.policy}), demand: "
        f"{scenario or 'probability-weighted expected demand'}"
    )
    console.print(f"NPV {_money(r.npv)} {cur}, {_status_text(r)}")
    vol = tables["volume_by_site"]
    if not vol.empty:
        pivot = vol.pivot_table(
            index="fiscal_year", columns=["product", "site"], values="volume", aggfunc="sum"
        ).fillna(0.0)
        t = Table("FY", *[f"{c[0]} @ {c[1]}" for c in pivot.columns], title="Units by fiscal year")
        for fy, row in pivot.iterrows():
            t.add_row(str(fy), *[_money(v) for v in row])
        console.print(t)
    pnl = tables["pnl"].groupby("fiscal_year")[["revenue", "ebitda", "capex", "tax", "cash"]].sum()
    t = Table("FY", *pnl.columns, title=f"P&L and cash ({cur})")
    for fy, row in pnl.iterrows():
        t.add_row(str(fy), *[_money(v) for v in row])
    console.print(t)
    if out is not None:
        console.print(f"tables written to {out}")


@app.command("compare")
def compare_command(
    case_spec: CaseArg,
    time_limit: TimeOpt = None,
    gap: GapOpt = None,
    out: OutOpt = None,
    scenario: ScenarioOpt = None,
    stock: StockOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Plan every option of the case side by side against the status quo.

    Example: [bold]insource compare nissan-kei-ev[/]
    """
    case = load_case(case_spec)
    settings = PlanSettings(scenario=scenario, inventory=stock)
    status = None if as_json else err_console.status("comparing options")

    def tick(name: str) -> None:
        if status is not None:
            status.update(f"planning option {name}")

    if status is not None:
        status.start()
    try:
        cmp: Comparison = compare(case, settings, time_limit, gap, progress=tick)
    finally:
        if status is not None:
            status.stop()
    volumes = pd.concat(
        [r.volume_by_site().assign(option=k) for k, r in cmp.results.items()], ignore_index=True
    )
    if out is not None:
        write_tables(out, {"options": cmp.summary, "volume_by_site": volumes})
    cur = case.finance["currency"]
    if as_json:
        emit_json(
            {
                "case": case.name,
                "baseline": cmp.baseline,
                "scenario": scenario or "expected",
                "currency": cur,
                "options": _records(cmp.summary),
                "volume_by_site": _records(volumes),
                "recommendation": cmp.recommendation,
            }
        )
        return
    console.print(options_table(cmp, f"{case.title}: options against {cmp.baseline}", cur))
    if not volumes.empty:
        pivot = volumes.pivot_table(
            index=["option", "site"], columns="fiscal_year", values="volume", aggfunc="sum"
        ).fillna(0.0)
        v = Table(
            "option", "site", *map(str, pivot.columns), title="Units per site per fiscal year"
        )
        for key, row in pivot.iterrows():
            opt, site = str(key[0]), str(key[1])  # type: ignore[index]
            v.add_row(str(opt), str(site), *[_money(x) for x in row])
        console.print(v)
    console.print(cmp.recommendation, highlight=False)


@import_app.command("orlib-cap")
def import_orlib_command(
    file: Annotated[Path, typer.Argument(help="An OR-Library capNN.txt file.")],
    to: Annotated[Path, typer.Option("--to", help="Folder to write the case to.")],
    capacity: Annotated[
        float | None,
        typer.Option("--capacity", help="Capacity of every facility (capa, capb, capc)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Turn an OR-Library capacitated facility location file into a case.

    Example: [bold]insource import orlib-cap cap41.txt --to cap41/[/] then
    [bold]insource plan cap41/ --no-lost-sales[/]
    """
    path = write_orlib_case(file, to, capacity)
    if as_json:
        emit_json({"created": str(path), "from": str(file)})
    else:
        console.print(
            f"created [bold]{path}[/]; plan it with [bold]insource plan {path} --no-lost-sales[/]"
        )
