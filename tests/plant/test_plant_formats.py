from __future__ import annotations

import pytest

from insource.errors import InsourceError
from insource.plant import read_alb, read_csplib, read_in2, read_roadef, read_task_table


def test_in2_reads_times_and_precedences(data):
    g = read_in2(data / "tiny.IN2")
    assert g.times == (4, 3, 5, 2, 4, 2)
    assert g.precedences == ((0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (3, 5))


def test_alb_reads_cycle_time(data):
    g = read_alb(data / "tiny.alb")
    assert g.cycle_time == 10
    assert g.times == (6, 4, 5, 5)
    assert g.precedences == ((0, 1), (0, 2), (2, 3))


def test_cyclic_precedence_names_the_cycle(data):
    with pytest.raises(InsourceError, match=r"cyclic precedence 1 -> 2 -> 3 -> 1"):
        read_in2(data / "cyclic.IN2")


def test_mixed_table_weights_model_times(data):
    g = read_task_table(data / "mixed.csv", {"sakura": 1, "ek": 3})
    # a: (30*1 + 50*3)/4 = 45
    assert g.times[0] == pytest.approx(45)
    assert g.model_times["ek"] == (50, 20, 40, 30)
    assert (0, 3) not in g.precedences
    assert (1, 3) in g.precedences
    assert (2, 3) in g.precedences
    with pytest.raises(InsourceError, match="unknown models"):
        read_task_table(data / "mixed.csv", {"dayz": 1})


def test_csplib_block(data):
    (inst,) = read_csplib(data / "tiny_csplib.txt")
    assert inst.name == "tiny"
    assert inst.demand == (4, 3, 3)
    assert [(r.p, r.q) for r in inst.ratios] == [(1, 2), (2, 3)]


def test_csplib_unknown_option_is_rejected(data):
    with pytest.raises(InsourceError, match="option flags"):
        read_csplib(data / "unknown_option.txt")


def test_roadef_folder(data):
    inst = read_roadef(data / "roadef_tiny")
    assert inst.objective_order == ("HPRC", "PCC", "LPRC")
    assert inst.paint_batch_limit == 2
    assert inst.previous == (0, 1)
    assert inst.demand == (0, 1, 1, 1, 1)
    assert inst.car_ids[1] == ("car5",)
    assert [r.high_priority for r in inst.ratios] == [True, False]


def test_roadef_unknown_option(tmp_path, data):
    for f in (data / "roadef_tiny").iterdir():
        (tmp_path / f.name).write_text(f.read_text())
    (tmp_path / "ratios.txt").write_text("Ratio;Prio;Ident;\n1/2;1;HPRC1;\n")
    with pytest.raises(InsourceError, match=r"unknown options \['LPRC1'\]"):
        read_roadef(tmp_path)


def test_csplib_benchmark_file_parses(shared):
    found = read_csplib(shared / "carseq_csplib" / "data.txt")
    assert len(found) == 79
    assert sum(i.n_cars == 200 for i in found) == 70
    assert found[0].name == "4/72"
    assert found[0].n_cars == 100
