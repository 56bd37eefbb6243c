"""Plain-dict summaries of what a file holds (used by ``oncosig info``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import (
    OBS_PROJECT,
    OBS_SAMPLE_TYPE,
    OBS_TISSUE,
    SPLIT_FILES,
    UNS_SOURCE,
    UNS_VALUE_KIND,
)
from oncosig.genes._idtypes import detect_id_type
from oncosig.io._build import UNS_GENE_ID_TYPE
from oncosig.io._degnext import list_degnext_cohorts, read_degnext
from oncosig.io._degnext_layout import FILE_RE, normalize_cohort


def _counts(obs: pd.DataFrame, col: str) -> dict[str, int]:
    if col not in obs:
        return {}
    vc = obs[col].astype(object).fillna("unknown").value_counts()
    return {str(k): int(v) for k, v in vc.items()}


def summarize(adata: AnnData) -> dict[str, Any]:
    """What a samples x genes AnnData holds, as JSON-friendly values.

    Returns
    -------
    ``format``, ``n_samples``, ``n_genes``, ``gene_id_type``, ``value_kind`` and
    counts per ``sample_type``, ``tissue`` and ``project``.
    """
    src = adata.uns.get(UNS_SOURCE, {})
    id_type = adata.uns.get(UNS_GENE_ID_TYPE) or detect_id_type(adata.var_names)
    return {
        "path": src.get("path"),
        "format": src.get("format"),
        "n_samples": int(adata.n_obs),
        "n_genes": int(adata.n_vars),
        "gene_id_type": id_type,
        "value_kind": adata.uns.get(UNS_VALUE_KIND),
        "sample_types": _counts(adata.obs, OBS_SAMPLE_TYPE),
        "tissues": _counts(adata.obs, OBS_TISSUE),
        "projects": _counts(adata.obs, OBS_PROJECT),
    }


def _clean(v: Any) -> Any:
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def summarize_degnext(path: str | Path, *, cohort: str | None = None) -> dict[str, Any]:
    """Summary of a DEGnext folder (every cohort) or of one cohort.

    One cohort (``cohort`` given, a cohort file, or a one-cohort folder) reports
    ``cohort``, ``n_samples``, ``n_normal``, ``n_tumor``, ``genes_per_split`` and
    ``missing_splits``; a many-cohort folder reports ``cohorts`` (a list of those).
    """
    p = Path(path)
    table = list_degnext_cohorts(p)
    if cohort is None and not p.is_dir():
        m = FILE_RE.match(p.name)
        cohort = m["cohort"] if m else None
    if cohort is None and len(table) == 1:
        cohort = str(table.index[0])
    rows = []
    for name, row in table.iterrows():
        rows.append(
            {
                "cohort": str(name),
                "n_samples": _clean(row["n_samples"]),
                "n_normal": _clean(row["n_normal"]),
                "n_tumor": _clean(row["n_tumor"]),
                "genes_per_split": {s: _clean(row[f"genes_{s}"]) for s in SPLIT_FILES},
                "splits": list(row["splits"]),
                "missing_splits": list(row["missing_splits"]),
            }
        )
    base = {"path": str(p.resolve()), "format": "degnext"}
    if cohort is None:
        return base | {"n_cohorts": len(rows), "cohorts": rows}
    cid = normalize_cohort(cohort)
    match = [r for r in rows if r["cohort"] == cid]
    if not match:
        # let the reader raise its clear error
        read_degnext(p, cohort=cid)
    out = base | match[0]
    if out["n_normal"] is None:
        out["note"] = "cohort not in the DEGnext table: pass n_normal when reading it"
    return out
