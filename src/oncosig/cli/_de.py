"""``oncosig de COUNTS``: two-group differential expression (edgeR / DESeq2 engines)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from oncosig.cli._app import app
from oncosig.cli._common import JsonOpt, OverwriteOpt, echo_json

SUMMARY_FDR = 0.01


def read_groups(path: Path, samples: list[str]) -> dict[str, str]:
    """Read a two-column sample -> condition table (TSV/CSV, header optional)."""
    import pandas as pd

    from oncosig._errors import OncosigInputError

    if not path.is_file():
        raise OncosigInputError("groups file not found", path=path)
    text = path.read_text(encoding="utf-8").splitlines()
    sep = "\t" if text and "\t" in text[0] else ","
    df = pd.read_csv(path, sep=sep, header=None, dtype=str, comment="#")
    if df.shape[1] < 2:
        raise OncosigInputError(
            "the groups file needs two columns: sample and condition", path=path
        )
    df = df.iloc[:, :2].dropna()
    mapping = dict(zip(df.iloc[:, 0].str.strip(), df.iloc[:, 1].str.strip(), strict=True))
    known = set(samples)
    if not known.intersection(mapping):
        # a header line is the only row that may not match; anything else is an error
        raise OncosigInputError(
            "no sample of the groups file is in the counts; the first column must hold the "
            f"sample names of the counts (e.g. {samples[0]!r})",
            path=path,
        )
    return {s: c for s, c in mapping.items() if s in known}


def barcode_groups(adata: Any) -> Any:
    """Normal and tumour samples told apart by their TCGA barcodes (others left out)."""
    import numpy as np

    from oncosig._constants import NORMAL, OBS_CONDITION, OBS_TISSUE, TUMOR
    from oncosig._errors import OncosigInputError

    tissue = (
        adata.obs[OBS_TISSUE].astype(str).to_numpy()
        if OBS_TISSUE in adata.obs
        else np.full(adata.n_obs, "unknown")
    )
    keep = np.isin(tissue, [NORMAL, TUMOR])
    n_normal, n_tumor = int((tissue == NORMAL).sum()), int((tissue == TUMOR).sum())
    if n_normal == 0 or n_tumor == 0:
        raise OncosigInputError(
            "cannot tell normal from tumour samples by their names (TCGA barcodes found: "
            f"{n_normal} normal, {n_tumor} tumour); give --groups TSV or --normal-first N"
        )
    if not keep.all():
        typer.echo(
            f"note: {int((~keep).sum())} sample(s) neither normal nor tumour by their TCGA "
            "barcode are left out",
            err=True,
        )
        adata = adata[keep].copy()
    typer.echo(
        f"note: groups from the sample types (obs '{OBS_TISSUE}', read from TCGA barcodes): "
        f"{n_normal} normal, {n_tumor} tumour",
        err=True,
    )
    adata.obs[OBS_CONDITION] = adata.obs[OBS_TISSUE].astype(str).to_numpy()
    return adata


def summarise(table: Any, method: str, seconds: float) -> dict[str, Any]:
    """Counts of up/down genes at FDR 0.01 (edgeR or DESeq2 columns)."""
    if "padj" in table.columns:
        fdr, lfc = table["padj"], table["log2FoldChange"]
    else:
        fdr, lfc = table["FDR"], table["logFC"]
    sig = fdr < SUMMARY_FDR
    return {
        "method": method,
        "n_genes": int(table.shape[0]),
        "n_up": int((sig & (lfc > 0)).sum()),
        "n_down": int((sig & (lfc < 0)).sum()),
        "fdr": SUMMARY_FDR,
        "comparison": table.attrs.get("comparison"),
        "seconds": round(seconds, 3),
    }


@app.command("de")
def de(
    counts: Annotated[
        Path, typer.Argument(help="Raw counts (any format `oncosig.io.read` reads).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output table (.tsv or .csv).")],
    method: Annotated[
        str,
        typer.Option("--method", help="Engine: edger-exact, edger-lrt, edger-ql or deseq2."),
    ] = "edger-lrt",
    groups: Annotated[
        Path | None,
        typer.Option(
            "--groups",
            help="Two-column table: sample, condition (e.g. normal/tumor). Default: normal "
            "and tumour samples from TCGA barcodes.",
        ),
    ] = None,
    normal_first: Annotated[
        int | None,
        typer.Option(
            "--normal-first", min=2, help="The first N samples are normal, the rest tumor."
        ),
    ] = None,
    reference: Annotated[
        str, typer.Option("--reference", help="Reference condition (logFC = other vs this).")
    ] = "normal",
    json_out: bool = JsonOpt,
    overwrite: bool = OverwriteOpt,
) -> None:
    """Two-group differential expression; writes R's column names and a run record."""
    import numpy as np

    from oncosig._atomic import check_can_write, write_table
    from oncosig._constants import NORMAL, OBS_CONDITION, TUMOR
    from oncosig._errors import OncosigInputError
    from oncosig._repro import write_run_record
    from oncosig.de import METHODS, differential_expression
    from oncosig.io import read

    if method not in METHODS:
        raise OncosigInputError(f"unknown --method {method!r}; use one of {', '.join(METHODS)}")
    if groups is not None and normal_first is not None:
        raise OncosigInputError("give at most one of --groups TSV or --normal-first N")
    check_can_write(out, overwrite=overwrite)
    adata = read(counts)
    samples = [str(s) for s in adata.obs_names]
    if normal_first is not None:
        if normal_first >= adata.n_obs:
            raise OncosigInputError(
                f"--normal-first {normal_first} leaves no tumor sample ({adata.n_obs} samples)"
            )
        cond = np.array([NORMAL] * normal_first + [TUMOR] * (adata.n_obs - normal_first))
        adata.obs[OBS_CONDITION] = cond
    elif groups is None:
        adata = barcode_groups(adata)
    else:
        mapping = read_groups(groups, samples)
        keep = [s in mapping for s in samples]
        if not all(keep):
            typer.echo(
                f"note: {len(keep) - sum(keep)} sample(s) not in the groups file are left out",
                err=True,
            )
            adata = adata[np.asarray(keep)].copy()
        adata.obs[OBS_CONDITION] = [mapping[str(s)] for s in adata.obs_names]
    t0 = time.perf_counter()
    table = differential_expression(
        adata,
        groupby=OBS_CONDITION,
        reference=reference,
        method=method,  # type: ignore[arg-type]
    )
    seconds = time.perf_counter() - t0
    write_table(table, out, overwrite=overwrite, index_label="gene")
    summary = summarise(table, method, seconds)
    write_run_record(
        out,
        command="oncosig de",
        config={
            "counts": str(counts),
            "method": method,
            "groups": None if groups is None else str(groups),
            "normal_first": normal_first,
            "groups_from_barcodes": groups is None and normal_first is None,
            "reference": reference,
            "out": str(out),
        },
        extra={"summary": summary},
    )
    if json_out:
        echo_json({**summary, "out": str(out)})
    else:
        typer.echo(
            f"{method}: {summary['n_genes']} genes, {summary['n_up']} up and "
            f"{summary['n_down']} down at FDR < {SUMMARY_FDR} -> {out} ({seconds:.1f} s)"
        )
