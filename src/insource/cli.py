"""The ``insource`` command: one subcommand per job.

Exit status: 0 on success, 2 on a user error (bad input, infeasible request),
1 only for a bug. User errors print what is wrong, where and what to do, with
no traceback; with ``--json`` they print ``{"error": ..., "problems": [...]}``.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

import typer
from rich.console import Console
from typer.exceptions import TyperException

from insource.errors import InsourceError

__all__ = ["app", "console", "emit_json", "main", "run"]

app = typer.Typer(
    name="insource",
    help="Decide and plan bringing contract-manufactured production in-house.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = Console()
if not console.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
    console = Console(width=140)


@app.callback()
def _root() -> None:
    """Decide and plan bringing contract-manufactured production in-house.

    Example: [bold]insource show nissan-kei-ev[/]
    """


err_console = Console(stderr=True, soft_wrap=True)


def emit_json(payload: Any) -> None:
    """Print ``payload`` as JSON on standard output (NaN becomes null)."""
    sys.stdout.write(
        json.dumps(payload, indent=2, ensure_ascii=False, default=str, allow_nan=False)
    )
    sys.stdout.write("\n")


def _report_error(exc: InsourceError, as_json: bool) -> None:
    if as_json:
        emit_json({"error": exc.message, "problems": [p.to_dict() for p in exc.problems]})
        return
    err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
    problems = exc.problems
    if len(problems) == 1 and problems[0].what == exc.message:
        if exc.hint:
            err_console.print(
                f"  {exc.hint[:1].upper()}{exc.hint[1:]}", highlight=False, markup=False
            )
        return
    for p in problems:
        err_console.print(f"  - {p}", highlight=False, markup=False)


def _register_subcommands() -> None:
    """Import the modules that add commands to :data:`app`."""
    import insource.case.cli
    import insource.demand.cli
    import insource.plan.cli
    import insource.plant.cli
    import insource.report.cli
    import insource.risk.cli  # noqa: F401


#: The module that adds each top-level command, so that a run imports only what it
#: needs (``insource compare`` does not import the plant simulator); help and
#: commands not listed here import every module.
_COMMAND_MODULES = {
    **dict.fromkeys(["cases", "new", "validate", "export", "show"], "insource.case.cli"),
    "forecast": "insource.demand.cli",
    "plan": "insource.plan.cli",
    "compare": "insource.plan.cli",
    "import": "insource.plan.cli",
    "plant": "insource.plant.cli",
    "report": "insource.report.cli",
    "risk": "insource.risk.cli",
}


def _register_for(args: list[str]) -> None:
    """Register the command named in ``args`` alone when it is known, else every command."""
    words = [a for a in args if not a.startswith("-")]
    module = _COMMAND_MODULES.get(words[0]) if words else None
    if module is None or "--help" in args or "-h" in args:
        _register_subcommands()
    else:
        importlib.import_module(module)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0, 1 or 2)."""
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    _register_for(args)
    try:
        app(args=args, prog_name="insource", standalone_mode=False)
    except InsourceError as exc:
        _report_error(exc, as_json)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err_console.print("aborted")
        return 2
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except TyperException as exc:  # usage errors (unknown option, missing argument)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        return 2
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
