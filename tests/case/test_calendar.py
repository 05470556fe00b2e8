import pandas as pd
import pytest

from insource.case import FiscalCalendar, SpanError, parse_month, parse_span


def P(s: str) -> pd.Period:
    return pd.Period(s, freq="M")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2023-05", "2023-05", "2023-05"),
        ("CY2024", "2024-01", "2024-12"),
        ("FY2028", "2028-04", "2029-03"),
        ("2023-07/2023-11", "2023-07", "2023-11"),
        ("FY2028/FY2029", "2028-04", "2030-03"),
        ("2026-04/FY2027", "2026-04", "2028-03"),
        (" fy2030 ", "2030-04", "2031-03"),
    ],
)
def test_spans_closed(text: str, start: str, end: str) -> None:
    span = parse_span(text, fy_start=4)
    assert (span.start, span.end) == (P(start), P(end))


def test_open_spans_close_at_the_horizon() -> None:
    span = parse_span("FY2028/")
    assert span.start == P("2028-04")
    assert span.end is None
    months = span.months(P("2026-04"), P("2029-06"))
    assert len(months) == 15
    assert parse_span("/2027-03").clip(P("2026-04"), P("2036-03")) == (P("2026-04"), P("2027-03"))


def test_fiscal_year_with_other_start_month() -> None:
    # A fiscal year starting in October: FY2028 = Oct 2028 .. Sep 2029.
    assert parse_span("FY2028", fy_start=10) == parse_span("2028-10/2029-09")
    cal = FiscalCalendar(10)
    assert list(cal.fiscal_year(pd.period_range("2028-09", "2028-10", freq="M"))) == [2027, 2028]
    assert FiscalCalendar(1).label(2030) == "CY2030"
    assert FiscalCalendar(4).bounds(2028) == (P("2028-04"), P("2029-03"))


@pytest.mark.parametrize(
    "bad", ["", "2023-13", "2023/05", "FY28", "2024-03/2024-01", "/", "a/b/c", "May 2023"]
)
def test_bad_spans_say_what_to_write(bad: str) -> None:
    with pytest.raises(SpanError):
        parse_span(bad)


def test_parse_month_takes_first_month_of_a_year() -> None:
    assert parse_month("FY2028") == P("2028-04")
    assert parse_month("CY2028") == P("2028-01")
