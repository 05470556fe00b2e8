"""Demand scenarios: sampled paths and named low/base/high cases.

Sampled paths are a dense array ``paths[path, month, item]`` (seeded; each
path draws one parameter set, so a path is a coherent future, not a stack of
independent monthly quantiles). Named scenarios summarise them per fiscal
year: *low*, *base* and *high* are the 10th, 50th and 90th percentiles of the
fiscal-year totals, weighted 0.3 / 0.4 / 0.3 (Swanson's rule, which keeps the
mean of a roughly symmetric distribution). The fiscal-year summary reports
the mean and P5 / P50 / P95 of the same totals (the percentiles the risk
analysis and the fan charts use) next to the named cases.

References
----------
Hurst, A., Brown, G. C. and Swanson, R. I. (2000). Swanson's 30-40-30 rule.
AAPG Bulletin 84(12), 1883-1891.

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insource.case._calendar import FiscalCalendar

__all__ = ["NAMED", "ScenarioSet"]

NAMED = (
    ("low", "Low", 0.10, 0.3),
    ("base", "Base", 0.50, 0.4),
    ("high", "High", 0.90, 0.3),
)
"""``(id, name, quantile, probability)`` of the named scenarios."""


@dataclass(frozen=True)
class ScenarioSet:
    """Sampled demand paths over months.

    Attributes
    ----------
    months
        The months of the paths.
    items
        Product (or market) ids, the last axis of ``paths``.
    paths
        Volumes, shape ``(n_paths, len(months), len(items))``.
    seed
        Seed the paths were drawn with.

    """

    months: pd.PeriodIndex
    items: tuple[str, ...]
    paths: np.ndarray
    seed: int

    @property
    def n_paths(self) -> int:
        """Number of sampled paths."""
        return int(self.paths.shape[0])

    def tidy(self) -> pd.DataFrame:
        """Return the paths as a long table ``path, item, period, volume``."""
        n, t, k = self.paths.shape
        return pd.DataFrame(
            {
                "path": np.repeat(np.arange(n), t * k),
                "item": np.tile(np.repeat(np.array(self.items), 1), n * t),
                "period": np.tile(np.repeat(self.months.astype(str).to_numpy(), k), n),
                "volume": self.paths.reshape(-1),
            }
        )

    def fiscal_years(self, fy_start: int = 4) -> tuple[list[str], np.ndarray]:
        """Sum the paths by fiscal year: span labels and ``(n, years, items)``.

        A year only partly inside the months is labelled by its months
        (``2026-01/2026-03``) so its total is not mistaken for a full year.
        """
        cal = FiscalCalendar(fy_start)
        fy = cal.fiscal_year(self.months)
        labels, sums = [], []
        for year in np.unique(fy):
            idx = np.flatnonzero(fy == year)
            first, last = self.months[idx[0]], self.months[idx[-1]]
            full = (first, last) == cal.bounds(int(year))
            labels.append(cal.label(int(year)) if full else f"{first}/{last}")
            sums.append(self.paths[:, idx, :].sum(axis=1))
        return labels, np.stack(sums, axis=1)

    def summary(
        self, fy_start: int = 4, quantiles: Sequence[float] = (0.05, 0.5, 0.95)
    ) -> pd.DataFrame:
        """Return per item and fiscal year the spread of the totals and the named cases.

        Columns ``mean`` and ``p5``, ``p50``, ``p95`` (one ``pN`` per entry of
        ``quantiles``) describe the fiscal-year totals of the paths, with the
        percentiles the risk analysis and the fan charts use. The named
        scenarios written for the plan (:data:`NAMED`) follow as columns
        ``low``, ``base``, ``high`` unless their percentile is already a
        column: with the defaults ``low`` (P10) and ``high`` (P90), ``base``
        being ``p50``.
        """
        labels, sums = self.fiscal_years(fy_start)
        named = [(sid, q) for sid, _, q, _ in NAMED if not any(np.isclose(q, quantiles))]
        probs = [*quantiles, *(q for _, q in named)]
        cols = [f"p{round(q * 100)}" for q in quantiles] + [sid for sid, _ in named]
        rows = []
        for j, item in enumerate(self.items):
            qs = np.quantile(sums[:, :, j], probs, axis=0)
            for i, label in enumerate(labels):
                row = {"item": item, "period": label, "mean": float(sums[:, i, j].mean())}
                row.update({c: float(qs[k, i]) for k, c in enumerate(cols)})
                rows.append(row)
        out = pd.DataFrame(rows, columns=["item", "period", "mean", *cols])
        pct = "/".join(f"P{round(q * 100)}" for q in quantiles)
        out.attrs["name"] = "Demand scenarios by fiscal year"
        out.attrs["unit"] = "units"
        out.attrs["description"] = (
            f"Mean and {pct} of the fiscal-year totals of {self.n_paths} sampled paths "
            f"(seed {self.seed})"
            + (
                "; "
                + ", ".join(f"{sid} = P{round(q * 100)}" for sid, q in named)
                + ": the named scenarios written for the plan"
                if named
                else ""
            )
        )
        return out

    def named(
        self, fy_start: int = 4, items: Sequence[str] | None = None, region: str = ""
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return the case tables ``scenarios`` and ``demand_scenarios`` (low/base/high).

        Volumes are fiscal-year totals (spans ``FY2028``; a partial first or
        last year as a month range), which the case spreads evenly over the
        months of each span.
        """
        labels, sums = self.fiscal_years(fy_start)
        keep = list(self.items) if items is None else list(items)
        scen = pd.DataFrame(
            [
                {
                    "id": sid,
                    "name": name,
                    "probability": prob,
                    "description": f"P{round(q * 100)} of {self.n_paths} sampled diffusion paths "
                    f"(seed {self.seed}); Swanson 30-40-30 weights",
                }
                for sid, name, q, prob in NAMED
            ]
        )
        rows = []
        for j, item in enumerate(self.items):
            if item not in keep:
                continue
            for sid, _, q, _ in NAMED:
                vals = np.quantile(sums[:, :, j], q, axis=0)
                for label, v in zip(labels, vals, strict=True):
                    rows.append(
                        {
                            "scenario": sid,
                            "product": item,
                            "region": region,
                            "period": label,
                            "volume": round(float(v), 1),
                        }
                    )
        return scen, pd.DataFrame(
            rows, columns=["scenario", "product", "region", "period", "volume"]
        )
