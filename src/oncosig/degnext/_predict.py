"""Label every gene of an unlabelled count matrix (samples x genes) as DR / UR / neutral."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import COUNTS_LAYER, LABEL_NAMES, NORMAL, OBS_CONDITION, TUMOR
from oncosig._errors import OncosigInputError
from oncosig.degnext._estimator import DEGnext


def to_gene_rows(
    adata: AnnData,
    *,
    groups: Mapping[str, str] | pd.Series | None = None,
    normal_first: int | None = None,
) -> AnnData:
    """Turn samples x genes counts into a DEGnext AnnData (genes x samples, normal first).

    Parameters
    ----------
    adata
        Samples x genes with raw counts in ``layers["counts"]`` (else ``X``).
    groups
        Sample name -> ``"normal"``/``"tumor"``; samples not named are dropped.
    normal_first
        Alternatively: the first ``normal_first`` samples are normal, the rest tumour.
    """
    if (groups is None) == (normal_first is None):
        raise OncosigInputError(
            "give exactly one of groups (--groups TSV) or normal_first (--normal-first N)"
        )
    counts = adata.layers[COUNTS_LAYER] if COUNTS_LAYER in adata.layers else adata.X
    counts = np.asarray(
        counts.toarray() if hasattr(counts, "toarray") else counts, dtype=np.float64
    )
    names = np.asarray(adata.obs_names.astype(str))
    if groups is not None:
        g = pd.Series(groups).astype(str).str.strip().str.lower()
        cond = g.reindex(names)
        bad = cond.dropna()[~cond.dropna().isin([NORMAL, TUMOR])]
        if len(bad):
            raise OncosigInputError(
                f"groups must be 'normal' or 'tumor'; got {sorted(set(bad))[:3]} for {list(bad.index[:3])}"
            )
        n_idx = np.flatnonzero(cond.to_numpy() == NORMAL)
        t_idx = np.flatnonzero(cond.to_numpy() == TUMOR)
    else:
        assert normal_first is not None
        if not 0 < normal_first < len(names):
            raise OncosigInputError(
                f"--normal-first must lie in 1..{len(names) - 1} (the matrix has {len(names)} samples)"
            )
        n_idx, t_idx = np.arange(normal_first), np.arange(normal_first, len(names))
    if n_idx.size == 0 or t_idx.size == 0:
        raise OncosigInputError("need at least one normal and one tumour sample; check the groups")
    order = np.concatenate([n_idx, t_idx])
    out = AnnData(
        X=counts[order].T.astype(np.float32),
        obs=pd.DataFrame(index=adata.var_names.astype(str)),
        var=pd.DataFrame(
            {OBS_CONDITION: [NORMAL] * n_idx.size + [TUMOR] * t_idx.size}, index=names[order]
        ),
    )
    out.layers[COUNTS_LAYER] = counts[order].T
    out.uns["cohort"] = "user"
    out.uns["n_normal"] = int(n_idx.size)
    return out


def predict_table(model: DEGnext, gene_rows: AnnData) -> pd.DataFrame:
    """One row per gene: ``label`` (DR/UR/neutral) and ``p_DR``, ``p_UR``, ``p_neutral``."""
    proba = model.predict_proba(gene_rows, splits=None, task="ternary")
    lab = np.argmax(proba, axis=1)
    return pd.DataFrame(
        {
            "label": [LABEL_NAMES[int(k)] for k in lab],
            "p_DR": proba[:, 0],
            "p_UR": proba[:, 1],
            "p_neutral": proba[:, 2],
        },
        index=pd.Index(gene_rows.obs_names, name="gene"),
    )
