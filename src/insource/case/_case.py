"""The in-memory case: typed tables plus the accessors every module uses.

A :class:`Case` holds one pandas DataFrame per schema table (indexed by the
row number the user sees in the file) and the case metadata. It knows nothing
of solvers; the planner, the demand models and the risk evaluator read it
through the accessors here (horizon, fiscal calendar, time series, demand).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from insource.case._calendar import FiscalCalendar, Span, month_range, parse_month, parse_span
from insource.case._schema import schema
from insource.case._tables import empty_table, finance_values
from insource.case._validate import parse_overrides
from insource.errors import InsourceError

__all__ = ["Case", "row_keys"]


def row_keys(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.Series:
    """The key of each row as text, parts joined by ``:`` (``kyushu-2:kei-ev-2028``)."""
    if frame.empty:
        return pd.Series([], dtype="object", index=frame.index)
    parts = [frame[k].astype("object").where(frame[k].notna(), "") for k in key]
    out = parts[0].astype(str)
    for p in parts[1:]:
        out = out + ":" + p.astype(str)
    return out


class Case:
    """A sourcing problem: products, plants, contracts, partners, demand, money.

    Parameters
    ----------
    tables
        DataFrames by table name; missing tables are empty.
    meta
        ``name``, ``title``, ``description`` (from ``case.toml``).
    locations
        File label of each table (for messages), e.g. ``products.csv``.

    """

    def __init__(
        self,
        tables: Mapping[str, pd.DataFrame],
        meta: Mapping[str, Any] | None = None,
        locations: Mapping[str, str] | None = None,
    ) -> None:
        self.tables: dict[str, pd.DataFrame] = {
            name: tables[name] if name in tables else empty_table(name) for name in schema()
        }
        self.meta: dict[str, Any] = dict(meta or {})
        self.locations: dict[str, str] = {name: f"{name}.csv" for name in schema()}
        self.locations.update(locations or {})

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.tables.items() if len(v))
        return f"Case({self.name!r}: {sizes})"

    @property
    def name(self) -> str:
        """Case name from ``case.toml``."""
        return str(self.meta.get("name", ""))

    @property
    def title(self) -> str:
        """Case title (falls back to the name)."""
        return str(self.meta.get("title") or self.name)

    def copy(self) -> Case:
        """Deep copy (tables and metadata)."""
        return Case(
            {k: v.copy() for k, v in self.tables.items()}, dict(self.meta), dict(self.locations)
        )

    def equals(self, other: Case) -> bool:
        """Same metadata and same tables (values, columns in any order, dtypes)."""
        if self.meta != other.meta:
            return False
        for name, frame in self.tables.items():
            theirs = other.tables[name]
            if set(frame.columns) != set(theirs.columns):
                return False
            cols = list(frame.columns)
            if not frame.reset_index(drop=True).equals(theirs[cols].reset_index(drop=True)):
                return False
        return True

    def with_overrides(self, text: str | None) -> Case:
        """Copy of the case with ``table.row.attribute=value;...`` applied.

        Raises
        ------
        InsourceError
            When a table, row or attribute does not exist.

        """
        if text is None or (isinstance(text, float) and np.isnan(text)) or not str(text).strip():
            return self
        out = self.copy()
        try:
            items = parse_overrides(str(text))
        except ValueError as exc:
            raise InsourceError(
                str(exc), "write overrides as table.row.attribute=value;..."
            ) from exc
        for table, row, attribute, value in items:
            if table not in out.tables:
                raise InsourceError(f"override {table}.{row}.{attribute}: no table {table!r}")
            frame = out.tables[table]
            if table == "finance":
                hit = frame.index[frame["parameter"] == row]
                if len(hit) == 0:
                    frame.loc[frame.index.max() + 1 if len(frame) else 2] = {
                        "parameter": row,
                        "value": value,
                    }
                else:
                    frame.loc[hit, "value"] = value
                continue
            keys = out.keys(table)
            hit = keys.index[keys == row]
            if len(hit) == 0:
                raise InsourceError(
                    f"override {table}.{row}.{attribute}: no row {row!r} in {table}"
                )
            if attribute not in frame.columns:
                raise InsourceError(f"override {table}.{row}.{attribute}: no column {attribute!r}")
            if pd.api.types.is_numeric_dtype(frame[attribute]):
                try:
                    frame.loc[hit, attribute] = float(value)
                except ValueError as exc:
                    raise InsourceError(
                        f"override {table}.{row}.{attribute}={value}: not a number"
                    ) from exc
            else:
                frame.loc[hit, attribute] = value
        return out

    # ---- finance and time -------------------------------------------------

    @property
    def finance(self) -> dict[str, Any]:
        """Typed finance parameters with defaults (``start``/``end`` as months).

        Parsed once and kept until the finance table changes.
        """
        frame = self.tables["finance"]
        key = (id(frame), tuple(frame["parameter"]), tuple(frame["value"]))
        cached = self.__dict__.get("_finance_cache")
        if cached is None or cached[0] != key:
            cached = (key, finance_values(frame))
            self.__dict__["_finance_cache"] = cached
        return dict(cached[1])

    @property
    def calendar(self) -> FiscalCalendar:
        """The fiscal calendar of the case."""
        return FiscalCalendar(int(self.finance["fiscal_year_start"]))

    @property
    def horizon(self) -> pd.PeriodIndex:
        """Every month of the planning horizon."""
        fin = self.finance
        if fin["start"] is None or fin["end"] is None:
            raise ValueError("the case has no horizon: set finance start and end")
        return month_range(fin["start"], fin["end"])

    def span(self, text: str) -> Span:
        """Parse a span with the case's fiscal-year start."""
        return parse_span(text, self.calendar.start_month)

    def month(self, text: str, last: bool = False) -> pd.Period:
        """Parse a month; a year means its first month, or with ``last`` its last."""
        return parse_month(text, self.calendar.start_month, last=last)

    def keys(self, table: str) -> pd.Series:
        """Key text of every row of ``table`` (parts joined by ``:``)."""
        return row_keys(self.tables[table], schema()[table].key)

    # ---- derived views ----------------------------------------------------

    def timeseries(self, table: str, attribute: str) -> pd.DataFrame:
        """Monthly values of a numeric attribute over the horizon, one column per row.

        The static value of each row applies, except over the spans the
        ``series`` table gives for it (later series rows win).

        Returns
        -------
        DataFrame
            Index ``period`` (the horizon), columns the row keys; ``attrs``
            carry ``name`` and ``unit``.

        """
        tab = schema()[table]
        attr = tab.attributes[attribute]
        frame = self.tables[table]
        keys = self.keys(table)
        horizon = self.horizon
        base = pd.to_numeric(frame[attribute], errors="coerce").astype("float64").to_numpy()
        values = np.broadcast_to(base, (len(horizon), len(base))).copy()
        out = pd.DataFrame(values, index=horizon, columns=pd.Index(keys.to_list(), name=table))
        series = self.tables["series"]
        hits = series[(series["table"] == table) & (series["attribute"] == attribute)]
        first, last = horizon[0], horizon[-1]
        for _, row in hits.iterrows():
            if row["id"] not in out.columns or row["period"] is None or pd.isna(row["value"]):
                continue
            start, end = self.span(row["period"]).clip(first, last)
            start, end = max(start, first), min(end, last)
            if start <= end:
                out.loc[start:end, row["id"]] = float(row["value"])
        out.attrs.update(name=f"{table}.{attribute}", unit=attr.unit)
        return out

    def demand(self) -> pd.DataFrame:
        """Scenario demand per month, spread evenly over each span.

        Returns
        -------
        DataFrame
            Tidy: ``scenario, product, region, period, volume`` (units per
            month), restricted to the horizon, scaled by each product's
            ``demand_scale``.

        """
        ds = self.tables["demand_scenarios"].dropna(
            subset=["scenario", "product", "period", "volume"]
        )
        cols = ["scenario", "product", "region", "period", "volume"]
        if ds.empty:
            empty = pd.DataFrame(columns=cols)
            empty.attrs.update(name="demand", unit="units/month")
            return empty
        months, inside = self._span_months(ds["period"])
        out = pd.DataFrame(
            {
                "scenario": np.repeat(ds["scenario"].to_numpy(), inside),
                "product": np.repeat(ds["product"].to_numpy(), inside),
                "region": np.repeat(ds["region"].fillna("").to_numpy(), inside),
                "period": months,
                "volume": np.repeat(
                    ds["volume"].to_numpy(float) / self._span_lengths(ds["period"]), inside
                ),
            }
        )
        keys = ["scenario", "product", "region", "period"]
        out = out.groupby(keys, sort=True)["volume"].sum().reset_index()
        scale = self.tables["products"].set_index("id")["demand_scale"].astype("float64")
        out["volume"] = out["volume"] * out["product"].map(scale).fillna(1.0).to_numpy()
        out.attrs.update(name="demand", unit="units/month")
        return out

    def _span_lengths(self, spans: pd.Series) -> np.ndarray:
        """Months in each span (open ends closed at the horizon)."""
        first, last = self.horizon[0], self.horizon[-1]
        length = {t: len(self.span(t).months(first, last)) for t in spans.unique()}
        return spans.map(length).to_numpy(float)

    def _span_months(self, spans: pd.Series) -> tuple[pd.PeriodIndex, np.ndarray]:
        """The horizon months of every span, concatenated, and how many each has.

        Each distinct span text is parsed once, so long tables stay fast.
        """
        first, last = self.horizon[0], self.horizon[-1]
        ordinals = {}
        for text in spans.unique():
            m = self.span(text).months(first, last)
            ordinals[text] = m[(m >= first) & (m <= last)].asi8
        parts = [ordinals[t] for t in spans]
        counts = np.array([len(p) for p in parts], dtype=int)
        flat = np.concatenate(parts) if parts else np.array([], dtype="int64")
        return pd.PeriodIndex.from_ordinals(flat, freq="M"), counts  # type: ignore[attr-defined]

    def provenance(self, table: str, key: str, attribute: str) -> dict[str, str | None]:
        """Source and confidence of one figure (per-attribute columns win)."""
        frame = self.tables[table]
        hit = frame[self.keys(table) == key]
        out: dict[str, str | None] = {"source": None, "confidence": None}
        if hit.empty:
            return out
        row = hit.iloc[0]
        for what in out:
            for col in (f"{attribute}_{what}", what):
                if col in frame.columns and row[col] is not None and not pd.isna(row[col]):
                    out[what] = str(row[col])
                    break
        return out
