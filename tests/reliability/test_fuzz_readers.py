"""Property-based tests: malformed files fed to every reader.

Each reader must either refuse the input with :class:`OncosigInputError` (a ``ValueError``
whose one-line message names the file) or return exactly the numbers that were written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import anndata as ad
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reliability_inputs import FUZZ, GENES, Case, gdc_files, matrices, tally

from oncosig._errors import OncosigInputError
from oncosig.io import (
    read,
    read_degnext,
    read_gdc,
    read_h5ad,
    read_htseq,
    read_matrix,
    read_star,
    read_xena,
)


def _assert_refused(fn, path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OncosigInputError) as info:
        fn(path)
    msg = str(info.value)
    assert "\n" not in msg.strip(), f"multi-line message: {msg!r}"
    assert path.name in msg or str(path.parent) in msg, f"message does not name the file: {msg}"


def _assert_same(adata: ad.AnnData, case: Case) -> None:
    assert case.values is not None
    assert adata.shape == case.values.shape, (adata.shape, case.values.shape)
    assert list(adata.obs_names) == case.samples
    assert list(adata.var_names) == case.genes
    np.testing.assert_array_equal(np.asarray(adata.layers["counts"]), case.values)
    # float32 X: exact up to 2^24, relative error below 1e-7 above
    np.testing.assert_allclose(np.asarray(adata.X, dtype=np.float64), case.values, rtol=1e-6)
    assert adata.uns["value_kind"] == "counts"


@FUZZ
@given(case=matrices())
def test_matrix_readers(case: Case) -> None:
    """`oncosig.io.read` and `read_matrix` on CSV/TSV matrices with one defect each."""
    tally("inputs:readers")
    with tempfile.TemporaryDirectory() as tmp:
        path = case.write(Path(tmp))
        for fn in (read, read_matrix):
            if case.expect_error:
                _assert_refused(fn, path)
            else:
                _assert_same(fn(path), case)


@FUZZ
@given(
    case=matrices(
        defects=(
            "nan",
            "inf",
            "huge",
            "text",
            "dup_sample",
            "dup_gene",
            "binary",
            "truncated_gzip",
            "empty_file",
            "plain",
            "gzip",
            "negative",
            "fraction",
        )
    )
)
def test_xena_reader(case: Case) -> None:
    """Xena files accept normalized values and NaN, never inf, text or duplicates."""
    tally("inputs:readers")
    with tempfile.TemporaryDirectory() as tmp:
        path = case.write(Path(tmp))
        if case.name in ("negative", "fraction", "nan"):
            adata = read_xena(path)
            assert adata.shape[0] >= 1 and adata.uns["value_kind"] == "normalized"
            return
        if case.expect_error:
            _assert_refused(read_xena, path)
        else:
            _assert_same(read_xena(path), case)


@FUZZ
@given(item=gdc_files())
def test_gdc_readers(item: tuple[str, Case]) -> None:
    """STAR and HTSeq files (and `read`, which sniffs them)."""
    tally("inputs:readers")
    fmt, case = item
    reader = read_star if fmt == "star" else read_htseq
    with tempfile.TemporaryDirectory() as tmp:
        path = case.write(Path(tmp))
        for fn in (reader, read):
            if case.expect_error:
                _assert_refused(fn, path)
            else:
                adata = fn(path)
                assert case.values is not None
                assert adata.n_obs == 1 and adata.n_vars == case.values.shape[1]
                np.testing.assert_array_equal(np.asarray(adata.layers["counts"]), case.values)


@FUZZ
@given(item=gdc_files(), n_files=st.integers(1, 3))
def test_gdc_sample_sheet(item: tuple[str, Case], n_files: int) -> None:
    """A sample sheet of several files, the last of which carries the defect."""
    tally("inputs:readers")
    _fmt, case = item
    ok = "".join(f"{g}.1\tS\tprotein_coding\t{k}\t0\t0\t0\t0\t0\n" for k, g in enumerate(GENES[:3]))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        rows = ["File ID\tFile Name\tSample ID\tSample Type\tProject ID"]
        for k in range(n_files - 1):
            from reliability_inputs import STAR_HEADER, STAR_QC

            (d / f"ok{k}.tsv").write_text(STAR_HEADER + STAR_QC + ok)
            rows.append(f"id{k}\tok{k}.tsv\tTCGA-KN-{k:04d}-01A\tPrimary Tumor\tTCGA-KICH")
        bad = case.write(d)
        rows.append(f"idz\t{bad.name}\tTCGA-KN-9999-01A\tPrimary Tumor\tTCGA-KICH")
        sheet = d / "gdc_sample_sheet.tsv"
        sheet.write_text("\n".join(rows) + "\n")
        if case.expect_error or n_files > 1:  # a valid file beside others has other genes
            with pytest.raises(OncosigInputError) as info:
                read_gdc(sheet)
            assert "\n" not in str(info.value).strip()
        else:
            adata = read_gdc(sheet)
            assert adata.n_obs == 1 and list(adata.obs_names) == ["TCGA-KN-9999-01A"]


H5_DEFECTS = (
    "nan_counts",
    "inf",
    "negative_counts",
    "fraction_counts",
    "dup_sample",
    "dup_gene",
    "empty",
    "truncated",
    "junk",
    "huge",
    "valid",
)


@FUZZ
@given(
    kind=st.sampled_from(H5_DEFECTS),
    n=st.integers(1, 5),
    m=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_h5ad_reader(kind: str, n: int, m: int, seed: int) -> None:
    """h5ad files: counts layers are checked like any counts, broken files refused."""
    tally("inputs:readers")
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 1000, size=(n, m)).astype(np.float64)
    X = counts.astype(np.float32)
    a = ad.AnnData(X=X.copy())
    a.obs_names = [f"S{i}" for i in range(n)]
    a.var_names = GENES[:m]
    a.layers["counts"] = counts.copy()
    if kind == "nan_counts":
        a.layers["counts"][0, 0] = np.nan
    elif kind == "inf":
        a.X[0, 0] = np.inf
    elif kind == "negative_counts":
        a.layers["counts"][0, 0] = -5
    elif kind == "fraction_counts":
        a.layers["counts"][0, 0] = 0.5
    elif kind == "huge":
        a.layers["counts"][0, 0] = 1e300
    elif kind == "dup_sample":
        a.obs_names = ["S0"] * n
    elif kind == "dup_gene":
        a.var_names = [GENES[0]] * m
    elif kind == "empty":
        a = a[:, :0].copy()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.h5ad"
        if (kind == "dup_sample" and n == 1) or (kind == "dup_gene" and m == 1):
            kind = "valid"
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a.write_h5ad(path)
        if kind == "truncated":
            blob = path.read_bytes()
            path.write_bytes(blob[: int(rng.integers(8, len(blob) - 1))])
        elif kind == "junk":
            blob = path.read_bytes()
            path.write_bytes(blob[:8] + rng.bytes(len(blob) - 8))
        for fn in (read_h5ad, read):
            if kind == "valid":
                got = fn(path)
                np.testing.assert_array_equal(np.asarray(got.layers["counts"]), counts)
            else:
                _assert_refused(fn, path)


DEG_DEFECTS = (
    "text",
    "nan",
    "negative",
    "fraction",
    "ragged",
    "bad_label",
    "blank_label",
    "short_labels",
    "binary",
    "empty",
    "valid",
)


@FUZZ
@given(
    kind=st.sampled_from(DEG_DEFECTS),
    n_genes=st.integers(2, 8),
    n_samples=st.integers(3, 6),
    layout=st.sampled_from(["matrix", "data"]),
    seed=st.integers(0, 2**16),
)
def test_degnext_reader(kind: str, n_genes: int, n_samples: int, layout: str, seed: int) -> None:
    """DEGnext layout: count matrix + label file, or the combined ``*_data.csv``."""
    tally("inputs:readers")
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 500, size=(n_genes, n_samples))
    labels = rng.integers(0, 3, size=n_genes)
    cells = [[str(v) for v in row] for row in counts]
    lab = [str(v) for v in labels]
    bad = {"text": "oops", "nan": "", "negative": "-1", "fraction": "0.25"}
    if kind in bad:
        cells[0][1] = bad[kind]
    if kind == "ragged":
        cells[-1] = cells[-1][:-1]
    if kind == "bad_label":
        lab[0] = "7"
    if kind == "blank_label":
        lab[-1] = ""
    if kind == "short_labels":
        lab = lab[:-1]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        stem = d / "TCGA-BLCA_non_bio_train"
        if layout == "matrix":
            main = Path(f"{stem}.csv")
            main.write_text("".join(",".join(r) + "\n" for r in cells))
            Path(f"{stem}_label.txt").write_text("".join(f"{v}\n" for v in lab))
        else:
            main = Path(f"{stem}_data.csv")
            if kind == "short_labels":
                lab.append("")
            main.write_text(
                "".join(
                    ",".join([f"G{i}", *r, lv]) + "\n"
                    for i, (r, lv) in enumerate(zip(cells, lab, strict=True))
                )
            )
        if kind == "binary":
            main.write_bytes(rng.bytes(64) + b"\xff\xfe\x00")
        if kind == "empty":
            main.write_bytes(b"")
        if kind == "valid":
            a = read_degnext(d, n_normal=1)
            np.testing.assert_array_equal(np.asarray(a.layers["counts"]), counts)
            np.testing.assert_array_equal(a.obs["label"].to_numpy(), labels)
            assert a.uns["n_normal"] == 1 and a.n_vars == n_samples
        else:
            with pytest.raises(OncosigInputError) as info:
                read_degnext(d, n_normal=1)
            assert "\n" not in str(info.value).strip()


@pytest.mark.parametrize("n_rows", [3000])
def test_large_truncated_gzip_is_refused(tmp_path: Path, n_rows: int) -> None:
    """A gzip cut in the middle of a long matrix must not read as a shorter valid matrix."""
    import gzip

    text = "feature\tS1\tS2\n" + "".join(f"ENSG{i:011d}\t{i}\t{i + 1}\n" for i in range(n_rows))
    blob = gzip.compress(text.encode(), mtime=0)
    for frac in (0.3, 0.6, 0.9, 0.999):
        p = tmp_path / f"cut{frac}.tsv.gz"
        p.write_bytes(blob[: int(len(blob) * frac)])
        tally("inputs:readers")
        _assert_refused(read, p)
