"""The recommendation's wording when the status quo stays (no solve needed)."""

from __future__ import annotations

import pandas as pd

from insource.plan._plan import _recommend


def _summary(rows: list[tuple[str, float]]) -> pd.DataFrame:
    base = rows[0][1]
    return pd.DataFrame(
        [{"option": o, "status": "optimal", "npv": v, "npv_vs_baseline": v - base} for o, v in rows]
    )


def test_keep_names_a_real_alternative_not_the_baseline_or_a_tie() -> None:
    s = _summary([("buy", 100.0), ("free", 100.0), ("make", 80.0), ("make-cheap", 90.0)])
    text = _recommend(s, {}, "buy")
    assert text.startswith("Keep the status quo (buy)")
    assert "best alternative make-cheap at -10" in text


def test_keep_when_every_alternative_is_the_same_plan() -> None:
    text = _recommend(_summary([("buy", 100.0), ("free", 100.0)]), {}, "buy")
    assert "every other option gives the same NPV" in text
