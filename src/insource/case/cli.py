"""Case commands: ``cases``, ``new``, ``validate``, ``show``, ``export``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.panel import Panel
from rich.table import Table

from insource.case._case import Case
from insource.case._io import builtin_cases, load_case, read_case, resolve_case, save_case
from insource.case._views import line_capacity, other_load
from insource.cli import app, console, emit_json
from insource.errors import ProblemsError

__all__: list[str] = []

CaseArg = Annotated[
    str,
    typer.Argument(
        metavar="CASE", help="A built-in case name, a case folder or an .xlsx workbook."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
_BARS = "▁▂▃▄▅▆▇█"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in clean.to_dict("records")]


@app.command("cases")
def cases_command(as_json: JsonOpt = False) -> None:
    """List the built-in cases.

    Example: [bold]insource cases[/]
    """
    rows = []
    for name in builtin_cases():
        path = resolve_case(name)
        meta = tomllib.loads((path / "case.toml").read_text(encoding="utf-8")).get("case", {})
        rows.append({"name": name, "title": str(meta.get("title", name)), "path": str(path)})
    if as_json:
        emit_json(rows)
        return
    table = Table("case", "title", title="Built-in cases")
    for r in rows:
        table.add_row(r["name"], r["title"])
    console.print(table)


@app.command("new")
def new_command(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder to create (must not exist or be empty).")
    ],
    source: Annotated[
        str, typer.Option("--from", help="Case to copy: a built-in name, folder or .xlsx.")
    ] = "nissan-kei-ev",
    as_json: JsonOpt = False,
) -> None:
    """Copy a case into a new folder to edit.

    Example: [bold]insource new my-case --from nissan-kei-ev[/]
    """
    case = load_case(source)
    path = save_case(case, directory)
    if as_json:
        emit_json({"created": str(path), "from": source})
    else:
        console.print(
            f"created [bold]{path}[/] from {source}; edit the CSV files, then run [bold]insource validate {path}[/]"
        )


@app.command("validate")
def validate_command(case_spec: CaseArg, as_json: JsonOpt = False) -> None:
    """Check a case and list every problem with its file, row and column.

    Example: [bold]insource validate my-case/[/]
    """
    case, problems = read_case(case_spec)
    if problems:
        raise ProblemsError(problems, title=f"the case {case_spec!r} is not valid")
    counts = {name: len(frame) for name, frame in case.tables.items() if len(frame)}
    if as_json:
        emit_json({"valid": True, "case": case.name, "rows": counts})
        return
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    console.print(f"[green]valid[/]: {case.title} ({summary})")


@app.command("export")
def export_command(
    case_spec: CaseArg,
    to: Annotated[Path, typer.Option("--to", help="Target: a FILE.xlsx workbook or a folder.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the target if it exists.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a case as an Excel workbook or as a folder of CSV files.

    Example: [bold]insource export nissan-kei-ev --to kei-ev.xlsx[/]
    """
    case = load_case(case_spec)
    path = save_case(case, to, overwrite=force)
    if as_json:
        emit_json({"written": str(path)})
    else:
        console.print(f"wrote [bold]{path}[/]")


# ---- show --------------------------------------------------------------------


def _money(x: float | None, currency: str) -> str:
    if x is None or pd.isna(x):
        return ""
    if abs(x) >= 1e9:
        return f"{x / 1e9:,.1f}bn {currency}"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.2f}m {currency}"
    return f"{x:,.0f} {currency}"


