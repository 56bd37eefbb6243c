"""The shipped annotation is what scripts/build_package_data.py makes from ../shared."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from oncosig.genes import gene_table

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.shared
def test_gene_table_matches_a_fresh_build(shared_dir: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_package_data", REPO / "scripts" / "build_package_data.py"
    )
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    genes, aliases = build.build_gene_tables(shared_dir / "annotation")
    shipped = gene_table()
    assert list(genes.index) == list(shipped.index)
    pd.testing.assert_series_equal(
        genes["symbol"], shipped["symbol"], check_names=False, check_dtype=False
    )
    pd.testing.assert_series_equal(
        genes["entrez"], shipped["entrez"], check_names=False, check_dtype=False
    )
    assert (aliases["kind"].value_counts() > 0).all()


@pytest.mark.shared
def test_gc_content_and_length_are_exact(shared_dir: Path) -> None:
    """GC normalisation parity with TCGAbiolinks needs the values bit for bit."""
    ht = pd.read_csv(
        shared_dir / "annotation" / "tcgabiolinks_geneInfoHT_gc_length.tsv.gz",
        sep="\t",
        index_col=0,
    )
    table = gene_table().loc[ht.index]
    assert (table["gc_content"].to_numpy() == ht["gcContent"].to_numpy()).all()
    assert (table["length"].to_numpy() == ht["geneLength"].to_numpy()).all()
