"""Case commands: cases, new, validate, show, export."""

from __future__ import annotations

from insource.cli import app

__all__: list[str] = []


@app.command("cases")
def cases_command() -> None:
    """List the built-in cases."""
    from importlib.resources import files

    root = files("insource.cases")
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_dir() and (entry / "case.toml").is_file():
            print(entry.name)
