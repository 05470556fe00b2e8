"""Explain why a policy cannot be met: an elastic relaxation of the model.

Phase one of the classic elastic method: the families in
:data:`~insource.plan._model.ELASTIC` get non-negative slacks and the total
slack is minimised. Every slack left positive names a constraint family, its
product or line and the months in conflict.
"""

from __future__ import annotations

import pandas as pd

from insource.errors import InsourceError, Problem
from insource.plan._data import PlanData
from insource.plan._model import ELASTIC, build_model
from insource.plan._solve import solve_model

__all__ = ["InfeasiblePlan", "explain_infeasibility"]


class InfeasiblePlan(InsourceError):
    """The option's policy cannot be met; :attr:`conflicts` says where."""

    def __init__(self, option: str, conflicts: pd.DataFrame) -> None:
        self.option = option
        self.conflicts = conflicts
        super().__init__(
            f"option {option!r} cannot be met",
            "relax the policy (a later start, a lower in-house share), add shifts or "
            "capacity, or allow lost sales",
        )

    @property
    def problems(self) -> list[Problem]:
        """One problem per conflicting family and entity, with its months."""
        out = []
        for _, r in self.conflicts.iterrows():
            out.append(
                Problem(
                    f"{r['family']} for {r['entity']} in {r['first']} to {r['last']}: "
                    f"{r['amount']:.6g} {r['unit']} short ({r['meaning']})",
                    "",
                )
            )
        return out or [Problem(self.message, self.hint)]


def explain_infeasibility(d: PlanData) -> pd.DataFrame:
    """Families, entities and months whose slack the elastic model cannot avoid.

    Returns
    -------
    DataFrame
        ``family, entity, first, last, months, amount, unit, meaning``.

    """
    m = build_model(d, elastic=True)
    outcome = solve_model(m, time_limit=60)
    rows = []
    units = {"Product-balance": "units", "Line-hours": "hours", "Contract-share": "units"}
    if outcome.status in ("optimal", "feasible"):
        for family, meaning in ELASTIC.items():
            name = f"Slack-{family}"
            if name not in m.variables:
                continue
            sol = m.variables[name].solution.fillna(0.0)
            frame = sol.rename("amount").to_dataframe().reset_index()
            frame = frame[frame["amount"] > 1e-6]
            if frame.empty:
                continue
            entity_dims = [c for c in frame.columns if c not in ("period", "amount")]
            frame["entity"] = frame[entity_dims].astype(str).agg(" / ".join, axis=1)
            for entity, g in frame.groupby("entity", sort=True):
                rows.append(
                    {
                        "family": family,
                        "entity": entity,
                        "first": g["period"].min(),
                        "last": g["period"].max(),
                        "months": len(g),
                        "amount": float(g["amount"].sum()),
                        "unit": units[family],
                        "meaning": meaning,
                    }
                )
    out = pd.DataFrame(
        rows, columns=["family", "entity", "first", "last", "months", "amount", "unit", "meaning"]
    )
    out.attrs.update(name="infeasibility", unit="")
    return out
