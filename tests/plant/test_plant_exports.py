from __future__ import annotations

import insource.plant


def test_all_lists_the_public_surface():
    public = sorted(
        (n for n in vars(insource.plant) if not n.startswith("_") and n != "annotations"),
        key=str.casefold,
    )
    # submodules imported for side effects (cli) are not part of the API
    public = [n for n in public if n != "cli"]
    assert sorted(insource.plant.__all__, key=str.casefold) == public
