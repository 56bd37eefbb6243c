"""Fixtures for the preprocessing tests: TCGA-CHOL/KICH counts and R reference outputs."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from oncosig._constants import COUNTS_LAYER


@cache
def _counts(path: str) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", index_col=0)


def make_adata(
    counts: np.ndarray, genes: list[str] | None = None, samples: list[str] | None = None
) -> ad.AnnData:
    """Samples x genes AnnData with the counts in layers["counts"] and X."""
    n, g = counts.shape
    genes = genes or [f"ENSG{i:011d}" for i in range(g)]
    samples = samples or [f"s{i}" for i in range(n)]
    a = ad.AnnData(
        X=counts.astype(np.float64),
        obs=pd.DataFrame(index=samples),
        var=pd.DataFrame(index=genes),
    )
    a.layers[COUNTS_LAYER] = counts.astype(np.float64)
    return a


@pytest.fixture
def to_adata() -> Callable[..., ad.AnnData]:
    """The :func:`make_adata` builder as a fixture."""
    return make_adata


@pytest.fixture
def synth_counts(rng: np.random.Generator) -> np.ndarray:
    """12 samples x 300 genes of negative-binomial counts with varied depth."""
    mu = rng.lognormal(3, 1.5, size=300)
    depth = rng.uniform(0.5, 2.0, size=12)[:, None]
    p = 1 / (1 + 0.2 * mu * depth)
    return rng.negative_binomial(5, p).astype(np.float64)


@pytest.fixture
def cohort(shared_dir: Path) -> Callable[[str], ad.AnnData]:
    """Loader: ``cohort("CHOL")`` -> AnnData (samples x genes) of the chol-kich counts."""

    def load(co: str) -> ad.AnnData:
        p = shared_dir / "tcga-counts" / "chol-kich" / f"TCGA-{co}_degnext_genes_counts.tsv.gz"
        df = _counts(str(p))
        return make_adata(
            df.to_numpy(np.float64).T, [str(g) for g in df.index], [str(c) for c in df.columns]
        )

    return load


@pytest.fixture
def r_ref(shared_dir: Path) -> Callable[[str], pd.DataFrame]:
    """Loader: ``r_ref("CHOL_edgeR_TMM_normfactors")`` -> the R reference table."""

    def load(name: str) -> pd.DataFrame:
        return pd.read_csv(shared_dir / "r-reference" / f"{name}.tsv.gz", sep="\t", index_col=0)

    return load
