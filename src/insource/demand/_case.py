"""Apply the demand models to a case: segment diffusion, product share, scenarios.

Reads the case tables as DataFrames with the schema's columns
(``demand_history``, ``market_history``, ``products``, ``markets``, ``series``)
and

1. fits a diffusion model (Bass or generalised Bass) to the product's segment
   (``products.market``) on the spans the segment history has;
2. fits the product's share of the segment with rival entries as dated events
   (rows of ``markets`` of kind ``product`` under the segment enter with their
   first reported month; more entries can be passed in);
3. samples paths of segment x share to the end of the horizon and names low /
   base / high fiscal-year scenarios for ``scenarios`` / ``demand_scenarios``.

History rows are used on the level they are reported. A span that lies inside
a longer reported span (the months of a reported year) is dropped, and of two
partly overlapping spans (a fiscal and a calendar year) the later one is
dropped; every dropped row is listed in :attr:`CaseForecast.notes`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from insource.case._calendar import Span, SpanError, parse_month, parse_span
from insource.demand._bass import BassModel
from insource.demand._data import Observations, observations_from_frame, select_spans
from insource.demand._gbass import GeneralizedBassModel
from insource.demand._scenarios import ScenarioSet
from insource.demand._share import ShareModel
from insource.errors import InsourceError

__all__ = ["CaseForecast", "forecast_case", "net_price_path", "read_case_folder", "read_entries"]

TABLES = ("demand_history", "market_history", "products", "markets", "series", "finance")


@dataclass
class CaseForecast:
    """Everything the demand step learnt about one product of a case."""

    product: str
    market: str
    fy_start: int
    market_obs: Observations
    market_model: BassModel | GeneralizedBassModel
    share_model: ShareModel
    share_obs: pd.DataFrame
    entries: pd.DataFrame
    scenarios: ScenarioSet
    notes: list[str] = field(default_factory=list)
    region: str = ""
    product_obs: Observations | None = None
    backtest: pd.DataFrame | None = None

    def parameters(self) -> pd.DataFrame:
        """Return the fitted parameters with intervals as a tidy table."""
        rows = []
        for k, v in self.market_model.params_.items():
            lo, hi = self.market_model.intervals_[k]
            rows.append({"model": "segment", "parameter": k, "estimate": v, "lo": lo, "hi": hi})
        if isinstance(self.market_model, BassModel):
            for k, v in self.market_model.params_.items():
                lo, hi = self.market_model.profile_interval(param=k)
                rows.append(
                    {
                        "model": "segment",
                        "parameter": f"{k} (profile)",
                        "estimate": v,
                        "lo": lo,
                        "hi": hi,
                    }
                )
        for k, v in self.share_model.params_.items():
            lo, hi = self.share_model.intervals_[k]
            rows.append({"model": "share", "parameter": k, "estimate": v, "lo": lo, "hi": hi})
        out = pd.DataFrame(rows)
        out.attrs["name"] = "Fitted demand parameters (p, q per month)"
        return out


def read_case_folder(folder: str | Path) -> tuple[dict[str, pd.DataFrame], int]:
    """Read the demand-related CSV tables of a case folder and its fiscal-year start.

    A stand-in for the case loader: only the tables the demand step reads, as
    text (``region`` blank stays blank).
    """
    path = Path(folder)
    if not path.is_dir():
        raise InsourceError(
            f"case {str(folder)!r} not found",
            "give a built-in case name (insource cases) or a case folder with CSV tables",
        )
    tables = {}
    for name in TABLES:
        f = path / f"{name}.csv"
        if f.is_file():
            tables[name] = pd.read_csv(f, dtype=str, keep_default_na=False)
    fy_start = 4
    if "finance" in tables:
        fin = tables["finance"]
        hit = fin.loc[fin["parameter"] == "fiscal_year_start", "value"]
        if len(hit):
            fy_start = int(hit.iloc[0])
    elif (path / "case.toml").is_file():
        meta = tomllib.loads((path / "case.toml").read_text(encoding="utf-8"))
        fy_start = int(meta.get("fiscal_year_start", fy_start))
    return tables, fy_start


def read_entries(path: str | Path) -> pd.DataFrame:
    """Read rival entries ``name, entry`` (month) from a CSV file."""
    p = Path(path)
    if not p.is_file():
        raise InsourceError(f"entries file {str(path)!r} not found", "give a CSV with name,entry")
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    if not {"name", "entry"} <= set(df.columns):
        raise InsourceError(f"{p.name}: needs columns name,entry", "add a header row name,entry")
    return df


def _clean_history(
    df: pd.DataFrame, where: str, fy_start: int, notes: list[str]
) -> tuple[pd.DataFrame, str]:
    """National rows (blank region, or the only region there is), non-overlapping."""
    region = ""
    if "region" in df.columns:
        regions = df["region"].fillna("").astype(str).str.strip()
        if (regions == "").any():
            df = df[regions == ""]
        elif regions.nunique() == 1:
            region = str(regions.iloc[0])
        else:
            raise InsourceError(
                f"{where}: rows for several regions ({', '.join(sorted(set(regions)))}) and no "
                "national rows",
                "add rows with a blank region for the national total",
            )
    periods = df["period"].astype(str).str.strip()
    dup = periods[periods.duplicated(keep=False)]
    if len(dup):
        raise InsourceError(
            f"{where}: period {dup.iloc[0]} appears {int((dup == dup.iloc[0]).sum())} times",
            "keep one row per period (sum or correct the duplicates)",
        )
    kept = select_spans(df, "period", fy_start)
    dropped = len(df) - len(kept)
    if dropped:
        notes.append(
            f"{where}: {len(kept)} non-overlapping row(s) fitted, {dropped} overlapping row(s) "
            "not fitted (they would count the same units twice)"
        )
    return kept, region


def _closed(span: Span) -> tuple[int, int]:
    """Return the first and last month of a closed span as ordinals."""
    if span.start is None or span.end is None:
        raise InsourceError("a history period is open-ended", "give closed spans")
    return int(span.start.ordinal), int(span.end.ordinal)


def _tile(
    prod: pd.DataFrame, seg: pd.DataFrame, fy_start: int
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sum product rows that exactly tile a segment span (months of a year)."""
    bounds = [_closed(parse_span(str(p), fy_start)) for p in prod["period"]]
    vols = prod["volume"].astype(float).to_numpy()
    labels, pv, sv = [], [], []
    for label, vol in zip(seg["period"], seg["volume"].astype(float), strict=True):
        a, b = _closed(parse_span(str(label), fy_start))
        inside = [i for i, (s0, s1) in enumerate(bounds) if a <= s0 and s1 <= b]
        months = sum(bounds[i][1] - bounds[i][0] + 1 for i in inside)
        if inside and months == b - a + 1:
            labels.append(str(label))
            pv.append(float(vols[inside].sum()))
            sv.append(float(vol))
    return labels, np.array(pv), np.array(sv)


