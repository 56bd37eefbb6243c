from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "src" / "oncosig" / "data" / "genesets"


@pytest.mark.slow
def test_rebuild_is_byte_identical(shared_dir: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_genesets", REPO / "scripts" / "build_genesets.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    digests = mod.build(shared_dir / "genesets", tmp_path, ["hallmark", "wikipathways", "reactome"])
    assert set(digests) == {"hallmark.npz", "wikipathways.npz", "reactome.npz"}
    for name in digests:
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), name


def test_shipped_libraries_are_compact() -> None:
    total = sum(p.stat().st_size for p in SHIPPED.glob("*.npz"))
    assert 0 < total < 5_000_000
    assert (SHIPPED / "LICENSES.md").is_file()
