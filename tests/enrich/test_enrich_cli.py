from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from oncosig.cli import main
from oncosig.enrich import load_library


def test_enrich_cli_writes_tsv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    genes = load_library("hallmark").to_dict()["HALLMARK_P53_PATHWAY"][:40]
    gl = tmp_path / "genes.txt"
    gl.write_text("# p53 targets\n" + "\n".join(genes) + "\n\n")
    out = tmp_path / "res.tsv"
    main(["enrich", str(gl), "--library", "hallmark", "--out", str(out)])
    res = pd.read_csv(out, sep="\t")
    assert list(res.columns) == ["term", "overlap", "set_size", "pvalue", "fdr", "genes"]
    assert res.iloc[0]["term"] == "HALLMARK_P53_PATHWAY" and res.iloc[0]["fdr"] < 1e-10
    assert "HALLMARK_P53_PATHWAY" in capsys.readouterr().out
    record = json.loads((tmp_path / "res.tsv.run.json").read_text())
    assert record["command"] == "enrich" and record["config"]["library"] == "hallmark"
    assert record["n_genes"] == 40 and record["n_fdr_below_0.05"] >= 1
    bg = tmp_path / "bg.txt"
    bg.write_text("\n".join(genes[:30] + load_library("hallmark").genes[:500].tolist()))
    main(
        [
            "enrich",
            str(gl),
            "--library",
            "hallmark",
            "--background",
            str(bg),
            "--out",
            str(out),
            "--overwrite",
        ]
    )
    assert pd.read_csv(out, sep="\t").iloc[0]["overlap"] == 30


def test_enrich_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gl = tmp_path / "genes.txt"
    gl.write_text("TP53\n")
    for argv, msg in (
        (["enrich", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o.tsv")], "not found"),
        (["enrich", str(gl), "--library", "kegg", "--out", str(tmp_path / "o.tsv")], "kegg"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert msg in capsys.readouterr().err
