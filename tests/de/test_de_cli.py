"""`oncosig de`: table with R's columns, run record, --json summary, errors exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncosig.cli import main


def write_counts(
    path: Path, rng: np.random.Generator, samples: list[str] | None = None
) -> list[str]:
    n_normal, n_tumor, n_genes = 4, 5, 80
    mu = rng.gamma(2.0, 60.0, size=n_genes)
    counts = rng.negative_binomial(5, 5 / (5 + mu), size=(n_normal + n_tumor, n_genes))
    counts[n_normal:, :8] *= 8
    if samples is None:
        samples = [f"N{i}" for i in range(n_normal)] + [f"T{i}" for i in range(n_tumor)]
    genes = [f"ENSG{i:011d}" for i in range(n_genes)]
    pd.DataFrame(counts.T, index=pd.Index(genes, name="gene_id"), columns=samples).to_csv(
        path, sep="\t"
    )
    return samples


def test_de_normal_first_json(tmp_path: Path, rng: np.random.Generator, capsys) -> None:  # type: ignore[no-untyped-def]
    counts = tmp_path / "counts.tsv"
    write_counts(counts, rng)
    out = tmp_path / "de.tsv"
    main(
        [
            "de",
            str(counts),
            "--normal-first",
            "4",
            "--method",
            "edger-lrt",
            "--out",
            str(out),
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["method"] == "edger-lrt" and summary["n_genes"] == 80
    assert summary["n_up"] >= 5 and summary["comparison"] == ["normal", "tumor"]
    table = pd.read_csv(out, sep="\t", index_col=0)
    assert list(table.columns[:5]) == ["logFC", "logCPM", "LR", "PValue", "FDR"]
    record = json.loads((tmp_path / "de.tsv.run.json").read_text())
    assert record["config"]["method"] == "edger-lrt"
    # an existing output is kept unless --overwrite
    with pytest.raises(SystemExit) as exc:
        main(["de", str(counts), "--normal-first", "4", "--out", str(out)])
    assert exc.value.code == 2
    main(
        [
            "de",
            str(counts),
            "--normal-first",
            "4",
            "--out",
            str(out),
            "--overwrite",
            "--method",
            "edger-exact",
        ]
    )
    assert "PValue" in pd.read_csv(out, sep="\t", index_col=0).columns


def test_de_groups_file_any_labels(tmp_path: Path, rng: np.random.Generator) -> None:
    counts = tmp_path / "counts.tsv"
    samples = write_counts(counts, rng)
    groups = tmp_path / "groups.tsv"
    groups.write_text(
        "sample\tcondition\n"
        + "".join(f"{s}\t{'ctrl' if s.startswith('N') else 'treated'}\n" for s in samples)
    )
    out = tmp_path / "de.tsv"
    main(
        [
            "de",
            str(counts),
            "--groups",
            str(groups),
            "--reference",
            "ctrl",
            "--method",
            "edger-ql",
            "--out",
            str(out),
        ]
    )
    table = pd.read_csv(out, sep="\t", index_col=0)
    assert list(table.columns) == ["logFC", "logCPM", "F", "PValue", "FDR"]
    assert (table["logFC"].iloc[:8] > 1).all()


@pytest.mark.parametrize(
    "extra",
    [
        [],  # neither --groups nor --normal-first, and no TCGA barcodes to go by
        ["--normal-first", "4", "--groups", "g.tsv"],  # both
        ["--normal-first", "9"],  # no tumour left
        ["--normal-first", "4", "--method", "limma"],
    ],
)
def test_de_usage_errors_exit_2(
    tmp_path: Path, rng: np.random.Generator, extra: list[str], capsys
) -> None:  # type: ignore[no-untyped-def]
    counts = tmp_path / "counts.tsv"
    write_counts(counts, rng)
    with pytest.raises(SystemExit) as exc:
        main(["de", str(counts), "--out", str(tmp_path / "o.tsv"), *extra])
    assert exc.value.code == 2
    assert capsys.readouterr().err.startswith("error:")


def test_de_groups_from_tcga_barcodes(tmp_path: Path, rng: np.random.Generator, capsys) -> None:  # type: ignore[no-untyped-def]
    """Without --groups/--normal-first, TCGA sample types set the groups (others left out)."""
    names = [f"TCGA-AA-{i:04d}-11A" for i in range(4)] + [
        f"TCGA-AA-{i:04d}-01A" for i in range(4, 8)
    ]
    names.append("TCGA-AA-0008-20A")  # a control analyte: in neither group
    counts = tmp_path / "counts.tsv"
    write_counts(counts, rng, samples=names)  # rows 0-3 normal, 4-8 tumour (8 is the control)
    out = tmp_path / "de.tsv"
    main(["de", str(counts), "--out", str(out), "--json"])
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["comparison"] == ["normal", "tumor"] and summary["n_genes"] == 80
    assert (pd.read_csv(out, sep="\t", index_col=0)["logFC"].iloc[:8] > 1).all()
    assert "4 normal, 4 tumour" in captured.err and "1 sample(s)" in captured.err
    record = json.loads((tmp_path / "de.tsv.run.json").read_text())
    assert record["config"]["groups_from_barcodes"] is True
    # the same table as giving the groups by hand without the control sample
    groups = tmp_path / "groups.tsv"
    groups.write_text(
        "".join(f"{s}\t{'normal' if s.endswith('11A') else 'tumor'}\n" for s in names[:8])
    )
    main(["de", str(counts), "--groups", str(groups), "--out", str(tmp_path / "by_hand.tsv")])
    auto = pd.read_csv(out, sep="\t", index_col=0)
    by_hand = pd.read_csv(tmp_path / "by_hand.tsv", sep="\t", index_col=0)
    pd.testing.assert_frame_equal(auto, by_hand)
