"""Errors to exit codes and messages, in one place.

Exit codes: 0 done, 1 the command failed (a boot error, a connector that cannot be reached),
2 bad input (an argument, an answer, a name), 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from .._errors import BootError, LbpyError, UsageError

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, UsageError):
        return EXIT_USAGE
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_FAILED


def fail(message: str, code: int) -> None:
    import typer

    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    typer.secho(f"error: {first_line}", err=True, fg="red")
    raise typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Run a command body; lbpy's errors become one line on stderr and an exit code."""
    try:
        yield
    except (UsageError, BootError, LbpyError) as exc:
        fail(str(exc), exit_code(exc))
    except KeyboardInterrupt:
        import typer

        typer.echo("", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except OSError as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        fail(f"{exc.strerror or exc}{':' if where else ''}{where}", EXIT_FAILED)


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, AttributeError):
        return False
