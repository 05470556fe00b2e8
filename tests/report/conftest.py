"""A compared tiny case and a hand-made risk result that follows the risk schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from insource.case import Case, load_case
from insource.plan import Comparison, compare
from insource.risk._analyse import summary_table

TINY = Path(__file__).parents[1] / "data" / "tiny"


@dataclass
class HandRisk:
    """The attributes the report reads from ``insource.risk.analyse``."""

    npv: pd.DataFrame
    summary: pd.DataFrame
    tornado: pd.DataFrame
    sobol: pd.DataFrame
    breakeven: pd.DataFrame
    waiting: pd.DataFrame | None
    meta: dict[str, Any] = field(default_factory=dict)


def hand_risk(options: list[str], baseline: str, seed: int = 0, n: int = 400) -> HandRisk:
    """Small risk tables in the documented schema (values made up, shapes real)."""
    rng = np.random.default_rng(seed)
    npv = pd.concat(
        [
            pd.DataFrame(
                {"sample": np.arange(n), "option": o, "npv": rng.normal(1e5 * (k + 1), 2e4, n)}
            )
            for k, o in enumerate(options)
        ],
        ignore_index=True,
    )
    wide = npv.pivot(index="sample", columns="option", values="npv")[options]
    summary = summary_table(wide.to_numpy(), options, baseline, "EUR")
    tornado = pd.DataFrame(
        {
            "input": ["price", "capex", "rate", "batt"],
            "label": ["contract price", "tooling capex", "discount rate", "battery cost"],
            "low": [750.0, 40000.0, 0.08, 80.0],
            "high": [900.0, 70000.0, 0.12, 120.0],
            "npv_low": [1.2e5, 1.6e5, 1.45e5, 1.55e5],
            "npv_high": [1.9e5, 1.3e5, 1.35e5, 1.45e5],
        }
    )
    tornado["swing"] = (tornado["npv_high"] - tornado["npv_low"]).abs()
    tornado.attrs["base"] = 1.5e5
    sobol = pd.DataFrame(
        {
            "input": tornado["input"],
            "label": tornado["label"],
            "S1": [0.6, 0.2, 0.05, 0.1],
            "S1_conf": [0.02] * 4,
            "ST": [0.62, 0.22, 0.06, 0.11],
            "ST_conf": [0.03] * 4,
        }
    )
    breakeven = pd.DataFrame(
        {
            "option": [options[1], options[1]],
            "input": ["price", "batt"],
            "label": ["contract price", "battery cost"],
            "base": [800.0, 100.0],
            "breakeven": [860.0, np.nan],
            "unit": ["EUR/unit", "EUR/unit"],
        }
    )
    waiting = pd.DataFrame(  # the rows insource.risk._waiting.value_of_waiting writes, in order
        {
            "metric": ["scenarios", "rp", "evpi", "vss", "value_of_waiting"],
            "value": [100.0, 9.0e3, 1.2e3, 4.0e2, 2.5e3],
            "unit": ["count", "EUR", "EUR", "EUR", "EUR"],
            "note": ["", "", "", "", ""],
        }
    )
    meta = {"samples": n, "seed": seed, "method": "lhs"}
    return HandRisk(npv, summary, tornado, sobol, breakeven, waiting, meta)


@pytest.fixture(scope="session")
def tiny_compared() -> tuple[Case, Comparison]:
    """The tiny case compared once per worker (every option planned)."""
    case = load_case(TINY)
    return case, compare(case)