def net_price_path(
    tables: Mapping[str, pd.DataFrame], product: str, months: pd.PeriodIndex, fy_start: int = 4
) -> np.ndarray:
    """Return ``ln(list_price - subsidy)`` of a product for each month.

    Starts from ``products.list_price`` and ``products.subsidy`` and applies
    the ``series`` rows of the product over their spans (open ends run to
    the horizon).
    """
    prod = tables["products"].set_index("id").loc[product]

    def value(attr: str, default: float) -> np.ndarray:
        raw = prod.get(attr, None)
        text = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw)
        base = float(text) if text.strip() else default
        out = np.full(len(months), base)
        ser = tables.get("series")
        if ser is not None and len(ser):
            rows = ser[(ser["table"] == "products") & (ser["id"] == product)]
            for _, r in rows[rows["attribute"] == attr].iterrows():
                a, b = parse_span(str(r["period"]), fy_start).clip(months[0], months[-1])
                mask = (months >= a) & (months <= b)
                out[mask] = float(r["value"])
        return out

    price = value("list_price", np.nan)
    subsidy = value("subsidy", 0.0)
    net = price - subsidy
    if not np.all(np.isfinite(net)) or np.any(net <= 0):
        raise InsourceError(
            f"product {product!r} needs a list_price above its subsidy for the generalised Bass "
            "model",
            "fill products.list_price (and series rows when it changes) or use --model bass",
        )
    return np.log(net)


