"""Shared helpers for the plant benchmarks (data lives in ../shared, never in the repo)."""

from __future__ import annotations

import csv
import platform
import statistics
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks"


def shared_dir(name: str) -> Path | None:
    path = SHARED / name
    if not path.is_dir():
        print(f"skipped: {path} not found (benchmark data is read from ../shared)")
        return None
    return path


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text().splitlines()))


def machine() -> str:
    import os

    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"


def summary(times: list[float]) -> str:
    if not times:
        return "-"
    return f"median {statistics.median(times):.3f} s, max {max(times):.2f} s"
