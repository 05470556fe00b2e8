"""The case commands, run through the real entry point (exit codes, JSON, messages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from insource.cli import main
from tests.case.test_validate import edit


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cases_lists_the_builtin(capsys) -> None:
    code, out, _ = run(capsys, "cases", "--json")
    assert code == 0
    assert [c["name"] for c in json.loads(out)] == ["nissan-kei-ev"]


def test_validate_ok_and_json(capsys) -> None:
    code, out, _ = run(capsys, "validate", "nissan-kei-ev", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["valid"] is True
    assert data["rows"]["products"] == 2


def test_validate_lists_every_problem_and_exits_2(capsys, tiny_dir: Path) -> None:
    edit(tiny_dir, "lines", 3, "rate", "fast")
    edit(tiny_dir, "contracts", 2, "site", "nowhere")
    code, out, err = run(capsys, "validate", str(tiny_dir))
    assert code == 2
    assert "Traceback" not in err
    assert "lines.csv, row 3, column 'rate': 'fast' is not a number" in err
    assert "contracts.csv, row 2, column 'site': unknown sites id 'nowhere'" in err
    code, out, _ = run(capsys, "validate", str(tiny_dir), "--json")
    assert code == 2
    problems = json.loads(out)["problems"]
    assert {(p["file"], p["row"], p["column"]) for p in problems} == {
        ("lines.csv", 3, "rate"),
        ("contracts.csv", 2, "site"),
    }


def test_unknown_case_is_a_user_error(capsys) -> None:
    code, _, err = run(capsys, "show", "nissan-kei")
    assert code == 2
    assert "did you mean 'nissan-kei-ev'" in err


def test_show_summarises(capsys) -> None:
    code, out, _ = run(capsys, "show", "nissan-kei-ev")
    assert code == 0
    for words in (
        "Products",
        "Plants",
        "Contracts",
        "Sales history",
        "Demand scenarios",
        "Options",
    ):
        assert words in out
    code, out, _ = run(capsys, "show", "nissan-kei-ev", "--json")
    data = json.loads(out)
    assert data["horizon"]["months"] == 120
    kyushu = next(r for r in data["lines"] if r["line"] == "kyushu-1")
    assert kyushu["owner"] == "own"
    assert 450_000 < kyushu["capacity"] < 550_000  # "about 500k a year"


def test_new_copies_and_refuses_to_overwrite(capsys, tmp_path: Path) -> None:
    target = tmp_path / "mine"
    code, _, _ = run(capsys, "new", str(target), "--from", "nissan-kei-ev")
    assert code == 0
    assert (target / "case.toml").is_file()
    assert run(capsys, "validate", str(target))[0] == 0
    code, _, err = run(capsys, "new", str(target))
    assert code == 2
    assert "already exists" in err


def test_export_to_excel_and_back(capsys, tmp_path: Path) -> None:
    book = tmp_path / "kei.xlsx"
    assert run(capsys, "export", "nissan-kei-ev", "--to", str(book))[0] == 0
    assert run(capsys, "validate", str(book))[0] == 0
    assert run(capsys, "export", str(book), "--to", str(tmp_path / "folder"))[0] == 0
    assert run(capsys, "export", "nissan-kei-ev", "--to", str(book))[0] == 2
    assert run(capsys, "export", "nissan-kei-ev", "--to", str(book), "--force")[0] == 0


def test_usage_errors_exit_2(capsys) -> None:
    assert run(capsys, "validate")[0] == 2
    assert run(capsys, "frobnicate")[0] == 2


@pytest.mark.parametrize("command", ["cases", "new", "validate", "show", "export"])
def test_every_command_has_help_with_an_example(capsys, command: str) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "Example" in out
    assert "--json" in out
