"""The ``insource forecast`` command: a case, or a plain series with ``fit``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from insource._atomic import atomic_path
from insource.cli import app, console, emit_json
from insource.errors import InsourceError

__all__: list[str] = []

_EPILOG = (
    "Examples: [bold]insource forecast nissan-kei-ev --scenarios 10000 --seed 1 --out out/[/] ; "
    "[bold]insource forecast fit sales.csv --model auto --horizon 12 --json[/]"
)


@app.command("forecast", epilog=_EPILOG)
def forecast_command(
    target: Annotated[
        str,
        typer.Argument(
            metavar="CASE|fit",
            help="A built-in case name, a case folder, an .xlsx workbook or a folder of demand "
            "CSVs; or the word fit followed by FILE.csv.",
        ),
    ],
    file: Annotated[
        str | None,
        typer.Argument(
            metavar="[FILE.csv]",
            help="With fit: a CSV with columns period,value (optional price, subsidy for gbass).",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="fit: bass|gbass|ets|arima|theta|snaive|auto; case: bass|gbass (auto = bass). "
            "Default bass."
        ),
    ] = None,
    horizon: Annotated[
        int | None,
        typer.Option(min=1, help="fit: steps to forecast (months for monthly data; default 12)."),
    ] = None,
    end: Annotated[
        str, typer.Option(help="Case: last fiscal year (or month) of the scenarios.")
    ] = "FY2035",
    scenarios: Annotated[int, typer.Option(min=1, help="Number of sampled demand paths.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the paths and the bootstrap.")] = 0,
    level: Annotated[
        int,
        typer.Option(min=1, max=99, help="fit: interval coverage in percent (a case uses 90%)."),
    ] = 80,
    windows: Annotated[int, typer.Option(min=1, help="fit: rolling-origin backtest windows.")] = 3,
    entries: Annotated[
        Path | None,
        typer.Option(help="Case: CSV of rival entries, columns name,entry (entry month YYYY-MM)."),
    ] = None,
    product: Annotated[
        str | None,
        typer.Option(help="Case: product to forecast (default: the first in demand_history)."),
    ] = None,
    beta: Annotated[
        float | None,
        typer.Option(help="Case, gbass: net-price coefficient to hold fixed (e.g. -2)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the result tables and an HTML page. A case folder (with case.toml) "
            "gets only its scenarios and demand_scenarios tables replaced; the rest goes to "
            "FOLDER.forecast/."
        ),
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            help="Write a fan chart (history plus bands) to FILE.html (offline) or FILE.png."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fit demand models, backtest them and sample demand scenarios.

    [bold]forecast CASE[/] fits the product's segment (Bass or generalised Bass)
    and its share with rival entries, samples demand paths to --end and prints
    the low/base/high scenarios the plan reads; CASE is a built-in case, a case
    folder, an .xlsx workbook or a folder of demand CSVs. [bold]forecast fit
    FILE.csv[/] fits a plain series (period,value) with a chosen model, or with
    the one the rolling-origin backtest picks (--model auto).
    """
    if chart is not None:
        from insource.demand._chart import check_chart_path

        check_chart_path(chart)
    if target == "fit":
        if file is None:
            raise InsourceError("forecast fit needs a FILE.csv", "insource forecast fit sales.csv")
        _fit_file(
            Path(file),
            model or "bass",
            horizon,
            scenarios,
            seed,
            level,
            windows,
            out,
            as_json,
            chart,
        )
        return
    if horizon is not None:
        raise InsourceError(
            "--horizon applies to forecast fit", "for a case give the last span with --end FY2035"
        )
    if file is not None:
        raise InsourceError(
            f"unexpected argument {file!r}", "give one case, or use: insource forecast fit FILE.csv"
        )
    _forecast_case(
        target,
        model or "bass",
        end,
        scenarios,
        seed,
        level,
        entries,
        product,
        out,
        as_json,
        beta,
        chart,
    )


