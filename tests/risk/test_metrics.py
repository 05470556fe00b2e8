import numpy as np
import pytest

from insource.risk._metrics import npv_metrics


def test_metrics_by_hand() -> None:
    # 4 equally likely samples, options A (baseline) and B
    npv = np.array([[10.0, 12.0], [10.0, 8.0], [20.0, 25.0], [0.0, 0.0]])
    m = npv_metrics(npv, ["A", "B"], baseline="A", alpha=0.25).set_index("option")
    assert m.loc["B", "mean"] == pytest.approx(11.25)
    assert m.loc["B", "mean_vs_baseline"] == pytest.approx(1.25)  # (2 - 2 + 5 + 0) / 4
    assert m.loc["B", "p_beat"] == pytest.approx(0.5)  # two wins; a tie is no win
    assert m.loc["B", "p_tie"] == pytest.approx(0.25)
    # regret: best per sample 12, 10, 25, 0 -> A loses 2, 0, 5, 0; B loses 0, 2, 0, 0
    assert m.loc["A", "regret"] == pytest.approx(7 / 4)
    assert m.loc["B", "regret"] == pytest.approx(2 / 4)
    # differences B-A: 2, -2, 5, 0; the 25% quantile is -2: VaR 2, CVaR 2
    assert m.loc["B", "var"] == pytest.approx(2.0)
    assert m.loc["B", "cvar"] == pytest.approx(2.0)
    assert np.isnan(m.loc["A", "p_beat"])


def test_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="shape"):
        npv_metrics(np.zeros((3, 2)), ["A"], "A")
