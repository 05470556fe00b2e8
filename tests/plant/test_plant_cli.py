from __future__ import annotations

import json

from insource.cli import main


def test_balance_json(data, capsys):
    assert main(["plant", "balance", str(data / "tiny.IN2"), "--cycle-time", "10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["objective"], out["bound"]) == ("optimal", 3, 3)
    assert len(out["solution"]["assignment"]) == 6


def test_balance_salbp2_and_alb_cycle(data, capsys):
    assert main(["plant", "balance", str(data / "tiny.IN2"), "--stations", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == 11
    assert main(["plant", "balance", str(data / "tiny.alb"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stations"] == 2


def test_cyclic_input_exits_2(data, capsys):
    assert main(["plant", "balance", str(data / "cyclic.IN2"), "--cycle-time", "5"]) == 2
    assert "cyclic precedence" in capsys.readouterr().err


def test_task_longer_than_cycle_exits_2(data, capsys):
    assert main(["plant", "balance", str(data / "tiny.IN2"), "--cycle-time", "4.5"]) == 2
    assert "longer than the cycle time" in capsys.readouterr().err


def test_sequence_infeasible_mix_exits_2_with_windows(data, capsys):
    code = main(["plant", "sequence", str(data / "infeasible_csplib.txt"), "--time-limit", "3"])
    assert code == 2
    err = capsys.readouterr().err
    assert "it is proven that no sequence meets every ratio rule" in err
    assert "Violated windows: option1" in err


def test_sequence_soft_and_json(data, capsys):
    args = ["plant", "sequence", str(data / "infeasible_csplib.txt"), "--soft", "--json"]
    assert main([*args, "--time-limit", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["objective"], out["bound"], out["status"]) == (1, 1, "optimal")


def test_sequence_max_moves_is_a_reproducible_budget(shared, capsys):
    # 60-06: the greedy start has 6 excess cars, the move search removes them all
    args = ["plant", "sequence", str(shared / "carseq_csplib" / "data.txt")]
    args += ["--instance", "60-06", "--method", "local", "--soft", "--json"]
    runs = []
    for moves in ("20", "20", "400000"):
        assert main([*args, "--max-moves", moves]) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert runs[0]["solution"] == runs[1]["solution"]  # same budget, same sequence
    assert runs[0]["objective"] > 0
    assert (runs[2]["objective"], runs[2]["status"]) == (0, "optimal")
    assert main([*args, "--max-moves", "0"]) == 2  # a budget of no moves is refused
    assert "max-moves" in capsys.readouterr().err


def test_sequence_unknown_option_exits_2(data, capsys):
    assert main(["plant", "sequence", str(data / "unknown_option.txt")]) == 2
    assert "option" in capsys.readouterr().err


def test_sequence_roadef_folder(data, capsys):
    assert (
        main(["plant", "sequence", str(data / "roadef_tiny"), "--json", "--time-limit", "1"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert sorted(out["solution"]) == ["car2", "car3", "car4", "car5"]


def test_simulate_json(data, capsys):
    args = ["plant", "simulate", str(data / "mixed.csv"), "--cycle-time", "70"]
    args += ["--mix", "sakura=1,ek=1", "--hours", "2", "--replications", "2", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stations"] == 2
    # A then B alternate: station loads sakura (70, 70), ek (70, 70) -> one car per 70 s
    assert abs(out["rate_per_hour"]["mean"] - 3600 / 70) < 1e-9


def test_help_has_example(capsys):
    assert main(["plant", "balance", "--help"]) == 0
    assert "Example" in capsys.readouterr().out
