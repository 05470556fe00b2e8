"""User-facing errors: what is wrong, where, and what to do.

Every mistake a user can make (a bad file, an unknown id, an infeasible policy)
is raised as :class:`InsourceError` or a subclass. The command line prints it
without a traceback and exits with status 2; anything else is a bug (status 1).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["InsourceError", "Problem", "ProblemsError"]


def _sentence(text: str) -> str:
    """``text`` with a capital first letter, as the second sentence of a message."""
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Problem:
    """One problem in user input.

    Parameters
    ----------
    what
        What is wrong, in plain words.
    todo
        What to do about it.
    file
        File (or ``workbook.xlsx[sheet]``) the problem is in.
    row
        Row number as the user sees it (the header is row 1).
    column
        Column (attribute) name.

    """

    what: str
    todo: str = ""
    file: str | None = None
    row: int | None = None
    column: str | None = None

    @property
    def where(self) -> str:
        """Location as ``file, row R, column C`` (only the known parts)."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        head = f"{self.where}: {self.what}" if self.where else self.what
        return f"{head}. {_sentence(self.todo)}" if self.todo else head

    def to_dict(self) -> dict[str, object]:
        """Plain dictionary for JSON output."""
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "what": self.what,
            "todo": self.todo,
        }


class InsourceError(Exception):
    """A mistake in user input or a request that cannot be met (exit status 2)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}. {_sentence(self.hint)}" if self.hint else self.message

    @property
    def problems(self) -> list[Problem]:
        """The individual problems (one for a plain error)."""
        return [Problem(self.message, self.hint)]


class ProblemsError(InsourceError):
    """Several problems found at once (for example by case validation)."""

    def __init__(self, problems: list[Problem], title: str = "invalid input") -> None:
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{title}: {len(problems)} {noun}")
        self._problems = list(problems)

    @property
    def problems(self) -> list[Problem]:
        """Every problem found, in file and row order."""
        return self._problems

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  - {p}" for p in self._problems)])
