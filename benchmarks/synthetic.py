"""Seeded synthetic sourcing cases of growing size (products x lines x months)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from insource.case import case_from_tables, save_case


def write_case(folder: Path, products: int, lines: int, months: int, seed: int = 0) -> Path:
    """Write a case with contracts, tooling, ramp-up, shifts and other load."""
    rng = np.random.default_rng(seed)
    start = pd.Period("2026-04", "M")
    end = start + months - 1
    meta = {"name": f"synthetic-{products}x{lines}x{months}", "title": "Synthetic"}
    tables: dict[str, pd.DataFrame] = {}

    def put(name: str, frame: pd.DataFrame) -> None:
        tables[name] = frame

    put(
        "finance",
        pd.DataFrame(
            {
                "parameter": [
                    "currency",
                    "discount_rate",
                    "tax_rate",
                    "depreciation_years",
                    "fiscal_year_start",
                    "start",
                    "end",
                ],
                "value": ["JPY", "0.08", "0.3", "7", "4", str(start), str(end)],
            }
        ),
    )
    pid = [f"p{i + 1}" for i in range(products)]
    price = rng.uniform(1.5e6, 2.5e6, products)
    put(
        "products",
        pd.DataFrame(
            {
                "id": pid,
                "net_revenue": price,
                "material_cost": price * rng.uniform(0.5, 0.6, products),
                "battery_cost": price * rng.uniform(0.15, 0.2, products),
            }
        ),
    )
    regions = ["r1", "r2"]
    put("regions", pd.DataFrame({"id": regions}))
    n_sites = max(1, lines // 2)
    sid = [f"s{i + 1}" for i in range(n_sites)]
    put(
        "sites",
        pd.DataFrame(
            {
                "id": [*sid, "ps"],
                "owner": ["own"] * n_sites + ["partner"],
                "partner": [""] * n_sites + ["maker"],
                "region": [regions[i % 2] for i in range(n_sites + 1)],
            }
        ),
    )
    put(
        "partners",
        pd.DataFrame({"id": ["maker"], "kind": ["contractor"], "contribution_margin": [0.08]}),
    )
    lid = [f"l{i + 1}" for i in range(lines)]
    rate = rng.uniform(4, 12, lines) * max(1.0, products / lines)
    put(
        "lines",
        pd.DataFrame(
            {
                "id": lid,
                "site": [sid[i % n_sites] for i in range(lines)],
                "rate": rate,
                "hours_per_shift": 8,
                "days_per_year": 240,
                "min_shifts": 0,
                "max_shifts": 3,
                "shift_cost": rng.uniform(0.5e9, 1.5e9, lines),
                "shift_step_months": 3,
            }
        ),
    )
    caps = []
    for p in pid:
        for line in rng.choice(lid, size=min(3, lines), replace=False):
            caps.append(
                {
                    "line": line,
                    "product": p,
                    "status": "new",
                    "tooling_capex": rng.uniform(2e9, 8e9),
                    "tooling_lead_months": int(rng.integers(6, 19)),
                    "ramp_up": "0.3;0.6;0.9",
                    "conversion_cost": rng.uniform(8e4, 1.6e5),
                    "fixed_cost": rng.uniform(2e8, 6e8),
                }
            )
    put("capabilities", pd.DataFrame(caps))
    yearly = rng.uniform(3000, 15000, products)
    put(
        "contracts",
        pd.DataFrame(
            {
                "id": [f"c{i + 1}" for i in range(products)],
                "product": pid,
                "partner": "maker",
                "site": "ps",
                "unit_price": price * rng.uniform(0.85, 0.95, products),
                "includes_material": True,
                "capacity": yearly * 1.3,
                "min_volume": yearly * 0.2,
                "notice_months": 12,
                "exit_cost": rng.uniform(1e8, 1e9, products),
            }
        ),
    )
    other = [
        {"line": line, "model": "other", "period": f"{start}/", "units_per_year": r * 8 * 240 * 0.6}
        for line, r in zip(lid[::2], rate[::2], strict=False)
    ]
    put("other_load", pd.DataFrame(other))
    put(
        "logistics",
        pd.DataFrame(
            [
                {"site": s, "region": r, "cost_per_unit": rng.uniform(1.5e4, 3.5e4)}
                for s in [*sid, "ps"]
                for r in regions
            ]
        ),
    )
    put("scenarios", pd.DataFrame({"id": ["base"], "probability": [1.0]}))
    rows = []
    fys = range(start.year, (end.year if end.month >= 4 else end.year - 1) + 1)
    for j, p in enumerate(pid):
        growth = rng.uniform(-0.05, 0.1)
        for k, fy in enumerate(fys):
            for share, reg in ((0.6, "r1"), (0.4, "r2")):
                rows.append(
                    {
                        "scenario": "base",
                        "product": p,
                        "region": reg,
                        "period": f"FY{fy}",
                        "volume": yearly[j] * share * (1 + growth) ** k,
                    }
                )
    dem = pd.DataFrame(rows)
    last_fy = fys[-1]
    if (pd.Period(f"{last_fy + 1}-03", "M")) > end:  # clip the last year to the horizon
        span = f"FY{last_fy}/{end}"
        dem.loc[dem["period"] == f"FY{last_fy}", "period"] = span
    put("demand_scenarios", dem)
    put(
        "options",
        pd.DataFrame(
            {
                "id": ["contract", "optimise"],
                "policy": ["contract", "optimise"],
                "baseline": [True, False],
            }
        ),
    )
    return save_case(case_from_tables(tables, meta), folder)
