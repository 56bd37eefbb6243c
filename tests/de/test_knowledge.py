"""The shipped knowledge table (CancerMine + Bailey) and user gene lists."""

from __future__ import annotations

import pytest

from oncosig._errors import OncosigInputError
from oncosig.de._knowledge import cancer_genes_table, knowledge_genes, normalize_cancer_type


def test_table_shape():
    t = cancer_genes_table()
    assert set(t["source"]) == {"cancermine", "bailey"}
    assert t["symbol"][t["source"] == "cancermine"].nunique() == 4038
    assert t["ensembl"].notna().mean() > 0.99


def test_filter_by_cancer_type():
    chol = knowledge_genes(cancer_type="TCGA-CHOL")
    assert {"KRAS", "ENSG00000133703"} <= chol  # symbol and Ensembl ID of KRAS
    kich = knowledge_genes(cancer_type="KICH", sources=("bailey",))
    assert "TP53" in kich and "ENSG00000141510" in kich
    allg = knowledge_genes()
    assert chol < allg
    assert knowledge_genes(cancer_type="CHOL", id_kind="symbol") <= allg
    sym = knowledge_genes(cancer_type="CHOL", id_kind="symbol")
    assert all(not g.startswith("ENSG") for g in sym)
    pancan = knowledge_genes(cancer_type="KICH", sources="bailey", include_pancan=True)
    assert kich < pancan


def test_gene_list(tmp_path):
    p = tmp_path / "genes.txt"
    p.write_text("# my genes\nTP53\n\nENSG00000133703\n")
    g = knowledge_genes(gene_list=p)
    assert {"TP53", "ENSG00000141510", "KRAS", "ENSG00000133703"} <= g
    assert knowledge_genes(gene_list=["TP53"], id_kind="ensembl") == {"ENSG00000141510"}


def test_errors(tmp_path):
    with pytest.raises(OncosigInputError, match="unknown knowledge"):
        knowledge_genes(sources=("ipa",))
    with pytest.raises(OncosigInputError, match=r"no .* genes for cancer type"):
        knowledge_genes(cancer_type="TCGA-NOPE")
    with pytest.raises(OncosigInputError, match="not found"):
        knowledge_genes(gene_list=tmp_path / "missing.txt")
    assert normalize_cancer_type("tcga_chol") == "CHOL"
