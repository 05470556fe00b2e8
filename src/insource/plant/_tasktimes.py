"""Task-time sums used by the plant loop, the rate and the readers, in one place.

* :func:`station_loads`: ``L_s = sum_{j at station s} t_j`` for one or many time vectors;
* :func:`mix_times`: mix-weighted task times ``t_j = sum_p w_p t_pj / sum_p w_p``, with
  the mix checked (known models, shares >= 0, positive sum).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from insource.errors import InsourceError

__all__ = ["mix_times", "station_loads"]


def station_loads(
    times: Sequence[float], assignment: Sequence[int], stations: int
) -> tuple[float, ...]:
    """Load of each station ``1..stations``: ``L_s = sum_{j: a_j = s} t_j``.

    ``assignment[j]`` is the (1-based) station of task ``j``.

    Examples
    --------
    >>> station_loads((1, 2, 3), (1, 2, 1), 2)
    (4.0, 2.0)

    """
    a = np.asarray(assignment, dtype=np.int64) - 1
    t = np.asarray(times, dtype=float)
    if len(a) != len(t):
        raise ValueError(f"{len(t)} task times for {len(a)} assigned tasks")
    return tuple(float(x) for x in np.bincount(a, weights=t, minlength=stations)[:stations])


def mix_times(
    model_times: Mapping[str, Sequence[float]],
    mix: Mapping[str, float] | None,
    where: str = "the model mix",
) -> tuple[float, ...]:
    """Mix-weighted task times ``t_j = sum_p w_p t_pj / sum_p w_p`` (equal weights if no mix).

    Raises :class:`InsourceError` when the mix names a model without task times, has
    a negative share, or its shares sum to zero.

    Examples
    --------
    >>> mix_times({"a": (10, 0), "b": (20, 4)}, {"a": 3, "b": 1})
    (12.5, 1.0)

    """
    models = list(model_times)
    weights = dict(mix) if mix else dict.fromkeys(models, 1.0)
    unknown = sorted(set(weights) - set(models))
    if unknown:
        raise InsourceError(
            f"{where} names unknown models {unknown}", f"models: {', '.join(models)}"
        )
    bad = sorted(p for p, w in weights.items() if not w >= 0)
    total = sum(weights.values())
    if bad or not total > 0:
        raise InsourceError(
            f"{where} must have non-negative shares with a positive sum: "
            + ", ".join(f"{p}={w:g}" for p, w in weights.items()),
            "give at least one model a positive share, e.g. sakura=0.7,ek=0.3",
        )
    w = np.array([weights.get(p, 0.0) / total for p in models])
    t = np.asarray([model_times[p] for p in models], dtype=float)
    return tuple(float(x) for x in w @ t)
