"""Input checks shared by every reader; each failure is a one-line error naming the file."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from oncosig._errors import OncosigInputError
from oncosig.genes._idtypes import detect_id_type

log = logging.getLogger(__name__)

COUNTS = "counts"
NORMALIZED = "normalized"
#: Largest magnitude accepted in an expression matrix: counts must fit int64 exactly
#: (``layers["counts"]``) and every value float32 (``X``); larger numbers are a broken file.
MAX_VALUE = float(2**62)


def _examples(values: Iterable[object], n: int = 3) -> str:
    vals = list(values)
    shown = ", ".join(repr(str(v)) for v in vals[:n])
    return shown + (f" (+{len(vals) - n} more)" if len(vals) > n else "")


def check_not_empty(n_samples: int, n_genes: int, path: str | Path) -> None:
    """Refuse a matrix without samples or without genes."""
    if n_samples == 0 or n_genes == 0:
        raise OncosigInputError(
            f"empty matrix ({n_samples} samples x {n_genes} genes): the file holds no expression values",
            path=path,
        )


def check_unique(ids: Sequence[object] | pd.Index, *, what: str, path: str | Path) -> None:
    """Refuse duplicated sample or gene IDs.

    Parameters
    ----------
    ids
        Labels of one axis.
    what
        ``"sample"`` or ``"gene"`` (used in the message).
    path
        The file, named in the message.
    """
    idx = pd.Index(ids)
    if idx.is_unique:
        return
    dups = idx[idx.duplicated()].unique()
    hint = (
        "sum or drop the duplicated rows (or convert IDs with oncosig.genes) first"
        if what == "gene"
        else "give every sample a unique name"
    )
    raise OncosigInputError(
        f"{len(dups)} duplicate {what} IDs, e.g. {_examples(dups)}; {hint}", path=path
    )


def check_gene_ids(ids: Sequence[object] | pd.Index, path: str | Path) -> str:
    """Detect the gene ID type and refuse a mixture of ID types.

    Returns
    -------
    The type from :func:`oncosig.genes._idtypes.detect_id_type`.
    """
    kind = detect_id_type(ids)
    if kind == "mixed":
        raise OncosigInputError(
            "mixed gene ID types (e.g. Ensembl IDs and symbols in one column); "
            "use one identifier type per file",
            path=path,
        )
    return kind


def check_values(
    values: np.ndarray,
    *,
    path: str | Path,
    allow_normalized: bool,
    what: str = "counts",
) -> str:
    """Check the numbers of an expression matrix and tell counts from normalized values.

    Parameters
    ----------
    values
        The matrix (float).
    path
        The file, named in messages.
    allow_normalized
        Accept non-integer / negative values (TPM, FPKM, log values); otherwise raw
        counts are required.
    what
        What the values were meant to be, for the message.

    Returns
    -------
    ``"counts"`` when every value is a non-negative integer, else ``"normalized"``.

    Raises
    ------
    OncosigInputError
        Non-finite values (NaN is accepted only when ``allow_normalized``), negative or
        non-integer values where raw counts are required.
    """
    v = np.asarray(values)
    if v.size == 0:
        return COUNTS
    finite = np.isfinite(v)
    if not finite.all():
        n_inf = int(np.isinf(v).sum())
        n_nan = int((~finite).sum()) - n_inf
        if n_inf or not allow_normalized:
            raise OncosigInputError(
                f"{n_nan} missing (NaN) and {n_inf} infinite values where {what} are required; "
                "fill or remove them",
                path=path,
            )
        log.warning("%s: %d missing (NaN) values kept", path, n_nan)
    fv = v if finite.all() else v[finite]
    vmin = float(fv.min()) if fv.size else 0.0
    vmax = float(fv.max()) if fv.size else 0.0
    big = max(abs(vmin), abs(vmax))
    if big > MAX_VALUE:
        raise OncosigInputError(
            f"values up to {big:g} are too large for expression data (limit {MAX_VALUE:g}); "
            "check the file (a wrong column, or values multiplied by mistake?)",
            path=path,
        )
    integer_all = bool(np.array_equal(fv, np.rint(fv)))
    if vmin >= 0 and integer_all and fv.size == v.size:
        return COUNTS
    if allow_normalized:
        return NORMALIZED
    if vmin < 0:
        raise OncosigInputError(
            f"{int((fv < 0).sum())} negative values (min {vmin:g}) where raw {what} are "
            "required; pass allow_normalized=True (CLI: --normalized) for normalized values",
            path=path,
        )
    bad = fv[fv != np.rint(fv)]
    raise OncosigInputError(
        f"{bad.size} non-integer values (e.g. {float(bad[0]):g}) where raw {what} are required; "
        "pass allow_normalized=True (CLI: --normalized) for TPM/FPKM/log values",
        path=path,
    )


def count_dtype(values: np.ndarray) -> np.dtype:
    """Smallest of int32/int64 that holds the (non-negative integer) counts."""
    if values.size and float(np.max(values)) >= np.iinfo(np.int32).max:
        return np.dtype(np.int64)
    return np.dtype(np.int32)