def _entries(
    tables: Mapping[str, pd.DataFrame],
    market: str,
    extra: pd.DataFrame | None,
    fy_start: int,
    first_sale: pd.Period,
    notes: list[str],
) -> pd.DataFrame:
    """Rival entries: ``markets`` rows of kind product under the segment, plus ``extra``.

    A rival's entry is its first reported month; rivals reported from before
    our product's first sale are incumbents (part of ``a0``), not entries.
    ``extra`` rows (``name, entry``) override rivals of the same name.
    """
    rows: dict[str, dict[str, object]] = {}
    undated = []
    mk = tables.get("markets")
    mh = tables.get("market_history")
    if mk is not None and mh is not None and {"kind", "parent"} <= set(mk.columns):
        rivals = mk[(mk["kind"] == "product") & (mk["parent"] == market)]
        for rid in rivals["id"]:
            spans = [parse_span(str(p), fy_start) for p in mh.loc[mh["market"] == rid, "period"]]
            starts = [s.start for s in spans if s.start is not None]
            if not starts:
                undated.append(str(rid))
            elif min(starts) > first_sale:
                rows[str(rid)] = {"name": rid, "entry": min(starts), "source": "market_history"}
    if extra is not None:
        for _, r in extra.iterrows():
            rows[str(r["name"])] = {
                "name": r["name"],
                "entry": parse_month(str(r["entry"]), fy_start),
                "source": str(r.get("source", "")),
            }
    missing = [u for u in undated if u not in rows]
    if missing:
        notes.append(
            f"rival(s) without sales or an entry date, not modelled: {', '.join(missing)} "
            "(give --entries FILE.csv with name,entry)"
        )
    return pd.DataFrame(list(rows.values()), columns=["name", "entry", "source"])


