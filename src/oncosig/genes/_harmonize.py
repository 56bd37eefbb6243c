"""Rename an AnnData's genes to unversioned Ensembl IDs, merging duplicates by a stated rule."""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from oncosig._constants import (
    COUNTS_LAYER,
    UNS_VALUE_KIND,
    VAR_GENE_TYPE,
    VAR_ORIGINAL_ID,
    VAR_SYMBOL,
)
from oncosig._errors import OncosigInputError
from oncosig.genes._table import _gene_table, resolve_id_type, to_ensembl

logger = logging.getLogger(__name__)

Duplicates = Literal["sum", "first", "max_mean", "raise"]
_DUPLICATES = ("sum", "first", "max_mean", "raise")


def _is_counts(m: Any, *, name: str | None, value_kind: object) -> bool:
    """Whether a matrix holds counts: the counts layer, or non-negative integer values."""
    if name == COUNTS_LAYER:
        return True
    if name is None and value_kind == "normalized":
        return False
    data = m.data if sp.issparse(m) else np.asarray(m)
    if data.dtype.kind in "iub":
        return True
    if data.dtype.kind != "f":
        return False
    finite = data[np.isfinite(data)]
    return bool(finite.size == 0 or ((finite >= 0).all() and (finite == np.round(finite)).all()))


