"""Loaders of the real TCGA datasets embedded in ``oncosig/data/datasets``."""

from __future__ import annotations

import functools
import io
import json
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import (
    COUNTS_LAYER,
    LABEL_NAMES,
    NORMAL,
    OBS_CONDITION,
    OBS_PROJECT,
    OBS_SAMPLE_TYPE,
    OBS_TISSUE,
    SPLIT_FILES,
    TUMOR,
    UNS_SOURCE,
    UNS_VALUE_KIND,
)
from oncosig._errors import OncosigInputError
from oncosig.datasets._store import decode_counts

_COHORTS = ("TCGA-CHOL", "TCGA-KICH")
_NORMAL_TYPE = "Solid Tissue Normal"


def _data_dir() -> Traversable:
    return resources.files("oncosig") / "data" / "datasets"


@functools.lru_cache(maxsize=8)
def _meta(name: str) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((_data_dir() / f"{name}.json").read_text("utf-8"))
    return meta


def _read_tsv(name: str, **kwargs: Any) -> pd.DataFrame:
    raw = (_data_dir() / name).read_bytes()
    return pd.read_csv(
        io.BytesIO(raw),
        sep="\t",
        compression="gzip",
        keep_default_na=False,
        na_values=[""],
        **kwargs,
    )


@functools.lru_cache(maxsize=4)
def _load(name: str) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Decoded (genes x samples uint32, read-only) matrix, obs and var of a dataset."""
    meta = _meta(name)["matrix"]
    with (_data_dir() / meta["file"]).open("rb") as fh:
        counts = decode_counts(fh, tuple(meta["shape"]), meta["sha256"])
    obs = _read_tsv(f"{name}.obs.tsv.gz", dtype=str)
    obs = obs.set_index(obs.columns[0])
    var = _read_tsv(f"{name}.var.tsv.gz")
    var = var.set_index(var.columns[0])
    var.index = var.index.astype(str)
    if counts.shape != (len(var), len(obs)):
        raise ValueError(f"embedded dataset {name!r} is inconsistent; reinstall oncosig")
    return counts, obs, var


def _anndata(name: str) -> AnnData:
    counts, obs, var = _load(name)
    # counts < 2**31: the uint32 bits are the int32 values, so a view avoids a cast
    values = np.ascontiguousarray(counts.T).view(np.int32)
    if values.size and values.min() < 0:
        raise ValueError(f"embedded dataset {name!r} has counts >= 2**31; reinstall oncosig")
    obs = obs.copy()
    obs.index.name = None
    var = var.copy()
    var.index.name = None
    meta = {k: v for k, v in _meta(name).items() if k not in ("matrix", "source_files")}
    adata = AnnData(
        X=values,
        obs=obs,
        var=var,
        layers={COUNTS_LAYER: values.copy()},
        uns={UNS_SOURCE: {"dataset": name, **meta}, UNS_VALUE_KIND: "counts"},
    )
    return adata


def tcga7() -> AnnData:
    """Tumour RNA-seq counts of 7 TCGA cohorts, embedded in the package (384 samples).

    ACC 79, CHOL 36, DLBC 48, KICH 65, UCS 56, UVM 80 primary tumours and 20 PAAD
    tumours (GDC harmonised HTSeq counts, GRCh38; from umccr/RNAsum.data, MIT).  The
    56,537 source genes are reduced, without using any class label, to the GENCODE v36
    protein-coding and lncRNA genes present in both source gene spaces with CPM >= 1 in
    at least 20 samples (rule in ``uns["oncosig_source"]["gene_selection"]``);
    ``obs["total_counts_all_genes"]`` keeps each sample's library size over all source
    genes.

    Returns
    -------
    AnnData, samples x genes: raw integer counts (int32, exactly the source values) in
    ``X`` and ``layers["counts"]``; ``var_names`` unversioned Ensembl IDs (``var``:
    ``symbol``, ``gene_type``, ``chrom``, ``start``); ``obs`` indexed by barcode with
    ``project`` (the classification label, e.g. ``"TCGA-KICH"``), ``organ_site``,
    ``barcode``, ``participant``, ``sample_type``, ``sample_type_code``, ``tissue``,
    ``source_file`` and ``total_counts_all_genes``.

    Examples
    --------
    >>> adata = tcga7()
    >>> adata.shape[0], adata.obs["project"].nunique()
    (384, 7)
    """
    from oncosig.io import annotate_tcga

    adata = _anndata("tcga7")
    adata.obs["total_counts_all_genes"] = adata.obs["total_counts_all_genes"].astype(np.int64)
    annotate_tcga(adata)
    adata.obs["source_file"] = adata.obs["source_file"].astype("category")
    return adata


def _cohort_name(cohort: str) -> str:
    c = str(cohort).strip().upper().replace("_", "-")
    c = c if c.startswith("TCGA-") else f"TCGA-{c}"
    if c not in _COHORTS:
        raise OncosigInputError(
            f"no embedded normal/tumour dataset for {cohort!r}; use one of {', '.join(_COHORTS)}"
        )
    return c


def chol_kich(cohort: str = "TCGA-CHOL") -> AnnData:
    """TCGA-CHOL or TCGA-KICH normal + tumour counts with DEGnext gene labels.

    CHOL: 9 normal + 36 tumour samples x 6,513 genes; KICH: 24 normal + 65 tumour x
    6,514 genes (normal samples first).  DEGnext's released rows matched exactly to the
    RNAsum.data HTSeq counts, which recovered Ensembl IDs and tumour barcodes; normal
    barcodes are not recoverable (sample names ``CHOL_normal_01`` ...).

    Parameters
    ----------
    cohort
        ``"TCGA-CHOL"`` or ``"TCGA-KICH"`` (``"CHOL"``/``"kich"`` also accepted).

    Returns
    -------
    AnnData, samples x genes: raw integer counts in ``X`` and ``layers["counts"]``;
    ``obs["condition"]`` ``"normal"``/``"tumor"`` (also ``tissue``, ``sample_type``,
    ``project``, ``organ_site`` and, for tumours, barcode fields); ``var`` indexed by
    unversioned Ensembl ID with DEGnext ``split`` (file stem, e.g. ``"non_bio_train"``),
    ``split_code`` (paper name T1/T2/F1/T3), ``label`` (0 DR, 1 UR, 2 neutral),
    ``label_name``, ``symbol`` and ``gene_type``.  Licence: GPL-3.0 (DEGnext labels).
    """
    from oncosig.io import annotate_tcga

    name = _cohort_name(cohort)
    adata = _anndata(name.lower().replace("-", "_"))
    obs = adata.obs
    normal = (obs[OBS_SAMPLE_TYPE] == _NORMAL_TYPE).to_numpy()
    obs[OBS_TISSUE] = np.where(normal, NORMAL, TUMOR)
    obs[OBS_CONDITION] = pd.Categorical(np.where(normal, NORMAL, TUMOR), categories=[NORMAL, TUMOR])
    annotate_tcga(adata, project=name)
    var = adata.var
    var["label"] = var["label"].astype(np.int64)
    var["label_name"] = var["label"].map(LABEL_NAMES).astype("category")
    codes = {stem: code for code, stem in SPLIT_FILES.items()}
    var["split_code"] = var["split"].map(codes).astype("category")
    var["split"] = var["split"].astype("category")
    adata.obs[OBS_PROJECT] = adata.obs[OBS_PROJECT].astype("category")
    return adata


def list_datasets() -> pd.DataFrame:
    """The datasets embedded in oncosig.

    Returns
    -------
    DataFrame indexed by dataset name with ``loader`` (the call that loads it),
    ``title``, ``n_obs`` (samples), ``n_vars`` (genes), ``label`` (the obs/var column
    meant as target), ``source`` and ``licence``.  Provenance and licences in full:
    ``oncosig/data/datasets/PROVENANCE.md`` and ``LICENSES.md``.
    """
    rows = []
    for name, loader, label in (
        ("tcga7", "oncosig.datasets.tcga7()", "obs['project']"),
        ("tcga_chol", "oncosig.datasets.chol_kich('TCGA-CHOL')", "var['label'], obs['condition']"),
        ("tcga_kich", "oncosig.datasets.chol_kich('TCGA-KICH')", "var['label'], obs['condition']"),
    ):
        meta = _meta(name)
        n_vars, n_obs = meta["matrix"]["shape"]
        rows.append(
            {
                "name": name,
                "loader": loader,
                "title": meta["title"],
                "n_obs": n_obs,
                "n_vars": n_vars,
                "label": label,
                "source": meta["source"],
                "licence": meta["licence"],
            }
        )
    return pd.DataFrame(rows).set_index("name")