def _sparkline(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    top = max(known) if known else 0.0
    out = []
    for v in values:
        if v is None:
            out.append("·")
        else:
            out.append(
                _BARS[min(len(_BARS) - 1, int(v / top * (len(_BARS) - 1) + 0.5))]
                if top > 0
                else _BARS[0]
            )
    return "".join(out)


def monthly_history(case: Case) -> pd.DataFrame:
    """Reported single-month sales per product, with unknown months as gaps."""
    hist = case.tables["demand_history"].dropna(subset=["product", "period", "volume"])
    rows = []
    for _, r in hist.iterrows():
        span = case.span(r["period"])
        if span.start is not None and span.start == span.end:
            rows.append((r["product"], span.start, float(r["volume"]), r.get("confidence")))
    return pd.DataFrame(rows, columns=["product", "period", "volume", "confidence"])


def _summary(case: Case) -> dict[str, Any]:
    fin = case.finance
    cal = case.calendar
    horizon = case.horizon
    fy = cal.fiscal_year(horizon)
    cap = line_capacity(case)
    load = other_load(case)
    load_fy = pd.DataFrame(columns=["line", "fiscal_year", "volume"])
    if not load.empty:
        load = load.assign(fiscal_year=cal.fiscal_year(pd.PeriodIndex(load["period"])))
        load_fy = load.groupby(["line", "fiscal_year"])["volume"].sum().reset_index()
    demand = case.demand()
    demand_fy = pd.DataFrame(columns=["scenario", "product", "fiscal_year", "volume"])
    if not demand.empty:
        demand = demand.assign(fiscal_year=cal.fiscal_year(pd.PeriodIndex(demand["period"])))
        demand_fy = (
            demand.groupby(["scenario", "product", "fiscal_year"])["volume"].sum().reset_index()
        )
    monthly = monthly_history(case)
    return {
        "case": {k: v for k, v in case.meta.items()},
        "finance": {k: (str(v) if isinstance(v, pd.Period) else v) for k, v in fin.items()},
        "horizon": {
            "start": str(horizon[0]),
            "end": str(horizon[-1]),
            "months": len(horizon),
            "fiscal_years": sorted({int(y) for y in fy}),
        },
        "products": _records(case.products.reset_index(drop=True)),
        "lines": _records(cap),
        "other_load_by_fiscal_year": _records(load_fy),
        "contracts": _records(case.contracts.reset_index(drop=True)),
        "history_monthly": _records(monthly.assign(period=monthly["period"].astype(str))),
        "demand_by_fiscal_year": _records(demand_fy),
        "scenarios": _records(case.scenarios.reset_index(drop=True)),
        "options": _records(case.options.reset_index(drop=True)),
    }


@app.command("show")
def show_command(case_spec: CaseArg, as_json: JsonOpt = False) -> None:
    """Summarise a case: products, plants with capacity and other load, demand, options.

    Example: [bold]insource show nissan-kei-ev[/]
    """
    case = load_case(case_spec)
    data = _summary(case)
    if as_json:
        emit_json(data)
        return
    cur = data["finance"]["currency"]
    cal = case.calendar
    h = data["horizon"]
    fin = data["finance"]
    console.print(
        Panel(
            f"{case.meta.get('description', '')}\n\n"
            f"horizon {h['start']} to {h['end']} ({cal.label(h['fiscal_years'][0])}–{cal.label(h['fiscal_years'][-1])}, {h['months']} months); "
            f"discount rate {fin['discount_rate']:.1%}; tax {fin['tax_rate']:.0%}; currency {cur}",
            title=f"[bold]{case.title}[/]",
        )
    )

    t = Table(title="Products", title_justify="left")
    for col in ("product", "sold", "net revenue", "material", "battery", "buyer subsidy"):
        t.add_column(col, justify="right" if col not in ("product", "sold") else "left")
    for _, p in case.products.iterrows():
        t.add_row(
            p["id"],
            f"{p['launch'] or 'start'} – {p['end'] or 'end'}",
            _money(p["net_revenue"], cur),
            _money(p["material_cost"], cur),
            _money(p["battery_cost"], cur),
            _money(p["subsidy"], cur),
        )
    console.print(t)

    years = h["fiscal_years"]
    load = pd.DataFrame(data["other_load_by_fiscal_year"])
    t = Table(
        title="Plants: capacity (units/yr) and other load by fiscal year", title_justify="left"
    )
    t.add_column("line")
    t.add_column("site (owner)")
    t.add_column("rate/h", justify="right")
    t.add_column("capacity now / max", justify="right")
    shown = years[:: max(1, len(years) // 5)][:6]
    for y in shown:
        t.add_column(f"load {cal.label(y)}", justify="right")
    for r in line_capacity(case).to_dict("records"):
        cells = []
        for y in shown:
            v = (
                0.0
                if load.empty
                else float(
                    load[(load["line"] == r["line"]) & (load["fiscal_year"] == y)]["volume"].sum()
                )
            )
            cells.append(f"{v / 1e3:,.0f}k")
        t.add_row(
            r["line"],
            f"{r['site']} ({r['owner']})",
            f"{r['rate']:g}",
            f"{r['capacity'] / 1e3:,.0f}k / {r['max_capacity'] / 1e3:,.0f}k",
            *cells,
        )
    console.print(t)

    if len(case.contracts):
        t = Table(title="Contracts", title_justify="left")
        for col in (
            "contract",
            "product",
            "partner @ site",
            "unit price",
            "capacity/yr",
            "take-or-pay/yr",
            "notice",
            "exit cost",
        ):
            t.add_column(col)
        for c in case.contracts.to_dict("records"):
            t.add_row(
                c["id"],
                c["product"],
                f"{c['partner']} @ {c['site']}",
                _money(c["unit_price"], cur),
                "" if pd.isna(c["capacity"]) else f"{c['capacity']:,.0f}",
                f"{c['min_volume']:,.0f}",
                f"{c['notice_months']} months",
                _money(c["exit_cost"], cur),
            )
        console.print(t)

    monthly = monthly_history(case)
    if not monthly.empty:
        t = Table(title="Sales history, reported months (· = not reported)", title_justify="left")
        t.add_column("product")
        t.add_column("from")
        t.add_column("monthly sales")
        t.add_column("to")
        t.add_column("peak", justify="right")
        for product, g in monthly.groupby("product"):
            g = g.sort_values("period")
            months = pd.period_range(g["period"].min(), g["period"].max(), freq="M")
            vals = g.groupby("period")["volume"].sum().reindex(months)
            t.add_row(
                str(product),
                str(months[0]),
                _sparkline([None if np.isnan(v) else float(v) for v in vals]),
                str(months[-1]),
                f"{vals.max():,.0f}",
            )
        console.print(t)

    demand = pd.DataFrame(data["demand_by_fiscal_year"])
    if not demand.empty:
        pivot = demand.pivot_table(
            index="fiscal_year", columns=["product", "scenario"], values="volume", aggfunc="sum"
        )
        t = Table(title="Demand scenarios (units per fiscal year)", title_justify="left")
        t.add_column("year")
        for col in pivot.columns:
            t.add_column("\n".join(map(str, col)), justify="right")
        for year, row in pivot.iterrows():
            t.add_row(cal.label(int(str(year))), *[f"{v:,.0f}" for v in row.fillna(0)])
        console.print(t)

    if len(case.options):
        t = Table(title="Options", title_justify="left")
        for col in ("option", "policy", "product", "line", "start", "dual months", "baseline"):
            t.add_column(col)
        for _, o in case.options.iterrows():
            t.add_row(
                o["id"],
                o["policy"],
                o["product"] or "all",
                o["line"] or "",
                o["start"] or "",
                str(o["dual_months"]),
                "yes" if o["baseline"] else "",
            )
        console.print(t)
