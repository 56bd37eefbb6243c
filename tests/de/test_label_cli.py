"""``oncosig label``: DE table + counts -> DEGnext-layout dataset that read_degnext reads back."""

from __future__ import annotations

import json

import pandas as pd
import pytest


def test_label_cli_round_trip(shared_dir, tmp_path, capsys):
    from oncosig.cli import main
    from oncosig.io import read_degnext

    de = tmp_path / "de.tsv"
    table = pd.read_csv(
        shared_dir / "r-reference" / "CHOL_edgeR_glmLRT_tagwise.tsv.gz", sep="\t", index_col=0
    )
    table.to_csv(de, sep="\t")
    counts = shared_dir / "tcga-counts" / "chol-kich" / "TCGA-CHOL_degnext_genes_counts.tsv.gz"
    out = tmp_path / "ds"
    args = [
        "label",
        str(de),
        "--counts",
        str(counts),
        "--normal-first",
        "9",
        "--cancer-type",
        "TCGA-CHOL",
        "--out",
        str(out),
        "--json",
    ]
    main(args)
    summary = json.loads(capsys.readouterr().out)
    assert summary["genes"] == 6513 and summary["n_normal"] == 9
    assert set(summary["splits"]) == {"T1", "T2", "F1", "T3"}
    back = read_degnext(out, cohort="TCGA-CHOL", n_normal=9)
    assert back.n_obs == 6513 and back.n_vars == 45
    assert (out / "run.json").is_file()
    with pytest.raises(SystemExit) as exc:
        main(args)  # outputs exist, no --overwrite
    assert exc.value.code == 2
    gl = tmp_path / "genes.txt"
    gl.write_text("TP53\nKRAS\n")
    main([*args[:-1], "--gene-list", str(gl), "--overwrite"])
