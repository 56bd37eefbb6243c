"""Small pieces shared by the CLI subcommands (options, output checks, JSON output, logging)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
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


def prepare_outputs(
    out: Path,
    ckpt_names: tuple[str, ...],
    *,
    checkpoint_dir: Path | None,
    resume: bool,
    overwrite: bool,
) -> Path:
    """Check, before any work, that ``out`` may be written and prepare the resume folder.

    The folder is ``checkpoint_dir`` or ``<out>.resume/``; returns it (see
    :func:`oncosig._resume.prepare_checkpoint_dir` for what is checked there).
    """
    from oncosig._atomic import check_can_write
    from oncosig._resume import default_checkpoint_dir, prepare_checkpoint_dir

    check_can_write(out, overwrite=overwrite)
    return prepare_checkpoint_dir(
        checkpoint_dir or default_checkpoint_dir(out),
        ckpt_names,
        resume=resume,
        overwrite=overwrite,
    )


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
