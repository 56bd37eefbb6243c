"""Tiny seeded synthetic cohorts shared by the GeneXNet tests."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

N_GENES = 120
FAST = {
    "growth_rate": 4,
    "theta_d": 0.25,
    "theta_r": 0.25,
    "depth": 2,
    "stem_stride": 1,
    "lr": 3e-3,
    "batch_size": 16,
    "max_epochs": 15,
    "patience": 15,
    "gene_order": "given",
    "accelerator": "cpu",
}


def make_cohort(
    n_per_class: int = 15,
    classes: tuple[str, ...] = ("TCGA-A", "TCGA-B", "TCGA-C"),
    n_genes: int = N_GENES,
    seed: int = 0,
    participants_per_sample: int = 1,
) -> ad.AnnData:
    """Negative-binomial-like counts; each class up-regulates its own block of 15 genes."""
    base = np.random.default_rng(12345).gamma(2.0, 60.0, size=n_genes)  # same genes' profile
    rng = np.random.default_rng(seed)
    labels = np.repeat(classes, n_per_class)
    rows = []
    for lab in labels:
        mu = base.copy()
        k = classes.index(lab)
        mu[k * 15 : (k + 1) * 15] *= 6.0
        mu *= rng.uniform(0.5, 2.0)  # library size
        rows.append(rng.poisson(rng.gamma(10.0, mu / 10.0)))
    x = np.asarray(rows, dtype=np.float64)
    a = ad.AnnData(X=x.astype(np.float32))
    a.layers["counts"] = x
    a.var_names = [f"ENSG{i:011d}" for i in range(n_genes)]
    a.obs_names = [f"S{i:03d}" for i in range(len(labels))]
    a.obs["project"] = labels
    a.obs["participant"] = [f"P{i // participants_per_sample:03d}" for i in range(len(labels))]
    return a


def write_counts_tsv(a: ad.AnnData, path: Path) -> Path:
    """The cohort's counts as a genes x samples TSV, like the TCGA count files."""
    df = pd.DataFrame(a.layers["counts"].astype(int), index=a.obs_names, columns=a.var_names)
    df.T.to_csv(path, sep="\t")
    return path


def write_labels_tsv(a: ad.AnnData, path: Path) -> Path:
    """A labels TSV: sample ID, then the cohort."""
    pd.DataFrame({"sample": a.obs_names, "cohort": a.obs["project"]}).to_csv(
        path, sep="\t", index=False
    )
    return path
