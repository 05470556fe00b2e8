"""Adoption observations: checked series of volumes over spans of time.

Every model in :mod:`insource.demand` fits *observations*: volumes ``y_i``
reported over intervals ``(t0_i, t1_i]`` of model time. Model time counts
months from an origin month (``unit="month"``) when periods are months or
spans (``2023-05``, ``CY2024``, ``FY2023``, ``2023-07/2023-11``), or plain
steps when periods are integers (``1, 2, 3``: one step each, ``unit="step"``).
A yearly total is one observation over twelve months, so monthly and yearly
data are fitted honestly on the level the data has, never by inventing
monthly values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from insource.case._calendar import SpanError, parse_span
from insource.errors import InsourceError

__all__ = ["Observations", "observations_from_frame", "select_spans"]


@dataclass(frozen=True)
class Observations:
    """Volumes over intervals of model time.

    Attributes
    ----------
    t0, t1
        Start and end of each interval (model time units from ``origin``).
    y
        Volume over the interval.
    labels
        The period text of each row as given.
    origin
        First month of model time (``None`` for integer steps).
    unit
        ``"month"`` or ``"step"``.

    """

    t0: np.ndarray
    t1: np.ndarray
    y: np.ndarray
    labels: tuple[str, ...]
    origin: pd.Period | None
    unit: str

    def __len__(self) -> int:
        return len(self.y)

    @property
    def length(self) -> np.ndarray:
        """Length of each interval."""
        return self.t1 - self.t0

    def is_regular(self) -> bool:
        """Consecutive intervals of equal length (a plain time series)."""
        lengths = self.length
        return bool(
            np.all(lengths == lengths[0]) and np.all(self.t0[1:] == self.t1[:-1]) and len(self) > 0
        )

    def head(self, n: int) -> Observations:
        """Return the first ``n`` observations (training part of a backtest)."""
        return Observations(
            self.t0[:n], self.t1[:n], self.y[:n], self.labels[:n], self.origin, self.unit
        )

    def month(self, t: float) -> pd.Period:
        """Return the month that starts at model time ``t`` (month units only)."""
        if self.origin is None:
            raise ValueError("integer steps have no calendar")
        return self.origin + int(t)


def _bad(what: str, todo: str, where: str) -> InsourceError:
    return InsourceError(f"{where}: {what}", todo)


def observations_from_frame(
    frame: pd.DataFrame,
    period: str = "period",
    value: str = "value",
    *,
    fy_start: int = 4,
    where: str = "series",
    origin: pd.Period | None = None,
) -> Observations:
    """Check a ``period, value`` table and turn it into :class:`Observations`.

    Parameters
    ----------
    frame
        One row per period, sorted by time.
    period, value
        Column names.
    fy_start
        First month of the fiscal year (4: April).
    where
        File or table name for messages.
    origin
        Month at which model time starts (default: the first month of the
        first period).

    Raises
    ------
    InsourceError
        Missing columns or values, negative values, unparsable, open,
        unsorted, duplicated or overlapping periods; each message says what
        to do.

    """
    missing = [c for c in (period, value) if c not in frame.columns]
    if missing:
        raise _bad(
            f"missing column(s) {', '.join(missing)}",
            f"give a comma-separated header row with the columns {period},{value}",
            where,
        )
    if frame.empty:
        raise _bad("no rows", "give one row per period with its volume", where)
    raw = frame[value]
    values = pd.to_numeric(raw, errors="coerce")
    # file line of each row (header = line 1) while the index still counts file rows
    lines = (
        [int(ix) + 2 for ix in frame.index]
        if pd.api.types.is_integer_dtype(frame.index) and frame.index.is_unique
        else list(range(2, len(frame) + 2))
    )
    for line, p in zip(lines, frame[period], strict=True):
        if pd.isna(p) or str(p).strip() == "":
            raise _bad(
                f"row {line}: period is missing",
                "give the month (YYYY-MM) or span (CY2024, FY2024, 2024-01/2024-06) of every row",
                where,
            )
    for i, (r, v) in enumerate(zip(raw, values, strict=True)):
        if pd.isna(v):
            text = "missing" if pd.isna(r) or str(r).strip() == "" else f"not a number ({r!r})"
            raise _bad(
                f"row {lines[i]}: value is {text}",
                "fill in the volume, or drop the row (a gap is allowed: the model fits the "
                "periods that are there)",
                where,
            )
        if v < 0:
            raise _bad(
                f"row {lines[i]}: value {v:g} is negative",
                "volumes count units sold and cannot be negative; correct the row",
                where,
            )
    y = values.to_numpy(dtype=float)
    texts = [str(p).strip() for p in frame[period]]
    if all(t.lstrip("-").isdigit() for t in texts):
        steps = np.array([int(t) for t in texts], dtype=float)
        t0, t1, unit, org = steps - 1.0, steps, "step", None
    else:
        starts, ends = [], []
        for i, t in enumerate(texts):
            try:
                span = parse_span(t, fy_start)
            except SpanError as exc:
                raise _bad(
                    f"row {lines[i]}: {exc}", "write the period as a month or span", where
                ) from None
            if span.start is None or span.end is None:
                raise _bad(
                    f"row {lines[i]}: period {t!r} is open-ended",
                    "history needs closed spans such as 2023-07/2023-11",
                    where,
                )
            starts.append(span.start)
            ends.append(span.end)
        org = origin if origin is not None else min(starts)
        t0 = np.array([(s - org).n for s in starts], dtype=float)
        t1 = np.array([(e - org).n + 1 for e in ends], dtype=float)
        unit = "month"
    for i in range(1, len(t0)):
        if t0[i] == t0[i - 1] and t1[i] == t1[i - 1]:
            raise _bad(
                f"row {lines[i]}: period {texts[i]!r} appears twice",
                "keep one row per period (sum or drop the duplicate)",
                where,
            )
        if t0[i] < t0[i - 1]:
            raise _bad(
                f"row {lines[i]}: period {texts[i]!r} comes before {texts[i - 1]!r}",
                "sort the rows by period",
                where,
            )
        if t0[i] < t1[i - 1]:
            raise _bad(
                f"row {lines[i]}: period {texts[i]!r} overlaps {texts[i - 1]!r}",
                "give non-overlapping periods (a year total and its months cannot both be "
                "fitted; keep one of them)",
                where,
            )
    return Observations(t0, t1, y, tuple(texts), org, unit)


_CONFIDENCE_BONUS = {"reported": 0.02, "derived": 0.01}


def select_spans(frame: pd.DataFrame, period: str = "period", fy_start: int = 4) -> pd.DataFrame:
    """Choose non-overlapping rows that cover the most months; sort by start.

    Case tables mix months, calendar and fiscal years and ranges that
    overlap (a year total and its months, a fiscal and a calendar year).
    Fitting overlapping rows would count units twice, so a set of rows with
    no month in common is chosen that covers the most months (weighted
    interval scheduling); among equal coverage, ``reported`` rows are
    preferred to ``derived`` and those to estimates. Nothing is split or
    invented.
    """
    spans = [parse_span(str(p), fy_start) for p in frame[period]]
    if any(s.start is None or s.end is None for s in spans):
        raise InsourceError(
            "a history period is open-ended", "history needs closed spans such as 2023-07/2023-11"
        )
    start = np.array([s.start.ordinal for s in spans])  # type: ignore[union-attr]
    end = np.array([s.end.ordinal for s in spans])  # type: ignore[union-attr]
    conf = (
        frame["confidence"].fillna("").astype(str).to_numpy()
        if "confidence" in frame.columns
        else np.full(len(frame), "")
    )
    weight = (end - start + 1) + np.array([_CONFIDENCE_BONUS.get(str(c), 0.0) for c in conf])
    order = np.lexsort((start, end))
    best = np.zeros(len(order) + 1)
    take = np.zeros(len(order), dtype=bool)
    prev = np.zeros(len(order), dtype=int)
    ends_sorted = end[order]
    for k, i in enumerate(order):
        prev[k] = int(np.searchsorted(ends_sorted, start[i], side="left"))  # rows ending before
        with_i = weight[i] + best[prev[k]]
        take[k] = with_i > best[k]
        best[k + 1] = max(best[k], with_i)
    chosen = []
    k = len(order)
    while k > 0:
        if take[k - 1]:
            chosen.append(order[k - 1])
            k = prev[k - 1]
        else:
            k -= 1
    chosen.sort(key=lambda i: start[i])
    return frame.iloc[chosen]  # the index keeps the rows' place in the file
