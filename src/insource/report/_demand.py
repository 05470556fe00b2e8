"""Demand history and sampled paths of a case, as the tables the report draws."""

from __future__ import annotations

import numpy as np
import pandas as pd

from insource.case import Case
from insource.report._build import DemandView

__all__ = ["demand_view"]


def demand_view(case: Case, paths: int = 1000, seed: int = 0) -> DemandView | None:
    """Fit the case's demand (``insource.demand.forecast_case``) and tabulate it.

    Returns ``None`` when the case has no demand or market history. History
    spans become ``start, end, rate`` rows (units per month over the span),
    the sampled paths of the product line (the product and its successors)
    become ``path, period, volume``, and the case's named scenarios the plan
    uses (``Case.demand()``) are summed over the same products.
    """
    for name in ("demand_history", "market_history"):
        if case.tables[name].empty:
            return None
    from insource.demand import forecast_case

    fy = int(case.calendar.start_month)
    cf = forecast_case(dict(case.tables), fy_start=fy, n_paths=paths, seed=seed)
    obs = cf.product_obs if cf.product_obs is not None else cf.market_obs
    origin = cf.market_obs.origin
    assert origin is not None
    history = pd.DataFrame(
        {
            "start": [str(origin + int(a)) for a in obs.t0],
            "end": [str(origin + int(b) - 1) for b in obs.t1],
            "rate": obs.y / obs.length,
        }
    )
    line = [i for i in cf.scenarios.items if i != cf.market]
    sums = cf.scenarios.paths[:, :, : len(line)].sum(axis=2)
    n, t = sums.shape
    months = np.asarray(cf.scenarios.months.astype(str))
    tidy = pd.DataFrame(
        {
            "path": np.repeat(np.arange(n), t),
            "period": np.tile(months, n),
            "volume": sums.reshape(-1),
        }
    )
    dem = case.demand()
    scen = None
    if len(dem):
        d = dem[dem["product"].isin(line)].assign(period=lambda f: f["period"].astype(str))
        scen = d.groupby(["scenario", "period"], as_index=False, sort=False).agg(
            volume=("volume", "sum")
        )
        scen.attrs.update(
            name="demand the plan uses (named scenarios)",
            unit="units/month",
            description=f"Monthly demand of {', '.join(line)} in each case scenario.",
        )
    summary = cf.scenarios.summary(fy)
    summary = summary[summary["item"].isin(line)].reset_index(drop=True)
    summary.attrs.update(
        name="sampled demand by fiscal year",
        unit="units",
        description=(
            f"Mean and P5/P50/P95 of {n} sampled demand paths (seed {seed}), units a year,"
            " with the named low and high scenarios (P10/P90)."
        ),
    )
    return DemandView(
        product=cf.product,
        history=history,
        paths=tidy,
        scenarios=scen,
        summary=summary,
        notes=list(cf.notes),
        seed=seed,
    )
