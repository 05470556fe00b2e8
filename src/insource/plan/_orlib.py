"""OR-Library capacitated facility location files as insource cases.

Format (Beasley 1988, ``capNN.txt``): ``m n``; then ``m`` lines ``capacity
fixed_cost`` (``capacity`` may be the literal word ``capacity`` in capa, capb,
capc: give it with ``--capacity``); then for each of the ``n`` customers its
demand followed by ``m`` costs of serving all of its demand from each facility.

The case: one product, a one-month horizon with no discounting or tax;
facility ``i`` becomes an own site and line with capacity ``Q_i`` units a month
and a "new" capability whose tooling capex is the fixed cost; customer ``j``
becomes a demand region; the cost of serving ``j`` from ``i`` becomes logistics
per unit ``c_ij / d_j``. Planned with lost sales forbidden, the optimal NPV
is minus the optimal CFLP cost.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from insource.case import case_from_tables, save_case
from insource.errors import InsourceError

__all__ = ["read_orlib_cap", "write_orlib_case"]


def read_orlib_cap(
    path: Path, capacity: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Parse a file into ``(capacity[m], fixed[m], demand[n], cost[m, n])``."""
    try:
        tokens = Path(path).read_text().split()
    except OSError as exc:
        raise InsourceError(f"cannot read {path}: {exc.strerror}", "check the path") from exc
    try:
        m, n = int(tokens[0]), int(tokens[1])
        pos = 2
        cap, fixed = np.zeros(m), np.zeros(m)
        for i in range(m):
            word = tokens[pos]
            if word.lower() == "capacity":
                if capacity is None:
                    raise InsourceError(
                        f"{path} gives no facility capacities",
                        "pass one with --capacity N (8000, 10000, 12000 or 14000 for capa)",
                    )
                cap[i] = capacity
            else:
                cap[i] = float(word) if capacity is None else capacity
            fixed[i] = float(tokens[pos + 1])
            pos += 2
        rest = np.array(tokens[pos : pos + n * (m + 1)], dtype=float)
        if len(rest) != n * (m + 1):
            raise ValueError("truncated")
    except (IndexError, ValueError) as exc:
        raise InsourceError(
            f"{path} is not an OR-Library capacitated facility location file",
            "expected 'm n', m lines 'capacity fixed_cost', then per customer its demand and m costs",
        ) from exc
    block = rest.reshape(n, m + 1)
    return cap, fixed, block[:, 0], block[:, 1:].T


def write_orlib_case(
    path: Path, target: Path, capacity: float | None = None, name: str | None = None
) -> Path:
    """Write the case folder for an OR-Library file (see the module docstring)."""
    cap, fixed, demand, cost = read_orlib_cap(path, capacity)
    m, n = cost.shape
    name = name or Path(path).stem
    fac = [f"f{i + 1}" for i in range(m)]
    cus = [f"c{j + 1}" for j in range(n)]
    meta = {
        "name": name,
        "title": f"OR-Library CFLP {name}",
        "description": f"Imported from {Path(path).name} (capacitated facility location)",
    }
    tables: dict[str, pd.DataFrame] = {}

    def write(table: str, frame: pd.DataFrame) -> None:
        tables[table] = frame

    write(
        "finance",
        pd.DataFrame(
            {
                "parameter": [
                    "currency",
                    "discount_rate",
                    "tax_rate",
                    "fiscal_year_start",
                    "start",
                    "end",
                ],
                "value": ["cost", "0", "0", "1", "2000-01", "2000-01"],
            }
        ),
    )
    write("products", pd.DataFrame({"id": ["unit"], "net_revenue": [0.0]}))
    write("regions", pd.DataFrame({"id": cus}))
    write("sites", pd.DataFrame({"id": fac, "owner": "own", "region": cus[0]}))
    write(
        "lines",
        pd.DataFrame(
            {
                "id": fac,
                "site": fac,
                "rate": cap,
                "hours_per_shift": 1,
                "days_per_year": 12,
                "shifts": 1,
                "min_shifts": 1,
                "max_shifts": 1,
                "shift_step_months": 1,
            }
        ),
    )
    write(
        "capabilities",
        pd.DataFrame({"line": fac, "product": "unit", "status": "new", "tooling_capex": fixed}),
    )
    served = demand > 0
    ii, jj = np.meshgrid(np.arange(m), np.flatnonzero(served), indexing="ij")
    unit = cost[ii, jj] / demand[jj]
    write(
        "logistics",
        pd.DataFrame(
            {
                "site": np.array(fac)[ii.ravel()],
                "region": np.array(cus)[jj.ravel()],
                "cost_per_unit": unit.ravel(),
            }
        ),
    )
    write("scenarios", pd.DataFrame({"id": ["base"], "probability": [1.0]}))
    write(
        "demand_scenarios",
        pd.DataFrame(
            {
                "scenario": "base",
                "product": "unit",
                "region": np.array(cus)[served],
                "period": "2000-01",
                "volume": demand[served],
            }
        ),
    )
    write(
        "options",
        pd.DataFrame(
            {
                "id": ["optimise"],
                "name": ["Open facilities"],
                "policy": ["optimise"],
                "baseline": [True],
            }
        ),
    )
    return save_case(case_from_tables(tables, meta), target)
