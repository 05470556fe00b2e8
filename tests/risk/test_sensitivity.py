import math

import numpy as np
import pytest

from insource.risk import Marginal
from insource.risk._sensitivity import sobol_indices, tornado


def U(name: str, lo: float, hi: float) -> Marginal:
    return Marginal(name, "t", "r", "a", "uniform", (lo, hi))


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function() -> None:
    # Published values for a = 7, b = 0.1 (Ishigami & Homma 1990; Saltelli et al. 2008, p. 179):
    # S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437.
    ms = [U(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    res = sobol_indices(ishigami, ms, n=2**13, seed=1).set_index("input")
    assert res.loc[["x1", "x2", "x3"], "S1"].to_numpy() == pytest.approx(
        [0.3139, 0.4424, 0.0], abs=0.03
    )
    assert res.loc[["x1", "x2", "x3"], "ST"].to_numpy() == pytest.approx(
        [0.5576, 0.4424, 0.2437], abs=0.03
    )
    assert list(res.index) == ["x1", "x2", "x3"]  # ranked by total effect


def test_tornado_of_a_linear_model() -> None:
    ms = [U("a", 0, 10), U("b", 0, 1), U("c", -5, 5)]
    coef = np.array([1.0, -20.0, 0.5])
    res = tornado(lambda x: x @ coef, ms)
    # swing = |coef| x (q95 - q05) = |coef| x 0.9 x width
    assert res["input"].tolist() == ["b", "a", "c"]
    assert res["swing"].tolist() == pytest.approx([18.0, 9.0, 4.5])
    assert res.attrs["base"] == pytest.approx(5 - 10 + 0)
