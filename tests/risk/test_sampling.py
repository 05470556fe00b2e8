"""Samplers: moments of each family (closed forms), correlations, reproducibility."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from insource.case import load_case
from insource.risk import Marginal, correlation_matrix, marginals_from_case, sample


def M(kind: str, *params: float, values=(), probs=()) -> Marginal:
    return Marginal(kind, "t", "r", "a", kind, tuple(params), tuple(values), tuple(probs))


# closed-form mean and variance of each family
CASES = [
    (M("triangular", 2, 5, 11), (2 + 5 + 11) / 3, (4 + 25 + 121 - 10 - 22 - 55) / 18),
    (M("pert", 2, 5, 11), (2 + 4 * 5 + 11) / 6, None),
    (M("uniform", -1, 3), 1.0, 16 / 12),
    (M("normal", 10, 2), 10.0, 4.0),
    (
        M("lognormal", 3, 0.25),
        3 * math.exp(0.25**2 / 2),
        (math.exp(0.25**2) - 1) * 9 * math.exp(0.25**2),
    ),
    (
        M("discrete", values=(1, 2, 4), probs=(0.25, 0.5, 0.25)),
        2.25,
        0.25 * 1.25**2 + 0.5 * 0.25**2 + 0.25 * 1.75**2,
    ),
]


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
@pytest.mark.parametrize(("marginal", "mean", "var"), CASES, ids=[c[0].distribution for c in CASES])
def test_moments_match_closed_forms(
    marginal: Marginal, mean: float, var: float | None, method: str
) -> None:
    x = sample([marginal], 20_000, method=method, seed=3).values[:, 0]
    sd = math.sqrt(marginal.var())
    assert marginal.mean() == pytest.approx(mean, rel=1e-9)
    if var is not None:
        assert marginal.var() == pytest.approx(var, rel=1e-9)
    assert abs(x.mean() - mean) < 4 * sd / math.sqrt(len(x))
    assert x.var() == pytest.approx(marginal.var(), rel=0.05)


def test_lhs_is_stratified() -> None:
    x = sample([M("uniform", 0, 1)], 100, method="lhs", seed=1).values[:, 0]
    assert sorted(np.floor(x * 100).astype(int)) == list(range(100))


def test_same_seed_same_samples_and_other_seed_other_samples() -> None:
    ms = [M("normal", 0, 1), M("pert", 0, 1, 3)]
    a = sample(ms, 500, "lhs", seed=7).values
    assert np.array_equal(a, sample(ms, 500, "lhs", seed=7).values)
    assert not np.array_equal(a, sample(ms, 500, "lhs", seed=8).values)


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
def test_iman_conover_induces_rank_correlation_and_keeps_marginals(method: str) -> None:
    ms = [M("triangular", 0, 1, 4), M("lognormal", 1, 0.5), M("uniform", 0, 1)]
    target = np.array([[1, 0.7, -0.3], [0.7, 1, 0.0], [-0.3, 0.0, 1]])
    plain = sample(ms, 5000, method, seed=11).values
    corr = sample(ms, 5000, method, seed=11, correlation=target).values
    rho = stats.spearmanr(corr).statistic
    assert np.abs(rho - target).max() < 0.03
    assert np.array_equal(np.sort(plain, axis=0), np.sort(corr, axis=0))  # same values, reordered


def test_linear_npv_of_correlated_normals_has_the_known_mean_and_variance() -> None:
    # y = 5 + 2 x1 - 3 x2; x1 ~ N(1, 0.5), x2 ~ N(2, 1), Spearman 0.5.
    # For normals Pearson = 2 sin(pi rho_s / 6) (Pearson 1907).
    ms = [M("normal", 1, 0.5), M("normal", 2, 1)]
    rs = 0.5
    rp = 2 * math.sin(math.pi * rs / 6)
    x = sample(ms, 40_000, "lhs", seed=5, correlation=np.array([[1, rs], [rs, 1]])).values
    y = 5 + 2 * x[:, 0] - 3 * x[:, 1]
    mean = 5 + 2 * 1 - 3 * 2
    var = 4 * 0.25 + 9 * 1 - 2 * 2 * 3 * rp * 0.5 * 1
    assert y.mean() == pytest.approx(mean, abs=4 * math.sqrt(var / len(y)))
    assert y.var() == pytest.approx(var, rel=0.03)


def test_marginals_and_correlations_from_the_builtin_case() -> None:
    case = load_case("nissan-kei-ev")
    ms = marginals_from_case(case.uncertainty)
    assert [m.id for m in ms] == case.uncertainty["id"].tolist()
    c = correlation_matrix(ms, case.correlations)
    assert np.allclose(c, c.T)
    assert np.all(np.linalg.eigvalsh(c) > 0)
    s = sample(ms, 256, "sobol", seed=0, correlation=c)
    frame = s.frame()
    assert frame.shape == (256, len(ms))
    for m in ms:  # every sampled value within the case's own range
        col = frame[m.id]
        if m.distribution in ("triangular", "pert", "uniform"):
            assert col.between(m.params[0], m.params[-1]).all()
        if m.distribution == "discrete":
            assert set(col) <= set(m.values)
    assert isinstance(frame, pd.DataFrame)


@pytest.mark.parametrize(("a", "b"), [(1.1, 4.9), (3.0, 3.0), (4.9, 1.1), (1.4, 4.6)])
def test_tabulated_pert_quantiles_are_close_to_the_exact_ones(a: float, b: float) -> None:
    from scipy import special

    from insource.risk._distributions import _beta_ppf

    u = np.random.default_rng(0).random(200_000)
    assert np.abs(_beta_ppf(a, b, u) - special.betaincinv(a, b, u)).max() < 2.5e-5
