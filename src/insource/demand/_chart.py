"""Fan charts (history plus scenario bands) as self-contained HTML.

Plotly is inlined (``include_plotlyjs=True``) so the file opens offline. PNG
is not offered: static export needs kaleido, which is not a dependency.
History spans longer than a month are drawn as their average monthly rate
over the span (a flat step), so yearly totals and monthly figures share one
axis without inventing monthly values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["fan_chart", "write_html"]


def fan_chart(
    title: str,
    history: pd.DataFrame,
    x_future: list[str],
    paths: np.ndarray | None = None,
    mean: np.ndarray | None = None,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
    unit: str = "units per month",
) -> object:
    """Build a plotly figure: history steps, then quantile bands of ``paths``.

    Parameters
    ----------
    title
        Chart title.
    history
        ``start, end, rate`` rows (x labels of the first and last point of each
        span and the volume per x step).
    x_future
        X labels of the forecast steps.
    paths
        Sampled paths ``(n, len(x_future))``: bands P5-P95, P25-P75, median.
    mean, lo, hi
        Alternatively a point forecast with one interval.
    unit
        Y-axis title.

    """
    import plotly.graph_objects as go

    fig = go.Figure()
    hx: list[str | None] = []
    hy: list[float | None] = []
    for _, r in history.iterrows():
        hx += [r["start"], r["end"], None]
        hy += [r["rate"], r["rate"], None]
    fig.add_trace(
        go.Scatter(x=hx, y=hy, mode="lines+markers", name="history", line={"color": "black"})
    )
    bands: list[tuple[np.ndarray, np.ndarray, str]] = []
    centre = mean
    if paths is not None:
        q = np.quantile(paths, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        bands = [(q[0], q[4], "P5-P95"), (q[1], q[3], "P25-P75")]
        centre = q[2]
    elif lo is not None and hi is not None:
        bands = [(lo, hi, "interval")]
    for (a, b, name), alpha in zip(bands, (0.2, 0.35), strict=False):
        fig.add_trace(
            go.Scatter(
                x=x_future, y=b, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x_future,
                y=a,
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=f"rgba(31,119,180,{alpha})",
                name=name,
            )
        )
    if centre is not None:
        fig.add_trace(
            go.Scatter(
                x=x_future,
                y=centre,
                mode="lines",
                name="median/mean",
                line={"color": "rgb(31,119,180)"},
            )
        )
    fig.update_layout(title=title, yaxis_title=unit, template="plotly_white")
    return fig


def write_html(fig: object, path: str | Path) -> Path:
    """Write the figure as one self-contained HTML file (plotly inlined)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(str(p), include_plotlyjs=True, full_html=True)  # type: ignore[attr-defined]
    return p
