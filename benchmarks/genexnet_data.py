"""Load the benchmark cohorts of ../shared for the GeneXNet benchmarks (cached as h5ad)."""

from __future__ import annotations

import os
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
CACHE = REPO / ".bench-cache"
COHORTS = ("ACC", "CHOL", "DLBC", "KICH", "UCS", "UVM", "TEST")


def _read_exp(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, sep="\t", index_col=0)
    df.index = df.index.astype(str).str.replace(r"\.\d+$", "", regex=True)
    return df.groupby(level=0).sum() if df.index.has_duplicates else df


def tcga7(shared: Path = SHARED) -> ad.AnnData:
    """384 tumour samples of 7 cohorts x the genes common to all files (raw counts)."""
    cache = CACHE / "tcga7.h5ad"
    if cache.exists():
        return ad.read_h5ad(cache)
    frames = []
    projects = []
    for c in COHORTS:
        df = _read_exp(shared / "tcga-counts" / f"TCGA_{c}_Counts.exp.gz")
        frames.append(df)
        projects += ["TCGA-PAAD" if c == "TEST" else f"TCGA-{c}"] * df.shape[1]
    genes = sorted(set.intersection(*(set(f.index) for f in frames)))
    mat = pd.concat([f.loc[genes] for f in frames], axis=1).T
    a = ad.AnnData(X=mat.to_numpy(np.float32))
    a.obs_names = [str(s) for s in mat.index]
    a.var_names = genes
    a.layers["counts"] = mat.to_numpy(np.float64)
    a.obs["project"] = projects
    a.obs["participant"] = [s[:12] for s in a.obs_names]
    CACHE.mkdir(exist_ok=True)
    # atomic: concurrent benchmark processes never read a half-written cache
    tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    a.write_h5ad(tmp)
    os.replace(tmp, cache)
    return a


def chol_kich(project: str, shared: Path = SHARED) -> ad.AnnData:
    """Normal + tumour counts of TCGA-CHOL / TCGA-KICH (obs 'condition')."""
    base = shared / "tcga-counts" / "chol-kich"
    df = _read_exp(base / f"{project}_degnext_genes_counts.tsv.gz")
    samples = pd.read_csv(base / f"{project}_samples.tsv", sep="\t")
    a = ad.AnnData(X=df.T.to_numpy(np.float32))
    a.obs_names = [str(s) for s in df.columns]
    a.var_names = [str(g) for g in df.index]
    a.layers["counts"] = df.T.to_numpy(np.float64)
    st = samples.set_index("column")["sample_type"].reindex(a.obs_names)
    a.obs["sample_type"] = st.to_numpy()
    a.obs["condition"] = np.where(st.str.contains("Normal").to_numpy(), "normal", "tumor")
    a.obs["project"] = project
    return a
