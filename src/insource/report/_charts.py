"""Decision charts: one function per chart, each from a tidy result table.

Every function takes the table a result object already holds (or a plain
DataFrame with the same columns, built by hand in a notebook) and returns a
:class:`plotly.graph_objects.Figure`. Titles state what the chart shows
(computed from the data; pass ``title=`` to replace them), axes carry units,
options keep one colour across charts (:func:`option_colours`) and the
styling is plain (white template, light grid, no range sliders).

Examples
--------
>>> from insource.report import margin_waterfall
>>> fig = margin_waterfall(result.bridge(), currency="JPY")  # doctest: +SKIP
>>> fig.show()  # doctest: +SKIP

"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BRIDGE_ITEMS",
    "breakeven_chart",
    "breakeven_volume_chart",
    "demand_fan_chart",
    "margin_waterfall",
    "money_scale",
    "npv_distribution_chart",
    "option_colours",
    "source_colours",
    "tornado_chart",
    "utilisation_chart",
    "volume_chart",
]

#: Columns of a unit-margin bridge (``PlanResult.bridge()``) in waterfall order.
BRIDGE_ITEMS = (
    "price",
    "battery",
    "materials",
    "conversion",
    "logistics",
    "fixed",
    "depreciation",
)

# Okabe & Ito (2008) colour-blind safe palette, baseline in slate grey.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")
_BASELINE = "#5b6673"
_OWN = ("#0072B2", "#56B4E9", "#1f4e79", "#7fb8e0")
_PARTNER = ("#E69F00", "#D55E00", "#f3c969", "#a65e00")
_LOST = "#c9cdd3"
_OTHER = ("#9aa3ad", "#b8bfc7", "#7c8792", "#d3d8de", "#5b6673")
_FONT = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans JP, sans-serif"
_AXIS = {
    "gridcolor": "#ebedf0",
    "zerolinecolor": "#c9cdd3",
    "linecolor": "#c9cdd3",
    "ticks": "",
    "automargin": True,
}
# A small template (layout only): plotly's own "plotly_white" carries defaults
# for every trace type and costs a deep copy per figure.
_TEMPLATE = {
    "layout": {
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": list(_PALETTE),
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "hovermode": "closest",
    }
}


def option_colours(options: Iterable[str], baseline: str | None = None) -> dict[str, str]:
    """One colour per option, stable in the order given (baseline in grey).

    Pass the options in the case's order so every chart of a report (and a
    notebook) colours an option the same way.
    """
    out: dict[str, str] = {}
    i = 0
    for name in dict.fromkeys(map(str, pd.unique(pd.Series(list(options), dtype=object)))):
        if name == baseline:
            out[name] = _BASELINE
        else:
            out[name] = _PALETTE[i % len(_PALETTE)]
            i += 1
    return out


def money_scale(values: Iterable[float], currency: str) -> tuple[float, str]:
    """Divisor and axis unit for money: ``(1e9, "bn JPY")`` for billions, and so on."""
    arr = np.asarray(list(values), dtype=float)
    arr = arr[np.isfinite(arr)]
    top = float(np.max(np.abs(arr))) if arr.size else 0.0
    for div, word in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if top >= div:
            return div, f"{word} {currency}"
    return 1.0, currency


def _short(value: float, currency: str = "") -> str:
    """``12.7bn JPY``, ``-240m JPY``, ``184k JPY``: a figure for a title."""
    a = abs(value)
    for div, word in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if a >= div:
            text = f"{value / div:,.1f}{word}" if a < 100 * div else f"{value / div:,.0f}{word}"
            break
    else:
        text = f"{value:,.0f}"
    return f"{text} {currency}".strip()


def _short_num(value: float) -> str:
    return _short(value) if abs(value) >= 1e4 else f"{value:,.4g}"


def _layout(fig: Any, title: str, **axes: Any) -> Any:
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 17}},
        template=_TEMPLATE,
        font={"family": _FONT, "size": 13, "color": "#1d2733"},
        margin={"l": 70, "r": 30, "t": 70, "b": 60},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        hoverlabel={"namelength": -1},
        **axes,
    )
    return fig


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs columns {', '.join(missing)} (has {list(frame.columns)})")


def source_colours(sources: Iterable[str], own: Iterable[str] = ()) -> dict[str, str]:
    """Blues for own sites or lines, oranges for partners, grey for lost sales."""
    mine = set(map(str, own))
    out: dict[str, str] = {}
    i = j = 0
    for s in dict.fromkeys(map(str, pd.unique(pd.Series(list(sources), dtype=object)))):
        if s == "lost":
            out[s] = _LOST
        elif s in mine:
            out[s] = _OWN[i % len(_OWN)]
            i += 1
        else:
            out[s] = _PARTNER[j % len(_PARTNER)]
            j += 1
    return out


# -- unit margin ---------------------------------------------------------------
def margin_waterfall(
    bridge: pd.DataFrame,
    currency: str = "",
    label: str = "source",
    title: str | None = None,
) -> Any:
    r"""Unit-margin waterfall of each row of a bridge, side by side.

    Each row of ``bridge`` (``PlanResult.bridge()``: ``price, battery,
    materials, conversion, logistics, fixed, depreciation, margin`` in
    money/unit) becomes one waterfall from the net price down to the margin:

    .. math:: \text{margin} = \text{price} + \sum_i \text{cost}_i

    with the costs negative. Typically two rows: the contract source and the
    in-house line building the same product.

    Parameters
    ----------
    bridge
        Rows to draw; ``label`` names the column that labels them.
    currency
        Money unit for the axis.
    label
        Column with each row's name (``source`` by default).
    title
        Replaces the computed title.

    """
    _require(bridge, [label, *BRIDGE_ITEMS, "margin"], "margin_waterfall")
    import plotly.graph_objects as go

    items = [i for i in BRIDGE_ITEMS if i == "price" or bridge[i].abs().max() > 0]
    fig = go.Figure()
    colours = _PALETTE
    for k, (_, row) in enumerate(bridge.iterrows()):
        x = [*items, "margin"]
        y = [float(row[i]) for i in items] + [float(row["margin"])]
        fig.add_trace(
            go.Waterfall(
                name=str(row[label]),
                x=x,
                y=y,
                measure=["absolute", *["relative"] * (len(items) - 1), "total"],
                text=[_short(v) for v in y],
                textposition="outside",
                offsetgroup=str(k),
                connector={"line": {"color": "#c9cdd3", "width": 1}},
                increasing={"marker": {"color": colours[k % len(colours)]}},
                decreasing={"marker": {"color": _rgba(colours[k % len(colours)], 0.35)}},
                totals={"marker": {"color": colours[k % len(colours)]}},
                hovertemplate="%{x}: %{y:,.0f} "
                + currency
                + "/unit<extra>%{fullData.name}</extra>",
            )
        )
    if title is None:
        m = dict(zip(bridge[label].astype(str), bridge["margin"].astype(float), strict=True))
        if len(m) >= 2:
            best, worst = max(m, key=m.__getitem__), min(m, key=m.__getitem__)
            title = (
                f"{best} earns {_short(m[best] - m[worst], currency)} more per unit than {worst} "
                f"({_short(m[best])} vs {_short(m[worst])})"
            )
        elif len(m) == 1:
            ((name, value),) = m.items()
            title = f"{name}: unit margin {_short(value, currency)}"
        else:
            title = "Unit margin"
    return _layout(
        fig,
        title,
        yaxis_title=f"{currency}/unit".strip("/"),
        waterfallgroupgap=0.25,
        showlegend=len(bridge) > 1,
    )


# -- volumes -------------------------------------------------------------------
def volume_chart(
    volumes: pd.DataFrame,
    by: str = "site",
    own: Iterable[str] = (),
    time: str = "fiscal_year",
    facet: str | None = "option",
    title: str | None = None,
) -> Any:
    """Units by source over time, stacked (one panel per option when ``facet``).

    Parameters
    ----------
    volumes
        Tidy ``time, by, volume`` rows (``PlanResult.volume_by_site()`` plus an
        ``option`` column when several options are shown).
    by
        Column that names the source (``site`` or ``source``).
    own
        Sources that are our own (drawn in blues; partners in oranges, lost
        sales in grey).
    time
        ``fiscal_year`` (units per year) or ``period`` (units per month).
    facet
        Column with one panel per value; ignored when absent.

    """
    _require(volumes, [time, by, "volume"], "volume_chart")
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    panels = (
        [str(o) for o in pd.unique(volumes[facet])] if facet and facet in volumes.columns else [""]
    )
    fig = make_subplots(
        rows=1,
        cols=len(panels),
        shared_yaxes=True,
        subplot_titles=panels if len(panels) > 1 else None,
        horizontal_spacing=0.04,
    )
    colours = source_colours(volumes[by].astype(str), own)
    order = sorted(colours, key=lambda s: (s == "lost", s not in set(map(str, own)), s))
    named: set[str] = set()
    for c, panel in enumerate(panels, start=1):
        part = volumes if panel == "" else volumes[volumes[facet].astype(str) == panel]
        wide = (
            part.pivot_table(index=time, columns=by, values="volume", aggfunc="sum")
            .fillna(0.0)
            .sort_index()
        )
        x = [f"FY{v}" if time == "fiscal_year" else str(v) for v in wide.index]
        for s in order:
            if s not in wide.columns:
                continue
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=wide[s].to_numpy(),
                    name=s,
                    legendgroup=s,
                    showlegend=s not in named,
                    stackgroup=f"p{c}",
                    mode="lines",
                    line={"width": 0.5, "color": colours[s]},
                    fillcolor=colours[s],
                    hovertemplate="%{x}: %{y:,.0f} units<extra>" + s + "</extra>",
                ),
                row=1,
                col=c,
            )
            named.add(s)
    if title is None:
        title = _volume_title(volumes, by, own, time, facet)
    unit = "units/year" if time == "fiscal_year" else "units/month"
    fig.update_yaxes(title_text=unit, row=1, col=1)
    fig.update_xaxes(tickangle=-45)
    _layout(fig, title)
    fig.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0.0},
        margin={"b": 90},
    )
    return fig


def _volume_title(
    volumes: pd.DataFrame, by: str, own: Iterable[str], time: str, facet: str | None
) -> str:
    mine = set(map(str, own))
    v = volumes.assign(_own=volumes[by].astype(str).isin(mine))
    who = ""
    if facet and facet in v.columns and v["_own"].any():
        panels = v.loc[v["_own"] & (v["volume"] > 0), facet].astype(str)
        if len(panels):
            who = f"Under {panels.iloc[0]}, "
            v = v[v[facet].astype(str) == panels.iloc[0]]
    own_total = float(v.loc[v["_own"], "volume"].sum())
    total = float(v.loc[v[by].astype(str) != "lost", "volume"].sum())
    lost = float(v.loc[v[by].astype(str) == "lost", "volume"].sum())
    if own_total > 0:
        first = v.loc[v["_own"] & (v["volume"] > 0), time].min()
        when = f"FY{first}" if time == "fiscal_year" else str(first)
        text = f"{who}in-house production starts {when}"
        text = text[0].upper() + text[1:]
        if lost > 0:
            text += f"; {lost:,.0f} units of demand go unmet"
        return text
    return f"Every unit is bought from partners ({total:,.0f} units over the horizon)"


# -- receiving plant -------------------------------------------------------------
def utilisation_chart(
    load: pd.DataFrame,
    capacity: pd.DataFrame,
    ours: Iterable[str] = (),
    title: str | None = None,
) -> Any:
    r"""Hours of the receiving line by fiscal year: other models, ours, capacity.

    .. math:: u_{y} = \frac{\sum_m h_{m,y}}{H^{plan}_{y}}

    with :math:`h_{m,y}` the line hours model :math:`m` takes in fiscal year
    :math:`y` (volume / rate) and :math:`H^{plan}_y` the hours of the shifts
    planned. Bars stack the models as a share of the planned hours; the
    dashed line is the capacity at the most shifts allowed.

    Parameters
    ----------
    load
        Tidy ``fiscal_year, model, hours`` (one line).
    capacity
        ``fiscal_year, hours_planned, hours_max`` (``PlanResult.utilisation``
        rows of that line).
    ours
        Models that are the decision (drawn in colour; the others grey).

    """
    _require(load, ["fiscal_year", "model", "hours"], "utilisation_chart load")
    _require(capacity, ["fiscal_year", "hours_planned", "hours_max"], "utilisation_chart capacity")
    import plotly.graph_objects as go

    cap = capacity.groupby("fiscal_year")[["hours_planned", "hours_max"]].sum().sort_index()
    planned = cap["hours_planned"].where(cap["hours_planned"] > 0)
    wide = (
        load.pivot_table(index="fiscal_year", columns="model", values="hours", aggfunc="sum")
        .reindex(cap.index)
        .fillna(0.0)
    )
    mine = [m for m in wide.columns if m in set(map(str, ours))]
    others = [m for m in wide.columns if m not in mine]
    x = [f"FY{y}" for y in cap.index]
    fig = go.Figure()
    for k, m in enumerate(others):
        fig.add_trace(
            go.Bar(
                x=x,
                y=(wide[m] / planned).to_numpy(),
                name=str(m),
                marker_color=_OTHER[k % len(_OTHER)],
                customdata=wide[m].to_numpy(),
                hovertemplate="%{x}: %{y:.0%} of planned hours (%{customdata:,.0f} h)<extra>"
                + str(m)
                + "</extra>",
            )
        )
    for k, m in enumerate(mine):
        fig.add_trace(
            go.Bar(
                x=x,
                y=(wide[m] / planned).to_numpy(),
                name=str(m),
                marker_color=_PALETTE[k % len(_PALETTE)],
                customdata=wide[m].to_numpy(),
                hovertemplate="%{x}: %{y:.0%} of planned hours (%{customdata:,.0f} h)<extra>"
                + str(m)
                + "</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=(cap["hours_max"] / planned).to_numpy(),
            name="capacity at most shifts",
            mode="lines",
            line={"color": "#1d2733", "dash": "dash", "width": 1.5, "shape": "hvh"},
            hovertemplate="%{x}: %{y:.0%} of planned hours<extra>most shifts</extra>",
        )
    )
    total = wide.sum(axis=1) / planned
    if title is None:
        peak = float(total.max()) if total.notna().any() else float("nan")
        if np.isfinite(peak):
            full = total[total >= 0.995]
            if len(full):
                title = (
                    f"The line is full from FY{full.index[0]}: "
                    f"{'the other models and ours ' if mine else 'its models '}"
                    f"take {peak:.0%} of the planned shifts"
                )
            else:
                title = f"The line peaks at {peak:.0%} of its planned shifts (FY{total.idxmax()})"
        else:
            title = "Line utilisation"
    fig.add_hline(y=1.0, line={"color": "#1d2733", "width": 1}, opacity=0.6)
    return _layout(
        fig,
        title,
        barmode="stack",
        yaxis={"title": "share of planned shift hours", "tickformat": ".0%"},
        bargap=0.25,
    )


# -- risk ----------------------------------------------------------------------
def npv_distribution_chart(
    npv: pd.DataFrame,
    currency: str = "",
    colours: Mapping[str, str] | None = None,
    summary: pd.DataFrame | None = None,
    baseline: str | None = None,
    bins: int = 60,
    title: str | None = None,
) -> Any:
    """Distribution of each option's NPV over the samples (densities on shared bins).

    Densities are histograms with ``bins`` equal bins over the pooled range,
    normalised so each curve integrates to 1; a dashed marker shows each
    option's mean. The raw samples are not embedded, so 10,000 samples of
    several options stay a few kilobytes in the page.

    Parameters
    ----------
    npv
        Tidy ``sample, option, npv`` rows.
    summary
        Optional risk summary (``option, mean, prob_beats_baseline``) for the title.

    """
    _require(npv, ["option", "npv"], "npv_distribution_chart")
    import plotly.graph_objects as go

    options = [str(o) for o in pd.unique(npv["option"])]
    colours = dict(colours or option_colours(options, baseline))
    values = npv["npv"].to_numpy(float)
    div, unit = money_scale(values, currency)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    mids = (edges[:-1] + edges[1:]) / 2 / div
    fig = go.Figure()
    means = {}
    by_option = {
        str(k): g.to_numpy(float)
        for k, g in npv.groupby("option", sort=False, observed=True)["npv"]
    }
    for opt in options:
        v = by_option[opt]
        v = v[np.isfinite(v)]
        dens, _ = np.histogram(v, bins=edges, density=True)
        colour = colours.get(opt, _BASELINE)
        means[opt] = float(v.mean()) if v.size else float("nan")
        p5, p95 = (np.quantile(v, [0.05, 0.95]) / div) if v.size else (np.nan, np.nan)
        fig.add_trace(
            go.Scatter(
                x=mids,
                y=dens * div,
                name=opt,
                legendgroup=opt,
                mode="lines",
                line={"color": colour, "width": 2, "shape": "hvh"},
                fill="tozeroy",
                fillcolor=_rgba(colour, 0.18),
                hovertemplate=f"{opt}<br>P5 {p5:,.1f}, mean {means[opt] / div:,.1f}, "
                f"P95 {p95:,.1f} {unit}<extra></extra>",
            )
        )
        fig.add_vline(
            x=means[opt] / div, line={"color": colour, "dash": "dot", "width": 1.5}, opacity=0.9
        )
    if title is None:
        best = max(means, key=lambda k: means[k] if np.isfinite(means[k]) else -np.inf)
        title = f"{best} has the highest expected NPV ({_short(means[best], currency)})"
        if summary is not None and {"option", "prob_beats_baseline"} <= set(summary.columns):
            p = summary.set_index("option")["prob_beats_baseline"].get(best)
            if p is not None and np.isfinite(p) and best != baseline:
                title += f" and beats the status quo in {p:.0%} of samples"
    return _layout(
        fig,
        title,
        xaxis_title=f"NPV ({unit})",
        yaxis={"title": f"probability density (per {unit})", "showticklabels": False},
    )


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def tornado_chart(
    tornado: pd.DataFrame,
    currency: str = "",
    base: float | None = None,
    top: int = 12,
    what: str | None = None,
    title: str | None = None,
) -> Any:
    """One-at-a-time sensitivity: NPV with each input at its low and high value.

    Bars start at the base NPV (all inputs at their base) and end at
    ``npv_low`` (input at ``low``) and ``npv_high`` (input at ``high``); the
    ``top`` inputs with the largest swing :math:`|npv_{high} - npv_{low}|` are
    shown, largest at the top.

    Parameters
    ----------
    tornado
        ``input, label, low, high, npv_low, npv_high, swing`` rows.
    base
        NPV at the base inputs; default ``tornado.attrs["base"]``, else the
        midpoint of the smallest swing.
    what
        Name of the figure that moves (default ``NPV``, or "NPV of A minus NPV
        of B" when ``attrs`` name the ``option`` and ``baseline`` compared).

    """
    _require(tornado, ["input", "npv_low", "npv_high"], "tornado_chart")
    import plotly.graph_objects as go

    if what is None:
        a = tornado.attrs
        what = (
            f"NPV of {a['option']} - {a['baseline']}" if {"option", "baseline"} <= set(a) else "NPV"
        )
    t = tornado.copy()
    if "swing" not in t.columns:
        t["swing"] = (t["npv_high"] - t["npv_low"]).abs()
    if "label" not in t.columns:
        t["label"] = t["input"]
    t["label"] = t["label"].fillna(t["input"]).astype(str)
    t = t.sort_values("swing", ascending=False, kind="stable")
    if len(t):  # inputs that do not move the figure are clutter
        t = t[t["swing"] > 1e-3 * float(t["swing"].iloc[0])] if t["swing"].iloc[0] > 0 else t
    t = t.head(top).iloc[::-1]
    if base is None:
        base = t.attrs.get("base", tornado.attrs.get("base"))
    if base is None:
        small = t.iloc[0] if len(t) else None
        base = float((small["npv_low"] + small["npv_high"]) / 2) if small is not None else 0.0
    base = float(base)
    div, unit = money_scale(
        [*t["npv_low"].to_numpy(float), *t["npv_high"].to_numpy(float), base], currency
    )
    fig = go.Figure()
    for col, name, colour, end in (
        ("npv_low", "input at its low value", "#D55E00", "low"),
        ("npv_high", "input at its high value", "#0072B2", "high"),
    ):
        delta = (t[col].to_numpy(float) - base) / div
        ends = t[end].to_numpy() if end in t.columns else np.full(len(t), np.nan)
        fig.add_trace(
            go.Bar(
                y=t["label"],
                x=delta,
                base=base / div,
                orientation="h",
                name=name,
                marker_color=colour,
                customdata=np.column_stack([ends, t[col].to_numpy(float) / div]),
                hovertemplate="%{y} = %{customdata[0]:,.4g}: "
                + what
                + " %{customdata[1]:,.2f} "
                + unit
                + "<extra></extra>",
            )
        )
    fig.add_vline(x=base / div, line={"color": "#1d2733", "width": 1})
    if title is None and len(t):
        first = t.iloc[-1]
        title = (
            f"{first['label']} moves {what} most: from {_short(float(first['npv_low']), currency)} "
            f"to {_short(float(first['npv_high']), currency)}"
        )
    return _layout(
        fig,
        title or f"What moves {what}",
        barmode="overlay",
        xaxis_title=f"{what} ({unit}); base {base / div:,.2f}",
        yaxis={"automargin": True},
        height=max(320, 60 + 34 * len(t)),
    )


def breakeven_chart(
    breakeven: pd.DataFrame,
    colours: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Any:
    r"""How far each input must move from its base value for an option to break even.

    .. math:: \Delta = \frac{x^* - x_0}{|x_0|}

    with :math:`x_0` the base value and :math:`x^*` the break-even value (the
    option's NPV equals the status quo's). Short bars are fragile decisions.

    Parameters
    ----------
    breakeven
        ``option, input, label, base, breakeven, unit`` rows (rows without a
        finite break-even are left out).

    """
    _require(breakeven, ["option", "input", "base", "breakeven"], "breakeven_chart")
    import plotly.graph_objects as go

    b = breakeven.copy()
    if "label" not in b.columns:
        b["label"] = b["input"]
    if "unit" not in b.columns:
        b["unit"] = ""
    b["label"] = b["label"].fillna(b["input"]).astype(str)
    b = b[np.isfinite(b["breakeven"].astype(float)) & (b["base"].astype(float) != 0)]
    b = b.assign(change=(b["breakeven"] - b["base"]) / b["base"].abs())
    b = b.reindex(b["change"].abs().sort_values(ascending=False, kind="stable").index)
    options = [str(o) for o in pd.unique(b["option"])]
    colours = dict(colours or option_colours(options))
    fig = go.Figure()
    for opt in options:
        part = b[b["option"].astype(str) == opt]
        fig.add_trace(
            go.Bar(
                y=part["label"],
                x=part["change"],
                orientation="h",
                name=opt,
                marker_color=colours.get(opt, _BASELINE),
                customdata=np.column_stack(
                    [part["base"].astype(float), part["breakeven"].astype(float), part["unit"]]
                ),
                hovertemplate="%{y}: from %{customdata[0]:,.4g} to %{customdata[1]:,.4g} "
                "%{customdata[2]} (%{x:+.0%})<extra>" + opt + "</extra>",
            )
        )
    fig.add_vline(x=0, line={"color": "#1d2733", "width": 1})
    if title is None:
        if len(b):
            r = b.iloc[int(np.argmin(b["change"].abs().to_numpy()))]
            title = (
                f"{r['option']} breaks even if {r['label']} moves {float(r['change']):+.0%} "
                f"(from {_short_num(float(r['base']))} to {_short_num(float(r['breakeven']))} "
                f"{r['unit']})"
            ).strip()
        else:
            title = "No input reaches break-even within its range"
    return _layout(
        fig,
        title,
        barmode="group",
        xaxis={"title": "change from the base value needed to break even", "tickformat": "+.0%"},
        showlegend=True,
        yaxis={"automargin": True, "autorange": "reversed"},
        height=max(320, 80 + 30 * len(b)),
    )


def breakeven_volume_chart(
    summary: pd.DataFrame,
    years: float,
    colours: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Any:
    """Planned in-house units a year against the break-even volume, per option.

    Uses the compare summary: ``inhouse_units`` over the horizon of ``years``
    and ``breakeven_units_per_year`` (the volume at which the option's NPV
    equals the status quo's, linear in volume). Options without in-house
    volume are left out.
    """
    _require(summary, ["option", "inhouse_units", "breakeven_units_per_year"], "breakeven chart")
    import plotly.graph_objects as go

    s = summary[(summary["inhouse_units"].fillna(0) > 0)].copy()
    s["planned"] = s["inhouse_units"] / years
    colours = dict(colours or option_colours(s["option"].astype(str)))
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=s["option"],
            y=s["planned"],
            name="planned in-house units/year",
            marker_color=[colours.get(str(o), _BASELINE) for o in s["option"]],
            hovertemplate="%{x}: %{y:,.0f} units/year planned<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=s["option"],
            y=s["breakeven_units_per_year"],
            name="break-even units/year",
            mode="markers",
            marker={
                "symbol": "line-ew-open",
                "size": 44,
                "color": "#1d2733",
                "line": {"width": 3, "color": "#1d2733"},
            },
            hovertemplate="%{x}: breaks even at %{y:,.0f} units/year<extra></extra>",
        )
    )
    if title is None:
        ok = s[np.isfinite(s["breakeven_units_per_year"].astype(float))]
        if len(ok):
            r = ok.assign(
                ratio=ok["breakeven_units_per_year"] / ok["planned"].where(ok["planned"] > 0)
            ).sort_values("ratio")
            top = r.iloc[0]
            title = (
                f"{top['option']} needs {float(top['breakeven_units_per_year']):,.0f} units a year "
                f"to break even; the plan builds {float(top['planned']):,.0f}"
            )
        else:
            title = "No in-house option breaks even at any volume"
    return _layout(fig, title, yaxis_title="units/year", bargap=0.45)


# -- demand --------------------------------------------------------------------
def demand_fan_chart(
    history: pd.DataFrame,
    paths: pd.DataFrame,
    scenarios: pd.DataFrame | None = None,
    unit: str = "units/month",
    title: str | None = None,
) -> Any:
    """Demand history and the fan of sampled paths (and the case's named scenarios).

    Drawn by :func:`insource.demand.fan_chart` (history as the monthly rate
    over each reported span; P5-P95 and P25-P75 bands and the median of the
    paths), restyled for the report.

    Parameters
    ----------
    history
        ``start, end, rate``: first and last month of each reported span and
        its units per month.
    paths
        Tidy ``path, period, volume`` (units per month), e.g. from
        ``ScenarioSet.tidy()`` summed over the product line.
    scenarios
        Optional ``scenario, period, volume`` (units per month) drawn as lines,
        e.g. the low / base / high demand the plan uses.

    """
    _require(history, ["start", "end", "rate"], "demand_fan_chart history")
    _require(paths, ["path", "period", "volume"], "demand_fan_chart paths")
    import plotly.graph_objects as go

    from insource.demand import fan_chart

    wide = paths.pivot_table(index="path", columns="period", values="volume", aggfunc="sum")
    wide = wide.reindex(sorted(wide.columns), axis=1)
    months = [str(c) for c in wide.columns]
    fig: Any = fan_chart("", history, months, paths=wide.to_numpy(float), unit=unit)
    fig.update_traces(selector={"name": "median/mean"}, name="median of the paths")
    fig.update_traces(selector={"name": "history"}, marker={"size": 3}, line={"width": 1.5})
    dash = {"low": "dot", "base": "dash", "high": "dashdot"}
    if scenarios is not None and len(scenarios):
        _require(scenarios, ["scenario", "period", "volume"], "demand_fan_chart scenarios")
        for k, (name, part) in enumerate(scenarios.groupby("scenario", sort=False)):
            p = part.sort_values("period")
            fig.add_trace(
                go.Scatter(
                    x=p["period"].astype(str),
                    y=p["volume"],
                    name=f"case scenario: {name}",
                    mode="lines",
                    line={
                        "color": _OTHER[k % len(_OTHER)] if name != "base" else "#1d2733",
                        "dash": dash.get(str(name), "solid"),
                        "width": 1.5,
                    },
                )
            )
    if title is None:
        title = _demand_title(history, wide, scenarios)
    return _layout(fig, title, yaxis_title=unit, xaxis_title="month")


def _demand_title(history: pd.DataFrame, wide: pd.DataFrame, scenarios: pd.DataFrame | None) -> str:
    """Compare the paths' median with the plan's base scenario over their common months."""
    h = history["rate"].to_numpy(float)
    last = f"last reported {h[-1]:,.0f}/month" if h.size else "no history"
    median = pd.Series(np.median(wide.to_numpy(float), axis=0), index=wide.columns.astype(str))
    if scenarios is not None and len(scenarios):
        names = scenarios["scenario"].astype(str)
        pick = "base" if (names == "base").any() else names.iloc[0]
        base = scenarios[names == pick].groupby(scenarios["period"].astype(str))["volume"].sum()
        common = median.index.intersection(base.index)
        if len(common):
            m, b = float(median[common].mean()), float(base[common].mean())
            return (
                f"The sales history alone projects {m:,.0f}/month; "
                f"the plan's {pick} scenario assumes {b:,.0f}/month"
            )
    return f"Demand: {last}; the sampled paths' median averages {float(median.mean()):,.0f}/month"