def _pick_max_mean(m: Any, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Column index, per group, of the member with the highest mean (NaN-aware)."""
    if sp.issparse(m):
        means = np.asarray(m.mean(axis=0)).ravel()
    else:
        with np.errstate(all="ignore"):
            arr = np.asarray(m, dtype=float)
            n_ok = np.isfinite(arr).sum(axis=0)
            means = np.where(n_ok > 0, np.nansum(arr, axis=0) / np.maximum(n_ok, 1), -np.inf)
    means = np.where(np.isnan(means), -np.inf, means)
    order = np.lexsort((np.arange(len(codes)), -means, codes))  # best first within group
    first = np.ones(len(order), dtype=bool)
    first[1:] = codes[order][1:] != codes[order][:-1]
    picked = np.empty(n_groups, dtype=np.int64)
    picked[codes[order][first]] = order[first]
    return picked


def _collapse(m: Any, codes: np.ndarray, n_groups: int, how: str, first_idx: np.ndarray) -> Any:
    """Collapse the columns of ``m`` into ``n_groups`` groups."""
    if how == "sum":
        ind = sp.csr_matrix(
            (np.ones(len(codes), dtype=np.int64), (np.arange(len(codes)), codes)),
            shape=(len(codes), n_groups),
        )
        if sp.issparse(m):
            out = sp.csr_matrix(m @ ind.astype(m.dtype))
            return out
        arr = np.asarray(m)
        res = np.asarray(ind.T.astype(arr.dtype) @ arr.T).T
        return np.ascontiguousarray(res)
    idx = first_idx if how == "first" else _pick_max_mean(m, codes, n_groups)
    return m[:, idx]


def harmonize(
    adata: AnnData,
    *,
    id_type: str = "auto",
    duplicates: Duplicates = "sum",
    drop_unmapped: bool = True,
) -> AnnData:
    """Rename genes to unversioned Ensembl IDs (oncosig's gene key), offline.

    Mapping rule (see :func:`oncosig.genes.to_ensembl`): versioned Ensembl IDs lose the
    version; PAR_Y copies (``…_PAR_Y``, GDC's ``ENSGR…``) are dropped in favour of the X
    copy (kept only where the X copy is absent); a symbol that maps to several Ensembl IDs
    picks the GENCODE v36 gene on a primary chromosome, protein-coding first, then the
    lowest ID; Entrez IDs go through the org.Hs.eg.db links with the same tie rule;
    legacy ``SYMBOL|ENTREZ`` names use the Entrez part first.

    Duplicates (several input genes with one Ensembl ID), ``duplicates=``:

    - ``"sum"`` (default): count matrices (``layers["counts"]`` and any matrix of
      non-negative integers) are **summed**; other matrices (normalised or log values,
      which do not add up) keep the duplicate with the highest mean ("MaxMean", as
      WGCNA's ``collapseRows``);
    - ``"first"``: keep the first input gene; ``"max_mean"``: keep the highest-mean gene
      in every matrix; ``"raise"``: refuse with :class:`~oncosig._errors.OncosigInputError`.

    Parameters
    ----------
    adata
        Samples x genes; not modified.
    id_type
        ``"auto"`` or an identifier kind accepted by :func:`oncosig.genes.to_ensembl`.
        With ``"auto"``, a matrix whose IDs are of mixed or unknown kinds is refused;
        ``"mixed"`` maps every ID by its own kind.
    duplicates
        How to merge input genes that map to one Ensembl ID (see above).
    drop_unmapped
        Drop genes that map to no Ensembl ID; with ``False`` they keep their input ID.

    Returns
    -------
    A new AnnData whose ``var_names`` are unique unversioned Ensembl IDs (first-occurrence
    order), with ``var["original_id"]`` (merged IDs joined by ``";"``), ``var["symbol"]``
    and ``var["gene_type"]`` (GENCODE v36) and ``uns["harmonize_report"]`` (counts of
    mapped, unmapped, merged and PAR_Y genes).  ``varm``/``varp`` are not carried over.
    """
    if duplicates not in _DUPLICATES:
        raise OncosigInputError(
            f"duplicates must be one of {', '.join(_DUPLICATES)}; got {duplicates!r}"
        )
    names = [str(v) for v in adata.var_names]
    kind = resolve_id_type(names, id_type)
    if id_type == "auto" and kind == "mixed":
        raise OncosigInputError(
            "the gene identifiers are of mixed kinds (e.g. Ensembl IDs and symbols); "
            "use one kind, or pass id_type= to map them as one kind"
        )
    mapped = to_ensembl(names, id_type=kind).to_numpy(dtype=object)
    ok = pd.notna(mapped)
    par = None
    if kind.startswith("ensembl") or kind == "mixed":
        stripped = pd.Series(names, dtype=object).str.strip()
        par = (stripped.str.endswith("_PAR_Y") | stripped.str.startswith("ENSGR")).to_numpy(bool)
    keep = ok | (not drop_unmapped)
    n_par = 0
    if par is not None and par.any():
        x_present = pd.Index(mapped[ok & ~par])
        drop_par = par & pd.Index(mapped).isin(x_present)
        n_par = int(drop_par.sum())
        keep = keep & ~drop_par
    keys = np.where(ok, mapped, np.array(names, dtype=object))[keep]
    kept_idx = np.flatnonzero(keep)
    codes, uniques = pd.factorize(pd.Index(keys, dtype=object))
    n_groups = len(uniques)
    first_idx = kept_idx[np.unique(codes, return_index=True)[1]]
    n_dup = len(keys) - n_groups
    if n_dup and duplicates == "raise":
        dup = pd.Index(keys)[pd.Index(keys).duplicated()].unique()[:3]
        raise OncosigInputError(
            f"{n_dup} genes map to an Ensembl ID already taken (e.g. {', '.join(dup)}); "
            "pass duplicates='sum', 'first' or 'max_mean'"
        )

    value_kind = adata.uns.get(UNS_VALUE_KIND)

    def collapse(m: Any, name: str | None) -> Any:
        sub = m[:, kept_idx]
        if not n_dup:
            return sub
        how: str = duplicates
        if duplicates == "sum" and not _is_counts(sub, name=name, value_kind=value_kind):
            how = "max_mean"
        local_first = np.unique(codes, return_index=True)[1]
        return _collapse(sub, codes, n_groups, how, local_first)

    X = collapse(adata.X, None) if adata.X is not None else None
    layers = {k: collapse(v, k) for k, v in adata.layers.items()}

    var = adata.var.iloc[first_idx].copy()
    # a second harmonisation keeps the IDs of the first one's input
    source_ids = np.array(names, dtype=object)
    if VAR_ORIGINAL_ID in adata.var:
        prev = adata.var[VAR_ORIGINAL_ID].to_numpy(dtype=object)
        source_ids = np.where(pd.notna(prev), prev, source_ids)
    kept_names = source_ids[kept_idx]
    original = kept_names[np.unique(codes, return_index=True)[1]].copy()
    if n_dup:
        members: dict[int, list[str]] = {}
        for code, name in zip(codes.tolist(), kept_names.tolist(), strict=True):
            members.setdefault(code, []).append(name)
        for code, group in members.items():
            if len(group) > 1:
                original[code] = ";".join(group)
    var[VAR_ORIGINAL_ID] = original
    table = _gene_table()
    ann = table.reindex(pd.Index(uniques, dtype=object))
    for col, src in ((VAR_SYMBOL, "symbol"), (VAR_GENE_TYPE, "gene_type")):
        values = ann[src].to_numpy(dtype=object)
        if col in var:  # keep the input's annotation where the table has none
            values = np.where(pd.notna(values), values, var[col].to_numpy(dtype=object))
        var[col] = values
    var.index = pd.Index(uniques.astype(str), name=None)

    report = {
        "id_type": kind,
        "n_input": len(names),
        "n_mapped": int(ok.sum()),
        "n_unmapped": int((~ok).sum()),
        "n_unmapped_dropped": int((~ok).sum()) if drop_unmapped else 0,
        "n_par_y_dropped": n_par,
        "n_merged_into_others": int(n_dup),
        "duplicates": duplicates,
        "n_output": int(n_groups),
    }
    logger.info(
        "harmonised %d %s genes -> %d Ensembl genes (%d unmapped, %d merged, %d PAR_Y dropped)",
        len(names),
        kind,
        n_groups,
        report["n_unmapped"],
        n_dup,
        n_par,
    )
    uns = dict(adata.uns)
    uns["harmonize_report"] = report
    out = AnnData(
        X=X,
        obs=adata.obs.copy(),
        var=var,
        uns=uns,
        obsm={k: v.copy() for k, v in adata.obsm.items()},
        layers=layers,
    )
    return out
