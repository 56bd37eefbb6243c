"""DEGnext splits of labelled genes and stratified cross-validation folds.

DEGnext (Kakati et al.) splits genes in two sets: P, the genes without prior knowledge,
and Q, the "biologically validated" DEGs.  P is split 80/20 into T1 (training) and T2
(test); Q — DR/UR genes only — 80/20 into F1 (fine-tuning) and T3 (test).  Every split
is stratified by label and reproducible from its seed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from anndata import AnnData
from sklearn.model_selection import StratifiedKFold

from oncosig._constants import (
    COUNTS_LAYER,
    LABEL_DOWN,
    LABEL_NAMES,
    LABEL_UP,
    NORMAL,
    OBS_CONDITION,
    OBS_TISSUE,
    TUMOR,
    VAR_SYMBOL,
)
from oncosig._errors import OncosigInputError


def _check_labels(labels: pd.Series) -> pd.Series:
    if not isinstance(labels, pd.Series):
        raise TypeError(f"labels must be a pandas Series indexed by gene, got {type(labels)}")
    if labels.index.has_duplicates:
        raise OncosigInputError("labels have duplicated gene names; make the index unique")
    bad = ~labels.isin(list(LABEL_NAMES))
    if bad.any():
        raise OncosigInputError(
            f"labels must be 0 (DR), 1 (UR) or 2 (neutral); found {sorted(set(labels[bad]))[:5]}"
        )
    return labels.astype(np.int64)


def _stratified_split(
    labels: pd.Series, test_size: float, rng: np.random.Generator
) -> tuple[list[object], list[object]]:
    """Per class, shuffle and send ``round(test_size * n)`` genes to the test part."""
    train: list[object] = []
    test: list[object] = []
    for lab in sorted(labels.unique()):
        genes = labels.index[labels.to_numpy() == lab].to_numpy()
        genes = genes[rng.permutation(len(genes))]
        n_test = int(np.floor(test_size * len(genes) + 0.5))
        test.extend(genes[:n_test].tolist())
        train.extend(genes[n_test:].tolist())
    return train, test


def split_degnext(
    labels: pd.Series,
    *,
    bio_genes: Iterable[str],
    seed: int = 0,
    test_size: float = 0.2,
    symbols: pd.Series | None = None,
) -> pd.Series:
    """Assign every labelled gene to DEGnext's T1 / T2 / F1 / T3.

    Parameters
    ----------
    labels
        Gene -> label (0 DR, 1 UR, 2 neutral), e.g. from :func:`label_genes`.
    bio_genes
        The knowledge set (Ensembl IDs and/or symbols, e.g. from
        :func:`knowledge_genes`).  A gene is in Q when its index, or its symbol in
        ``symbols``, is in this set **and** it is DR or UR; knowledge genes that are
        neutral here belong to P.
    seed
        Seed of the shuffles (same seed + labels = same splits).
    test_size
        Fraction of each set (per label) held out as T2 / T3.
    symbols
        Optional gene -> symbol Series used to match ``bio_genes`` by symbol.

    Returns
    -------
    Series named ``"split"`` (``"T1"``, ``"T2"``, ``"F1"``, ``"T3"``), same index as
    ``labels``.

    Raises
    ------
    OncosigInputError
        For invalid labels or ``test_size``.
    """
    labels = _check_labels(labels)
    if not 0 < test_size < 1:
        raise OncosigInputError(f"test_size must be in (0, 1), got {test_size}")
    bio = {str(g) for g in bio_genes}
    in_bio = labels.index.astype(str).isin(list(bio))
    if symbols is not None:
        sym = symbols.reindex(labels.index).astype("string").fillna("")
        in_bio |= sym.isin(list(bio)).to_numpy()
    is_deg = labels.isin([LABEL_DOWN, LABEL_UP]).to_numpy()
    q_mask = in_bio & is_deg
    rng = np.random.default_rng(seed)
    out = pd.Series("", index=labels.index, name="split", dtype=object)
    t1, t2 = _stratified_split(labels[~q_mask], test_size, rng)
    f1, t3 = _stratified_split(labels[q_mask], test_size, rng)
    out.loc[t1] = "T1"
    out.loc[t2] = "T2"
    out.loc[f1] = "F1"
    out.loc[t3] = "T3"
    return out


def cv_folds(labels: pd.Series, *, n_splits: int = 5, seed: int = 0) -> pd.Series:
    """Stratified K-fold assignment of genes (folds 0 .. n_splits - 1).

    Parameters
    ----------
    labels
        Gene -> label (0, 1, 2).
    n_splits
        Number of folds (at least 2, at most the number of genes).
    seed
        Seed of the shuffle.

    Returns
    -------
    Integer Series named ``"fold"``; fold ``k`` is the validation part of the k-th split.

    Raises
    ------
    OncosigInputError
        When there are fewer genes than folds or ``n_splits < 2``.
    """
    labels = _check_labels(labels)
    if n_splits < 2:
        raise OncosigInputError(f"n_splits must be at least 2, got {n_splits}")
    if len(labels) < n_splits:
        raise OncosigInputError(f"{len(labels)} genes cannot make {n_splits} folds")
    counts = labels.value_counts()
    y = labels.to_numpy()
    if counts.min() < n_splits:
        # StratifiedKFold needs n_splits members per class; rare classes are spread
        # round-robin after a seeded shuffle instead of failing
        rng = np.random.default_rng(seed)
        fold = np.empty(len(y), dtype=np.int64)
        offset = 0
        for lab in sorted(counts.index):
            idx = np.flatnonzero(y == lab)
            idx = idx[rng.permutation(len(idx))]
            fold[idx] = (np.arange(len(idx)) + offset) % n_splits
            offset += len(idx)
        return pd.Series(fold, index=labels.index, name="fold")
    skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    fold = np.empty(len(y), dtype=np.int64)
    for k, (_, val) in enumerate(skf.split(np.zeros(len(y)), y)):
        fold[val] = k
    return pd.Series(fold, index=labels.index, name="fold")


def degnext_dataset(
    counts: AnnData,
    labels: pd.Series,
    splits: pd.Series,
    *,
    n_normal: int | None = None,
    symbols: pd.Series | None = None,
) -> AnnData:
    """Assemble a DEGnext dataset (genes as observations) from samples x genes counts.

    Parameters
    ----------
    counts
        Samples x genes with raw counts in ``layers["counts"]`` (else ``X``).
    labels, splits
        Gene -> label and gene -> split (:func:`label_genes`, :func:`split_degnext`);
        only genes present in ``counts`` and with a split are kept.
    n_normal
        The first ``n_normal`` samples are normal, the rest tumour.  Default: use
        ``counts.obs["tissue"]`` (``"normal"`` / other), as set by :mod:`oncosig.io`.
    symbols
        Gene -> symbol; default the shipped gene annotation.

    Returns
    -------
    AnnData genes x samples: ``obs["split"]``, ``obs["label"]``, ``obs["symbol"]``,
    ``var["condition"]`` (normal first), counts in ``X`` and ``layers["counts"]``; the
    layout :func:`oncosig.io.write_degnext` writes.

    Raises
    ------
    OncosigInputError
        When no gene is shared, or the normal/tumour groups cannot be told apart.
    """
    genes = [g for g in splits.index[splits.astype(str) != ""] if g in set(counts.var_names)]
    if not genes:
        raise OncosigInputError(
            "no gene of the DE table is in the counts; use the same gene IDs in both "
            "(unversioned Ensembl IDs after oncosig's readers)"
        )
    if n_normal is not None:
        if not 0 < n_normal < counts.n_obs:
            raise OncosigInputError(
                f"--normal-first {n_normal} must leave both groups non-empty "
                f"({counts.n_obs} samples)"
            )
        is_normal = np.arange(counts.n_obs) < n_normal
    elif OBS_TISSUE in counts.obs:
        is_normal = (counts.obs[OBS_TISSUE].astype(str) == NORMAL).to_numpy()
        if is_normal.all() or not is_normal.any():
            raise OncosigInputError(
                "cannot tell normal from tumour samples; give the number of leading normal "
                "samples (normal_first / --normal-first N)"
            )
    else:
        raise OncosigInputError(
            "cannot tell normal from tumour samples; give normal_first (--normal-first N)"
        )
    order = np.r_[np.flatnonzero(is_normal), np.flatnonzero(~is_normal)]
    sub = counts[order, genes]
    m = sub.layers[COUNTS_LAYER] if COUNTS_LAYER in sub.layers else sub.X
    m = m.toarray() if hasattr(m, "toarray") else np.asarray(m)
    values = np.asarray(m, dtype=np.float64).T
    if symbols is None:
        from oncosig.genes import gene_table

        symbols = gene_table()["symbol"]
    obs = pd.DataFrame(index=pd.Index([str(g) for g in genes]))
    obs["split"] = splits.loc[genes].astype(str).to_numpy()
    obs["label"] = labels.loc[genes].astype(np.int64).to_numpy()
    obs[VAR_SYMBOL] = symbols.reindex(obs.index).astype(object).to_numpy()
    var = pd.DataFrame(index=pd.Index([str(s) for s in sub.obs_names]))
    var[OBS_CONDITION] = np.where(np.arange(len(order)) < int(is_normal.sum()), NORMAL, TUMOR)
    out = AnnData(X=values.astype(np.float32), obs=obs, var=var)
    out.layers[COUNTS_LAYER] = values
    out.uns["n_normal"] = int(is_normal.sum())
    return out
