"""Small pieces shared by the CLI subcommands (options, JSON output, logging)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import typer

OverwriteOpt = typer.Option(False, "--overwrite", help="Replace existing outputs.")
SeedOpt = typer.Option(
    0, "--seed", min=0, help="Random seed (same seed + data + machine = same result)."
)
JsonOpt = typer.Option(False, "--json", help="Print a JSON object instead of a table.")


def echo_json(obj: Any) -> None:
    """Print ``obj`` as pretty JSON on stdout (NaN becomes null)."""

    def clean(x: Any) -> Any:
        if isinstance(x, float) and x != x:
            return None
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        if hasattr(x, "item") and callable(x.item):
            return clean(x.item())
        return x

    typer.echo(json.dumps(clean(obj), indent=2))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that looks up ``sys.stderr`` at emit time (safe under test capture)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def setup_logging(verbose: bool = False) -> None:
    """Route oncosig's logging to stderr."""
    level = logging.DEBUG if verbose else logging.INFO
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("oncosig")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
