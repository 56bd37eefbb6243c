"""Every bad input of the foundation issue: one line ``error: <file>: ...`` and exit code 2."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from oncosig.cli import main

GOOD_ROWS = "ENSG00000000003\t10\t20\nENSG00000000005\t1\t0\nENSG00000000419\t7\t9\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, path: Path, fragment: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {path}: "), lines[0]
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in err


CASES = {
    # name: (file content or None for a missing file, expected message fragment)
    "missing_file": (None, "file not found"),
    "empty_file": ("", "empty file"),
    "wrong_delimiter": ("gene S1 S2\nTP53 1 2\nMYC 3 4\n", "only one column"),
    "wrong_delimiter_semicolon_vs_tab": ("gene;S1;S2\nTP53\t1\t2\n", "only one column"),
    "no_gene_column": ("\tS1\tS2\n1\t10\t20\n2\t1\t0\n", "no gene column"),
    "duplicate_samples": ("\tS1\tS1\n" + GOOD_ROWS, "duplicate sample IDs"),
    "duplicate_genes": ("\tS1\tS2\n" + GOOD_ROWS + "ENSG00000000003\t4\t4\n", "duplicate gene IDs"),
    "negative_counts": ("\tS1\tS2\n" + GOOD_ROWS.replace("\t1\t0", "\t-1\t0"), "negative values"),
    "nan_counts": ("\tS1\tS2\n" + GOOD_ROWS.replace("\t1\t0", "\tNA\t0"), "missing (NaN)"),
    "infinite_counts": ("\tS1\tS2\n" + GOOD_ROWS.replace("\t1\t0", "\tinf\t0"), "infinite"),
    "non_integer_counts": (
        "\tS1\tS2\n" + GOOD_ROWS.replace("\t1\t0", "\t1.5\t0"),
        "non-integer values",
    ),
    "empty_matrix": ("\tS1\tS2\n", "empty matrix"),
    "mixed_gene_ids": (
        "\tS1\tS2\nENSG00000000003\t1\t2\nENSG00000000005\t1\t2\nTP53\t1\t2\nMYC\t3\t4\n",
        "mixed gene ID types",
    ),
    "non_numeric_value": ("\tS1\tS2\n" + GOOD_ROWS.replace("\t1\t0", "\tabc\t0"), "non-numeric"),
}


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exit_2(
    case: str, gz: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, fragment = CASES[case]
    path = tmp_path / (f"{case}.tsv.gz" if gz else f"{case}.tsv")
    if content is not None:
        if gz:
            with gzip.open(path, "wt") as fh:
                fh.write(content)
            if content == "":
                fragment = "empty matrix"  # a gzip of nothing is not a 0-byte file
        else:
            path.write_text(content)
    code, out, err = run(["info", str(path)], capsys)
    assert code == 2, (out, err)
    assert_one_line_error(err, path, fragment)


def test_normalized_option_accepts_non_integer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tpm.tsv"
    path.write_text("\tS1\tS2\n" + GOOD_ROWS.replace("\t1\t0", "\t1.5\t0"))
    code, out, _ = run(["info", str(path), "--normalized", "--json"], capsys)
    assert code == 0
    assert '"value_kind": "normalized"' in out


def test_bad_gdc_sheet_names_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "gdc_sample_sheet.tsv"
    sheet.write_text(
        "File ID\tFile Name\tProject ID\tSample ID\tSample Type\n"
        "abc\tabc.rna_seq.augmented_star_gene_counts.tsv\tTCGA-KICH\tTCGA-KL-8323-01A\tPrimary Tumor\n"
    )
    code, _, err = run(["info", str(sheet)], capsys)
    assert code == 2
    assert_one_line_error(err, sheet, "not found")


def test_degnext_unknown_cohort(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fix = Path(__file__).resolve().parents[1] / "fixtures" / "degnext"
    code, _, err = run(["info", str(fix), "--cohort", "BLCA"], capsys)
    assert code == 2
    assert_one_line_error(err, fix, "no files of cohort TCGA-BLCA")
