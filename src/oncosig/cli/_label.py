"""``oncosig label DE.tsv``: DEG labels, knowledge split and a DEGnext-layout dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncosig.cli._app import app
from oncosig.cli._common import JsonOpt, OverwriteOpt, SeedOpt, echo_json


def read_de_table(path: Path):  # type: ignore[no-untyped-def]
    """Read a DE result table (TSV or CSV, genes in the first column)."""
    import pandas as pd

    from oncosig._errors import OncosigInputError
    from oncosig.io._text import check_file, head_lines

    check_file(path)
    first = head_lines(path, 1)
    sep = "\t" if first and "\t" in first[0] else ","
    try:
        df = pd.read_csv(path, sep=sep, index_col=0)
    except (ValueError, pd.errors.ParserError) as exc:
        raise OncosigInputError(f"cannot read the DE table: {exc}", path=path) from exc
    if df.empty:
        raise OncosigInputError("the DE table has no rows", path=path)
    df.index = df.index.astype(str)
    return df


def check_out_folder(out: Path, *, overwrite: bool) -> None:
    """Refuse, before any work, an output that is a file or a non-empty folder.

    Without ``overwrite`` nothing already in ``out`` may be replaced (checked again per
    file by :func:`oncosig.io.write_degnext`).
    """
    from oncosig._errors import OncosigInputError

    if out.exists() and not out.is_dir():
        raise OncosigInputError(
            "output exists and is not a folder; --out takes a folder for the DEGnext files",
            path=out,
        )
    if not overwrite and out.is_dir() and any(out.iterdir()):
        raise OncosigInputError(
            "output folder exists and is not empty; pass --overwrite to replace its files "
            "or give a new folder",
            path=out,
        )


@app.command("label")
def label(
    de_table: Annotated[
        Path, typer.Argument(help="DE result table (oncosig de output, edgeR or DESeq2 columns).")
    ],
    counts: Annotated[
        Path,
        typer.Option("--counts", help="Raw counts of the same cohort (any format oncosig reads)."),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Output folder for the DEGnext-layout dataset.")
    ],
    fdr: Annotated[
        float, typer.Option("--fdr", help="Adjusted p-value cut-off (DE when FDR < cut-off).")
    ] = 0.01,
    logfc: Annotated[float, typer.Option("--logfc", help="DE only when |logFC| > this.")] = 0.0,
    knowledge: Annotated[
        str,
        typer.Option(
            "--knowledge", help="Knowledge sources for the bio (Q) set: cancermine,bailey."
        ),
    ] = "cancermine,bailey",
    gene_list: Annotated[
        Path | None,
        typer.Option(
            "--gene-list", help="File of known genes (one per line) instead of --knowledge."
        ),
    ] = None,
    cancer_type: Annotated[
        str | None,
        typer.Option(
            "--cancer-type",
            help="TCGA cohort, e.g. TCGA-CHOL: filters the knowledge and names the files.",
        ),
    ] = None,
    normal_first: Annotated[
        int | None,
        typer.Option(
            "--normal-first",
            help="The first N samples of COUNTS are normal (default: from TCGA barcodes).",
        ),
    ] = None,
    test_size: Annotated[
        float, typer.Option("--test-size", help="Fraction held out as T2/T3.")
    ] = 0.2,
    seed: int = SeedOpt,
    overwrite: bool = OverwriteOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Label genes DR/UR/neutral, split them T1/T2 (P) and F1/T3 (bio set Q), write DEGnext files."""
    from oncosig._errors import OncosigInputError
    from oncosig._repro import write_run_record
    from oncosig.de._knowledge import knowledge_genes, normalize_cancer_type
    from oncosig.de._label import label_genes
    from oncosig.de._splits import degnext_dataset, split_degnext
    from oncosig.io import read, write_degnext

    check_out_folder(out, overwrite=overwrite)
    table = read_de_table(de_table)
    adata = read(counts)
    cohort = cancer_type
    if cohort is None and "project" in adata.obs:
        projects = adata.obs["project"].dropna().astype(str).unique()
        if len(projects) == 1:
            cohort = projects[0]
    if cohort is None:
        raise OncosigInputError("cannot tell the cohort; pass --cancer-type TCGA-XXXX")
    cohort = f"TCGA-{normalize_cancer_type(cohort)}"
    labels = label_genes(table, fdr=fdr, logfc=logfc)
    if gene_list is not None:
        bio = knowledge_genes(gene_list=gene_list)
    else:
        bio = knowledge_genes(cancer_type=cancer_type, sources=knowledge)
    labels = labels[labels.index.isin(adata.var_names)]
    data = degnext_dataset(adata, labels, labels.astype(str), n_normal=normal_first)
    splits = split_degnext(
        labels.loc[data.obs_names],
        bio_genes=bio,
        seed=seed,
        test_size=test_size,
        symbols=data.obs["symbol"],
    )
    data.obs["split"] = splits.loc[data.obs_names].to_numpy()
    written = write_degnext(data, out, cohort=cohort, overwrite=overwrite)
    summary = {
        "cohort": cohort,
        "genes": int(data.n_obs),
        "samples": int(data.n_vars),
        "n_normal": int(data.uns["n_normal"]),
        "labels": {k: int(v) for k, v in data.obs["label"].value_counts().sort_index().items()},
        "splits": {k: int(v) for k, v in data.obs["split"].value_counts().sort_index().items()},
        "files": [str(p) for p in written],
    }
    write_run_record(
        out,
        command="label",
        config={
            "de_table": str(de_table),
            "counts": str(counts),
            "fdr": fdr,
            "logfc": logfc,
            "knowledge": None if gene_list else knowledge,
            "gene_list": str(gene_list) if gene_list else None,
            "cancer_type": cancer_type,
            "normal_first": normal_first,
            "test_size": test_size,
        },
        seed=seed,
        extra={"labels": summary["labels"], "splits": summary["splits"]},
    )
    if json_out:
        echo_json(summary)
        return
    typer.echo(
        f"{cohort}: {summary['genes']} genes x {summary['samples']} samples "
        f"({summary['n_normal']} normal); labels {summary['labels']}; splits {summary['splits']}"
    )
    typer.echo(f"wrote {len(written)} files to {out}")
