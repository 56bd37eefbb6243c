from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy.stats import hypergeom

import oncosig.enrich._ids as ids
from oncosig.enrich import (
    GeneSetLibrary,
    bh_fdr,
    list_libraries,
    load_library,
    ora,
    read_gmt,
    write_gmt,
)
from oncosig.enrich._library import _builtin


def test_builtin_libraries_load() -> None:
    sizes = {name: load_library(name).n_terms for name in list_libraries()}
    assert sizes["hallmark"] == 50
    assert sizes["go-bp"] > 10_000
    assert sizes["reactome"] > 2_000
    assert sizes["wikipathways"] > 700
    hallmark = load_library("hallmark").to_dict()
    assert "TP53" in hallmark["HALLMARK_P53_PATHWAY"]


def test_bh_matches_reference() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.2, np.nan])
    # R: p.adjust(c(.01,.04,.03,.2), "BH") = 0.04 0.0533 0.0533 0.2
    np.testing.assert_allclose(bh_fdr(p)[:4], [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])
    assert np.isnan(bh_fdr(p)[4])


def test_planted_set_is_found() -> None:
    lib = load_library("go-bp")
    sets = lib.to_dict()
    rng = np.random.default_rng(0)
    term = "DNA repair (GO:0006281)"
    planted = rng.choice(sets[term], 25, replace=False).tolist()
    noise = rng.choice(lib.genes, 75, replace=False).tolist()
    res = ora(planted + noise, library="go-bp", max_size=1000)
    row = res.set_index("term").loc[term]
    assert row["fdr"] < 1e-3
    assert row["overlap"] >= 25
    assert res["pvalue"].is_monotonic_increasing
    assert set(planted) <= set(row["genes"].split(";"))


@pytest.mark.parametrize("library", ["go-bp", "hallmark", "reactome"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_lists_find_nothing(library: str, seed: int) -> None:
    lib = load_library(library)
    genes = np.random.default_rng(seed).choice(lib.genes, 300, replace=False)
    res = ora(genes, library=library)
    assert list(res.columns) == ["term", "overlap", "set_size", "pvalue", "fdr", "genes"]
    assert not (res["fdr"] < 0.05).any(), res.head()


def test_ora_of_500_genes_over_go_bp_is_fast() -> None:
    genes = np.random.default_rng(0).choice(load_library("go-bp").genes, 500, replace=False)
    _builtin.cache_clear()
    t0 = time.perf_counter()
    ora(genes, library="go-bp")  # includes loading the library
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    ora(genes, library="go-bp")
    warm = time.perf_counter() - t0
    print(f"ORA 500 genes x GO-BP: cold {cold:.3f} s, warm {warm:.3f} s")
    assert warm < 2.0


def test_background_restricts_sets_and_matches_scipy() -> None:
    sets = {
        "S1": [f"g{i}" for i in range(0, 20)],
        "S2": [f"g{i}" for i in range(10, 40)],
        "S3": ["g0", "g1", "zz"],
    }
    background = [f"g{i}" for i in range(0, 30)] + ["other"]
    genes = [f"g{i}" for i in range(0, 8)] + ["g25", "notmeasured"]
    res = ora(genes, library=sets, background=background, min_size=3).set_index("term")
    # universe = background genes in the library: g0..g29 (30); S2 restricted to g10..g29
    assert res.attrs["universe"] == 30 and res.attrs["n_genes"] == 9
    assert res.loc["S1", "set_size"] == 20 and res.loc["S2", "set_size"] == 20
    assert "S3" not in res.index  # 2 genes left after restriction < min_size
    np.testing.assert_allclose(res.loc["S1", "pvalue"], hypergeom.sf(8 - 1, 30, 20, 9))
    np.testing.assert_allclose(res.loc["S2", "pvalue"], hypergeom.sf(1 - 1, 30, 20, 9))
    assert res.loc["S2", "genes"] == "g25"


def test_input_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        ora([], library="hallmark")
    with pytest.raises(ValueError, match="none of"):
        ora(["NOT_A_GENE"], library="hallmark")
    with pytest.raises(ValueError, match="unknown gene-set library"):
        ora(["TP53"], library="kegg")
    with pytest.raises(ValueError, match="background"):
        ora(["TP53"], library="hallmark", background=["XXX"])


def test_gmt_roundtrip_and_user_library(tmp_path) -> None:
    sets = {"A": ["TP53", "MDM2", "TP53"], "B": ["EGFR", "KRAS"]}
    path = write_gmt(tmp_path / "x.gmt.gz", sets, descriptions={"A": "first"})
    read, desc = read_gmt(path)
    assert read == {"A": ["TP53", "MDM2", "TP53"], "B": ["EGFR", "KRAS"]}
    assert desc == {"A": "first", "B": ""}
    lib = load_library(path)
    assert lib.to_dict() == {"A": ["MDM2", "TP53"], "B": ["EGFR", "KRAS"]}
    res = ora(["TP53", "MDM2"], library=str(path), min_size=1)
    assert res.iloc[0]["term"] == "A"
    with pytest.raises(ValueError, match="exists"):
        write_gmt(path, sets)
    bad = tmp_path / "bad.gmt"
    bad.write_text("onlyname\n")
    with pytest.raises(ValueError, match="not GMT"):
        read_gmt(bad)


def test_ensembl_ids_are_translated(monkeypatch: pytest.MonkeyPatch) -> None:
    table = pd.DataFrame(
        {"symbol": ["TP53", "MDM2", "CDKN1A"]},
        index=["ENSG00000141510", "ENSG00000135679", "ENSG00000124762"],
    )
    monkeypatch.setattr(
        ids, "_ensembl_to_symbol", lambda: dict(zip(table.index, table.symbol, strict=True))
    )
    assert ids.to_symbols(["ENSG00000141510.17", "MDM2", "ENSG00000135679", "ENSG00000000000"]) == [
        "TP53",
        "MDM2",
    ]
    lib = GeneSetLibrary.from_dict({"P": ["TP53", "MDM2", "CDKN1A", "X1", "X2"]})
    res = ora(["ENSG00000141510", "ENSG00000124762"], library=lib, min_size=1)
    assert res.iloc[0]["overlap"] == 2
