"""Fan charts (history plus scenario bands) as self-contained HTML or PNG.

HTML has plotly inlined (``include_plotlyjs=True``) so the file opens
offline. PNG goes through kaleido, which drives a Chrome or Chromium already
installed on the machine (nothing is downloaded); without one, asking for a
PNG is an error that says so. Files are written through a temporary file and
renamed, so a failed export leaves nothing half-written.
History spans longer than a month are drawn as their average monthly rate
over the span (a flat step), so yearly totals and monthly figures share one
axis without inventing monthly values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from insource._atomic import atomic_path
from insource.errors import InsourceError

__all__ = [
    "CHART_SUFFIXES",
    "check_chart_path",
    "fan_chart",
    "write_chart",
    "write_html",
    "write_png",
]

CHART_SUFFIXES = (".html", ".png")


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
    """Write the figure as one self-contained HTML file (plotly inlined), atomically."""
    p = Path(path)
    with atomic_path(p) as tmp:
        fig.write_html(str(tmp), include_plotlyjs=True, full_html=True)  # type: ignore[attr-defined]
    return p


def write_png(fig: object, path: str | Path, width: int = 1000, height: int = 560) -> Path:
    """Write the figure as a PNG through kaleido and the local Chrome/Chromium, atomically.

    Raises
    ------
    InsourceError
        No Chrome or Chromium on this machine (kaleido does not download one here).

    """
    p = Path(path)
    try:
        with atomic_path(p) as tmp:
            fig.write_image(str(tmp), format="png", width=width, height=height)  # type: ignore[attr-defined]
    except RuntimeError as exc:  # plotly turns kaleido's "no Chrome" into RuntimeError
        text = str(exc).lower()
        if "chrome" not in text and "kaleido" not in text:
            raise
        raise InsourceError(
            f"cannot write {p.name}: PNG export needs kaleido and a local Chrome or Chromium",
            "install chromium (or point BROWSER_PATH at a Chrome binary), or use --chart FILE.html",
        ) from None
    return p


def check_chart_path(path: str | Path) -> Path:
    """Return ``path`` if its suffix is a chart format we write, else a clear error."""
    p = Path(path)
    if p.suffix.lower() not in CHART_SUFFIXES:
        raise InsourceError(
            f"--chart {str(p)!r}: unknown chart format {p.suffix or '(no suffix)'!r}",
            "name the file .html (interactive, offline) or .png (static image)",
        )
    if p.exists() and p.is_dir():
        raise InsourceError(f"--chart {str(p)!r} is a folder", "give a file name such as fan.html")
    return p


def write_chart(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` as HTML or PNG, chosen by the suffix of ``path``."""
    p = check_chart_path(path)
    return write_png(fig, p) if p.suffix.lower() == ".png" else write_html(fig, p)
