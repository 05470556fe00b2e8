"""Bass model: recovery of known parameters and published estimates."""

from __future__ import annotations

import numpy as np
import pytest

from insource.demand import BassModel, bass_cdf, bass_ols, bass_pdf
from insource.errors import InsourceError


def _interval_series(m: float, p: float, q: float, n: int) -> np.ndarray:
    t = np.arange(1.0, n + 1)
    return m * (bass_cdf(t, p, q) - bass_cdf(t - 1, p, q))


def test_cdf_matches_integrated_density() -> None:
    t = np.linspace(0, 20, 2001)
    f = bass_pdf(t, 0.02, 0.5)
    integral = np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) / 2 * np.diff(t))])
    np.testing.assert_allclose(integral, bass_cdf(t, 0.02, 0.5), atol=1e-5)


def test_hazard_is_linear_in_adopted_share() -> None:
    t = np.linspace(0.1, 15, 50)
    f, cdf = bass_pdf(t, 0.01, 0.3), bass_cdf(t, 0.01, 0.3)
    np.testing.assert_allclose(f / (1 - cdf), 0.01 + 0.3 * cdf, rtol=1e-10)


def test_recovers_parameters_without_noise() -> None:
    y = _interval_series(50_000, 0.004, 0.09, 48)  # monthly-scale parameters
    model = BassModel(n_boot=0).fit(y)
    assert model.m_ == pytest.approx(50_000, rel=1e-6)
    assert model.p_ == pytest.approx(0.004, rel=1e-6)
    assert model.q_ == pytest.approx(0.09, rel=1e-6)


def test_recovers_parameters_from_aggregated_totals() -> None:
    # monthly Bass volumes reported only as 12-month totals: the interval form
    # must still recover the monthly parameters (aggregated least squares)
    t1 = np.arange(12.0, 12 * 7 + 1, 12)
    y = 80_000 * (bass_cdf(t1, 0.002, 0.06) - bass_cdf(t1 - 12, 0.002, 0.06))
    model = BassModel(n_boot=0).fit(y, t1 - 12, t1)
    assert model.params_ == pytest.approx({"m": 80_000, "p": 0.002, "q": 0.06}, rel=1e-5)


@pytest.mark.parametrize(
    ("intervals", "n_seeds", "n_boot"), [("asymptotic", 40, 0), ("bootstrap", 8, 60)]
)
def test_noisy_fits_cover_the_truth(intervals: str, n_seeds: int, n_boot: int) -> None:
    # 90% intervals on 20 noisy points: coverage over seeds must be near nominal
    truth = {"m": 100_000.0, "p": 0.01, "q": 0.35}
    clean = _interval_series(truth["m"], truth["p"], truth["q"], 20)
    hits = dict.fromkeys(truth, 0)
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        y = np.maximum(clean + rng.normal(0, 0.03 * clean.max(), clean.size), 0)
        model = BassModel(intervals=intervals, n_boot=n_boot or 200, seed=seed).fit(y)
        for k, v in truth.items():
            lo, hi = model.intervals_[k]
            hits[k] += lo <= v <= hi
            assert model.params_[k] == pytest.approx(v, rel=0.3)
    for k in truth:
        assert hits[k] / n_seeds >= 0.6, (k, hits[k])


# Data: annual sales (10 periods) used in Chengjun Wang, "Bass diffusion model",
# RPubs (2012, https://rpubs.com/chengjun/bass_model), refitted with R's nls on
# the density form y_t = m f(t). Published estimates (3 significant figures):
# M = 6.80e4 (s.e. 3.13e3), P = 6.59e-3 (1.43e-3), Q = 6.38e-1 (4.14e-2).
# The data and the nls call are the example of Cowpertwait and Metcalfe (2009),
# Introductory Time Series with R, Springer, sec. 3.3.4, pp. 52-53 (US VCR
# sales 1980-1989); the book's script file ("Chapter 3, p52-53, Bass curve
# fitted using nls") holds the same numbers and call.
WANG_SALES = np.array([840, 1470, 2110, 4000, 7590, 10950, 10530, 9470, 7790, 5890.0])


def test_reproduces_published_nls_estimates() -> None:
    model = BassModel(form="density", intervals="asymptotic", n_boot=0).fit(WANG_SALES)
    assert float(f"{model.m_:.3g}") == 6.80e4
    assert float(f"{model.p_:.3g}") == 6.59e-3
    assert float(f"{model.q_:.3g}") == 0.638
    np.testing.assert_allclose(model.se_, [3.13e3, 1.43e-3, 4.14e-2], rtol=5e-3)


