"""Write a file so that it appears whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["atomic_path", "write_tables"]


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place on success.

    The file gets the permissions a plainly created file would have (the
    umask applies), not the private mode of :func:`tempfile.mkstemp`. On an
    error the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _file_mode())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_tables(out: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Write each table as ``NAME.csv`` and ``NAME.parquet`` in ``out``, each whole or not at all.

    Period and categorical columns are written as their text, so that both
    files read back the same way.
    """
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        f = frame.copy()
        for col in f.columns:
            if isinstance(f[col].dtype, pd.PeriodDtype | pd.CategoricalDtype):
                f[col] = f[col].astype(str)
        with atomic_path(out / f"{name}.csv") as tmp:
            f.to_csv(tmp, index=False)
        with atomic_path(out / f"{name}.parquet") as tmp:
            f.to_parquet(tmp, index=False)
