"""Checks across tables: references, horizon, probabilities, distributions, options.

Cell-level checks (types, bounds, choices, required values, duplicate keys)
happen while tables are built (:mod:`insource.case._tables`). The checks here
need the whole case. Every check returns :class:`~insource.errors.Problem`
objects naming file, row and column, and never raises on bad data: a
problem in one place must not hide the problems elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from insource.case._calendar import SpanError, parse_span
from insource.case._convert import CellError, convert_cell, format_number, parse_list
from insource.case._schema import Attribute, finance_schema, schema
from insource.case._tables import suggest
from insource.errors import Problem

if TYPE_CHECKING:
    from insource.case._case import Case

__all__ = ["check_case", "parse_overrides"]

Check = Callable[["Case"], Iterator[Problem]]
_CHECKS: list[Check] = []


def _check(fn: Check) -> Check:
    _CHECKS.append(fn)
    return fn


def check_case(case: Case) -> list[Problem]:
    """Every cross-table problem of ``case`` (empty when it is consistent)."""
    problems: list[Problem] = []
    for fn in _CHECKS:
        problems.extend(fn(case))
    return problems


def _p(case: Case, table: str, row: Any, column: str | None, what: str, todo: str) -> Problem:
    return Problem(
        what, todo, file=case.locations.get(table, f"{table}.csv"), row=int(row), column=column
    )


def _rownum(row: Any) -> int:
    return int(row)


def _present(value: Any) -> bool:
    return value is not None and not (not isinstance(value, str) and pd.isna(value))


def _horizon(case: Case) -> tuple[pd.Period, pd.Period] | None:
    fin = case.finance
    if fin["start"] is None or fin["end"] is None or fin["end"] < fin["start"]:
        return None
    return fin["start"], fin["end"]


@_check
def _finance(case: Case) -> Iterator[Problem]:
    if case.tables["finance"].empty:
        yield Problem(
            "the case has no finance table",
            "add finance.csv (columns parameter,value) with at least the horizon start and end",
            file=case.locations["finance"],
        )
        return
    fin = case.finance
    if fin["start"] is not None and fin["end"] is not None and fin["end"] < fin["start"]:
        frame = case.tables["finance"]
        rows = frame.index[frame["parameter"] == "end"]
        yield Problem(
            f"the horizon ends ({fin['end']}) before it starts ({fin['start']})",
            "set end to a month after start",
            file=case.locations["finance"],
            row=int(rows[0]) if len(rows) else None,
            column="value",
        )


@_check
def _references(case: Case) -> Iterator[Problem]:
    for name, table in schema().items():
        frame = case.tables[name]
        for attr in table.attributes.values():
            if not attr.references or attr.name not in frame.columns:
                continue
            known = set(case.tables[attr.references]["id"].dropna())
            for row, value in frame[attr.name].items():
                if _present(value) and value not in known:
                    yield _p(
                        case,
                        name,
                        row,
                        attr.name,
                        f"unknown {attr.references} id {value!r}{suggest(str(value), sorted(known))}",
                        f"use an id from {case.locations[attr.references]} or add {value!r} there",
                    )


def _span_checks(case: Case, table: str, must_lie_inside: bool) -> Iterator[Problem]:
    hz = _horizon(case)
    if hz is None:
        return
    first, last = hz
    fy_start = case.calendar.start_month
    for row, text in case.tables[table]["period"].items():
        if not _present(text):
            continue
        try:
            span = parse_span(text, fy_start)
        except SpanError:  # pragma: no cover - reported when the cell was read
            continue
        start, end = span.clip(first, last)
        if must_lie_inside and (start < first or end > last):
            yield _p(
                case,
                table,
                row,
                "period",
                f"the span {text!r} ({start} to {end}) is not inside the horizon {first} to {last}",
                "move it inside the horizon or widen the horizon in finance.csv (start, end)",
            )
        elif end < first or start > last:
            yield _p(
                case,
                table,
                row,
                "period",
                f"the span {text!r} lies outside the horizon {first} to {last}",
                "move it inside the horizon or delete the row",
            )


def _overlaps(case: Case, table: str, group: list[str]) -> Iterator[Problem]:
    """Rows of the same ``group`` whose spans share a month (they would add up)."""
    frame = case.tables[table].dropna(subset=[*[g for g in group if g != "region"], "period"])
    if frame.empty or _horizon(case) is None:
        return
    months, counts = case._span_months(frame["period"])
    cells = pd.DataFrame({g: np.repeat(frame[g].fillna("").to_numpy(), counts) for g in group})
    cells["period"] = months
    cells["row"] = np.repeat(frame.index.to_numpy(), counts)
    clash = cells.duplicated([*group, "period"], keep=False)
    if not clash.any():
        return
    hits = cells[clash]
    seen: set[tuple[int, int]] = set()
    for _, g in hits.groupby([*group, "period"], sort=False):
        rows = sorted({int(r) for r in g["row"]})
        pair = (rows[0], rows[-1])
        if pair in seen:
            continue
        seen.add(pair)
        yield _p(
            case,
            table,
            pair[1],
            "period",
            f"the span overlaps row {pair[0]} (both cover {g['period'].iloc[0]}), so their volumes would add up",
            "make the spans of the same " + ", ".join(group) + " disjoint",
        )


@_check
def _region_mixing(case: Case) -> Iterator[Problem]:
    ds = case.tables["demand_scenarios"].dropna(subset=["scenario", "product"])
    if ds.empty:
        return
    blank = ds["region"].isna()
    both = ds.assign(blank=blank).groupby(["scenario", "product"])["blank"].agg(["any", "all"])
    for (scen, prod), r in zip(both.index.to_list(), both.to_dict("records"), strict=True):
        if r["any"] and not r["all"]:
            row = ds.index[(ds["scenario"] == scen) & (ds["product"] == prod) & blank][0]
            yield _p(
                case,
                "demand_scenarios",
                row,
                "region",
                f"{prod!r} in scenario {scen!r} has rows for all regions (blank) and for single regions",
                "give either one national row set or one per region, not both",
            )


@_check
def _spans(case: Case) -> Iterator[Problem]:
    yield from _overlaps(case, "demand_scenarios", ["scenario", "product", "region"])
    yield from _overlaps(case, "other_load", ["line", "model"])
    yield from _span_checks(case, "demand_scenarios", must_lie_inside=True)
    yield from _span_checks(case, "other_load", must_lie_inside=False)
    yield from _span_checks(case, "series", must_lie_inside=False)


def _month_pairs(case: Case, table: str, a: str, b: str) -> Iterator[Problem]:
    frame = case.tables[table]
    for row, r in frame.iterrows():
        if _present(r[a]) and _present(r[b]) and case.month(r[b], last=True) < case.month(r[a]):
            yield _p(
                case, table, row, b, f"{b} {r[b]} is before {a} {r[a]}", f"set {b} on or after {a}"
            )


@_check
def _entities(case: Case) -> Iterator[Problem]:
    yield from _month_pairs(case, "products", "launch", "end")
    yield from _month_pairs(case, "contracts", "start", "end")
    sites = case.tables["sites"]
    for row, r in sites.iterrows():
        if r["owner"] == "partner" and not _present(r["partner"]):
            yield _p(
                case,
                "sites",
                row,
                "partner",
                f"the partner site {r['id']!r} names no partner",
                "write the id of the partner that owns it",
            )
    lines = case.tables["lines"]
    for row, r in lines.iterrows():
        lo, now, hi = r["min_shifts"], r["shifts"], r["max_shifts"]
        if _present(lo) and _present(hi) and lo > hi:
            yield _p(
                case,
                "lines",
                row,
                "min_shifts",
                f"min_shifts {lo} is above max_shifts {hi}",
                "make min_shifts <= max_shifts",
            )
        if _present(now) and _present(hi) and now > hi:
            yield _p(
                case,
                "lines",
                row,
                "shifts",
                f"shifts {now} is above max_shifts {hi}",
                "make shifts <= max_shifts",
            )
        if _present(now) and _present(lo) and now < lo:
            yield _p(
                case,
                "lines",
                row,
                "shifts",
                f"shifts {now} is below min_shifts {lo}",
                "make min_shifts <= shifts",
            )
        if _present(r["hours_per_shift"]) and _present(hi) and r["hours_per_shift"] * hi > 24:
            yield _p(
                case,
                "lines",
                row,
                "hours_per_shift",
                f"{hi} shifts of {format_number(r['hours_per_shift'])} h exceed 24 h a day",
                "lower hours_per_shift or max_shifts",
            )
    owner = sites.set_index("id")["partner"].to_dict() if not sites.empty else {}
    kind = sites.set_index("id")["owner"].to_dict() if not sites.empty else {}
    for row, r in case.tables["contracts"].iterrows():
        site = r["site"]
        if _present(site) and kind.get(site) == "own":
            yield _p(
                case,
                "contracts",
                row,
                "site",
                f"the site {site!r} is our own, not a partner's",
                "name the partner site that builds under the contract",
            )
        elif (
            _present(site)
            and site in owner
            and _present(r["partner"])
            and owner[site] != r["partner"]
        ):
            yield _p(
                case,
                "contracts",
                row,
                "site",
                f"the site {site!r} belongs to {owner[site]!r}, not to the contract partner {r['partner']!r}",
                "name a site of the contract's partner",
            )


@_check
def _scenarios(case: Case) -> Iterator[Problem]:
    sc = case.tables["scenarios"]
    probs = sc["probability"].dropna()
    if len(probs) and not math.isclose(float(probs.sum()), 1.0, abs_tol=1e-6):
        yield Problem(
            f"the scenario probabilities sum to {float(probs.sum()):.6g}, not 1",
            "make the probability column sum to 1",
            file=case.locations["scenarios"],
            column="probability",
        )


#: Tables whose rows hold inputs that uncertainty, series and overrides may name.
_INPUT_TABLES = (
    "partners",
    "products",
    "lines",
    "capabilities",
    "contracts",
    "other_load",
    "logistics",
    "finance",
)


def _target_attribute(table: str, row_key: str, attribute: str) -> Attribute | None:
    """The schema attribute a (valid) target names."""
    if table == "finance":
        return finance_schema().get(row_key)
    return schema()[table].attributes.get(attribute)


def _target(
    case: Case, table: str, row_key: str, attribute: str, keys: dict[str, set[str]]
) -> tuple[str, str, str] | None:
    """Check that ``table.row_key.attribute`` names a numeric input.

    Returns ``(part, what, todo)`` when it does not, where ``part`` is the
    part that is wrong (``table``, ``row`` or ``attribute``). ``keys`` caches
    the row keys of each table across calls.
    """
    if table not in _INPUT_TABLES:
        return (
            "table",
            f"{table!r} is not a table of inputs{suggest(table, list(_INPUT_TABLES))}",
            f"use one of {', '.join(_INPUT_TABLES)}",
        )
    if table == "finance":
        params = finance_schema()
        if row_key not in params:
            return (
                "row",
                f"unknown finance parameter {row_key!r}{suggest(row_key, list(params))}",
                f"use one of {', '.join(params)}",
            )
        if not params[row_key].numeric:
            return (
                "row",
                f"the finance parameter {row_key!r} is not a number",
                "choose a numeric parameter",
            )
        if attribute != "value":
            return (
                "attribute",
                f"a finance parameter's attribute is 'value', not {attribute!r}",
                "write value",
            )
        return None
    attrs = schema()[table].attributes
    if attribute not in attrs:
        return (
            "attribute",
            f"the {table} table has no attribute {attribute!r}{suggest(attribute, list(attrs))}",
            "name a numeric attribute of that table (see docs/case-format.md)",
        )
    if not attrs[attribute].numeric:
        return "attribute", f"{table}.{attribute} is not numeric", "name a numeric attribute"
    if table not in keys:
        keys[table] = set(case.keys(table))
    if row_key not in keys[table]:
        return (
            "row",
            f"the {table} table has no row {row_key!r}{suggest(row_key, sorted(keys[table]))}",
            "use a row id of that table (two-part keys joined by ':')",
        )
    return None


def _check_value(attr: Attribute, value: float | str) -> CellError | None:
    """A value for ``attr`` passes the same checks as a cell of its column."""
    try:
        convert_cell(attr, value if isinstance(value, str) else format_number(float(value)))
    except CellError as exc:
        return exc
    return None


@_check
def _series(case: Case) -> Iterator[Problem]:
    keys: dict[str, set[str]] = {}
    column = {"table": "table", "row": "id", "attribute": "attribute"}
    for row, r in case.tables["series"].iterrows():
        if not all(_present(r[c]) for c in ("table", "id", "attribute")):
            continue
        bad = _target(case, r["table"], r["id"], r["attribute"], keys)
        if bad is not None:
            yield _p(case, "series", row, column[bad[0]], bad[1], bad[2])
            continue
        if r["table"] == "finance":
            yield _p(
                case,
                "series",
                row,
                "table",
                "finance parameters cannot vary over time",
                "set the value in finance.csv",
            )
            continue
        attr = schema()[r["table"]].attributes[r["attribute"]]
        if not attr.varies:
            yield _p(
                case,
                "series",
                row,
                "attribute",
                f"{r['table']}.{r['attribute']} cannot vary over time",
                "set it in its table, or use an attribute marked as varying (docs/case-format.md)",
            )
        elif _present(r["value"]):
            exc = _check_value(attr, r["value"])
            if exc is not None:
                yield _p(case, "series", row, "value", exc.what, exc.todo)


_NEEDS = {
    "triangular": ("low", "base", "high"),
    "pert": ("low", "base", "high"),
    "uniform": ("low", "high"),
    "normal": ("base", "sd"),
    "lognormal": ("base", "sd"),
    "discrete": ("values", "probabilities"),
}


def _distribution(r: pd.Series) -> Iterator[tuple[str, str, str]]:
    kind = r["distribution"]
    for col in _NEEDS.get(kind, ()):
        if not _present(r[col]):
            yield (
                col,
                f"a {kind} distribution needs {col}",
                f"fill in {col} (needs: {', '.join(_NEEDS[kind])})",
            )
            return
    lo, base, hi = r["low"], r["base"], r["high"]
    if kind in ("triangular", "pert", "uniform") and lo > hi:
        yield (
            "low",
            f"low {format_number(lo)} is above high {format_number(hi)}",
            "swap them or correct one",
        )
        return
    if kind in ("triangular", "pert") and not lo <= base <= hi:
        yield (
            "base",
            f"base {format_number(base)} is not between low {format_number(lo)} and high {format_number(hi)}",
            "make low <= base <= high",
        )
    if kind == "pert" and lo == hi:
        yield "high", "a PERT distribution needs low < high", "widen the range or use a fixed value"
    if kind == "lognormal" and base <= 0:
        yield "base", "a lognormal median must be positive", "write a positive base"
    if kind == "discrete":
        values, probs = parse_list(r["values"]), parse_list(r["probabilities"])
        if len(values) != len(probs):
            yield (
                "probabilities",
                f"{len(values)} values but {len(probs)} probabilities",
                "give one probability per value",
            )
        elif not math.isclose(sum(probs), 1.0, abs_tol=1e-6):
            yield (
                "probabilities",
                f"the probabilities sum to {sum(probs):.6g}, not 1",
                "make them sum to 1",
            )


@_check
def _uncertainty(case: Case) -> Iterator[Problem]:
    unc = case.tables["uncertainty"]
    keys: dict[str, set[str]] = {}
    for row, r in unc.iterrows():
        if all(_present(r[c]) for c in ("table", "row", "attribute")):
            bad = _target(case, r["table"], r["row"], r["attribute"], keys)
            if bad:
                yield _p(case, "uncertainty", row, bad[0], bad[1], bad[2])
        if _present(r["distribution"]):
            for col, what, todo in _distribution(r):
                yield _p(case, "uncertainty", row, col, what, todo)
    yield from _correlations(case)


def _correlations(case: Case) -> Iterator[Problem]:
    cor = case.tables["correlations"].dropna(subset=["a", "b", "rho"])
    if cor.empty:
        return
    names = sorted(set(cor["a"]) | set(cor["b"]))
    pos = {n: i for i, n in enumerate(names)}
    mat = np.eye(len(names))
    seen: dict[frozenset[str], int] = {}
    for row, r in cor.iterrows():
        if r["a"] == r["b"]:
            yield _p(
                case,
                "correlations",
                row,
                "b",
                f"{r['a']!r} is correlated with itself",
                "name two different inputs",
            )
            continue
        pair = frozenset((r["a"], r["b"]))
        if pair in seen:
            yield _p(
                case,
                "correlations",
                row,
                "a",
                f"the pair {r['a']!r}, {r['b']!r} is given twice (also row {seen[pair]})",
                "keep one row per pair",
            )
            continue
        seen[pair] = _rownum(row)
        i, j = pos[r["a"]], pos[r["b"]]
        mat[i, j] = mat[j, i] = float(r["rho"])
    smallest = float(np.linalg.eigvalsh(mat).min())
    if smallest < -1e-9:
        yield Problem(
            f"the correlations are not consistent (the matrix is not positive semi-definite; smallest eigenvalue {smallest:.3g})",
            "weaken the strongest correlations: three inputs cannot all be strongly correlated with opposite signs",
            file=case.locations["correlations"],
            column="rho",
        )


def parse_overrides(text: str) -> list[tuple[str, str, str, str]]:
    """Split ``table.row.attribute=value;...`` into (table, row, attribute, value).

    The row may itself contain dots: the table is before the first dot and
    the attribute after the last.
    """
    out = []
    for item in (p.strip() for p in text.split(";")):
        if not item:
            continue
        lhs, eq, value = item.partition("=")
        parts = lhs.strip().split(".")
        if not eq or len(parts) < 3 or not value.strip():
            raise ValueError(f"{item!r} is not of the form table.row.attribute=value")
        out.append((parts[0], ".".join(parts[1:-1]), parts[-1], value.strip()))
    return out


@_check
def _options(case: Case) -> Iterator[Problem]:
    opts = case.tables["options"]
    if opts.empty:
        return
    caps = case.tables["capabilities"]
    pairs = set(zip(caps["line"], caps["product"], strict=True))
    hz = _horizon(case)
    baselines = int(opts["baseline"].fillna(False).sum())
    if baselines != 1:
        yield Problem(
            f"{baselines} options are marked as baseline",
            "mark exactly one option (the status quo) with baseline = true",
            file=case.locations["options"],
            column="baseline",
        )
    products = list(case.tables["products"]["id"].dropna())
    known_lines = set(case.tables["lines"]["id"].dropna())
    keys: dict[str, set[str]] = {}
    for row, r in opts.iterrows():
        if r["policy"] == "insource":
            for col in ("line", "start"):
                if not _present(r[col]):
                    yield _p(
                        case,
                        "options",
                        row,
                        col,
                        f"an insource option needs a {col}",
                        f"write the receiving {col}"
                        if col == "line"
                        else "write the first month of in-house production",
                    )
            if _present(r["line"]) and r["line"] in known_lines:
                wanted = [r["product"]] if _present(r["product"]) else products
                missing = [p for p in wanted if (r["line"], p) not in pairs]
                if missing:
                    yield _p(
                        case,
                        "options",
                        row,
                        "line",
                        f"the line {r['line']!r} has no capability for {', '.join(map(repr, missing))}",
                        "add a capabilities row (line, product) or choose another line",
                    )
        if _present(r["start"]) and hz is not None:
            start = case.month(r["start"])
            if not hz[0] <= start <= hz[1]:
                yield _p(
                    case,
                    "options",
                    row,
                    "start",
                    f"{r['start']} is outside the horizon {hz[0]} to {hz[1]}",
                    "choose a month inside the horizon",
                )
        if _present(r["overrides"]):
            try:
                items = parse_overrides(r["overrides"])
            except ValueError as exc:
                yield _p(
                    case,
                    "options",
                    row,
                    "overrides",
                    str(exc),
                    "write table.row.attribute=value, separated by ';'",
                )
                continue
            for table, key, attribute, value in items:
                bad = _target(case, table, key, attribute, keys)
                if bad:
                    yield _p(case, "options", row, "overrides", bad[1], bad[2])
                    continue
                attr = _target_attribute(table, key, attribute)
                wrong = None if attr is None else _check_value(attr, value)
                if wrong is not None:
                    yield _p(
                        case,
                        "options",
                        row,
                        "overrides",
                        f"{table}.{key}.{attribute}: {wrong.what}",
                        wrong.todo,
                    )
