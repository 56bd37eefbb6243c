"""2-process CPU DDP (gloo) trains the tiny model as well as one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ddp_train import make_data  # noqa: E402

from oncosig.stream import write_store  # noqa: E402


def _run(out: Path, devices: int, *extra: str) -> list[dict[str, Any]]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    env.pop("LOCAL_RANK", None)
    proc = subprocess.run(
        [sys.executable, str(HERE / "ddp_train.py"), str(out), str(devices), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(p.read_text()) for p in sorted(out.glob("rank*.json"))]


@pytest.mark.skipif(sys.platform == "win32", reason="gloo DDP launcher test is POSIX-only")
def test_ddp_two_processes_match_one(tmp_path: Path) -> None:
    single = _run(tmp_path / "single", 1)
    assert [r["world_size"] for r in single] == [1]
    # the DDP run streams its training data from an on-disk store
    store = tmp_path / "train.h5ad"
    write_store(make_data(128, seed=1), store, chunk_rows=8)
    ddp = _run(tmp_path / "ddp", 2, str(store))
    assert sorted(r["rank"] for r in ddp) == [0, 1]
    assert all(r["world_size"] == 2 for r in ddp)
    assert ddp[0]["epochs"] == ddp[1]["epochs"]  # ranks stayed in step
    acc1, acc2 = single[0]["accuracy"], ddp[0]["accuracy"]
    assert isinstance(acc1, float) and isinstance(acc2, float)
    assert acc1 >= 0.95 and acc2 >= 0.95, (acc1, acc2)
