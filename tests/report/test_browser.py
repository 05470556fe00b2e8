"""A real browser opens the report from disk, offline: no errors, every chart drawn.

Needs Debian's chromium and chromium-driver (``.ci/run`` installs them). Without
them the test skips locally and fails in CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from insource.report import build_report, write_report
from tests.report.browser import find_chromium, open_page
from tests.report.conftest import hand_risk

SHOT = Path(__file__).parents[2] / "build" / "browser-test.png"


@pytest.fixture(scope="module")
def chromium() -> None:
    if find_chromium() is None:
        message = "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI must install them (.ci/run)")
        pytest.skip(message)


def test_report_renders_offline_in_chromium(chromium, tiny_compared, tmp_path: Path) -> None:
    case, cmp = tiny_compared
    risk = hand_risk([str(o) for o in cmp.summary["option"]], cmp.baseline)
    rep = build_report(case, cmp, risk, generated="test")
    (page,) = write_report(rep, tmp_path / "report.html")
    shot = tmp_path / "report.png"
    seen = open_page(page, shot)
    # nothing but the file itself was requested: plotly and styles are inlined
    assert seen.requests == [page.resolve().as_uri()]
    errors = [e for e in seen.console if e.get("level") in ("SEVERE", "ERROR")]
    assert errors == []
    assert seen.plots == len(rep.figures) >= 7
    assert seen.rendered == seen.plots, f"charts without an svg: {seen.empty}"
    assert seen.title == case.title
    assert shot.stat().st_size > 50_000  # a real picture, not a blank page
    SHOT.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, SHOT)  # kept for inspection (build/ is not tracked)
