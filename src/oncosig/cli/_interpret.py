"""CLI: ``oncosig explain`` (Gene-CAM), ``oncosig enrich`` (ORA) and ``oncosig report``."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from oncosig.cli._app import app
from oncosig.cli._common import OverwriteOpt

if TYPE_CHECKING:
    import pandas as pd
    from anndata import AnnData

logger = logging.getLogger(__name__)

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
    from oncosig.enrich import ora

    check_can_write(out, overwrite=overwrite)
    bg = _read_gene_list(background) if background is not None else None
    res = ora(
        _read_gene_list(genes), library=library, background=bg, min_size=min_size, max_size=max_size
    )
    write_table(res, out, overwrite=overwrite, index=False)
    n_sig = int((res["fdr"] < 0.05).sum())
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
    from oncosig.report import write_report

    lib = None if library.lower() == "none" else library
    path = write_report(run_dir, out, overwrite=overwrite, title=title, library=lib)
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


def _log_cpm(adata: AnnData, genes: list[str]) -> pd.DataFrame:
    """log2(CPM + 1) of ``genes`` (NaN where the data lack a gene)."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    from oncosig._constants import COUNTS_LAYER

    m = adata.layers[COUNTS_LAYER] if COUNTS_LAYER in adata.layers else adata.X
    lib = np.asarray(m.sum(axis=1)).ravel().astype(float)
    present = [g for g in genes if g in adata.var_names]
    cols = adata.var_names.get_indexer(present)
    sub = m[:, cols]
    sub = sub.toarray() if sp.issparse(sub) else np.asarray(sub, dtype=float)
    vals = np.log2(sub / np.maximum(lib, 1)[:, None] * 1e6 + 1)
    df = pd.DataFrame(vals, index=adata.obs_names, columns=present)
    return df.reindex(columns=genes)


def _symbols(adata: AnnData, genes: list[str]) -> dict[str, str]:
    from oncosig._constants import VAR_SYMBOL
    from oncosig._errors import OncosigInputError
    from oncosig.enrich import to_symbols

    out: dict[str, str] = {}
    if VAR_SYMBOL in adata.var:
        col = adata.var[VAR_SYMBOL]
        out.update({g: str(col[g]) for g in genes if g in col.index and isinstance(col[g], str)})
    for g in genes:
        if g not in out:
            try:
                sym = to_symbols([g])
            except OncosigInputError:
                break
            if sym:
                out[g] = sym[0]
    return out


@app.command("explain")
def explain(
    data: list[Path] = typer.Argument(..., help="Expression files (any supported format)."),
    model: Path | None = typer.Option(
        None, "--model", help="GeneXNet checkpoint (.safetensors); default: the shipped model."
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
    import numpy as np

    from oncosig import pl
    from oncosig._atomic import check_can_write, write_table
    from oncosig._repro import write_run_record
    from oncosig.interpret import common_genes, gene_scores, rank_genes
    from oncosig.io import read

    out.mkdir(parents=True, exist_ok=True)
    check_can_write(out / "top_genes.csv", overwrite=overwrite)
    est = _load_model(model)
    adatas = [read(p) for p in data]
    adata = adatas[0] if len(adatas) == 1 else ad.concat(adatas, join="inner", merge="same")
    pred = np.asarray(est.predict(adata), dtype=object).astype(str)
    truth = _labels(adata, labels, label_column) if label_column else None
    y = pred if truth is None else truth.to_numpy().astype(str)
    scores = gene_scores(est, adata)
    ranking = rank_genes(scores, y, predictions=pred, n_top=top)
    symbols = _symbols(adata, sorted(set(ranking["gene"])))
    ranking.insert(3, "symbol", ranking["gene"].map(symbols).fillna(""))
    write_table(ranking, out / "top_genes.csv", overwrite=overwrite, index=False)
    shared = common_genes(ranking, min_classes=2)
    shared.insert(1, "symbol", shared["gene"].map(symbols).fillna(""))
    write_table(shared, out / "common_genes.csv", overwrite=overwrite, index=False)
    expr = _log_cpm(adata, sorted(set(ranking["gene"])))
    for cls, grp in ranking.groupby("class", sort=True):
        sel = (y == cls) & (pred == cls)
        genes = grp.sort_values("rank")["gene"].tolist()[:20]
        ax = pl.genecam_heatmap(
            expr.loc[sel, genes],
            genes,
            shares=dict(zip(grp["gene"], grp["share"], strict=True)),
            symbols=symbols,
            n_samples=heatmap_samples,
            seed=seed,
            title=f"{cls}: Gene-CAM top {len(genes)} genes",
            colorbar_label="log2(CPM + 1)",
        )
        pl.savefig(ax, out / f"heatmap_{_safe(str(cls))}.png", overwrite=overwrite)
    if library.lower() != "none":
        enr = _class_enrichment(ranking, list(scores.columns), library)
        write_table(enr, out / "enrichment.tsv", overwrite=overwrite, index=False)
    acc = float((pred == y).mean()) if truth is not None else None
    write_run_record(
        out,
        command="oncosig explain",
        config={
            "model": str(model) if model else "pretrained",
            "data": [str(p) for p in data],
            "label_column": label_column,
            "labels": str(labels) if labels else None,
            "top": top,
            "heatmap_samples": heatmap_samples,
            "library": library,
        },
        seed=seed,
        extra={
            "n_samples": int(adata.n_obs),
            "n_genes": len(scores.columns),
            "accuracy": acc,
            "classes": sorted(set(ranking["class"])),
        },
    )
    typer.echo(
        f"Gene-CAM of {adata.n_obs} samples, {ranking['class'].nunique()} classes, "
        f"{len(shared)} genes shared by >= 2 classes -> {out}"
    )


def _class_enrichment(ranking: pd.DataFrame, background: list[str], library: str) -> pd.DataFrame:
    """ORA of every class's ranked genes; a class whose genes match no term gets no row."""
    import pandas as pd

    from oncosig._errors import OncosigInputError
    from oncosig.enrich import ora

    frames = []
    for cls, grp in ranking.groupby("class", sort=True):
        try:
            res = ora(grp["gene"].astype(str).tolist(), library=library, background=background)
        except OncosigInputError as exc:
            logger.warning("enrichment of %s skipped: %s", cls, exc)
            continue
        frames.append(res.assign(**{"class": cls})[["class", *res.columns]])
    cols = ["class", "term", "overlap", "set_size", "pvalue", "fdr", "genes"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "class"


def _load_model(model: Path | None) -> Any:
    from oncosig.genexnet import GeneImageClassifier, load_pretrained

    return load_pretrained() if model is None else GeneImageClassifier.load(model)
