import re

import pandas as pd
import plotly.graph_objects as go

from insource.report import Figure, KeyFigures, Paragraph, Section, Table, render_html, write_html


def _sections() -> list[Section]:
    fig = go.Figure(go.Bar(x=["contract", "insource"], y=[1.5, 2.25]))
    tab = pd.DataFrame({"option": ["contract", "insource <b>"], "npv": [1.5e9, 2.25e9]})
    return [
        Section(
            "Recommendation",
            [Paragraph("Insource & save.", lead=True), KeyFigures([("NPV gain", "0.75bn JPY")])],
        ),
        Section("Options", [Table(tab, "NPV", {"npv": ",.0f"}), Figure(fig, "NPV by option")]),
    ]


def test_page_is_self_contained_and_escaped() -> None:
    page = render_html("Decision <report>", _sections())
    assert "Decision &lt;report&gt;" in page
    assert "insource &lt;b&gt;" in page
    assert "2,250,000,000" in page
    # plotly inlined once, no external script or stylesheet
    assert page.count("<script>") >= 2
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"http", page)
    assert 'id="figure-1"' in page


def test_same_input_same_file(tmp_path) -> None:
    a = write_html(tmp_path / "a.html", "R", _sections()).read_text(encoding="utf-8")
    b = write_html(tmp_path / "b.html", "R", _sections()).read_text(encoding="utf-8")
    assert a == b


def test_written_files_are_readable_by_others(tmp_path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = write_html(tmp_path / "a.html", "R", _sections())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
