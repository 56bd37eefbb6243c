"""Checkpoint files: round trip, refusal of pickles, truncation and tampering."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from oncosig._checkpoint import load_checkpoint, save_checkpoint, split_prefix
from oncosig._errors import CheckpointError


def _save(path: Path, **kw) -> Path:
    tensors = {
        "model.w": torch.arange(6, dtype=torch.float32).reshape(2, 3),
        "prep.mean": np.ones(3),
    }
    meta = {"kind": "toy", "genes": ["ENSG1", "ENSG2", "ENSG3"], "classes": ["a", "b"]}
    return save_checkpoint(path, tensors=tensors, meta=meta, **kw)


def test_round_trip(tmp_path: Path) -> None:
    p = _save(tmp_path / "m.safetensors")
    tensors, meta = load_checkpoint(p, kind="toy")
    assert meta["genes"] == ["ENSG1", "ENSG2", "ENSG3"]
    assert meta["versions"]["oncosig"]
    assert torch.equal(split_prefix(tensors, "model")["w"], torch.arange(6.0).reshape(2, 3))
    assert split_prefix(tensors, "prep")["mean"].dtype == torch.float64


def test_no_overwrite_without_flag(tmp_path: Path) -> None:
    p = _save(tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="overwrite"):
        _save(p)
    _save(p, overwrite=True)


def test_wrong_kind(tmp_path: Path) -> None:
    p = _save(tmp_path / "m.safetensors")
    with pytest.raises(CheckpointError, match="expected a 'genexnet' model"):
        load_checkpoint(p, kind="genexnet")
    with pytest.raises(CheckpointError, match="expected a 'genexnet' or 'genexnet-ensemble' model"):
        load_checkpoint(p, kind=("genexnet", "genexnet-ensemble"))


def test_pickle_refused_and_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    p = tmp_path / "evil.safetensors"
    p.write_bytes(pickle.dumps(Evil(), protocol=4))
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(p)
    assert not marker.exists()
    q = tmp_path / "evil.pt"
    torch.save({"a": torch.ones(1)}, q)
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(q)


@pytest.mark.parametrize("cut", [4, 20, 200])
def test_truncated_refused(tmp_path: Path, cut: int) -> None:
    p = _save(tmp_path / "m.safetensors")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - cut] if cut < len(data) else data[:4])
    with pytest.raises(CheckpointError):
        load_checkpoint(p)


def test_tampered_header_refused(tmp_path: Path) -> None:
    p = _save(tmp_path / "m.safetensors")
    data = bytearray(p.read_bytes())
    i = data.find(b'"kind')
    data[i : i + 5] = b"XXXXX"
    p.write_bytes(bytes(data))
    with pytest.raises(CheckpointError):
        load_checkpoint(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nope.safetensors")


def test_metadata_must_be_json(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plain JSON"):
        save_checkpoint(tmp_path / "x.safetensors", tensors={}, meta={"kind": "k", "x": object()})
    assert not (tmp_path / "x.safetensors").exists()


def test_remove_checkpoints_clears_the_subfolders_it_empties(tmp_path: Path) -> None:
    from oncosig._resume import remove_checkpoints

    d = tmp_path / "run.resume"
    for name in ("seed0/fit.ckpt", "seed1/fit.ckpt", "seed0.safetensors"):
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(b"x")
    (d / "seed1" / "keep.txt").write_text("not ours")
    remove_checkpoints(d, ("seed0/fit.ckpt", "seed1/fit.ckpt", "seed0.safetensors"))
    assert sorted(p.relative_to(d).as_posix() for p in d.rglob("*")) == ["seed1", "seed1/keep.txt"]
    (d / "seed1" / "keep.txt").unlink()
    remove_checkpoints(d, ("seed1/fit.ckpt",))
    assert not d.exists() and tmp_path.exists()
