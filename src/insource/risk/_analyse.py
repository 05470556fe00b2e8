r"""The risk analysis of a case: sample, evaluate every option, summarise, rank drivers.

:func:`analyse` plans every option once (or takes a comparison), turns each
optimised plan into a fixed policy, draws seeded samples of the uncertain
inputs chunk by chunk (here, or on Dask workers for large runs) and evaluates
the policies on them with the evaluator (the fused Numba kernel). The chunking is fixed
before any work is sent anywhere, so the answer depends on the seed only.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from insource.case import Case, schema
from insource.errors import InsourceError
from insource.plan import Comparison, compare
from insource.risk._cluster import dask_client, map_chunks
from insource.risk._distributions import Marginal, marginals_from_case
from insource.risk._evaluate import evaluate
from insource.risk._metrics import npv_metrics
from insource.risk._policy import (
    SCENARIO_INPUT,
    Policy,
    base_inputs,
    policy_from_plan,
    scenario_marginal,
)
from insource.risk._sampling import correlation_matrix, sample, unit_design
from insource.risk._sensitivity import sobol_indices, tornado

__all__ = ["CHUNK", "LOCAL_LIMIT", "RiskModel", "RiskResult", "analyse", "risk_model"]

#: Samples per chunk: each chunk is one Latin hypercube / Sobol design with its own seed.
CHUNK = 16_384
#: Runs up to this many samples stay in this process unless a scheduler or workers are given.
LOCAL_LIMIT = 200_000

_WORDS = {
    "demand_scale": "volume",
    "net_revenue": "net revenue",
    "unit_price": "contract price",
    "material_cost": "material cost",
    "battery_cost": "battery cost",
    "tooling_capex": "capex",
    "exit_cost": "exit cost",
    "fixed_cost": "fixed cost",
    "conversion_cost": "conversion cost",
    "cost_per_unit": "logistics cost",
    "units_per_year": "other models' load",
    "value": "",
    "subsidy": "purchase subsidy",
    "depreciation_years": "depreciation life",
    "scenario": "demand scenario",
    "capacity": "contract capacity",
    "min_volume": "take-or-pay minimum",
    "shift_cost": "shift cost",
    "lost_sale_penalty": "lost-sale penalty",
}

#: Relative difference below which two options' NPVs count as equal (rounding).
_TIE = 1e-9

#: The inputs whose break-even values are reported: (table, attribute) -> name.
MAIN_INPUTS = {
    ("products", "demand_scale"): "volume",
    ("contracts", "unit_price"): "contract price",
    ("capabilities", "tooling_capex"): "capex",
    ("products", "battery_cost"): "battery cost",
}


def label(m: Marginal) -> str:
    """Readable name of an input: ``battery cost (kei-ev-2028)``."""
    if m.id == SCENARIO_INPUT:
        return "demand scenario"
    if m.table == "finance":
        return m.row.replace("_", " ")
    word = _WORDS.get(m.attribute, m.attribute.replace("_", " "))
    return f"{word} ({m.row})" if m.row else word


def _unit(m: Marginal, currency: str) -> str:
    if m.apply == "factor" or m.id == SCENARIO_INPUT:
        return "factor" if m.apply == "factor" else "scenario"
    if m.table == "finance":
        from insource.case import finance_schema

        unit = finance_schema()[m.row].unit
    else:
        unit = schema()[m.table].attributes[m.attribute].unit
    return str(unit or "").replace("money", currency)


@dataclass
class RiskModel:
    """Everything needed to evaluate the case's options on sampled inputs."""

    case: Case
    options: list[str]
    baseline: str
    policies: list[Policy]
    marginals: list[Marginal]
    correlation: np.ndarray
    x0: np.ndarray
    scenario_column: int | None

    def npv(self, x: np.ndarray, options: list[str] | None = None) -> np.ndarray:
        """NPV (n, options) for inputs ``x`` (n, d) in the order of :attr:`marginals`."""
        pols = self.policies
        if options is not None:
            pols = [self.policies[self.options.index(o)] for o in options]
        return evaluate(pols, x, self.x0, self.scenario_column)


def risk_model(case: Case, comparison: Comparison) -> RiskModel:
    """Fixed policies of every feasible option of ``comparison`` and the case's inputs.

    Raises
    ------
    InsourceError
        When the case has no uncertain inputs, or names one the evaluator
        does not model.

    """
    marginals = marginals_from_case(case.tables["uncertainty"])
    extra = scenario_marginal(case)
    if extra is not None:
        marginals.append(extra)
    if not marginals:
        raise InsourceError(
            "the case has no uncertain inputs",
            "add rows to uncertainty.csv (a distribution per uncertain input)",
        )
    corr = correlation_matrix(marginals, case.tables["correlations"])
    cache: dict[str, Any] = {}
    options = list(comparison.results)
    policies = [policy_from_plan(case, comparison.results[o], marginals, cache) for o in options]
    sc = len(marginals) - 1 if extra is not None else None
    return RiskModel(
        case,
        options,
        comparison.baseline,
        policies,
        marginals,
        corr,
        base_inputs(case, marginals),
        sc,
    )


