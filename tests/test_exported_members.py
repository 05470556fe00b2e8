"""The public surface of each package is exactly its ``__all__`` (after httpx)."""

import importlib
import types

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "insource",
        "insource.case",
        "insource.finance",
        "insource.plan",
        "insource.demand",
        "insource.plant",
        "insource.risk",
        "insource.report",
    ],
)
def test_all_lists_the_public_members(name: str) -> None:
    module = importlib.import_module(name)
    public = sorted(
        (
            m
            for m, v in vars(module).items()
            if not m.startswith("_") and not isinstance(v, types.ModuleType)
        ),
        key=str.casefold,
    )
    assert sorted(module.__all__, key=str.casefold) == public
