"""Atomic writes leave either the old file or the new one, never a partial file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from oncosig._atomic import atomic_open, atomic_path, write_table, write_text


def test_failed_write_keeps_old_file(tmp_path: Path) -> None:
    p = tmp_path / "out.txt"
    write_text(p, "old")
    with pytest.raises(RuntimeError), atomic_open(p, "w") as fh:
        fh.write("new partial")
        raise RuntimeError("crash")
    assert p.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_path_keeps_suffix(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "fig.png") as tmp:
        assert tmp.suffix == ".png"
        tmp.write_bytes(b"x")
    assert (tmp_path / "fig.png").read_bytes() == b"x"


def test_write_table_refuses_overwrite(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1, 2]})
    write_table(df, tmp_path / "t.tsv", overwrite=False)
    with pytest.raises(ValueError, match="--overwrite"):
        write_table(df, tmp_path / "t.tsv", overwrite=False)
    assert pd.read_csv(tmp_path / "t.tsv", sep="\t", index_col=0)["a"].tolist() == [1, 2]