def forecast_case(
    tables: Mapping[str, pd.DataFrame],
    *,
    fy_start: int = 4,
    product: str | None = None,
    model: str = "bass",
    end: str = "FY2035",
    n_paths: int = 1000,
    seed: int = 0,
    n_boot: int = 200,
    entries: pd.DataFrame | None = None,
    entry_attraction: float = 1.0,
    future_net_price: Sequence[float] | None = None,
    beta: float | None = None,
) -> CaseForecast:
    """Fit the segment and the product's share, and sample scenarios to ``end``.

    Parameters
    ----------
    tables
        Case tables by name (``demand_history`` and ``market_history`` are
        required; ``products`` links the product to its segment).
    fy_start
        First month of the fiscal year.
    product
        Product to forecast (default: the one with history).
    model
        ``"bass"`` or ``"gbass"`` (net price as driver).
    end
        Last span of the horizon (its last month ends the paths).
    n_paths, seed
        Number of sampled paths and their seed.
    n_boot
        Bootstrap replicates for the parameter uncertainty.
    entries
        Extra rival entries (``name, entry`` month).
    entry_attraction
        Attraction of an entrant when the history cannot tell (see
        :class:`ShareModel`).
    future_net_price
        For ``gbass``: net price (list less subsidy) per future month; default
        the ``series`` rows (open spans such as ``FY2028/`` run on), otherwise
        the last known value held flat.
    beta
        For ``gbass``: hold the net-price coefficient at this value instead of
        fitting it (needed when the history's prices barely move).

    Raises
    ------
    InsourceError
        Missing tables or history, an unknown product, fits that fail.

    """
    notes: list[str] = []
    for name in ("demand_history", "market_history"):
        if name not in tables or tables[name].empty:
            raise InsourceError(
                f"the case has no {name} table", f"add {name}.csv with the reported volumes"
            )
    dh = tables["demand_history"]
    known = list(dict.fromkeys(dh["product"]))
    product = product or known[0]
    if product not in known:
        raise InsourceError(
            f"product {product!r} has no demand history", f"choose one of {', '.join(known)}"
        )
    market = _market_of(tables, product)
    mh = tables["market_history"]
    seg, _ = _clean_history(
        mh[mh["market"] == market], f"market_history (market {market})", fy_start, notes
    )
    prod, region = _clean_history(
        dh[dh["product"] == product], f"demand_history (product {product})", fy_start, notes
    )
    starts = [
        parse_span(str(p), fy_start).start for p in pd.concat([seg["period"], prod["period"]])
    ]
    first: pd.Period = min(s for s in starts if s is not None)
    seg_obs = observations_from_frame(
        seg,
        "period",
        "volume",
        fy_start=fy_start,
        where=f"market_history (market {market})",
        origin=first,
    )
    try:
        last_month = parse_span(end, fy_start).end
    except SpanError as exc:
        raise InsourceError(f"end {end!r}: {exc}", "give a span such as FY2035") from None
    if last_month is None:
        raise InsourceError(f"end {end!r} is open", "give a closed end such as FY2035")
    if last_month < first:
        raise InsourceError(
            f"end {end!r} is before the first reported month {first}", "give a later end"
        )
    months_all = pd.period_range(first, last_month, freq="M")
    if model == "gbass":
        z = net_price_path(tables, product, months_all, fy_start)
        line = _product_line(tables, product, market, months_all, fy_start, [])
        for pid, mask in line.items():
            if pid != product:  # a successor's own price from its launch
                z = np.where(mask > 0, net_price_path(tables, pid, months_all, fy_start), z)
        on_sale = np.flatnonzero(np.any([m > 0 for m in line.values()], axis=0))
        if len(on_sale):  # after the line's last month the last price holds
            z[on_sale[-1] + 1 :] = z[on_sale[-1]]
        hist_end = int(seg_obs.t1.max())
        if future_net_price is not None:
            fut = np.log(np.asarray(future_net_price, float))
            z[hist_end : hist_end + len(fut)] = fut[: len(z) - hist_end]
        if np.ptp(z[:hist_end]) == 0 and beta is None:
            raise InsourceError(
                "price and subsidy do not change over the history, so the generalised Bass "
                "model cannot learn their effect",
                "give a coefficient from outside (--beta, e.g. -2) to apply future price or "
                "subsidy changes from the series table, or use --model bass",
            )
        mm: BassModel | GeneralizedBassModel = _fit_segment(
            GeneralizedBassModel(
                n_boot=n_boot, seed=seed, fixed_beta=None if beta is None else (beta,)
            ),
            seg_obs,
            f"market_history (market {market})",
            z[:, None],
        )
        if beta is not None:
            notes.append(f"beta_net_price held at {beta:g} (given, not fitted)")
    elif model == "bass":
        mm = _fit_segment(
            BassModel(n_boot=n_boot, seed=seed), seg_obs, f"market_history (market {market})"
        )
    else:
        raise InsourceError(f"unknown case model {model!r}", "use bass or gbass for a case")
    sold = float(seg_obs.y.sum())
    peak = seg_obs.month(mm.peak_time_) if isinstance(mm, BassModel) else None
    ape = np.abs(mm.fitted_ - seg_obs.y) / np.maximum(seg_obs.y, 1.0)
    notes.append(
        f"segment fit: {sold:,.0f} of a fitted potential m = {mm.m_:,.0f} already sold "
        f"({sold / mm.m_:.0%})"
        + (f", adoption peaked {peak}" if peak is not None else "")
        + f"; in-sample error by span {', '.join(f'{v:.0%}' for v in ape)}"
    )
    if sold / mm.m_ > 0.8:
        notes.append(
            "the history alone reads the segment as a single adoption wave that is mostly "
            "over; growth from new models, cheaper cells or subsidies is not in the data and "
            "must come from a judgmental scenario (see docs/demand.md)"
        )
    first_sale = (
        first
        + min(_closed(parse_span(str(p), fy_start))[0] for p in prod["period"])
        - first.ordinal
    )
    ent = _entries(tables, market, entries, fy_start, first_sale, notes)
    ent_t = np.array([(e - first).n for e in ent["entry"]], float)
    # share: product volumes over the segment's spans (rows that tile a span are summed)
    labels, pvol, seg_tot = _tile(prod, seg, fy_start)
    if len(labels) < 2:
        raise InsourceError(
            f"only {len(labels)} span(s) where both {product} and {market} are reported",
            "report the product and its segment over the same spans (for example calendar years)",
        )
    mobs = observations_from_frame(
        pd.DataFrame({"period": labels, "value": pvol}), fy_start=fy_start, origin=first
    )
    t_hist = np.arange(int(max(seg_obs.t1.max(), mobs.t1.max())), dtype=float)
    monthly = _segment_monthly(mm, t_hist, months_all)
    share = ShareModel(entry_attraction=entry_attraction, n_boot=n_boot, seed=seed + 1).fit(
        mobs.y, seg_tot, mobs.t0, mobs.t1, monthly, ent_t
    )
    share_obs = pd.DataFrame(
        {
            "period": labels,
            "product": mobs.y,
            "segment": seg_tot,
            "share": mobs.y / seg_tot,
            "share_fitted": share.share_fitted_,
        }
    )
    # scenarios: months after the product's last reported month
    start_t = int(max(mobs.t1.max(), prod_end(prod, first, fy_start)))
    h_start = _finance(tables, "start")
    if h_start:
        start_t = max(start_t, (parse_month(h_start, fy_start) - first).n)
    t_fut = np.arange(start_t, len(months_all), dtype=float)
    if len(t_fut) == 0:
        raise InsourceError(
            f"end {end!r}: the scenarios would end by {months_all[-1]}, before the first "
            f"month to forecast {first + start_t}",
            "give a later end",
        )
    rng = np.random.default_rng(seed)
    s1, s2 = (int(v) for v in rng.integers(0, 2**31, size=2))
    seg_paths = _segment_paths(mm, n_paths, s1, t_fut, months_all)
    share_paths = share.simulate(n_paths, s2, t_fut)
    future = months_all[start_t:]
    line = _product_line(tables, product, market, future, fy_start, notes)
    items = [*line, market]
    paths = np.empty((n_paths, len(future), len(items)))
    for j, mask in enumerate(line.values()):
        paths[:, :, j] = seg_paths * share_paths * mask[None, :]
    paths[:, :, -1] = seg_paths
    scen = ScenarioSet(future, tuple(items), paths, seed)
    backtest = case_backtest(seg_obs) if isinstance(mm, BassModel) else None
    if backtest is None:
        notes.append("no segment backtest: too few spans to refit the model on")
    prod_obs = observations_from_frame(
        prod,
        "period",
        "volume",
        fy_start=fy_start,
        where=f"demand_history (product {product})",
        origin=first,
    )
    return CaseForecast(
        product,
        market,
        fy_start,
        seg_obs,
        mm,
        share,
        share_obs,
        ent,
        scen,
        notes,
        region,
        prod_obs,
        backtest,
    )


