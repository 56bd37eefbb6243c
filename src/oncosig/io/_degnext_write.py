"""Write a DEGnext dataset (genes as observations) in the released file layout."""

from __future__ import annotations

import gzip
import io
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._atomic import atomic_open, check_can_write
from oncosig._constants import COUNTS_LAYER, NORMAL, OBS_CONDITION, SPLIT_FILES, VAR_SYMBOL
from oncosig._errors import OncosigInputError
from oncosig.io._degnext import OBS_LABEL, OBS_SPLIT
from oncosig.io._degnext_layout import normalize_cohort
from oncosig.io._validate import check_values

log = logging.getLogger(__name__)


def _write_gz_text(path: Path, text: str) -> None:
    with (
        atomic_open(path, "wb") as fh,
        gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz,
    ):
        gz.write(text.encode("utf-8"))


def _matrix_text(values: np.ndarray) -> str:
    buf = io.StringIO()
    pd.DataFrame(values).to_csv(buf, header=False, index=False, lineterminator="\n")
    return buf.getvalue()


def write_degnext(
    adata: AnnData, path: str | Path, *, cohort: str, overwrite: bool = False
) -> list[Path]:
    """Write a genes x samples DEGnext AnnData as the released DEGnext files.

    Per split in ``obs["split"]`` (T1, T2, F1, T3): ``<cohort>_<stem>.csv.gz`` (counts,
    no header, normal columns first), ``<cohort>_<stem>_label.txt`` and, where every
    gene of the split has a name in ``obs["symbol"]``, ``<cohort>_<stem>_genes.csv.gz``.
    Every file is written atomically; :func:`oncosig.io.read_degnext` reads them back.

    Parameters
    ----------
    adata
        As returned by :func:`oncosig.io.read_degnext`: ``obs["split"]``,
        ``obs["label"]``, ``var["condition"]``; counts in ``layers["counts"]`` (or X).
    path
        Output folder (created if needed).
    cohort
        ``"TCGA-BLCA"`` or ``"BLCA"``.
    overwrite
        Replace existing files (otherwise nothing is written when any exists).

    Returns
    -------
    The files written.
    """
    for col in (OBS_SPLIT, OBS_LABEL):
        if col not in adata.obs:
            raise OncosigInputError(f"adata.obs has no {col!r} column; is this a DEGnext dataset?")
    if OBS_CONDITION not in adata.var:
        raise OncosigInputError("adata.var has no 'condition' column (normal/tumor per sample)")
    cohort_id = normalize_cohort(cohort)
    folder = Path(path)
    values = adata.layers[COUNTS_LAYER] if COUNTS_LAYER in adata.layers else adata.X
    values = values.toarray() if hasattr(values, "toarray") else np.asarray(values)
    check_values(values, path=folder, allow_normalized=False)
    is_normal = (adata.var[OBS_CONDITION].astype(str) == NORMAL).to_numpy()
    order = np.r_[np.flatnonzero(is_normal), np.flatnonzero(~is_normal)]
    if not np.array_equal(order, np.arange(adata.n_vars)):
        log.info("reordering columns: normal samples first")
    values = values[:, order].astype(np.int64)
    splits = adata.obs[OBS_SPLIT].astype(str).to_numpy()
    labels = adata.obs[OBS_LABEL].to_numpy()
    symbols = adata.obs[VAR_SYMBOL] if VAR_SYMBOL in adata.obs else None
    plan: list[tuple[Path, str, bool]] = []
    for split, stem in SPLIT_FILES.items():
        rows = np.flatnonzero(splits == split)
        if rows.size == 0:
            continue
        base = f"{cohort_id}_{stem}"
        plan.append((folder / f"{base}.csv.gz", _matrix_text(values[rows]), True))
        lab = "".join(f"{int(v)}\n" for v in labels[rows])
        plan.append((folder / f"{base}_label.txt", lab, False))
        if symbols is not None:
            names = symbols.iloc[rows]
            if names.notna().all():
                plan.append(
                    (folder / f"{base}_genes.csv.gz", "".join(f"{n}\n" for n in names), True)
                )
    if not plan:
        raise OncosigInputError(f"obs['split'] holds none of {', '.join(SPLIT_FILES)}")
    for target, _, _ in plan:
        check_can_write(target, overwrite=overwrite)
    written = []
    for target, text, gz in plan:
        if gz:
            _write_gz_text(target, text)
        else:
            with atomic_open(target, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        written.append(target)
    return written
