"""What every command shares: the store option, JSON output, and errors mapped to exit codes.

Exit status: 0 success, 1 bad input or a failed operation (message on stderr), 2 usage error.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click
import orjson

from tom_tui.domain.errors import TomError, user_message
from tom_tui.domain.text import terminal_safe
from tom_tui.services.session import Store, open_store, resolve_store_path

F = TypeVar("F", bound=Callable[..., Any])


class AppContext:
    """Carried in click's context object: where the store is, opened on first use."""

    def __init__(self, store_path: str | None) -> None:
        self.store_path: Path = resolve_store_path(store_path)
        self.store_explicit = bool(store_path)
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.store_path)
        return self._store


pass_app = click.make_pass_decorator(AppContext)


def json_option(help_text: str | None = None) -> Callable[[F], F]:
    """The ``--json`` flag every command that can print JSON takes (``as_json`` in the command)."""
    return click.option("--json", "as_json", is_flag=True, help=help_text)


json_flag = json_option()


class TerminalSafeStream:
    """A text stream that writes control characters (other than line breaks, tabs and colours)
    as visible escapes: stored names or a server's words cannot drive the user's terminal."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextlib.contextmanager
def terminal_safe_output() -> Iterator[None]:
    """Text written to stdout and stderr inside goes through :class:`TerminalSafeStream`
    (JSON is written as bytes and escapes control characters itself)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalSafeStream(sys.stdout), TerminalSafeStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def emit_json(data: Any) -> None:
    sys.stdout.buffer.write(
        orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
    )
    sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


def emit_pieces(pieces: Iterable[bytes]) -> None:
    """Write output to stdout piece by piece as it is produced (constant memory for any size).

    A reader that stops early (``| head``) closes the pipe: the command then ends quietly with
    status 1 instead of a traceback, and nothing more is written.
    """
    out = sys.stdout.buffer
    try:
        for piece in pieces:
            out.write(piece)
        out.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


class ProgressBar:
    """A progress bar on stderr while a long command works, for a person watching a terminal
    (rich's, which Textual brings); nothing at all when stderr is not a terminal, so scripts and
    logs see only the command's own output.

    ``update(done, total, note)`` moves the bar (``total`` None: a spinner, for work of unknown
    size); ``stage(text)`` names what is being done now.
    """

    def __init__(self, description: str) -> None:
        self.description = description
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressBar:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[count]}"),  # "12/80" once the size of the work is known
                TimeElapsedColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=None, count="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, done: int | None = None, total: int | None = None, note: str = "") -> None:
        if self._progress is None:
            return
        description = f"{self.description}: {note[:40]}" if note else self.description
        count = f"{done}/{total}" if done is not None and total is not None else ""
        self._progress.update(self._task, completed=done, total=total, description=description, count=count)

    def stage(self, text: str) -> None:
        self.update(note=text)


def fail(message: str) -> None:
    """Print one error to stderr and exit with status 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def handle_errors(function: F) -> F:
    """Turn the errors a user can cause into a message and exit status 1."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (TomError, FileNotFoundError) as error:
            fail(user_message(error) or str(error))

    return wrapper  # type: ignore[return-value]


def app_command(function: F) -> F:
    """What every command that works on the store wears: it is handed the :class:`AppContext`
    first, and the errors a user can cause end it with a message and exit status 1."""
    return pass_app(handle_errors(function))  # type: ignore[return-value]


def complete_target_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of a target argument: names and aliases in the store the command line
    names (``--store`` or $TOM_TUI_STORE). Completion never prints an error: nothing is offered."""
    from click.shell_completion import CompletionItem

    from tom_tui.services.targets.completion import names_starting_with

    try:
        store = open_store(resolve_store_path(ctx.find_root().params.get("store_path")))
        names = names_starting_with(store, incomplete)
    except Exception:  # a missing or broken store: nothing to offer while the user types
        return []
    return [CompletionItem(name) for name in names]