def test_reproduces_published_bass_ols_estimates() -> None:
    # Bass (1969) regression estimator. Data and published result: the exercise
    # "first 5 years of a durable good" (adoptions in millions 0.517, 1.169,
    # 1.604, 2.044, 2.286) in the course notes aoyingxue/GitNote,
    # GRADUATE_STUDY/2.555A_DATA_ANALYSIS_FOR_BRAND_MANAGEMENT/Module_1_InClass.md:
    # p = 0.0626032, q = 0.73766359, M = 10.5036768.
    m, p, q = bass_ols(np.array([0.517, 1.169, 1.604, 2.044, 2.286]))
    assert m == pytest.approx(10.5036768, abs=5e-7)
    assert p == pytest.approx(0.0626032, abs=5e-8)
    assert q == pytest.approx(0.73766359, abs=5e-9)


def test_bootstrap_is_seeded() -> None:
    a = BassModel(n_boot=50, seed=3).fit(WANG_SALES)
    b = BassModel(n_boot=50, seed=3).fit(WANG_SALES)
    c = BassModel(n_boot=50, seed=4).fit(WANG_SALES)
    np.testing.assert_array_equal(a.draws_, b.draws_)
    assert not np.array_equal(a.draws_, c.draws_)
    paths = a.simulate(100, seed=9, t0=np.arange(10.0, 15), t1=np.arange(11.0, 16))
    assert paths.shape == (100, 5)
    np.testing.assert_array_equal(
        paths, a.simulate(100, seed=9, t0=np.arange(10.0, 15), t1=np.arange(11.0, 16))
    )


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.array([1.0, 2.0, 3.0]), "too few points"),
        (np.array([1.0, np.nan, 3.0, 4.0, 5.0]), "missing"),
        (np.array([1.0, -2.0, 3.0, 4.0, 5.0]), "negative"),
        (np.zeros(8), "all zero"),
        (2.0 ** np.arange(12), "finite market potential"),
    ],
)
def test_bad_input_is_a_clear_error(y: np.ndarray, message: str) -> None:
    with pytest.raises(InsourceError, match=message):
        BassModel(n_boot=0).fit(y)


def test_profile_interval_of_market_potential() -> None:
    y = _interval_series(100_000, 0.01, 0.35, 20)
    rng = np.random.default_rng(3)
    noisy = np.maximum(y + rng.normal(0, 0.03 * y.max(), y.size), 0)
    model = BassModel(n_boot=0).fit(noisy)
    lo, hi = model.profile_interval(0.9)
    assert lo < model.m_ < hi
    assert lo <= 100_000 <= hi
    assert hi - lo < 0.2 * model.m_
    wide = model.profile_interval(0.99)
    assert wide[0] < lo  # a higher level gives a wider interval
    assert wide[1] > hi


def test_profile_interval_stays_open_when_the_data_cannot_close_it() -> None:
    # five yearly totals of a segment past its peak (the kei-EV history): 2 dof
    t1 = np.arange(12.0, 61.0, 12.0)
    model = BassModel(n_boot=0).fit(np.array([554, 27221, 44000, 25700, 20792.0]), t1 - 12, t1)
    lo, hi = model.profile_interval(0.9)
    assert hi == np.inf
    assert lo == -np.inf  # 2 degrees of freedom: even half the units sold is not excluded
    p_lo, p_hi = model.profile_interval(0.9, "p")
    assert p_lo == -np.inf  # no p > 0 is excluded from below either
    assert model.p_ < p_hi < np.inf


def test_profile_intervals_of_p_and_q_agree_with_the_asymptotic_ones_on_a_long_series() -> None:
    # 40 periods with 1% noise: the sum of squares is close to quadratic in
    # (log p, log q), so the profile interval must be the t-based Wald interval
    # exp(log p +- t_{n-3} se(log p)) (Bates and Watts 1988, ch. 6): both
    # half-widths on the log scale within 2% (observed: within 1.3%; a
    # threshold of F/n instead of F/(n-3) would be 4% short).
    from scipy.stats import t as t_dist

    y = _interval_series(100_000, 0.01, 0.35, 40)
    rng = np.random.default_rng(3)
    model = BassModel(intervals="asymptotic", n_boot=0).fit(
        np.maximum(y + rng.normal(0, 0.01 * y.max(), y.size), 0)
    )
    t = t_dist.ppf(0.95, 40 - 3)
    for i, name in ((1, "p"), (2, "q")):
        est = model.params_[name]
        half = t * model.se_[i] / est  # delta method: se(log p) = se(p) / p
        lo, hi = model.profile_interval(0.9, name)
        np.testing.assert_allclose(np.log([lo, hi]) - np.log(est), [-half, half], rtol=0.02)