def _product_line(
    tables: Mapping[str, pd.DataFrame],
    product: str,
    market: str,
    months: pd.PeriodIndex,
    fy_start: int,
    notes: list[str],
) -> dict[str, np.ndarray]:
    """Months each product of the line sells in: the product, then its successors.

    A successor is a product of the same family and market launched after the
    product's end; it takes over the product's share from its launch (our
    position in the segment carries over to the next model).
    """
    prods = tables.get("products")
    if prods is None or "launch" not in prods.columns or "end" not in prods.columns:
        return {product: np.ones(len(months))}

    def month(v: object, default: pd.Period) -> pd.Period:
        text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
        return parse_span(text, fy_start).start or default if text else default

    rows = prods.set_index("id")
    me = rows.loc[product]
    lo, hi = months[0], months[-1]
    out = {product: ((months >= month(me["launch"], lo)) & (months <= month(me["end"], hi)))}
    my_end = month(me["end"], hi)
    fam = me.get("family", None)
    for pid, r in rows.iterrows():
        if pid == product or r.get("market") != market or r.get("family") != fam:
            continue
        start = month(r["launch"], lo)
        if start > my_end:
            stop = parse_span(str(r["end"]), fy_start).end if str(r["end"] or "").strip() else hi
            out[str(pid)] = (months >= start) & (months <= (stop or hi))
            notes.append(f"{pid} (launch {start}) takes over {product}'s share after {my_end}")
    return {k: v.astype(float) for k, v in out.items()}


