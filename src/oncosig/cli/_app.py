"""The typer application; subcommand modules attach themselves to it."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="oncosig",
    help="Genomic signatures of cancer from RNA-seq: readers, differential expression, "
    "DEGnext, GeneXNet, interpretation and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
