"""``oncosig info PATH``: what an expression file or DEGnext dataset holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from oncosig.cli._app import app
from oncosig.cli._common import echo_json


def _echo_mapping(title: str, counts: dict[str, Any]) -> None:
    if not counts:
        return
    typer.echo(f"{title}:")
    for k, v in counts.items():
        typer.echo(f"  {k}: {v}")


@app.command("info")
def info(
    path: Annotated[
        Path,
        typer.Argument(
            help="Expression file (h5ad, GDC STAR/HTSeq, GDC sample sheet, Xena, CSV/TSV matrix) or DEGnext folder/file."
        ),
    ],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print a JSON object instead of text.")
    ] = False,
    cohort: Annotated[
        str | None,
        typer.Option("--cohort", help="DEGnext cohort (e.g. TCGA-BLCA) in a folder of many."),
    ] = None,
    normalized: Annotated[
        bool,
        typer.Option(
            "--normalized",
            help="Accept normalized (non-integer/negative) values instead of raw counts.",
        ),
    ] = False,
    orientation: Annotated[
        str,
        typer.Option(
            "--orientation", help="Matrix orientation: auto, genes_x_samples or samples_x_genes."
        ),
    ] = "auto",
) -> None:
    """Report format, samples, genes, gene ID type, value kind, sample types and projects.

    For DEGnext data: cohort, samples (normal/tumour), genes per split and missing splits.
    """
    from oncosig.io import detect_format, read
    from oncosig.io._summary import summarize, summarize_degnext

    fmt = detect_format(path)
    if fmt == "degnext":
        summary = summarize_degnext(path, cohort=cohort)
    else:
        kwargs: dict[str, Any] = {}
        if fmt in ("matrix", "xena"):
            kwargs["orientation"] = orientation
            if fmt == "xena":
                kwargs.pop("orientation")
        adata = read(path, allow_normalized=True if normalized else None, **kwargs)
        summary = summarize(adata)
    if json_out:
        echo_json(summary)
        return
    for key, value in summary.items():
        if isinstance(value, dict):
            _echo_mapping(key, value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for row in value:
                typer.echo(
                    f"{row['cohort']}: {row['n_samples']} samples ({row['n_normal']} normal, "
                    f"{row['n_tumor']} tumour); genes per split {row['genes_per_split']}; "
                    f"missing {', '.join(row['missing_splits']) or 'none'}"
                )
        else:
            typer.echo(f"{key}: {value}")