def _fit_segment(
    model: Any, obs: Observations, where: str, drivers: np.ndarray | None = None
) -> Any:
    """Fit the segment model; a failed fit names the table it came from."""
    try:
        return model.fit(obs) if drivers is None else model.fit(obs, drivers)
    except InsourceError as exc:
        raise InsourceError(
            f"{where}: {exc.message} (after overlapping rows are set aside)", exc.hint
        ) from None


def case_backtest(obs: Observations, n_windows: int = 2) -> pd.DataFrame | None:
    """Hold out the last spans one at a time: refit Bass on the spans before.

    Each window fits only the spans before its origin (the later ones are
    cut off) and predicts the next span, next to a naive forecast (the last
    span's rate per month carried over the next span's months). Windows that
    leave fewer than four spans to fit are skipped; ``None`` if none is left.
    """
    rows = []
    for w in range(n_windows, 0, -1):
        cut = len(obs) - w
        if cut < BassModel.n_params + 1:
            continue
        train = obs.head(cut)
        t0, t1 = obs.t0[cut : cut + 1], obs.t1[cut : cut + 1]
        actual = float(obs.y[cut])
        naive = float(train.y[-1] / train.length[-1] * (t1 - t0)[0])
        try:
            bass = float(BassModel(n_boot=0).fit(train).predict(t0, t1)[0])
        except InsourceError:
            bass = float("nan")
        for model, fc in (("bass", bass), ("naive", naive)):
            rows.append(
                {
                    "model": model,
                    "origin": obs.labels[cut - 1],
                    "span": obs.labels[cut],
                    "actual": actual,
                    "forecast": fc,
                    "error": (fc - actual) / actual,
                }
            )
    return pd.DataFrame(rows) if rows else None


def _finance(tables: Mapping[str, pd.DataFrame], name: str) -> str:
    fin = tables.get("finance")
    if fin is None or fin.empty or "parameter" not in fin.columns:
        return ""
    hit = fin.loc[fin["parameter"] == name, "value"]
    return str(hit.iloc[0]).strip() if len(hit) and hit.iloc[0] is not None else ""


def prod_end(prod: pd.DataFrame, first: pd.Period, fy_start: int) -> int:
    """Return months from ``first`` to the end of the last reported span."""
    ends = [parse_span(str(p), fy_start).end for p in prod["period"]]
    return max((e - first).n + 1 for e in ends if e is not None)


def _market_of(tables: Mapping[str, pd.DataFrame], product: str) -> str:
    prods = tables.get("products")
    mh = tables["market_history"]
    if prods is not None and "market" in prods.columns:
        hit = prods.loc[prods["id"] == product, "market"]
        if len(hit) and str(hit.iloc[0]).strip():
            return str(hit.iloc[0]).strip()
    markets = list(dict.fromkeys(mh["market"]))
    if len(markets) == 1:
        return str(markets[0])
    raise InsourceError(
        f"product {product!r} has no market and the case has several",
        "set products.market to the segment the product sells into",
    )


def _segment_monthly(
    mm: BassModel | GeneralizedBassModel, t: np.ndarray, months: pd.PeriodIndex
) -> np.ndarray:
    if isinstance(mm, GeneralizedBassModel):
        return mm.predict(mm.z_, t, t + 1)
    return mm.predict(t, t + 1)


def _segment_paths(
    mm: BassModel | GeneralizedBassModel, n: int, seed: int, t: np.ndarray, months: pd.PeriodIndex
) -> np.ndarray:
    if isinstance(mm, GeneralizedBassModel):
        return mm.simulate(n, seed, mm.z_, t, t + 1)
    return mm.simulate(n, seed, t, t + 1)
