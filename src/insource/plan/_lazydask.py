"""Keep xarray from importing dask.array only to ask whether an array is one.

xarray checks every array it wraps with ``isinstance(data, dask.array.Array)``
(``xarray.namedarray.pycompat.array_type("dask")``) and, when dask is
installed, imports dask.array for it, and with it dask.array.fft, scipy.fft
and scipy.special: 0.4-0.6 s of CPU, a tenth of ``insource compare``, which
makes no dask array. No object can be a dask array before dask.array is
imported, so until then the answer is the empty tuple of types; once anything
imports dask.array the real type is given. Every other question xarray asks
about dask (version, availability) is answered by xarray's own
``DuckArrayModule("dask")``, which imports dask as before.

The hook is xarray's cache of these answers (``_cached_duck_array_modules``,
private; xarray is pinned in ``uv.lock``). If it is missing, nothing is
changed and xarray behaves as it always did.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["install"]


class _LazyDask:
    """Stand-in for xarray's ``DuckArrayModule("dask")`` that imports nothing to answer ``type``."""

    def __init__(self) -> None:
        self._real: Any = None

    @property
    def type(self) -> tuple[type, ...]:
        """``(dask.array.Array,)`` once dask.array is imported, else ``()``."""
        module = sys.modules.get("dask.array")
        array = getattr(module, "Array", None)
        return (array,) if isinstance(array, type) else ()

    def __getattr__(self, name: str) -> Any:
        if self._real is None:
            from xarray.namedarray.pycompat import DuckArrayModule

            self._real = DuckArrayModule("dask")
        return getattr(self._real, name)


def install() -> bool:
    """Put the stand-in in xarray's cache (unless xarray already answered); ``True`` if in place."""
    try:
        from xarray.namedarray import pycompat

        cache: dict[str, Any] = pycompat._cached_duck_array_modules  # type: ignore[assignment]
    except (ImportError, AttributeError):
        return False
    cache.setdefault("dask", _LazyDask())
    return isinstance(cache["dask"], _LazyDask)
