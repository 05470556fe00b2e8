"""Plans compared once per session: the risk tests evaluate them many ways."""

from __future__ import annotations

import pytest

from insource.case import Case, load_case
from insource.plan import Comparison, compare


@pytest.fixture(scope="session")
def tiny_plans() -> tuple[Case, Comparison]:
    case = load_case("tests/data/tiny")
    return case, compare(case)


@pytest.fixture(scope="session")
def builtin_plans() -> tuple[Case, Comparison]:
    case = load_case("nissan-kei-ev")
    return case, compare(case)
