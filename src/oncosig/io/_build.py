"""Assemble a samples x genes AnnData from a checked matrix (shared by the readers)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import COUNTS_LAYER, UNS_SOURCE, UNS_VALUE_KIND
from oncosig.io._barcodes import is_tcga_barcode
from oncosig.io._tcga import annotate_tcga
from oncosig.io._validate import (
    COUNTS,
    check_gene_ids,
    check_not_empty,
    check_unique,
    check_values,
    count_dtype,
)

#: Key of ``adata.uns`` holding the detected gene identifier type.
UNS_GENE_ID_TYPE = "gene_id_type"


def provenance(path: str | Path, *, fmt: str, reader: str, **options: Any) -> dict[str, Any]:
    """The ``uns["oncosig_source"]`` record: file, size, format, reader and its options."""
    p = Path(path)
    rec: dict[str, Any] = {"path": str(p.resolve()), "format": fmt, "reader": reader}
    if p.is_file():
        st = p.stat()
        rec["size_bytes"] = int(st.st_size)
        rec["modified"] = _dt.datetime.fromtimestamp(st.st_mtime, tz=_dt.UTC).isoformat()
    rec["read_at"] = _dt.datetime.now(tz=_dt.UTC).isoformat(timespec="seconds")
    for k, v in options.items():
        rec[k] = "" if v is None else (list(v) if isinstance(v, tuple) else v)
    return rec


def build_anndata(
    values: np.ndarray,
    *,
    samples: pd.Index | list[str],
    genes: pd.Index | list[str],
    path: str | Path,
    source: dict[str, Any],
    allow_normalized: bool,
    obs: pd.DataFrame | None = None,
    var: pd.DataFrame | None = None,
    project: str | None = None,
    what: str = "counts",
) -> AnnData:
    """Validate a samples x genes matrix and wrap it in an AnnData.

    Parameters
    ----------
    values
        Samples x genes (any numeric dtype).
    samples, genes
        Axis labels.
    path
        Source file, named in error messages.
    source
        Provenance record (see :func:`provenance`), stored in ``uns["oncosig_source"]``.
    allow_normalized
        Accept non-integer/negative values (``value_kind`` becomes ``"normalized"``).
    obs, var
        Extra annotation aligned to ``samples`` / ``genes``.
    project
        TCGA project for :func:`oncosig.io.annotate_tcga`.
    what
        What the values should be, for error messages.

    Returns
    -------
    AnnData with float32 ``X``; for integer counts also ``layers["counts"]`` (int32/int64);
    ``uns["value_kind"]``, ``uns["gene_id_type"]``, ``uns["oncosig_source"]``; ``obs``
    annotated from TCGA barcodes where the sample names are barcodes.
    """
    samples = pd.Index([str(s) for s in samples], dtype=object)
    genes = pd.Index([str(g) for g in genes], dtype=object)
    check_not_empty(len(samples), len(genes), path)
    check_unique(samples, what="sample", path=path)
    check_unique(genes, what="gene", path=path)
    id_type = check_gene_ids(genes, path)
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{path}: expression values must be numeric, got {values.dtype}")
    kind = check_values(values, path=path, allow_normalized=allow_normalized, what=what)
    obs_df = pd.DataFrame(index=samples) if obs is None else obs.set_axis(samples, axis=0)
    var_df = pd.DataFrame(index=genes) if var is None else var.set_axis(genes, axis=0)
    adata = AnnData(X=values.astype(np.float32, copy=False), obs=obs_df, var=var_df)
    if kind == COUNTS:
        adata.layers[COUNTS_LAYER] = values.astype(count_dtype(values), copy=False)
    adata.uns[UNS_VALUE_KIND] = kind
    adata.uns[UNS_GENE_ID_TYPE] = id_type
    adata.uns[UNS_SOURCE] = source
    if project is not None or is_tcga_barcode(samples).mean() >= 0.5 or "project" in adata.obs:
        annotate_tcga(adata, project=project)
    return adata
