"""Generic matrices, Xena, h5ad and the ``read`` dispatcher."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import numpy as np
import pytest
from anndata import AnnData

from oncosig._errors import OncosigInputError
from oncosig.io import detect_format, read, read_h5ad, read_matrix, read_xena, write_h5ad

FIX = Path(__file__).resolve().parents[1] / "fixtures"
ENS = ["ENSG00000000003", "ENSG00000000005", "ENSG00000000419", "ENSG00000000457"]
BARCODES = ["TCGA-KN-8424-01A-11R-2315-07", "TCGA-KL-8324-11A-01R-2315-07", "TCGA-KO-8417-01A"]


def _write(path: Path, text: str) -> Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def _genes_x_samples(
    rng: np.random.Generator, sep: str = "\t", first: str = ""
) -> tuple[str, np.ndarray]:
    counts = rng.poisson(20, size=(len(ENS), len(BARCODES)))
    lines = [sep.join([first, *BARCODES])]
    lines += [sep.join([g, *map(str, row)]) for g, row in zip(ENS, counts, strict=True)]
    return "\n".join(lines) + "\n", counts


@pytest.mark.parametrize("name", ["m.tsv", "m.tsv.gz", "m.exp.gz", "m.txt"])
def test_genes_x_samples_auto(tmp_path: Path, rng: np.random.Generator, name: str) -> None:
    text, counts = _genes_x_samples(rng)
    ad = read_matrix(_write(tmp_path / name, text))
    assert ad.shape == (3, 4)
    assert list(ad.var_names) == ENS and list(ad.obs_names) == BARCODES
    np.testing.assert_array_equal(ad.layers["counts"], counts.T)
    assert ad.X.dtype == np.float32
    assert ad.uns["value_kind"] == "counts"
    assert ad.uns["oncosig_source"]["orientation"] == "genes_x_samples"
    assert ad.obs["tissue"].astype(str).tolist() == ["tumor", "normal", "tumor"]


def test_samples_x_genes_csv_and_explicit(tmp_path: Path, rng: np.random.Generator) -> None:
    counts = rng.poisson(5, size=(3, 4))
    lines = ["sample," + ",".join(ENS)] + [
        ",".join([s, *map(str, r)]) for s, r in zip(["s1", "s2", "s3"], counts, strict=True)
    ]
    p = _write(tmp_path / "m.csv", "\n".join(lines) + "\n")
    ad = read_matrix(p)
    assert ad.shape == (3, 4) and list(ad.var_names) == ENS
    np.testing.assert_array_equal(ad.layers["counts"], counts)
    same = read_matrix(p, orientation="samples_x_genes")
    np.testing.assert_array_equal(same.X, ad.X)
    flipped = read_matrix(p, orientation="genes_x_samples")
    assert flipped.shape == (4, 3)


def test_symbols_and_annotation_columns(tmp_path: Path) -> None:
    text = "gene_id\tgene_name\tA\tB\nENSG00000000003.15\tTSPAN6\t1\t2\nENSG00000000005.6\tTNMD\t3\t4\n"
    ad = read_matrix(_write(tmp_path / "m.tsv", text))
    assert ad.shape == (2, 2)
    assert ad.var["symbol"].tolist() == ["TSPAN6", "TNMD"]
    assert ad.uns["gene_id_type"] == "ensembl_versioned"


def test_r_write_table_header_and_quotes(tmp_path: Path) -> None:
    text = '"S1","S2"\n"TP53",1,2\n"MYC",3,4\n"EGFR",0,9\n'
    ad = read_matrix(_write(tmp_path / "m.csv", text))
    assert list(ad.obs_names) == ["S1", "S2"]
    assert list(ad.var_names) == ["TP53", "MYC", "EGFR"]


def test_entrez_ids_named_in_header(tmp_path: Path) -> None:
    text = "entrez_id\tS1\tS2\n7157\t1\t2\n4609\t3\t4\n1956\t0\t1\n"
    ad = read_matrix(_write(tmp_path / "m.tsv", text))
    assert list(ad.var_names) == ["7157", "4609", "1956"]
    assert ad.uns["gene_id_type"] == "entrez"
    with pytest.raises(OncosigInputError, match="no gene column"):
        read_matrix(_write(tmp_path / "n.tsv", text.replace("entrez_id", "")))


def test_comment_lines_skipped(tmp_path: Path) -> None:
    text = "# produced by a pipeline\n\tS1\tS2\nENSG00000000003\t1\t2\nENSG00000000005\t3\t4\n"
    assert read_matrix(_write(tmp_path / "m.tsv", text)).shape == (2, 2)


def test_normalized_values(tmp_path: Path) -> None:
    text = "\tS1\tS2\nTP53\t1.5\t-2\nMYC\t3\t4\n"
    p = _write(tmp_path / "m.tsv", text)
    with pytest.raises(OncosigInputError, match="negative values"):
        read_matrix(p)
    ad = read_matrix(p, allow_normalized=True)
    assert ad.uns["value_kind"] == "normalized"
    assert "counts" not in ad.layers


def test_xena(tmp_path: Path) -> None:
    p = FIX / "xena" / "TCGA-ACC.htseq_counts.tsv.gz"
    assert detect_format(p) == "xena"
    ad = read(p)
    assert ad.shape == (3, 5)
    assert ad.uns["value_kind"] == "normalized"
    assert ad.uns["oncosig_source"]["format"] == "xena"
    assert ad.uns["oncosig_source"]["log_transformed_guess"] is True
    assert (ad.obs["project"].astype(str) == "TCGA-ACC").all()
    assert ad.obs["tissue"].astype(str).tolist() == ["tumor", "tumor", "normal"]
    with pytest.raises(OncosigInputError, match="non-integer"):
        read_xena(p, allow_normalized=False)


def test_h5ad_roundtrip_and_overwrite(tmp_path: Path, rng: np.random.Generator) -> None:
    text, counts = _genes_x_samples(rng)
    ad = read_matrix(_write(tmp_path / "m.tsv", text), project="TCGA-KICH")
    out = tmp_path / "x.h5ad"
    write_h5ad(ad, out)
    back = read(out)
    np.testing.assert_array_equal(back.layers["counts"], counts.T)
    assert back.uns["value_kind"] == "counts"
    assert back.obs["organ_site"].astype(str).tolist() == ["Kidney"] * 3
    assert back.uns["oncosig_source"]["reader"] == "read_matrix"
    with pytest.raises(OncosigInputError, match="overwrite"):
        write_h5ad(ad, out)
    write_h5ad(ad, out, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tsv", "x.h5ad"]  # no temp files left


def test_h5ad_without_oncosig_metadata(tmp_path: Path) -> None:
    ad = AnnData(np.array([[1.0, 2.0], [0.5, 1.0]], dtype=np.float32))
    ad.var_names = ["TP53", "MYC"]
    ad.write_h5ad(tmp_path / "plain.h5ad")
    back = read_h5ad(tmp_path / "plain.h5ad")
    assert back.uns["value_kind"] == "normalized"
    assert back.uns["gene_id_type"] == "symbol"


def test_not_h5ad(tmp_path: Path) -> None:
    p = _write(tmp_path / "fake.h5ad", "hello\n")
    with pytest.raises(OncosigInputError, match="not an h5ad"):
        read_h5ad(p)


def test_detect_format(tmp_path: Path, rng: np.random.Generator) -> None:
    text, _ = _genes_x_samples(rng)
    assert detect_format(_write(tmp_path / "m.tsv", text)) == "matrix"
    gdc = FIX / "gdc"
    assert detect_format(gdc / "single.htseq.counts") == "htseq"
    assert detect_format(gdc / "star" / "gdc_sample_sheet.tsv") == "gdc_sample_sheet"
    star = next((gdc / "star").glob("*.tsv.gz"))
    assert detect_format(star) == "star"
    assert detect_format(FIX / "degnext") == "degnext"
    assert detect_format(FIX / "degnext" / "TCGA-FAKE_bio_test.csv.gz") == "degnext"
    with pytest.raises(OncosigInputError, match="not a DEGnext dataset"):
        detect_format(tmp_path)


@pytest.mark.slow
def test_real_tcga_counts_fast(shared_dir: Path) -> None:
    path = shared_dir / "tcga-counts" / "TCGA_ACC_Counts.exp.gz"
    read_matrix(path)  # warm the file cache
    t0 = time.perf_counter()
    ad = read_matrix(path)
    elapsed = time.perf_counter() - t0
    assert ad.shape == (79, 56537)
    assert ad.uns["gene_id_type"] == "ensembl"
    assert ad.layers["counts"].dtype.kind == "i"
    assert (ad.obs["project"].astype(str) == "TCGA-ACC").all()
    assert (ad.obs["organ_site"].astype(str) == "Adrenal gland").all()
    assert elapsed < 10.0, f"reading 56,537 x 79 took {elapsed:.1f} s"
