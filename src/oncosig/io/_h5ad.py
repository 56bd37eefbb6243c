"""h5ad files (AnnData's own format), written atomically."""

from __future__ import annotations

import logging
from pathlib import Path

import anndata as ad
import numpy as np
from anndata import AnnData

from oncosig._atomic import atomic_path, check_can_write
from oncosig._constants import COUNTS_LAYER, UNS_SOURCE, UNS_VALUE_KIND
from oncosig._errors import OncosigInputError
from oncosig.io._build import UNS_GENE_ID_TYPE, provenance
from oncosig.io._text import check_file
from oncosig.io._validate import check_gene_ids, check_not_empty, check_unique, check_values

log = logging.getLogger(__name__)

H5_MAGIC = b"\x89HDF\r\n\x1a\n"


def is_h5ad(path: str | Path) -> bool:
    """Whether ``path`` is an HDF5 file (by its signature)."""
    with open(path, "rb") as fh:
        return fh.read(8) == H5_MAGIC


def _stored_values(X: object) -> np.ndarray:
    """The stored numbers of a dense or sparse matrix (sparse: the non-zero entries only)."""
    data = getattr(X, "data", None)
    if data is not None and hasattr(X, "indptr"):
        return np.asarray(data)
    return np.asarray(X)


def read_h5ad(path: str | Path, *, backed: bool = False) -> AnnData:
    """Read an h5ad file and check it like any other input.

    Parameters
    ----------
    path
        The ``.h5ad`` file.
    backed
        Open ``X`` on disk (read-only) instead of loading it into memory.

    Returns
    -------
    The AnnData.  ``uns["value_kind"]`` and ``uns["gene_id_type"]`` are filled in when
    absent (counts when ``layers["counts"]`` exists or ``X`` holds non-negative
    integers); the original ``uns["oncosig_source"]`` is kept, or a new one is made.

    Raises
    ------
    OncosigInputError
        Not an HDF5/AnnData file, an empty matrix, duplicated sample or gene names or
        mixed gene ID types.
    """
    p = check_file(path)
    if not is_h5ad(p):
        raise OncosigInputError("not an h5ad (HDF5) file", path=p)
    try:
        adata = ad.read_h5ad(p, backed="r" if backed else None)
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise OncosigInputError(f"cannot read the h5ad file ({exc})", path=p) from exc
    check_not_empty(adata.n_obs, adata.n_vars, p)
    check_unique(adata.obs_names, what="sample", path=p)
    check_unique(adata.var_names, what="gene", path=p)
    if UNS_GENE_ID_TYPE not in adata.uns:
        adata.uns[UNS_GENE_ID_TYPE] = check_gene_ids(adata.var_names, p)
    if not backed:
        if COUNTS_LAYER in adata.layers:
            check_values(
                _stored_values(adata.layers[COUNTS_LAYER]),
                path=p,
                allow_normalized=False,
                what="counts in layers['counts']",
            )
        kind = check_values(_stored_values(adata.X), path=p, allow_normalized=True)
        if UNS_VALUE_KIND not in adata.uns:
            adata.uns[UNS_VALUE_KIND] = "counts" if COUNTS_LAYER in adata.layers else kind
    elif UNS_VALUE_KIND not in adata.uns and COUNTS_LAYER in adata.layers:
        adata.uns[UNS_VALUE_KIND] = "counts"
    if UNS_SOURCE not in adata.uns:
        adata.uns[UNS_SOURCE] = provenance(p, fmt="h5ad", reader="read_h5ad")
    return adata


def write_h5ad(adata: AnnData, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``adata`` to ``path`` atomically (a crash never leaves a partial file).

    Parameters
    ----------
    adata
        The data.
    path
        Destination (``.h5ad``).
    overwrite
        Replace an existing file.

    Returns
    -------
    The path written.
    """
    p = check_can_write(path, overwrite=overwrite)
    if p.suffix != ".h5ad":
        log.warning("%s: h5ad files usually end in .h5ad", p)
    with atomic_path(p) as tmp:
        adata.write_h5ad(tmp)
    return p