def _chunk_npv(
    start: int,
    stop: int,
    seed: int,
    *,
    policies: list[Policy],
    marginals: list[Marginal],
    correlation: np.ndarray,
    x0: np.ndarray,
    scenario_column: int | None,
    method: str,
    threads: int | None = None,
) -> np.ndarray:
    """Sample one chunk and evaluate every policy on it (runs here or on a worker)."""
    s = sample(marginals, stop - start, method, seed, correlation)
    return evaluate(policies, s.values, x0, scenario_column, threads=threads)


@dataclass
class RiskResult:
    """Tidy tables of a risk analysis (``attrs['unit']`` on each)."""

    npv: pd.DataFrame
    summary: pd.DataFrame
    tornado: pd.DataFrame
    sobol: pd.DataFrame
    breakeven: pd.DataFrame
    waiting: pd.DataFrame | None
    meta: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (``waiting`` only when computed)."""
        out = {
            "npv": self.npv,
            "summary": self.summary,
            "tornado": self.tornado,
            "sobol": self.sobol,
            "breakeven": self.breakeven,
        }
        if self.waiting is not None:
            out["waiting"] = self.waiting
        return out


def _snap_ties(values: np.ndarray, base: int) -> np.ndarray:
    """Options equal to the baseline to rounding in every sample get the baseline's NPVs.

    Two plans that differ only in how the solver rounded (the free
    optimisation choosing the status quo) then tie exactly instead of
    beating each other at random by a few yen.
    """
    scale = max(float(np.abs(values[:, base]).max(initial=0.0)), 1.0)
    for o in range(values.shape[1]):
        if o != base and np.all(np.abs(values[:, o] - values[:, base]) <= _TIE * scale):
            values[:, o] = values[:, base]
    return values


def summary_table(
    npv: np.ndarray, options: list[str], baseline: str, currency: str
) -> pd.DataFrame:
    """:attr:`RiskResult.summary` from NPV samples of shape (samples, options).

    :func:`~insource.risk._metrics.npv_metrics` with the table's column names
    and units.
    """
    m = npv_metrics(npv, options, baseline)
    out = m.rename(
        columns={
            "p_beat": "prob_beats_baseline",
            "p_tie": "prob_ties_baseline",
            "regret": "expected_regret",
            "var": "var_5",
            "cvar": "cvar_5",
        }
    )
    cols = ["option", "mean", "p5", "p50", "p95", "prob_beats_baseline", "expected_regret"]
    out = out[[*cols, "var_5", "cvar_5", "sd", "mean_vs_baseline", "prob_ties_baseline"]].copy()
    out.attrs.update(
        name="NPV risk by option",
        unit=currency,
        units={"prob_beats_baseline": "fraction", "prob_ties_baseline": "fraction"},
        baseline=baseline,
        note="var_5/cvar_5: shortfall of the NPV against the baseline at the 5% level",
    )
    return out


def _best_alternative(summary: pd.DataFrame, baseline: str) -> str | None:
    """The alternative with the highest mean NPV.

    Options that tie the baseline in every sample (the same plan) are left out:
    their difference is zero, so nothing drives it.
    """
    alt = summary[(summary["option"] != baseline) & (summary["prob_ties_baseline"] < 1.0)]
    if alt.empty:
        return None
    return str(alt.sort_values("mean", ascending=False, kind="stable")["option"].iloc[0])


def _difference(model: RiskModel, option: str) -> Callable[[np.ndarray], np.ndarray]:
    def f(x: np.ndarray) -> np.ndarray:
        v = model.npv(x, [option, model.baseline])
        return v[:, 0] - v[:, 1]

    return f


def _tornado(model: RiskModel, best: str, currency: str) -> pd.DataFrame:
    t = tornado(_difference(model, best), model.marginals)
    labels = {m.id: label(m) for m in model.marginals}
    out = t.rename(columns={"y_low": "npv_low", "y_high": "npv_high"})
    out.insert(1, "label", out["input"].map(labels))
    out.attrs.update(
        name="tornado",
        unit=currency,
        units={"low": "input's own unit", "high": "input's own unit"},
        option=best,
        baseline=model.baseline,
        measure=f"NPV of {best} minus NPV of {model.baseline}",
        base=t.attrs["base"],
        quantiles=t.attrs["quantiles"],
    )
    return out


def _sobol(model: RiskModel, best: str, n: int, seed: int) -> pd.DataFrame:
    s = sobol_indices(_difference(model, best), model.marginals, n=n, seed=seed)
    labels = {m.id: label(m) for m in model.marginals}
    s.insert(1, "label", s["input"].map(labels))
    s.attrs.update(
        name="Sobol indices",
        unit="fraction of variance",
        option=best,
        baseline=model.baseline,
        measure=f"NPV of {best} minus NPV of {model.baseline}",
    )
    return s


def breakeven(model: RiskModel, currency: str) -> pd.DataFrame:
    r"""Values of the main inputs at which an option and the baseline are worth the same.

    For option :math:`o`, input :math:`k` and :math:`g(v) = \text{NPV}_o - \text{NPV}_0`
    with every other input at the case's value, the root of :math:`g` nearest
    to the case's value is found by :func:`scipy.optimize.brentq` in the
    bracket where a grid over the searched range changes sign. The range is
    the input's 0.1% to 99.9% quantiles widened by their distance on each side
    (not below 0). No sign change: ``breakeven`` is NaN and ``note`` says
    "no flip within [low, high]".
    """
    rows = []
    d = len(model.marginals)
    # a difference within the tie tolerance of the largest NPV is no side at all
    tol = _TIE * max(float(np.abs(model.npv(model.x0[None, :])).max()), 1.0)
    for o in model.options:
        if o == model.baseline:
            continue
        g = _difference(model, o)
        diff0 = float(g(model.x0.reshape(1, d))[0])
        for k, m in enumerate(model.marginals):
            name = MAIN_INPUTS.get((m.table, m.attribute))
            if name is None:
                continue
            q = m.ppf(np.array([0.001, 0.999]))
            width = float(q[1] - q[0])
            lo, hi = float(q[0] - width), float(q[1] + width)
            if m.apply != "factor":
                lo = max(lo, 0.0)
            x = np.tile(model.x0, (65, 1))
            grid = np.linspace(lo, hi, 65)
            x[:, k] = grid
            y = g(x)
            base = float(model.x0[k])
            live = np.flatnonzero(np.abs(y) > tol)  # points clearly on one side
            pairs = [
                (live[i], live[i + 1])
                for i in range(len(live) - 1)
                if np.sign(y[live[i]]) != np.sign(y[live[i + 1]])
            ]
            value, note = float("nan"), f"no flip within [{lo:.6g}, {hi:.6g}]"
            if not len(live):
                note = "same NPV as the baseline over the whole range"
            if pairs:

                def h(v: float, k: int = k, g: Callable[[np.ndarray], np.ndarray] = g) -> float:
                    xx = model.x0.copy()
                    xx[k] = v
                    return float(g(xx.reshape(1, d))[0])

                cands = [
                    float(brentq(h, grid[a], grid[b], xtol=1e-12 * max(abs(grid[b]), 1.0)))
                    for a, b in pairs
                ]
                value = min(cands, key=lambda v: abs(v - base))
                note = "flips" if len(cands) == 1 else f"flips {len(cands)} times; nearest shown"
            rows.append(
                {
                    "option": o,
                    "input": m.id,
                    "label": f"{name} ({m.row})",
                    "base": base,
                    "breakeven": value,
                    "unit": _unit(m, currency),
                    "low": lo,
                    "high": hi,
                    "npv_diff_at_base": diff0,
                    "note": note,
                }
            )
    cols = ["option", "input", "label", "base", "breakeven", "unit", "low", "high"]
    out = pd.DataFrame(rows, columns=[*cols, "npv_diff_at_base", "note"])
    out.attrs.update(
        name="break-even values",
        unit="unit column",
        units={"npv_diff_at_base": currency},
        note="value of one input (all others at the case's values) at which the option's NPV equals the baseline's",
        baseline=model.baseline,
    )
    return out


def chunk_function(
    model: RiskModel, method: str, threads: int | None = None
) -> Callable[..., np.ndarray]:
    """The per-chunk job of :func:`analyse`: sample a chunk and evaluate every option.

    A picklable partial of ``_chunk_npv``, so that Dask workers can run it.
    ``threads`` is passed to :func:`~insource.risk._evaluate.evaluate`
    (``None``: every core of the process running the chunk; on a Dask cluster
    :func:`analyse` uses 1, since the cluster runs chunks side by side). The
    result does not depend on it.
    """
    return functools.partial(
        _chunk_npv,
        policies=model.policies,
        marginals=model.marginals,
        correlation=model.correlation,
        x0=model.x0,
        scenario_column=model.scenario_column,
        method=method,
        threads=threads,
    )


def _waiting(
    model: RiskModel, comparison: Comparison, scenarios: int, seed: int, client: Any
) -> pd.DataFrame:
    from insource.risk._waiting import value_of_waiting

    return value_of_waiting(model, comparison, scenarios=scenarios, seed=seed, client=client)


def analyse(
    case: Case,
    comparison: Comparison | None = None,
    samples: int = 10_000,
    seed: int = 0,
    method: str = "lhs",
    scheduler: Any = None,
    workers: int | None = None,
    waiting: bool = False,
    progress: Callable[[int, int], None] | None = None,
    sobol_samples: int = 512,
    waiting_scenarios: int = 100,
) -> RiskResult:
    """Risk analysis of every option of ``case``.

    Parameters
    ----------
    case
        A validated case with an ``uncertainty`` table.
    comparison
        The options already planned (:func:`insource.plan.compare`); planned
        here when ``None``.
    samples, seed, method
        Number of joint samples, their seed and design (``mc``, ``lhs``,
        ``sobol``).
    scheduler
        A Dask scheduler address (``tcp://HOST:PORT``) or client. Without one,
        runs of more than :data:`LOCAL_LIMIT` samples (or any run with
        ``workers``) use a local cluster; smaller runs stay in this process.
        The results are the same either way.
    workers
        Workers of the local cluster.
    waiting
        Also compute the value of waiting (two-stage programme).
    progress
        Called with ``(samples done, samples)``.
    sobol_samples
        Base sample size of the Sobol indices (``N (d + 2)`` runs).
    waiting_scenarios
        Scenarios of the two-stage programme.

    Returns
    -------
    RiskResult

    """
    t0 = time.perf_counter()
    if comparison is None:
        comparison = compare(case)
    currency = str(case.finance["currency"])
    model = risk_model(case, comparison)
    unit_design(1, 1, method, seed)  # checks the method early
    if samples < 1:
        raise InsourceError(f"{samples} samples requested", "ask for at least one sample")
    sizes = [min(CHUNK, samples - s) for s in range(0, samples, CHUNK)]
    done = np.cumsum(sizes)

    def tick(k: int) -> None:
        if progress is not None:
            progress(int(done[k - 1]), samples)

    use_cluster = scheduler is not None or workers is not None or samples > LOCAL_LIMIT
    used_workers = 0
    # in this process the evaluator's blocks are shared by a thread per core; on a
    # cluster each worker thread runs one chunk at a time on one thread
    fn = chunk_function(model, method, threads=1 if use_cluster else None)
    # the NPVs option by option, one contiguous column each: the table's "npv" column
    # is this array itself, and each chunk is put in place as it arrives
    n_opt = len(model.options)
    flat = np.empty(n_opt * samples)
    by_option = flat.reshape(n_opt, samples)

    def put(start: int, stop: int, part: np.ndarray) -> None:
        by_option[:, start:stop] = part.T

    wait_table = None
    if use_cluster:
        with dask_client(scheduler, workers) as client:
            used_workers = len(client.scheduler_info().get("workers", {}))
            map_chunks(fn, samples, CHUNK, seed, client=client, progress=tick, collect=put)
            if waiting:  # its scenario batches (above EXTENSIVE_LIMIT) on the same cluster
                wait_table = _waiting(model, comparison, waiting_scenarios, seed, client)
    else:
        map_chunks(fn, samples, CHUNK, seed, progress=tick, collect=put)
        if waiting:
            wait_table = _waiting(model, comparison, waiting_scenarios, seed, None)
    values = _snap_ties(by_option.T, model.options.index(model.baseline))  # a view of flat
    index_type = np.int32 if samples < 2**31 else np.int64
    npv = pd.DataFrame(
        {
            "sample": np.tile(np.arange(samples, dtype=index_type), n_opt),
            # codes, not strings: 10 million samples x 5 options of '<U15' would be 3 GB
            "option": pd.Categorical.from_codes(
                np.repeat(np.arange(n_opt, dtype=np.int8 if n_opt < 128 else np.int32), samples),
                categories=pd.Index(model.options),
            ),
            "npv": flat,
        },
        copy=False,
    )
    npv.attrs.update(name="NPV samples", unit=currency)
    summary = summary_table(values, model.options, model.baseline, currency)
    best = _best_alternative(summary, model.baseline)
    if best is None:
        empty = pd.DataFrame()
        tor, sob = empty, empty
    else:
        tor = _tornado(model, best, currency)
        sob = _sobol(model, best, sobol_samples, seed)
    be = breakeven(model, currency)
    meta = {
        "samples": samples,
        "seed": seed,
        "method": method,
        "workers": used_workers if use_cluster else 0,
        "where": "dask" if use_cluster else "in-process",
        "seconds": time.perf_counter() - t0,
        "baseline": model.baseline,
        "best_alternative": best,
        "options": model.options,
        "inputs": [m.id for m in model.marginals],
        "chunk": CHUNK,
        "base_npv": dict(
            zip(model.options, map(float, model.npv(model.x0[None, :])[0]), strict=True)
        ),
        "currency": currency,
    }
    return RiskResult(npv, summary, tor, sob, be, wait_table, meta)
