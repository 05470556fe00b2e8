"""Checks on user series: every bad input is a clear InsourceError."""

from __future__ import annotations

import pandas as pd
import pytest

from insource.demand import observations_from_frame
from insource.errors import InsourceError


def _frame(periods: list[str], values: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"period": periods, "value": values})


def test_months_years_and_ranges_become_intervals() -> None:
    obs = observations_from_frame(
        _frame(["2022-05", "2022-06/2022-12", "CY2023", "FY2024"], [1, 2, 3, 4])
    )
    assert obs.unit == "month"
    assert list(obs.t0) == [0, 1, 8, 23]
    assert list(obs.t1) == [1, 8, 20, 35]
    assert not obs.is_regular()


def test_integer_steps() -> None:
    obs = observations_from_frame(_frame(["1", "2", "3"], [5, 6, 7]))
    assert obs.unit == "step"
    assert obs.is_regular()


@pytest.mark.parametrize(
    ("periods", "values", "message"),
    [
        (["2023-01", "2023-02"], [1, None], "missing"),
        (["2023-01", "2023-02"], [1, "x"], "not a number"),
        (["2023-01", "2023-02"], [1, -3], "negative"),
        (["2023-02", "2023-01"], [1, 2], "(?i)sort the rows"),
        (["2023-01", "2023-01"], [1, 2], "appears twice"),
        (["CY2023", "2023-06"], [1, 2], "overlaps"),
        (["2023-01", "2023-13"], [1, 2], "month 13"),
        (["2023-01", "FY2028/"], [1, 2], "open-ended"),
    ],
)
def test_bad_series(periods: list[str], values: list[object], message: str) -> None:
    with pytest.raises(InsourceError, match=message) as info:
        observations_from_frame(_frame(periods, values), where="sales.csv")
    assert "sales.csv" in info.value.message
    assert info.value.hint  # says what to do


def test_missing_column() -> None:
    with pytest.raises(InsourceError, match="missing column"):
        observations_from_frame(pd.DataFrame({"month": ["2023-01"], "value": [1]}))


def test_select_spans_maximises_coverage_without_overlap() -> None:
    from insource.demand._data import select_spans

    df = pd.DataFrame(
        {
            "period": [
                "CY2022",
                "FY2022",
                "2022-05/2024-02",
                "2023-01",
                "2023-02/2023-12",
                "CY2023",
                "CY2024",
                "FY2024",
            ],
            "volume": [1, 2, 3, 4, 5, 6, 7, 8],
            "confidence": ["reported"] * 8,
        }
    )
    kept = select_spans(df)
    # CY2022 + (2023 months) + CY2024 cover 36 months; FY rows overlap them
    assert list(kept["period"]) == ["CY2022", "2023-01", "2023-02/2023-12", "CY2024"]
