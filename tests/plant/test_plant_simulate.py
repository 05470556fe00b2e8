from __future__ import annotations

import pytest

from insource.errors import InsourceError
from insource.plant import (
    TaskGraph,
    achievable_rate,
    deterministic_departures,
    mix_sequence,
    simulate_line,
)


def test_no_breakdowns_no_buffers_gives_bottleneck_rate():
    res = simulate_line([50, 60, 55], hours=2, replications=2)
    assert res.throughput == (pytest.approx(60.0), pytest.approx(60.0), pytest.approx(60.0))
    util = res.stations["utilisation"].tolist()
    assert util == pytest.approx([50 / 60, 1.0, 55 / 60], abs=1e-3)


def test_mixed_model_with_buffers_matches_recursion():
    times = {"A": [50, 70, 40], "B": [60, 30, 65]}
    seq = ["A", "B", "B"]
    res = simulate_line(times, seq, buffers=[1, 0], hours=2, warmup_hours=1, replications=1)
    jobs = [[*times[seq[j % 3]]] for j in range(600)]
    dep = [d[-1] for d in deterministic_departures(jobs, [1, 0])]
    inside = [d for d in dep if 3600 <= d <= 3 * 3600]
    expected = (len(inside) - 1) / (inside[-1] - inside[0]) * 3600
    assert res.throughput[0] == pytest.approx(expected, rel=1e-12)


def test_recursion_by_hand():
    # two stations, no buffer: job 2 cannot leave station 1 before job 1 leaves station 2
    dep = deterministic_departures([[1, 5], [1, 5]], [0])
    assert dep == [[1, 6], [6, 11]]


def test_availability_matches_theory_within_interval():
    res = simulate_line(
        [50, 60, 55], mtbf=3000, mttr=300, buffers=2, hours=25, replications=8, seed=1
    )
    for row in res.stations.itertuples():
        assert row.availability_low <= row.availability_theory <= row.availability_high
    assert res.throughput[1] < res.throughput[0] < res.throughput[2] < 60.0


def test_same_seed_same_answer():
    a = simulate_line([50, 60], mtbf=2000, mttr=200, hours=4, replications=3, seed=7)
    b = simulate_line([50, 60], mtbf=2000, mttr=200, hours=4, replications=3, seed=7)
    assert a.replications.equals(b.replications)


def test_bad_inputs():
    with pytest.raises(InsourceError, match="unknown models"):
        simulate_line({"A": [1, 2]}, ["B"])
    with pytest.raises(InsourceError, match="buffer"):
        simulate_line([1, 2, 3], buffers=[1])


def test_mix_sequence_is_proportional_and_spread():
    seq = mix_sequence({"sakura": 0.6, "ek": 0.4})
    assert len(seq) == 5
    assert seq.count("sakura") == 3
    assert "sakura sakura sakura" not in " ".join(seq * 2)


def test_achievable_rate_single_model():
    g = TaskGraph((20, 30, 25, 10, 15), ((0, 1), (1, 2), (0, 3), (3, 4)), name="line")
    res = achievable_rate(g, None, 50, hours=2, replications=2)
    # optimal balance at takt 50: 3 stations, bottleneck load <= 50
    assert res.balance.stations == 2 or res.balance.stations == 3
    assert res.rate[0] == pytest.approx(3600 / max(res.balance.loads))
    assert res.rate[0] >= res.takt_rate - 1e-9
