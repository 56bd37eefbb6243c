"""DEG labels from DE tables (edgeR / DESeq2 columns) and agreement with DEGnext's CHOL labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncosig._constants import LABEL_DOWN, LABEL_NEUTRAL, LABEL_UP
from oncosig._errors import OncosigInputError
from oncosig.de._label import label_genes


def test_edger_and_deseq2_columns():
    edger = pd.DataFrame(
        {"logFC": [2.0, -1.5, 0.3, 3.0, -0.1], "FDR": [1e-5, 0.001, 0.5, 0.02, 0.001]},
        index=list("abcde"),
    )
    lab = label_genes(edger, fdr=0.01)
    assert lab.tolist() == [LABEL_UP, LABEL_DOWN, LABEL_NEUTRAL, LABEL_NEUTRAL, LABEL_DOWN]
    assert lab.name == "label" and list(lab.index) == list("abcde")
    assert label_genes(edger, fdr=0.01, logfc=1.0).tolist() == [1, 0, 2, 2, 2]
    deseq = edger.rename(columns={"logFC": "log2FoldChange", "FDR": "padj"})
    deseq.loc["c", "padj"] = np.nan  # independent filtering
    assert label_genes(deseq, fdr=0.05).tolist() == [1, 0, 2, 1, 0]
    custom = edger.rename(columns={"logFC": "lfc", "FDR": "q"})
    assert label_genes(custom, fdr_col="q", logfc_col="lfc").equals(lab)


def test_bad_tables():
    with pytest.raises(OncosigInputError, match="fdr"):
        label_genes(pd.DataFrame({"logFC": [1.0]}, index=["a"]))
    with pytest.raises(OncosigInputError, match="duplicated"):
        label_genes(pd.DataFrame({"logFC": [1.0, 2.0], "FDR": [0.0, 0.0]}, index=["a", "a"]))
    with pytest.raises(OncosigInputError, match="fdr must be"):
        label_genes(pd.DataFrame({"logFC": [1.0], "FDR": [0.0]}, index=["a"]), fdr=0)
    with pytest.raises(TypeError):
        label_genes([1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize("co", ["CHOL"])
def test_glmlrt_labels_agree_with_degnext(shared_dir, co):
    de = pd.read_csv(
        shared_dir / "r-reference" / f"{co}_edgeR_glmLRT_tagwise.tsv.gz", sep="\t", index_col=0
    )
    ref = pd.read_csv(
        shared_dir / "tcga-counts" / "chol-kich" / f"TCGA-{co}_degnext_gene_labels.tsv",
        sep="\t",
        index_col=0,
    )
    lab = label_genes(de, fdr=0.01)
    deg = ref[ref["degnext_label"].isin([LABEL_DOWN, LABEL_UP])]
    assert len(deg) > 1000
    ours = lab.reindex(deg.index)
    assert (ours == deg["degnext_label"]).all()
