"""Explain why a policy cannot be met: an elastic relaxation of the model.

Two views, both from HiGHS. Phase one of the classic elastic method: the
families in :data:`~insource.plan._model.ELASTIC` get non-negative slacks and
the total slack is minimised; every slack left positive names a constraint
family, its product or line, the months in conflict and how much is short.
And, where HiGHS computes one (``Highs.getIis`` on the model that failed; it
exists for LP-infeasible models; linopy's ``Model.compute_infeasibilities``),
an irreducible infeasible subset: the
constraints that cannot all hold together, each of which can be met once any
other is dropped (Chinneck 2008, *Feasibility and Infeasibility in
Optimization*, ch. 2).
"""

from __future__ import annotations

import linopy
import pandas as pd

from insource.errors import InsourceError, Problem
from insource.plan._data import PlanData
from insource.plan._model import ELASTIC, build_model
from insource.plan._solve import solve_model

__all__ = ["InfeasiblePlan", "explain_infeasibility", "irreducible_subset"]


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
            where = f"{r['family']} for {r['entity']} in {r['first']} to {r['last']}"
            if r.get("source") == "iis":
                text = f"{where}: {r['meaning']}"
            else:
                text = f"{where}: {r['amount']:.6g} {r['unit']} short ({r['meaning']})"
            out.append(Problem(text, ""))
        return out or [Problem(self.message, self.hint)]


_COLUMNS = ["family", "entity", "first", "last", "months", "amount", "unit", "meaning", "source"]


def _rows(frame: pd.DataFrame, family: str, **fields: object) -> list[dict[str, object]]:
    """One row per entity (the coordinates other than ``period``) with its months."""
    entity_dims = [c for c in frame.columns if c not in ("period", "amount")]
    frame = frame.assign(entity=frame[entity_dims].astype(str).agg(" / ".join, axis=1))
    out = []
    for entity, g in frame.groupby("entity", sort=True):
        out.append(
            {
                "family": family,
                "entity": entity,
                "first": g["period"].min() if "period" in g else "",
                "last": g["period"].max() if "period" in g else "",
                "months": len(g),
                "amount": float(g["amount"].sum()) if "amount" in g else float("nan"),
                **fields,
            }
        )
    return out


def irreducible_subset(m: linopy.Model) -> pd.DataFrame:
    """The constraints of an irreducible infeasible subset HiGHS finds for ``m``.

    ``m`` must have been solved (infeasible) with HiGHS. Empty when HiGHS
    gives no IIS (e.g. the LP relaxation is feasible and only the integers
    conflict).
    """
    empty = pd.DataFrame(columns=_COLUMNS)
    try:  # linopy asks HiGHS (getIis, irreducible strategy) for the subset
        labels = m.compute_infeasibilities()
    except (RuntimeError, ValueError, NotImplementedError):  # no IIS: the elastic view stands
        return empty
    found: dict[str, list[dict[str, object]]] = {}
    for label in labels:
        pos = m.constraints.get_label_position(int(label))
        if isinstance(pos, tuple) and isinstance(pos[1], dict):
            found.setdefault(str(pos[0]), []).append({k: str(v) for k, v in pos[1].items()})
    out = []
    for family, coords in sorted(found.items()):
        meaning = "in the irreducible infeasible subset HiGHS found (with the variable bounds)"
        out += _rows(pd.DataFrame(coords), family, unit="", meaning=meaning, source="iis")
    return pd.DataFrame(out, columns=_COLUMNS)


def explain_infeasibility(d: PlanData, failed: linopy.Model | None = None) -> pd.DataFrame:
    """Families, entities and months whose slack the elastic model cannot avoid.

    Parameters
    ----------
    d
        The planning data.
    failed
        The model HiGHS found infeasible: its irreducible infeasible subset,
        where HiGHS gives one, is added (``source = "iis"``) after the elastic
        rows (``source = "elastic"``).

    Returns
    -------
    DataFrame
        ``family, entity, first, last, months, amount, unit, meaning, source``.

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
            rows += _rows(frame, family, unit=units[family], meaning=meaning, source="elastic")
    out = pd.DataFrame(rows, columns=_COLUMNS)
    if failed is not None:
        iis = irreducible_subset(failed)
        if not iis.empty:
            out = pd.concat([out, iis], ignore_index=True) if len(out) else iis
    out.attrs.update(name="infeasibility", unit="")
    return out
