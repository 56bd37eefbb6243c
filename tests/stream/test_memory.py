"""Streaming statistics keep memory flat as the number of rows grows (subprocess RSS)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from oncosig.stream import StoreWriter

CODE = """
import json, resource, sys
from oncosig.stream import logcpm_stats, open_store
store = open_store(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
logcpm_stats(store, block_rows=100)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"grow_kb": after - before}))
"""


def _store(path: Path, n: int, g: int = 1000) -> Path:
    rng = np.random.default_rng(0)
    with StoreWriter(path, var=[f"g{i}" for i in range(g)], n_obs=n) as w:
        for i in range(0, n, 500):
            w.append(np.floor(np.exp(rng.normal(2.0, 1.0, size=(min(500, n - i), g)))))
    return path


def _growth_mb(path: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CODE, str(path)], capture_output=True, text=True, check=True
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["grow_kb"]) / 1024


def test_streaming_stats_memory_does_not_grow_with_rows(tmp_path: Path) -> None:
    small = _growth_mb(_store(tmp_path / "small.h5ad", 1000))
    big = _growth_mb(_store(tmp_path / "big.h5ad", 8000))
    # 8,000 x 1,000 float64 in memory would be 64 MB; streaming uses a few 100-row blocks
    assert big - small < 16, (small, big)
