"""Property: a corrupted case yields validation problems, never a crash.

Hypothesis takes the valid tiny case and corrupts it at random (cells set to
nasty text, columns dropped or renamed, rows duplicated or cut short). Reading
must return problems (each with a file and something to do) or, when the
corruption happens to be harmless, a case whose accessors all work.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insource.case import read_case
from insource.case._views import line_capacity, other_load
from insource.errors import InsourceError

TINY = Path(__file__).parents[1] / "data" / "tiny"
FILES = {p.name: p.read_text(encoding="utf-8") for p in TINY.iterdir()}

NASTY = [
    "",
    " ",
    "-1",
    "0",
    "1e309",
    "nan",
    "inf",
    "abc",
    "1,000",
    "FY20",
    "2026-13",
    "2026-00",
    "CY2026",
    "2030-01/2020-01",
    "/",
    "0.5;x",
    ";",
    "a:b",
    "x=y",
    "true",
    "maybe",
    "∞",
    "日本",
    "lo",
    "lp",
    "car",
    "c1",
    "base",
    "price",
    "batt",
    "contracts.c1.unit_price=1",
    "products.car.nope=1",
    "-0.5",
    "1.5",
    "999999999999999999999",
    "'",
    '"',
    "\t",
    "x" * 300,
]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    # "\r\n" makes the writer quote cells holding a bare "\r" (with "\n" it does
    # not, and the next corruption round could not read the file back).
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


@st.composite
def corruption(draw: st.DrawFn) -> dict[str, str]:
    files = dict(FILES)
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(n for n in files if n.endswith(".csv"))))
        rows = _rows(files[name])
        kind = draw(
            st.sampled_from(
                [
                    "cell",
                    "cell",
                    "cell",
                    "drop-column",
                    "rename",
                    "dup-row",
                    "short-row",
                    "delete-file",
                ]
            )
        )
        width = len(rows[0])
        if kind == "cell" and len(rows) > 1:
            r = draw(st.integers(1, len(rows) - 1))
            c = draw(st.integers(0, width - 1))
            rows[r] += [""] * (width - len(rows[r]))
            rows[r][c] = draw(st.sampled_from(NASTY) | st.text(max_size=12))
        elif kind == "drop-column":
            c = draw(st.integers(0, width - 1))
            rows = [row[:c] + row[c + 1 :] for row in rows]
        elif kind == "rename":
            c = draw(st.integers(0, width - 1))
            rows[0][c] = draw(st.sampled_from(NASTY))
        elif kind == "dup-row" and len(rows) > 1:
            rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
        elif kind == "short-row" and len(rows) > 1:
            r = draw(st.integers(1, len(rows) - 1))
            rows[r] = rows[r][: draw(st.integers(0, width))]
        elif kind == "delete-file":
            files.pop(name, None)
            continue
        if name in files:
            files[name] = _text(rows)
    return files


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corruption())
def test_corrupted_cases_give_problems_not_crashes(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "case"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        try:
            case, problems = read_case(folder)
        except InsourceError:
            return  # a clean user error is fine too
        for p in problems:
            assert p.file, p
            assert p.what, p
            assert p.todo, p
        if not problems:
            # A case that passes validation must be usable by every accessor.
            assert len(case.horizon) >= 1
            case.demand()
            line_capacity(case)
            other_load(case)
            for table, attribute in [
                ("products", "net_revenue"),
                ("lines", "rate"),
                ("contracts", "unit_price"),
            ]:
                case.timeseries(table, attribute)
