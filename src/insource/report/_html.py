"""A self-contained HTML report: text, key figures, tables and plotly charts.

The plotly library is inlined once in the page head, so the file opens from
disk with no network. Figure ids are derived from their position, not random,
so the same inputs give the same file.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from insource._atomic import atomic_path

__all__ = ["Figure", "KeyFigures", "Paragraph", "Section", "Table", "render_html", "write_html"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans JP",sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px 32px 64px;background:#fff}
h1{font-size:1.9em;margin:.2em 0 .1em} h2{margin-top:2em;border-bottom:2px solid #e3e6ea;padding-bottom:.2em}
p.lead{font-size:1.15em;line-height:1.5;background:#eef4fb;border-left:4px solid #2f6db5;padding:12px 16px}
.kf{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.kf>div{flex:1 1 180px;border:1px solid #e3e6ea;border-radius:6px;padding:10px 14px}
.kf .v{font-size:1.5em;font-weight:600} .kf .l{color:#5b6673;font-size:.9em}
table{border-collapse:collapse;margin:12px 0;font-size:.92em;width:100%}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 8px;text-align:left;vertical-align:top} th{background:#f0f2f5}
td.n,th.n{text-align:right;white-space:nowrap} td.long{font-size:.82em;color:#3b4652;min-width:240px}
.tw{overflow-x:auto}
caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}
.note{color:#5b6673;font-size:.9em}
"""


@dataclass
class Paragraph:
    """Plain text (escaped); ``lead`` makes it the highlighted opening paragraph."""

    text: str
    lead: bool = False


@dataclass
class KeyFigures:
    """Big numbers with labels, in a row of boxes."""

    items: list[tuple[str, str]]


@dataclass
class Table:
    """A DataFrame shown as a table; ``formats`` maps a column to a format spec."""

    frame: pd.DataFrame
    caption: str = ""
    formats: dict[str, str] = field(default_factory=dict)


@dataclass
class Figure:
    """A plotly figure."""

    figure: Any
    caption: str = ""


@dataclass
class Section:
    """A titled part of the report."""

    title: str
    blocks: list[Paragraph | KeyFigures | Table | Figure]


def _fmt(value: Any, spec: str | None) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if spec:
        try:
            return format(value, spec)
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    return str(value)


def _table(block: Table) -> str:
    """Numbers right-aligned, text left; long text in a smaller font."""
    frame = block.frame
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in frame.columns
    ]
    num = ' class="n"'
    head = "".join(
        f"<th{num if n else ''}>{html.escape(str(c))}</th>"
        for c, n in zip(frame.columns, numeric, strict=True)
    )
    rows = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for c, v, n in zip(frame.columns, row, numeric, strict=True):
            text = _fmt(v, block.formats.get(str(c)))
            cls = ' class="n"' if n else ' class="long"' if len(text) > 60 else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{html.escape(block.caption)}</caption>" if block.caption else ""
    return (
        f'<div class="tw"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def render_html(title: str, sections: list[Section], subtitle: str = "") -> str:
    """The whole page as one string (plotly inlined once)."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    body = [f"<h1>{html.escape(title)}</h1>"]
    if subtitle:
        body.append(f'<p class="note">{html.escape(subtitle)}</p>')
    n_fig = 0
    for s_i, section in enumerate(sections):
        body.append(f'<h2 id="s{s_i}">{html.escape(section.title)}</h2>')
        for block in section.blocks:
            if isinstance(block, Paragraph):
                cls = ' class="lead"' if block.lead else ""
                body.append(f"<p{cls}>{html.escape(block.text)}</p>")
            elif isinstance(block, KeyFigures):
                boxes = "".join(
                    f'<div><div class="v">{html.escape(v)}</div><div class="l">{html.escape(k)}</div></div>'
                    for k, v in block.items
                )
                body.append(f'<div class="kf">{boxes}</div>')
            elif isinstance(block, Table):
                body.append(_table(block))
            else:
                n_fig += 1
                div = pio.to_html(
                    block.figure,
                    include_plotlyjs=False,
                    full_html=False,
                    div_id=f"figure-{n_fig}",
                    config={"displaylogo": False, "responsive": True},
                )
                cap = f'<p class="note">{html.escape(block.caption)}</p>' if block.caption else ""
                body.append(f'<div class="figure">{div}{cap}</div>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body><main>{''.join(body)}</main></body></html>\n"
    )


def write_html(
    path: str | os.PathLike[str], title: str, sections: list[Section], subtitle: str = ""
) -> Path:
    """Render and write the page atomically; return its path."""
    target = Path(path)
    text = render_html(title, sections, subtitle)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
