"""The risk analysis end to end: analytical moments, break-evens, seeds and workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from insource.case import Case, load_case
from insource.finance import discount_factors
from insource.plan import Comparison
from insource.risk import _analyse as analyse_module
from insource.risk import analyse, breakeven, risk_model


def _linear_case(tiny_dir: Path) -> Case:
    """Tiny with one demand scenario, buying only, and two independent normal inputs."""
    (tiny_dir / "scenarios.csv").write_text("id,name,probability\nbase,Base,1\n")
    dem = pd.read_csv(tiny_dir / "demand_scenarios.csv")
    dem[dem["scenario"] == "base"].to_csv(tiny_dir / "demand_scenarios.csv", index=False)
    opts = pd.read_csv(tiny_dir / "options.csv")
    opts[opts["id"] == "buy"].to_csv(tiny_dir / "options.csv", index=False)
    (tiny_dir / "uncertainty.csv").write_text(
        "id,table,row,attribute,distribution,low,base,high,sd\n"
        "price,contracts,c1,unit_price,normal,,800,,20\n"
        "revenue,products,car,net_revenue,normal,,1000,,30\n"
    )
    (tiny_dir / "correlations.csv").write_text("a,b,rho\n")
    return load_case(tiny_dir)


def test_normal_inputs_through_a_linear_npv_give_the_known_mean_and_variance(
    tiny_dir: Path,
) -> None:
    case = _linear_case(tiny_dir)
    result = analyse(case, samples=20_000, seed=1)
    npv = result.npv["npv"].to_numpy()
    # buying 100 a month for 24 months, no tax: dNPV/d revenue = -dNPV/d price = 100 sum(w)
    slope = 100.0 * discount_factors(24, 0.1).sum()
    base = result.meta["base_npv"]["buy"]
    assert npv.mean() == pytest.approx(base, abs=3 * slope * 36 / np.sqrt(20_000))
    assert npv.var(ddof=1) == pytest.approx(slope**2 * (20**2 + 30**2), rel=0.03)


def test_breakeven_flips_the_sign_of_the_npv_difference(
    tiny_plans: tuple[Case, Comparison],
) -> None:
    case, cmp = tiny_plans
    model = risk_model(case, cmp)
    be = breakeven(model, "EUR")
    flips = be[np.isfinite(be["breakeven"])]
    assert {"make", "make-cheap"} <= set(flips["option"])
    assert be.loc[be["option"] == "free", "breakeven"].isna().all()
    ids = [m.id for m in model.marginals]
    for row in flips.itertuples():
        k = ids.index(row.input)
        x = np.tile(model.x0, (3, 1))
        step = 1e-4 * abs(row.breakeven)
        x[:, k] = [row.breakeven - step, row.breakeven, row.breakeven + step]
        v = model.npv(x, [row.option, "buy"])
        diff = v[:, 0] - v[:, 1]
        assert np.sign(diff[0]) == -np.sign(diff[2]) != 0
        assert abs(diff[1]) < 1e-6 * abs(v[1, 1])


def test_same_seed_same_answer_other_seed_other_answer(
    tiny_plans: tuple[Case, Comparison],
) -> None:
    case, cmp = tiny_plans
    a = analyse(case, cmp, samples=1_500, seed=5)
    b = analyse(case, cmp, samples=1_500, seed=5)
    c = analyse(case, cmp, samples=1_500, seed=6)
    pd.testing.assert_frame_equal(a.npv, b.npv)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert not np.array_equal(a.npv["npv"], c.npv["npv"])
    s = a.summary.set_index("option")
    assert np.isnan(s.loc["buy", "prob_beats_baseline"])
    assert s.loc["free", "prob_beats_baseline"] == 0.0  # the same plan as buying: a tie
    assert s.loc["free", "prob_ties_baseline"] == 1.0
    assert a.summary.attrs["unit"] == "EUR"
    assert a.tornado.attrs["option"] == "make-cheap"  # the best alternative on the mean


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_one_and_two_workers_give_identical_results(
    tiny_plans: tuple[Case, Comparison], monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import Client, LocalCluster

    case, cmp = tiny_plans
    monkeypatch.setattr(analyse_module, "CHUNK", 700)  # three chunks
    here = analyse(case, cmp, samples=2_000, seed=3)
    assert here.meta["where"] == "in-process"
    out = []
    for n in (1, 2):
        with (
            LocalCluster(
                n_workers=n, threads_per_worker=1, processes=False, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            r = analyse(case, cmp, samples=2_000, seed=3, scheduler=client)
            assert r.meta["workers"] == n
            out.append(r)
    for r in out:
        pd.testing.assert_frame_equal(r.npv, here.npv)
        pd.testing.assert_frame_equal(r.summary, here.summary)
