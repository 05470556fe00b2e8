"""xarray asks whether arrays are dask arrays without importing dask.array, and still knows them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import xarray as xr

from insource.plan import _lazydask

TINY = Path(__file__).parents[1] / "data" / "tiny"


def test_planning_data_does_not_import_dask_array():
    code = (
        "import sys\n"
        "from insource.case import load_case\n"
        "from insource.plan import plan_data, select_option, PlanSettings\n"
        f"case = load_case({str(TINY)!r})\n"
        "d = plan_data(case, select_option(case, 'make'), PlanSettings())\n"
        "assert d.demand.sum() > 0\n"
        "print('dask.array' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_dask_arrays_are_still_dask_arrays():
    import dask.array as da
    from xarray.namedarray.pycompat import array_type, mod_version

    _lazydask.install()  # in place, or xarray answered before: either way dask works
    assert array_type("dask") == (da.Array,)
    assert str(mod_version("dask")) != "0.0.0"
    v = xr.DataArray(da.ones((4,), chunks=2), dims=["t"])
    assert v.chunks == ((2, 2),)
    assert float((v * 2).sum().compute()) == 8.0
    assert xr.DataArray(np.ones(3)).chunks is None
