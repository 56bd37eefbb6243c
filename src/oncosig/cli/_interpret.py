"""CLI: ``oncosig explain`` (Gene-CAM), ``oncosig enrich`` (ORA) and ``oncosig report``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from oncosig.cli._app import app
from oncosig.cli._common import OverwriteOpt

if TYPE_CHECKING:
    import pandas as pd
    from anndata import AnnData

LIBRARY_HELP = "go-bp, hallmark, reactome, wikipathways, or the path of a GMT file."


def _read_gene_list(path: Path) -> list[str]:
    """Genes from a text file: the first field of each line; blank and '#' lines skipped."""
    from oncosig._errors import OncosigInputError

    if not path.is_file():
        raise OncosigInputError("gene list not found", path=path)
    genes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            genes.append(re.split(r"[\t,; ]+", line)[0])
    if not genes:
        raise OncosigInputError("the gene list is empty (one gene per line)", path=path)
    return genes


@app.command("enrich")
def enrich(
    genes: Path = typer.Argument(..., help="Gene list: one gene (symbol or Ensembl ID) per line."),
    library: str = typer.Option("go-bp", "--library", help=LIBRARY_HELP),
    background: Path | None = typer.Option(
        None, "--background", help="Measured genes (one per line); the test's universe."
    ),
    out: Path = typer.Option(..., "--out", help="Result table (TSV)."),
    min_size: int = typer.Option(5, "--min-size", min=1, help="Smallest gene set tested."),
    max_size: int = typer.Option(500, "--max-size", min=1, help="Largest gene set tested."),
    overwrite: bool = OverwriteOpt,
) -> None:
    """Over-representation analysis (hypergeometric test, BH FDR) of a gene list."""
    from oncosig._atomic import check_can_write, write_table
    from oncosig._repro import write_run_record
    from oncosig.enrich import ora

    check_can_write(out, overwrite=overwrite)
    bg = _read_gene_list(background) if background is not None else None
    res = ora(
        _read_gene_list(genes), library=library, background=bg, min_size=min_size, max_size=max_size
    )
    write_table(res, out, overwrite=overwrite, index=False)
    n_sig = int((res["fdr"] < 0.05).sum())
    write_run_record(
        out,
        command="enrich",
        config={
            "genes": str(genes),
            "library": library,
            "background": None if background is None else str(background),
            "min_size": min_size,
            "max_size": max_size,
        },
        extra={
            "n_genes": int(res.attrs["n_genes"]),
            "universe": int(res.attrs["universe"]),
            "n_tested": int(res.attrs["n_tested"]),
            "n_fdr_below_0.05": n_sig,
        },
    )
    typer.echo(
        f"{res.attrs['n_genes']} genes in a universe of {res.attrs['universe']}, "
        f"{res.attrs['n_tested']} terms tested, {n_sig} at FDR < 0.05 -> {out}"
    )
    for _, row in res.head(min(5, n_sig)).iterrows():
        typer.echo(f"  {row['fdr']:.2e}  {row['overlap']}/{row['set_size']}  {row['term']}")


@app.command("report")
def report(
    run_dir: Path = typer.Argument(..., help="Folder written by a GeneXNet or DEGnext run."),
    out: Path = typer.Option(..., "--out", help="HTML file to write."),
    library: str = typer.Option(
        "go-bp",
        "--library",
        help="Library for the enrichment of the run's gene lists when it holds none ('none' skips).",
    ),
    title: str | None = typer.Option(None, "--title", help="Page title."),
    overwrite: bool = OverwriteOpt,
) -> None:
    """Write one self-contained HTML report (figures embedded) of a run directory."""
    from oncosig._repro import write_run_record
    from oncosig.report import write_report

    lib = None if library.lower() == "none" else library
    path = write_report(run_dir, out, overwrite=overwrite, title=title, library=lib)
    write_run_record(
        path,
        command="report",
        config={"run_dir": str(run_dir), "library": lib, "title": title},
    )
    typer.echo(f"report -> {path} ({path.stat().st_size / 1e6:.1f} MB)")


def _labels(adata: AnnData, labels: Path | None, column: str) -> pd.Series:
    import pandas as pd

    from oncosig._errors import OncosigInputError

    if labels is None:
        if column not in adata.obs:
            from oncosig.io import annotate_tcga

            annotate_tcga(adata)
        if column not in adata.obs:
            raise OncosigInputError(
                f"no label column '{column}' in the data's annotation; give --labels TSV"
            )
        return adata.obs[column].astype(str)
    table = pd.read_csv(labels, sep="\t", index_col=0, dtype=str)
    if column not in table.columns:
        raise OncosigInputError(f"no column '{column}' ({', '.join(table.columns)})", path=labels)
    missing = adata.obs_names.difference(table.index.astype(str))
    if len(missing):
        raise OncosigInputError(
            f"{len(missing)} samples have no label (e.g. {missing[0]})", path=labels
        )
    return table.loc[list(adata.obs_names), column].astype(str)


@app.command("explain")
def explain(
    data: list[Path] = typer.Argument(..., help="Expression files (any supported format)."),
    model: list[Path] | None = typer.Option(
        None,
        "--model",
        metavar="CKPT",
        help="GeneXNet checkpoint (.safetensors); repeat it to explain a seed ensemble "
        "(members' Gene-CAM scores averaged); default: the shipped model.",
    ),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    label_column: str | None = typer.Option(
        None,
        "--label-column",
        help="True classes (a --labels column, or a TCGA barcode annotation such as 'project'); "
        "rankings then use correctly classified samples only. Default: predicted classes.",
    ),
    labels: Path | None = typer.Option(None, "--labels", help="TSV: sample ID, then annotations."),
    top: int = typer.Option(20, "--top", min=1, help="Top-N genes per sample and per class."),
    heatmap_samples: int = typer.Option(
        20, "--heatmap-samples", min=1, help="Random samples per class heatmap."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the heatmap sample draw."),
    library: str = typer.Option(
        "go-bp",
        "--library",
        help="ORA of each class's top genes (background: the model's genes); 'none' skips. "
        + LIBRARY_HELP,
    ),
    overwrite: bool = OverwriteOpt,
) -> None:
    """Gene-CAM per class: top-gene tables (CSV), a heatmap per class (PNG), shared genes."""
    import anndata as ad

    from oncosig._atomic import check_can_write
    from oncosig._repro import write_run_record
    from oncosig.cli._genexnet import models_name
    from oncosig.interpret import explain_to_dir
    from oncosig.io import read

    out.mkdir(parents=True, exist_ok=True)
    check_can_write(out / "top_genes.csv", overwrite=overwrite)
    est = _load_model(model)
    adatas = [read(p) for p in data]
    adata = adatas[0] if len(adatas) == 1 else ad.concat(adatas, join="inner", merge="same")
    truth = _labels(adata, labels, label_column) if label_column else None
    summary = explain_to_dir(
        est,
        adata,
        out=out,
        truth=truth,
        top=top,
        heatmap_samples=heatmap_samples,
        seed=seed,
        library=library,
        overwrite=overwrite,
    )
    write_run_record(
        out,
        command="oncosig explain",
        config={
            "model": models_name(model),
            "data": [str(p) for p in data],
            "label_column": label_column,
            "labels": str(labels) if labels else None,
            "top": top,
            "heatmap_samples": heatmap_samples,
            "library": library,
        },
        seed=seed,
        extra=summary,
    )
    typer.echo(
        f"Gene-CAM of {adata.n_obs} samples, {len(summary['classes'])} classes, "
        f"{summary['n_shared_genes']} genes shared by >= 2 classes -> {out}"
    )


def _load_model(model: list[Path] | None) -> Any:
    """One checkpoint, a seed ensemble (several), or the shipped model."""
    from oncosig.cli._genexnet import load_models

    return load_models(model)
