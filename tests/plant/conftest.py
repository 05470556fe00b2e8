from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks"


@pytest.fixture
def data() -> Path:
    return DATA


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"benchmark data not found at {SHARED} (../shared relative to the repo)")
    return SHARED