def test_profile_interval_ends_are_where_the_profiled_sse_reaches_the_limit() -> None:
    # Independent check on Wang's series: at each end of the 95% interval of p
    # (q), a dense grid over the other rate with m in closed form gives a
    # minimum sum of squares equal to SSE_min (1 + F_{1,7} / 7); just inside
    # the interval it is below the limit.
    from scipy.stats import f as f_dist

    model = BassModel(form="density", intervals="asymptotic", n_boot=0).fit(WANG_SALES)
    t = np.arange(1.0, 11.0)
    limit = model.sse_ * (1 + f_dist.ppf(0.95, 1, 7) / 7)
    dense = np.exp(np.linspace(np.log(1e-5), np.log(3.0), 50_001))

    def min_sse(p: np.ndarray, q: np.ndarray) -> float:
        g = bass_pdf(t[None, :], p[:, None], q[:, None])
        m = (g @ WANG_SALES) / np.einsum("ij,ij->i", g, g)
        return float(np.min(np.sum((WANG_SALES - m[:, None] * g) ** 2, axis=1)))

    for name in ("p", "q"):
        lo, hi = model.profile_interval(0.95, name)
        assert lo < model.params_[name] < hi
        for end, inside in ((lo, lo * 1.01), (hi, hi / 1.01)):
            fixed = np.full(dense.size, end)
            args = (fixed, dense) if name == "p" else (dense, fixed)
            assert min_sse(*args) == pytest.approx(limit, rel=1e-5)
            fixed = np.full(dense.size, inside)
            args = (fixed, dense) if name == "p" else (dense, fixed)
            assert min_sse(*args) < limit


def test_profile_intervals_of_p_and_q_cover_the_truth() -> None:
    # 40 seeded replicates of a 15-period series with 5% noise: the 90%
    # intervals should cover the true p and q about 90% of the time (observed
    # 38 and 37 of 40). Too narrow (a wrong threshold) or trivially wide
    # (always open) intervals fail.
    y = _interval_series(100_000, 0.01, 0.35, 15)
    hits = np.zeros(2)
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        model = BassModel(intervals="asymptotic", n_boot=0).fit(
            np.maximum(y + rng.normal(0, 0.05 * y.max(), y.size), 0)
        )
        for i, (name, truth) in enumerate((("p", 0.01), ("q", 0.35))):
            lo, hi = model.profile_interval(0.9, name)
            assert np.isfinite([lo, hi]).all()
            hits[i] += lo <= truth <= hi
    assert np.all(hits / 40 >= 0.8)
    assert np.all(hits / 40 <= 0.975)


def test_profile_interval_of_an_unknown_parameter_is_an_error() -> None:
    model = BassModel(n_boot=0).fit(WANG_SALES)
    with pytest.raises(InsourceError, match="unknown parameter"):
        model.profile_interval(0.9, "r")


def test_simulate_with_noise_adds_the_residual_scale() -> None:
    rng = np.random.default_rng(11)
    clean = _interval_series(100_000, 0.01, 0.35, 20)
    model = BassModel(n_boot=100, seed=2).fit(clean + rng.normal(0, 300, clean.size))
    t0 = np.array([8.0, 9.0])  # near the peak: far from the zero clip
    plain = model.simulate(4000, 5, t0, t0 + 1)
    noisy = model.simulate(4000, 5, t0, t0 + 1, noise=True)
    assert model.sigma_ == pytest.approx(300, rel=0.35)
    np.testing.assert_allclose((noisy - plain).std(axis=0), model.sigma_, rtol=0.05)


def test_profile_intervals_of_an_exact_fit_are_points_not_a_crash() -> None:
    # a noise-free series leaves the sum of squares no margin: every profile
    # interval collapses to the estimate (it used to raise from brentq for p, q)
    model = BassModel(n_boot=0).fit(_interval_series(100_000, 0.01, 0.35, 40))
    for k in ("m", "p", "q"):
        lo, hi = model.profile_interval(0.9, k)
        assert lo <= model.params_[k] <= hi
        assert hi - lo <= 1e-4 * model.params_[k]


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5])
def test_profile_interval_level_outside_zero_one_is_a_clear_error(level: float) -> None:
    model = BassModel(n_boot=0).fit(WANG_SALES)
    with pytest.raises(InsourceError, match="not in"):
        model.profile_interval(level, "p")
