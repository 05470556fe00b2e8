import importlib
import types

import pytest


@pytest.mark.parametrize("name", ["insource.plan", "insource.finance"])
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