# -- fit FILE ---------------------------------------------------------------
def _fit_file(
    path: Path,
    model: str,
    horizon: int | None,
    n: int,
    seed: int,
    level: int,
    windows: int,
    out: Path | None,
    as_json: bool,
    chart: Path | None = None,
) -> None:
    from insource.demand._data import observations_from_frame
    from insource.demand._series import forecast_series

    if not path.is_file():
        raise InsourceError(f"file {str(path)!r} not found", "give a CSV with columns period,value")
    try:
        frame = pd.read_csv(path, dtype={"period": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InsourceError(
            f"{path.name}: not a readable CSV ({exc})",
            "save it as comma-separated text with a header row",
        ) from None
    obs = observations_from_frame(frame, where=path.name)
    drivers = None
    if model == "gbass" and "price" in frame.columns:
        net = pd.to_numeric(frame["price"], errors="coerce").to_numpy(float)
        if "subsidy" in frame.columns:
            net = net - pd.to_numeric(frame["subsidy"], errors="coerce").fillna(0).to_numpy(float)
        if not np.all(np.isfinite(net)) or np.any(net <= 0):
            raise InsourceError(
                f"{path.name}: price (less subsidy) must be positive in every row",
                "fill the price column",
            )
        steps = (obs.t1 - obs.t0).astype(int)
        drivers = np.log(np.repeat(net, steps))
        if obs.t0[0] > 0 or (not obs.is_regular() and np.any(obs.t0[1:] != obs.t1[:-1])):
            raise InsourceError(
                f"{path.name}: gbass needs periods without gaps",
                "fill the gaps or use --model bass",
            )
    res = forecast_series(obs, model, horizon, n, seed, level, windows, drivers, path.stem)
    payload: dict[str, Any] = {
        "file": str(path),
        "model": res.model,
        "level": level,
        "notes": res.notes,
        "parameters": res.parameters.to_dict("records"),
        "backtest": None if res.backtest is None else res.backtest.to_dict("records"),
        "forecast": res.forecast.to_dict("records"),
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        _atomic_csv(res.forecast, out / "forecast.csv")
        _atomic_csv(res.parameters, out / "parameters.csv")
        if res.backtest is not None:
            _atomic_csv(res.backtest, out / "backtest.csv")
        payload["chart"] = str(_file_chart(res, path.stem, out / "fan.html"))
    if chart is not None:
        payload["chart"] = str(_file_chart(res, path.stem, chart))
    if as_json:
        emit_json(_clean(payload))
        return
    console.print(f"[bold]{path.name}[/]: {len(obs)} periods, model [bold]{res.model}[/]")
    for note in res.notes:
        console.print(f"  note: {note}", highlight=False, markup=False)
    if len(res.parameters):
        _print(res.parameters, f"parameters ({level}% intervals)")
    if res.backtest is not None:
        _print(res.backtest, "rolling-origin backtest (lower MASE is better)")
    _print(res.forecast, f"forecast with {level}% interval")
    if out is not None:
        console.print(f"wrote {out}/forecast.csv, parameters.csv, fan.html", highlight=False)
    if chart is not None:
        console.print(f"wrote {chart}", highlight=False)


def _file_chart(res: Any, title: str, path: Path) -> Path:
    from insource.demand._chart import fan_chart, write_chart
    from insource.demand._series import future_labels

    obs = res.obs
    hist = pd.DataFrame(
        {
            "start": [_lab(obs, t) for t in obs.t0],
            "end": [_lab(obs, t1 - 1) for t1 in obs.t1],
            "rate": obs.y / obs.length,
        }
    )
    fut = future_labels(obs, len(res.forecast))
    fc = res.forecast
    fig = fan_chart(
        title,
        hist,
        fut,
        paths=res.paths,
        mean=fc["mean"].to_numpy(),
        lo=fc["lo"].to_numpy(),
        hi=fc["hi"].to_numpy(),
        unit="volume per step",
    )
    return write_chart(fig, path)


def _lab(obs: Any, t: float) -> str:
    if obs.unit == "month" and obs.origin is not None:
        return str(obs.origin + int(t))
    return str(int(t) + 1)


# -- CASE -------------------------------------------------------------------
def _load(case: str) -> tuple[dict[str, pd.DataFrame], int]:
    """Load a case (built-in name, folder or workbook) through the case loader."""
    from insource.case import load_case
    from insource.demand._case import read_case_folder

    path = Path(case)
    if path.is_dir() and not (path / "case.toml").is_file():
        tables, fy = read_case_folder(path)  # a bare folder of demand CSVs
        return tables, fy
    loaded = load_case(case)
    return dict(loaded.tables), int(loaded.calendar.start_month)


def _forecast_case(
    case: str,
    model: str,
    end: str,
    n: int,
    seed: int,
    level: int,
    entries: Path | None,
    product: str | None,
    out: Path | None,
    as_json: bool,
    beta: float | None = None,
    chart: Path | None = None,
) -> None:
    from insource.demand._case import forecast_case, read_entries

    auto_note = ""
    if model == "auto":
        model = "bass"
        auto_note = (
            "auto on a case: the segment history is a few yearly totals, too short to backtest "
            "models against each other; bass used (gbass when prices or subsidies vary: "
            "--model gbass)"
        )
    if model not in ("bass", "gbass"):
        raise InsourceError(
            f"model {model} is not available for a case",
            "the case history is a few yearly totals; use --model bass or gbass (or export a "
            "regular series and use: insource forecast fit FILE.csv --model " + model + ")",
        )
    if n < 1:
        raise InsourceError(f"--scenarios {n} is not positive", "give --scenarios 1 or more")
    tables, fy = _load(case)
    ent = read_entries(entries) if entries is not None else None
    cf = forecast_case(
        tables,
        fy_start=fy,
        product=product,
        model=model,
        end=end,
        n_paths=n,
        seed=seed,
        entries=ent,
        beta=beta,
    )
    params = cf.parameters()
    summary = cf.scenarios.summary(fy)
    products = [i for i in cf.scenarios.items if i != cf.market]
    scen, dem = cf.scenarios.named(fy, items=products, region=cf.region)
    notes = list(cf.notes) + ([cf.share_model.note_] if cf.share_model.note_ else [])
    notes += [auto_note] if auto_note else []
    payload: dict[str, Any] = {
        "case": case,
        "product": cf.product,
        "market": cf.market,
        "model": model,
        "seed": seed,
        "paths": n,
        "notes": notes,
        "parameters": params.to_dict("records"),
        "share_fit": cf.share_obs.to_dict("records"),
        "backtest": None if cf.backtest is None else cf.backtest.to_dict("records"),
        "entries": cf.entries.astype(str).to_dict("records"),
        "summary": summary.to_dict("records"),
        "scenarios": scen.to_dict("records"),
    }
    if out is not None:
        payload["written"] = _write_case_outputs(cf, scen, dem, summary, params, out)
    if chart is not None:
        payload["chart"] = str(_case_chart(cf, chart))
    if as_json:
        emit_json(_clean(payload))
        return
    console.print(
        f"[bold]{case}[/]: {cf.product} in segment {cf.market}, model {model}, "
        f"{n} paths (seed {seed})",
        highlight=False,
    )
    for note in notes:
        console.print(f"  note: {note}", highlight=False, markup=False)
    _print(params, "fitted parameters (p, q per month; 90% bootstrap intervals)")
    _print(cf.share_obs, "share fit (spans reported for both)")
    if cf.backtest is not None:
        _print(cf.backtest, "segment backtest: refit on the spans before each origin")
    _print(summary, f"scenario summary by fiscal year (units): {summary.attrs['description']}")
    if out is not None:
        console.print(f"wrote: {', '.join(payload['written'])}", highlight=False)
    if chart is not None:
        console.print(f"wrote {chart}", highlight=False)


def _write_case_outputs(
    cf: Any,
    scen: pd.DataFrame,
    dem: pd.DataFrame,
    summary: pd.DataFrame,
    params: pd.DataFrame,
    out: Path,
) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    extras = out
    tag = f"insource forecast: {cf.scenarios.n_paths} sampled paths, seed {cf.scenarios.seed}"
    dem = dem.assign(source=tag, confidence="estimate")
    scen = scen.assign(source=tag, confidence="estimate")
    if (out / "case.toml").is_file():
        # a case folder holds only its tables: the rest goes next to it
        extras = out.parent / f"{out.name}.forecast"
        extras.mkdir(parents=True, exist_ok=True)
        old = out / "demand_scenarios.csv"
        if old.is_file():
            prev = pd.read_csv(old, dtype=str, keep_default_na=False)
            ours = set(cf.scenarios.items)
            keep = prev[~prev["product"].isin(ours) & prev["scenario"].isin(scen["id"])]
            dem = pd.concat([keep, dem.astype(str)], ignore_index=True).fillna("")
    for folder, name, df in (
        (out, "scenarios.csv", scen),
        (out, "demand_scenarios.csv", dem),
        (extras, "scenario_summary.csv", summary),
        (extras, "demand_parameters.csv", params),
    ):
        _atomic_csv(df, folder / name)
        written.append(str(folder / name))
    with atomic_path(extras / "demand_paths.parquet") as tmp:
        cf.scenarios.tidy().to_parquet(tmp, index=False)
    written.append(str(extras / "demand_paths.parquet"))
    written.append(str(_case_report(cf, params, summary, extras / "demand.html")))
    return written


def _case_figures(cf: Any) -> tuple[Any, Any]:
    """Fan charts of the segment and of our product line (history + sampled paths)."""
    from insource.demand._chart import fan_chart

    def history(obs: Any) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "start": [str(cf.market_obs.origin + int(a)) for a in obs.t0],
                "end": [str(cf.market_obs.origin + int(b) - 1) for b in obs.t1],
                "rate": obs.y / obs.length,
            }
        )

    months = [str(m) for m in cf.scenarios.months]
    n = cf.scenarios.n_paths
    line = [i for i in cf.scenarios.items if i != cf.market]
    seg_fig = fan_chart(
        f"{cf.market}: history and {n} sampled paths (units per month)",
        history(cf.market_obs),
        months,
        paths=cf.scenarios.paths[:, :, -1],
    )
    line_fig = fan_chart(
        f"{' then '.join(line)}: history and {n} sampled paths (units per month)",
        history(cf.product_obs),
        months,
        paths=cf.scenarios.paths[:, :, : len(line)].sum(axis=2),
    )
    return seg_fig, line_fig


def _case_chart(cf: Any, path: Path) -> Path:
    """Both fan charts stacked in one figure, written as HTML or PNG."""
    from plotly.subplots import make_subplots

    from insource.demand._chart import write_chart

    figs = _case_figures(cf)
    fig = make_subplots(
        rows=2,
        cols=1,
        subplot_titles=[f.layout.title.text for f in figs],
        vertical_spacing=0.12,
    )
    for row, f in enumerate(figs, start=1):
        for trace in f.data:
            if row > 1:
                trace.showlegend = False
            fig.add_trace(trace, row=row, col=1)
    fig.update_yaxes(title_text="units per month")
    fig.update_layout(
        title=f"Demand: {cf.product} in {cf.market} (bands P5-P95, P25-P75 of the paths)",
        template="plotly_white",
        height=900,
    )
    return write_chart(fig, path)


def _case_report(cf: Any, params: pd.DataFrame, summary: pd.DataFrame, path: Path) -> Path:
    """One self-contained page: notes, fits, backtest, fan charts, scenario table."""
    from insource.report import Figure, Paragraph, Section, Table, write_html

    n = cf.scenarios.n_paths
    seg_fig, line_fig = _case_figures(cf)
    notes: list[Any] = [Paragraph(str(x)) for x in cf.notes]
    if cf.share_model.note_:
        notes.append(Paragraph(cf.share_model.note_))
    sections = [
        Section("What the history says", notes),
        Section(
            "Fitted parameters",
            [
                Table(
                    params,
                    "p, q per month; 90% bootstrap intervals; (profile): profile "
                    "likelihood, blank = open",
                ),
                Table(cf.share_obs, "Share of the segment over the spans reported for both"),
            ],
        ),
    ]
    if cf.backtest is not None:
        sections.append(
            Section("Backtest", [Table(cf.backtest, "Refit on the spans before each origin")])
        )
    sections.append(
        Section(
            "Scenarios",
            [
                Figure(
                    seg_fig,
                    "Segment: history as monthly rate over each reported span; bands "
                    "P5-P95 and P25-P75 of the sampled paths",
                ),
                Figure(line_fig, "Our product line"),
                Table(
                    summary,
                    f"Fiscal-year totals (units): {summary.attrs['description']}",
                ),
            ],
        )
    )
    return write_html(
        path,
        f"Demand: {cf.product} in {cf.market}",
        sections,
        subtitle=f"{n} sampled paths, seed {cf.scenarios.seed}",
    )


def _atomic_csv(df: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


# -- output -----------------------------------------------------------------
def _print(df: pd.DataFrame, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for c in df.columns:
        table.add_column(str(c), justify="right" if df[c].dtype.kind in "if" else "left")
    for row in df.itertuples(index=False):
        table.add_row(*[_fmt(v) for v in row])
    console.print(table)


def _fmt(v: object) -> str:
    if isinstance(v, float | np.floating):
        x = float(v)
        if np.isinf(x):
            return "open"
        if not np.isfinite(x):
            return "-"
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4g}"
    return str(v)


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
