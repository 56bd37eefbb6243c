"""The shipped gene annotation, identifier mapping and genomic order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncosig._errors import OncosigInputError
from oncosig.genes import gene_table, genomic_order, normalize_ensembl, to_ensembl

TP53 = "ENSG00000141510"


def test_gene_table_columns_and_tp53() -> None:
    table = gene_table()
    assert table.index.name == "ensembl"
    assert table.index.is_unique
    for col in ("symbol", "entrez", "hgnc_id", "gene_type", "chrom", "start", "end"):
        assert col in table.columns
    assert {"gc_content", "length", "gencode_v36"} <= set(table.columns)
    assert table["gencode_v36"].sum() == 60616  # GENCODE v36 minus its 44 PAR_Y copies
    row = table.loc[TP53]
    assert row["symbol"] == "TP53"
    assert row["entrez"] == 7157
    assert row["hgnc_id"] == "HGNC:11998"
    assert row["chrom"] == "chr17"
    assert row["gene_type"] == "protein_coding"
    assert 0.3 < row["gc_content"] < 0.7
    assert row["length"] > 1000


def test_gene_table_returns_a_copy() -> None:
    t = gene_table()
    t.loc[TP53, "symbol"] = "changed"
    assert gene_table().loc[TP53, "symbol"] == "TP53"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ENSG00000141510.17", TP53),
        (TP53, TP53),
        ("ENSG00000182378.14_PAR_Y", "ENSG00000182378"),
        ("ENSGR0000182378", "ENSG00000182378"),
        ("TP53|7157", None),
        ("not-an-id", None),
    ],
)
def test_normalize_ensembl(given: str, expected: str | None) -> None:
    assert normalize_ensembl(given) == expected


def test_to_ensembl_every_kind() -> None:
    ids = ["TP53", "7157", "ENSG00000141510.17", "TP53|7157", "?|7157", "tp53"]
    out = to_ensembl(ids)
    assert list(out.index) == ids
    assert out.name == "ensembl"
    assert (out == TP53).all()


def test_to_ensembl_keeps_order_duplicates_and_reports_unmapped() -> None:
    out = to_ensembl(["BRCA1", "NOTAGENE1", "BRCA1", "EGFR"], id_type="symbol")
    assert list(out.index) == ["BRCA1", "NOTAGENE1", "BRCA1", "EGFR"]
    assert out.iloc[0] == out.iloc[2] == "ENSG00000012048"
    assert pd.isna(out.iloc[1])
    assert out.iloc[3] == "ENSG00000146648"


def test_to_ensembl_legacy_symbol_entrez() -> None:
    # Entrez part wins over a wrong/legacy symbol; a bad Entrez falls back to the symbol
    out = to_ensembl(["OLDNAME|7157", "EGFR|999999999", "?|999999999"], id_type="symbol|entrez")
    assert out.iloc[0] == TP53
    assert out.iloc[1] == "ENSG00000146648"
    assert pd.isna(out.iloc[2])


def test_to_ensembl_entrez_forms() -> None:
    out = to_ensembl([7157, "7157.0", " 7157 "], id_type="entrez")
    assert (out == TP53).all()


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("CCDC39", "ENSG00000284862"),  # protein-coding beats a lower-ID lncRNA namesake
        ("ZNF883", "ENSG00000285447"),  # protein-coding beats a lower-ID pseudogene
        ("RGS5", "ENSG00000143248"),
    ],
)
def test_symbol_tie_rule(symbol: str, expected: str) -> None:
    assert to_ensembl([symbol], id_type="symbol").iloc[0] == expected


def test_to_ensembl_errors_and_empty() -> None:
    assert to_ensembl([]).empty
    with pytest.raises(OncosigInputError, match="id_type must be"):
        to_ensembl(["TP53"], id_type="hgnc")
    with pytest.raises(OncosigInputError, match="could not recognise"):
        to_ensembl(["??", "!!", "%%"])


def test_mixed_list_maps_id_by_id() -> None:
    out = to_ensembl(["TP53", "ENSG00000146648", "7157", "BRCA1"])
    assert out.tolist() == [TP53, "ENSG00000146648", TP53, "ENSG00000012048"]


def test_protein_coding_round_trip() -> None:
    """Acceptance: >= 99 % of GENCODE v36 protein-coding genes round-trip."""
    table = gene_table()
    pc = table[table["gencode_v36"] & (table["gene_type"] == "protein_coding")]
    ens = pc.index.to_numpy()
    # symbol -> Ensembl, over all protein-coding genes
    by_symbol = to_ensembl(pc["symbol"].tolist(), id_type="symbol").to_numpy() == ens
    assert by_symbol.mean() >= 0.99
    # Entrez -> Ensembl, over HGNC-named protein-coding genes (clone-named genes such
    # as AC008764.1 have no HGNC symbol and, mostly, no Entrez gene)
    named = pc["hgnc_id"].notna().to_numpy()
    has_entrez = pc["entrez"].notna().to_numpy()
    by_entrez = np.zeros(len(pc), dtype=bool)
    by_entrez[has_entrez] = (
        to_ensembl(pc["entrez"][has_entrez].astype(str).tolist(), id_type="entrez").to_numpy()
        == ens[has_entrez]
    )
    assert named.sum() > 19000
    assert (by_entrez & by_symbol)[named].mean() >= 0.99
    assert by_entrez[has_entrez].mean() >= 0.99
    # and back: Ensembl -> symbol -> Ensembl via the table is the identity
    assert (to_ensembl(list(ens), id_type="ensembl").to_numpy() == ens).all()


def test_genomic_order() -> None:
    genes = [
        "ENSG00000198888",  # MT-ND1, chrM
        "unknown_gene_b",
        TP53,  # chr17:7.66 Mb
        "ENSG00000000003",  # TSPAN6, chrX
        "unknown_gene_a",
        "EGFR",  # chr7, given as a symbol
        "ENSG00000186092",  # OR4F5, chr1:65 kb
        "ENSG00000187634",  # SAMD11, chr1:0.92 Mb
    ]
    assert genomic_order(genes) == [
        "ENSG00000186092",
        "ENSG00000187634",
        "EGFR",
        TP53,
        "ENSG00000000003",
        "ENSG00000198888",
        "unknown_gene_b",
        "unknown_gene_a",
    ]
    assert genomic_order([]) == []
    assert genomic_order(["??", "!!"]) == ["??", "!!"]
