import insource.demand


def test_all_lists_the_public_names() -> None:
    public = sorted(
        n
        for n, v in vars(insource.demand).items()
        if not n.startswith("_") and not isinstance(v, type(insource)) and n != "annotations"
    )
    assert sorted(insource.demand.__all__) == public
