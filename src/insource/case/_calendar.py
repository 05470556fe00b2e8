"""Monthly periods, fiscal years and spans of months.

Time in insource is monthly. A *month* is written ``YYYY-MM``. A *span* is a
run of whole months written as one of

* a month, ``2023-05``;
* a calendar year, ``CY2024`` (January to December);
* a fiscal year, ``FY2028`` (twelve months from the fiscal-year start month of
  the calendar year named, so with an April start FY2028 is April 2028 to
  March 2029, the Japanese convention);
* a range ``A/B`` of any two of these (from the first month of ``A`` to the
  last month of ``B``), open at either end (``FY2028/`` runs to the end of the
  horizon, ``/2027-03`` from its start).

Months are :class:`pandas.Period` objects with frequency ``M`` so that whole
ranges are :class:`pandas.PeriodIndex` arrays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = [
    "FiscalCalendar",
    "Span",
    "SpanError",
    "month_range",
    "parse_month",
    "parse_span",
]

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(FY|CY)(\d{4})$", re.IGNORECASE)


class SpanError(ValueError):
    """Text that is not a month or a span; the message says what is accepted."""


@dataclass(frozen=True)
class Span:
    """A run of whole months; ``None`` at an end means open (to the horizon)."""

    start: pd.Period | None
    end: pd.Period | None

    def clip(self, first: pd.Period, last: pd.Period) -> tuple[pd.Period, pd.Period]:
        """Close the open ends at the horizon ``first`` .. ``last``."""
        start = first if self.start is None else self.start
        end = last if self.end is None else self.end
        return start, end

    def months(self, first: pd.Period, last: pd.Period) -> pd.PeriodIndex:
        """The months of the span, open ends closed at the horizon."""
        start, end = self.clip(first, last)
        return month_range(start, end)


def _year_bounds(kind: str, year: int, fy_start: int) -> tuple[pd.Period, pd.Period]:
    first_month = 1 if kind.upper() == "CY" else fy_start
    start = pd.Period(year=year, month=first_month, freq="M")
    return start, start + 11


def _parse_unit(text: str, fy_start: int) -> tuple[pd.Period, pd.Period]:
    s = text.strip()
    m = _MONTH.match(s)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise SpanError(f"{text!r} has month {month}; months run 01 to 12")
        p = pd.Period(year=year, month=month, freq="M")
        return p, p
    y = _YEAR.match(s)
    if y:
        return _year_bounds(y.group(1), int(y.group(2)), fy_start)
    raise SpanError(
        f"{text!r} is not a month or year; write a month as YYYY-MM (2028-04), "
        "a year as FY2028 or CY2028"
    )


def parse_month(text: str, fy_start: int = 4, last: bool = False) -> pd.Period:
    """Parse a month; a year (``FY2028``, ``CY2028``) means its first month.

    With ``last``, a year means its last month (for columns that end something:
    ``end = FY2034`` runs to March 2035).

    Examples
    --------
    >>> parse_month("2028-04")
    Period('2028-04', 'M')
    >>> parse_month("FY2028")
    Period('2028-04', 'M')

    """
    return _parse_unit(text, fy_start)[1 if last else 0]


@lru_cache(maxsize=8192)
def parse_span(text: str, fy_start: int = 4) -> Span:
    """Parse a span of months (see the module docstring for the forms).

    Examples
    --------
    >>> parse_span("FY2028")
    Span(start=Period('2028-04', 'M'), end=Period('2029-03', 'M'))
    >>> parse_span("2023-07/2023-11").end
    Period('2023-11', 'M')
    >>> parse_span("FY2028/").end is None
    True

    """
    s = text.strip()
    if not s:
        raise SpanError("the span is empty; write a month (2028-04), a year (FY2028) or A/B")
    if "/" not in s:
        return Span(*_parse_unit(s, fy_start))
    a, _, b = s.partition("/")
    if "/" in b:
        raise SpanError(f"{text!r} has more than one '/'; write A/B")
    if not a.strip() and not b.strip():
        raise SpanError(f"{text!r} is open at both ends; give at least one end")
    start: pd.Period | None = _parse_unit(a, fy_start)[0] if a.strip() else None
    end: pd.Period | None = _parse_unit(b, fy_start)[1] if b.strip() else None
    if start is not None and end is not None and end < start:
        raise SpanError(f"{text!r} ends before it starts")
    return Span(start, end)


def month_range(start: pd.Period, end: pd.Period) -> pd.PeriodIndex:
    """All months from ``start`` to ``end`` inclusive."""
    return pd.period_range(start, end, freq="M", name="period")


@dataclass(frozen=True)
class FiscalCalendar:
    """Fiscal years starting in ``start_month`` (4 for Japan).

    A fiscal year is named after the calendar year it starts in: with
    ``start_month=4``, FY2028 runs from April 2028 to March 2029.
    """

    start_month: int = 4

    def fiscal_year(self, periods: pd.PeriodIndex | pd.Series) -> np.ndarray:
        """Fiscal year of each month, as integers.

        Examples
        --------
        >>> FiscalCalendar(4).fiscal_year(pd.period_range("2029-02", "2029-05", freq="M"))
        array([2028, 2028, 2029, 2029])

        """
        idx = pd.PeriodIndex(periods)
        years = np.asarray(idx.year)
        months = np.asarray(idx.month)
        return np.where(months >= self.start_month, years, years - 1)

    def label(self, fiscal_year: int) -> str:
        """``FY2028`` style label (``CY2028`` when the year starts in January)."""
        prefix = "CY" if self.start_month == 1 else "FY"
        return f"{prefix}{fiscal_year}"

    def bounds(self, fiscal_year: int) -> tuple[pd.Period, pd.Period]:
        """First and last month of a fiscal year."""
        return _year_bounds("FY", fiscal_year, self.start_month)
