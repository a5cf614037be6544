"""Errors a user sees. Each carries one sentence naming the thing and what was expected."""

from __future__ import annotations


class TomError(Exception):
    """Base of every error tom-tui reports to a user (CLI exit status 1)."""


class ValidationError(TomError):
    """Bad input: a field, a file line or an argument did not hold what was expected."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = problems if problems is not None else [message]

    def __str__(self) -> str:
        summary = super().__str__()
        if self.problems == [summary]:
            return summary
        if len(self.problems) > 1 and summary == self.problems[0]:
            return "\n".join(self.problems)
        return "\n".join([summary, *self.problems])


class NotFoundError(TomError):
    """A named thing (target, list, data product, job...) does not exist."""


class DuplicateError(TomError):
    """Creating something would duplicate an existing target (by name or by position)."""

    def __init__(self, message: str, existing_id: int | None = None) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class StoreError(TomError):
    """The store directory is missing, of a newer schema, or damaged."""


class AdapterError(TomError):
    """A remote service answered with an error or with something we could not understand."""


def user_message(error: BaseException) -> str | None:
    """The one sentence a user sees for ``error`` (CLI and TUI alike); None if it is a bug."""
    if isinstance(error, TomError):
        return str(error)
    if isinstance(error, FileNotFoundError):
        return f"{error.filename}: no such file"
    return None
