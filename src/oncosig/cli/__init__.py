"""Command-line interface ``oncosig`` (thin: every subcommand calls the public API).

Errors caused by the user's input (``ValueError``, ``TypeError``, ``OSError`` and
oncosig's own :class:`~oncosig._errors.OncosigInputError`) end with a one-line
``error: ...`` message on stderr and exit code 2 — never a traceback.  Set
``ONCOSIG_DEBUG=1`` to see the traceback.
"""

from __future__ import annotations

import os
import sys
import warnings

import typer

from oncosig.cli import (  # noqa: F401  (imports register the subcommands)
    _de,
    _degnext,
    _demo,
    _genexnet,
    _genexnet_cv,
    _info,
    _interpret,
    _label,
)
from oncosig.cli._app import app
from oncosig.cli._common import setup_logging

EXIT_USAGE = 2


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``oncosig`` console script."""
    setup_logging(verbose=bool(os.environ.get("ONCOSIG_VERBOSE")))
    warnings.filterwarnings("default", module="oncosig")
    try:
        app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except (ValueError, TypeError, OSError, KeyError, LookupError) as exc:
        if os.environ.get("ONCOSIG_DEBUG"):
            raise
        msg = str(exc) or type(exc).__name__
        if isinstance(exc, FileNotFoundError) and exc.filename:
            msg = f"{exc.filename}: file not found"
        _fail(msg.splitlines()[0] if msg else type(exc).__name__)
    except MemoryError:
        _fail("out of memory; use a smaller batch size or the on-disk (backed) data mode")


__all__ = ["app", "main"]
