"""MIP starts for large models: the status quo, or the LP relaxation rounded.

:func:`status_quo_start` is what ``plan`` uses: no new start of production
(except the option's forced one), no contract exit, and on each line the
fewest shifts that carry its other load, held over the shift calendar.
HiGHS completes it by solving the LP over the continuous decisions with these
integers fixed; with lost sales allowed it is always feasible, so HiGHS holds
a plan from the first second and every later plan improves on the status
quo. It costs nothing to build.

:func:`round_relaxation` (``solve_model(rounded_start=...)``) is the
alternative measured in ``benchmarks/RESULTS.md``:

the start is built in three steps on the HiGHS model linopy built:
solve the LP relaxation, round its integer decisions by the rule below, and
hand them to HiGHS as a (partial) solution, which HiGHS completes by solving
the LP over the continuous decisions with the integers fixed. With lost sales
allowed every rounded start is feasible (unmet demand is bought out at its
lost contribution); when it is not, HiGHS discards it.

Rounding rule (relaxation-induced rounding, e.g. Berthold 2014, *Heuristic
algorithms in global MINLP solvers*, ch. 3): a capability starts in the first
month where its cumulative fractional start reaches one half (at most one
start, as the model allows); a contract exits likewise; shifts are rounded up
(so the LP's line hours still fit).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from insource.plan._data import PlanData
from insource.plan._model import shift_floor

__all__ = [
    "WARM_START_INTEGERS",
    "line_groups",
    "neighbourhoods",
    "product_groups",
    "relaxation_start",
    "round_relaxation",
    "status_quo_start",
]

#: Models with at least this many integer decisions get the start (below it
#: HiGHS solves them quickly and the extra LP would only cost time).
WARM_START_INTEGERS = 1000


def _first_half(values: np.ndarray) -> np.ndarray:
    """1 in the first month (last axis) where the cumulative value reaches 0.5, else 0."""
    cum = np.cumsum(np.nan_to_num(values), axis=-1)
    hit = cum >= 0.5 - 1e-9
    out = np.zeros_like(cum)
    any_hit = hit.any(axis=-1)
    first = hit.argmax(axis=-1)
    ix = np.nonzero(any_hit)
    out[(*ix, first[ix])] = 1.0
    return out


def round_relaxation(
    value: Callable[[str], np.ndarray | None], low: np.ndarray, high: np.ndarray
) -> dict[str, np.ndarray]:
    """Integer decisions rounded from the LP relaxation.

    Parameters
    ----------
    value
        LP value of a variable by name, shaped like the variable (NaN where
        masked), ``None`` when the model has no such variable.
    low, high
        Fewest and most shifts of each line (``[line]``).

    Returns
    -------
    dict
        ``Capability-start``, ``Contract-exit`` (0/1) and ``Line-shifts``
        values, shaped like the variables.

    """
    out: dict[str, np.ndarray] = {}
    z = value("Capability-start")
    if z is not None:
        out["Capability-start"] = _first_half(z)
    e = value("Contract-exit")
    if e is not None:
        out["Contract-exit"] = _first_half(e)
    n = value("Line-shifts")
    if n is not None:
        up = np.ceil(np.nan_to_num(n) - 1e-6)
        out["Line-shifts"] = np.clip(up, low[:, None], high[:, None])
    return out


def relaxation_start(
    d: PlanData,
) -> Callable[[Callable[[str], np.ndarray | None]], dict[str, np.ndarray]]:
    """The rounding rule for the model of ``d`` (see ``solve_model(rounded_start=...)``)."""
    return partial(round_relaxation, low=d.min_shifts.to_numpy(), high=d.max_shifts.to_numpy())


def status_quo_start(d: PlanData) -> dict[str, np.ndarray]:
    r"""The status quo as a MIP start (integer decisions only).

    :math:`z = 0` except the option's forced start, :math:`e = 0`, and
    :math:`n_{l,t} = \min(\overline n_l, \max(\underline n_l, \max_{t' \in b(t)}
    \lceil O_{l,t'} / H_{l,t'} \rceil))` with :math:`b(t)` the months between
    two shift changes around :math:`t`.
    """
    z = np.zeros(d.allowed_start.shape)
    lines = d.allowed_start.indexes["line"]
    products = d.allowed_start.indexes["product"]
    months = d.allowed_start.indexes["period"]
    for line, product, month in d.forced_start:  # the option's one start
        z[lines.get_loc(line), products.get_loc(product), months.get_loc(month)] = 1.0
    out = {"Capability-start": z, "Line-shifts": shift_floor(d)}
    if not d.contracts.empty:
        out["Contract-exit"] = np.zeros(d.exit_allowed.shape)
    return out


def line_groups(d: PlanData, most: int = WARM_START_INTEGERS) -> dict[str, np.ndarray]:
    r"""Neighbourhoods for fix-and-optimise: the integer decisions of groups of lines.

    Lines are taken in the case's order and grouped while a group holds at
    most ``most`` free integer decisions (its starts plus its shift changes;
    a line above the limit forms a group alone). A group frees the starts
    :math:`z_{l,p,t}` and shifts :math:`n_{l,t}` of its lines and the exits
    :math:`e_{c,t}` of every contract whose product one of its lines can
    start (an exit pays only with production to replace it).

    Returns
    -------
    dict
        By variable name (``Capability-start``, ``Line-shifts``,
        ``Contract-exit``), a boolean array ``[group, *variable dims]``: the
        decision is free in the group.

    """
    allowed = d.allowed_start.transpose("line", "product", "period").to_numpy()
    free = d.shift_free.transpose("line", "period").to_numpy()
    per_line = allowed.sum(axis=(1, 2)) + free.sum(axis=1)
    group = np.zeros(len(per_line), dtype=int)
    g, size = 0, 0
    for i, n in enumerate(per_line):  # over lines, not periods
        if size and size + n > most:
            g, size = g + 1, 0
        group[i], size = g, size + int(n)
    G = g + 1 if len(per_line) else 0
    member = group[None, :] == np.arange(G)[:, None]  # [group, line]
    out = {
        "Capability-start": member[:, :, None, None] & allowed[None],
        "Line-shifts": np.broadcast_to(member[:, :, None], (G, *free.shape)).copy(),
    }
    if not d.contracts.empty:
        can = allowed.any(axis=2)  # [line, product]
        of = d.of_product.transpose("contract", "product").to_numpy() > 0
        reach = (member.astype(int) @ can.astype(int)) > 0  # [group, product]
        touches = (reach.astype(int) @ of.T.astype(int)) > 0  # [group, contract]
        exits = d.exit_allowed.transpose("contract", "period").to_numpy()
        out["Contract-exit"] = touches[:, :, None] & exits[None]
    return out


def product_groups(d: PlanData, most: int = WARM_START_INTEGERS) -> dict[str, np.ndarray]:
    r"""Neighbourhoods for fix-and-optimise: the integer decisions of groups of products.

    Products are taken in the case's order and grouped while a group holds at
    most ``most`` free integer decisions (a product above the limit forms a
    group alone; a product with nothing to decide is in no group). A group
    frees the starts :math:`z_{l,p,t}` of its products on every line, the
    exits :math:`e_{c,t}` of their contracts and the shifts :math:`n_{l,t}`
    of every line that can start one of them. Unlike :func:`line_groups`, a
    product can move from one line to another (or from its contract to a
    line and back) within one neighbourhood.

    Returns
    -------
    dict
        As :func:`line_groups`: by variable name a boolean array
        ``[group, *variable dims]``, the decision is free in the group.

    """
    allowed = d.allowed_start.transpose("line", "product", "period").to_numpy()
    free = d.shift_free.transpose("line", "period").to_numpy()
    L, P, _ = allowed.shape
    has_contracts = not d.contracts.empty
    of = (
        d.of_product.transpose("contract", "product").to_numpy() > 0
        if has_contracts
        else np.zeros((0, P), dtype=bool)
    )
    exits = (
        d.exit_allowed.transpose("contract", "period").to_numpy()
        if has_contracts
        else np.zeros((0, allowed.shape[2]), dtype=bool)
    )
    lines_of: np.ndarray = np.asarray(allowed.any(axis=2))  # [line, product]
    starts = allowed.sum(axis=(0, 2))
    exit_count = (of.astype(int).T @ exits.sum(axis=1)).astype(int)  # [product]
    group = np.full(P, -1, dtype=int)
    g, size = -1, 0
    reach: np.ndarray = np.zeros(L, dtype=bool)
    for j in range(P):  # over products, not periods
        own = int(starts[j] + exit_count[j])
        if own == 0:
            continue
        wider: np.ndarray = reach | lines_of[:, j]
        grown = size + own + int(free[wider & ~reach].sum())
        if g < 0 or (size and grown > most):
            g, size = g + 1, 0
            wider = lines_of[:, j]
            grown = own + int(free[wider].sum())
        group[j], size, reach = g, grown, wider
    G = g + 1
    member = group[None, :] == np.arange(G)[:, None]  # [group, product]
    lines = (member.astype(int) @ lines_of.T.astype(int)) > 0  # [group, line]
    out = {
        "Capability-start": member[:, None, :, None] & allowed[None],
        "Line-shifts": lines[:, :, None] & np.ones_like(free)[None],
    }
    if has_contracts:
        touches = (member.astype(int) @ of.T.astype(int)) > 0  # [group, contract]
        out["Contract-exit"] = touches[:, :, None] & exits[None]
    return out


def neighbourhoods(d: PlanData, most: int = WARM_START_INTEGERS) -> dict[str, np.ndarray]:
    """Line groups and product groups, alternating (see :func:`line_groups`, :func:`product_groups`).

    The groups of lines come first in each pair: a sweep of fix-and-optimise
    visits a line group, then a product group, and so on; the kind with more
    groups finishes the sweep alone.
    """
    by_line, by_product = line_groups(d, most), product_groups(d, most)
    n_l = next(iter(by_line.values())).shape[0]
    n_p = next(iter(by_product.values())).shape[0]
    order = [(by_line, k) for k in range(n_l)] + [(by_product, k) for k in range(n_p)]
    rank = [2 * k for k in range(n_l)] + [2 * k + 1 for k in range(n_p)]
    order = [order[i] for i in np.argsort(rank, kind="stable")]
    return {
        name: np.stack([src[name][k] for src, k in order]) if order else by_line[name]
        for name in by_line
    }
