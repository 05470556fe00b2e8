"""Shared fixtures: the hand-made tiny case and paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
REPO = TESTS.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A fresh copy of tests/data/tiny that a test may edit."""
    target = tmp_path / "tiny"
    shutil.copytree(TESTS / "data" / "tiny", target)
    return target


@pytest.fixture
def builtin_dir(tmp_path: Path) -> Path:
    """A fresh copy of the built-in nissan-kei-ev case that a test may edit."""
    from insource.case import resolve_case

    target = tmp_path / "kei"
    shutil.copytree(resolve_case("nissan-kei-ev"), target)
    return target
