"""Run the benchmarks: ``python -m benchmarks [--only NAME]``.

Every module ``benchmarks/bench_*.py`` exposes ``main() -> None`` that prints
its figures as a table.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil

import benchmarks


def run() -> None:
    """Discover and run the ``bench_*`` modules."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--only", help="run only bench_NAME")
    args = parser.parse_args()
    names = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    if args.only:
        names = [n for n in names if n == f"bench_{args.only}"]
    for name in names:
        print(f"== {name}")
        importlib.import_module(f"benchmarks.{name}").main()


if __name__ == "__main__":
    run()
