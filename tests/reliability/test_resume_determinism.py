"""Resume after SIGKILL and determinism on CPU (issue 8, points 2-3)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from reliability_inputs import tally
from safetensors.torch import load_file

WORKER = Path(__file__).with_name("resume_worker.py")


def _run(
    *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [sys.executable, str(WORKER), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    if check:
        assert res.returncode == 0, res.stderr[-3000:]
    return res


@pytest.mark.slow
@pytest.mark.parametrize(
    "env",
    [
        pytest.param({}, id="lr-plateau-not-reached"),
        # the LR is halved during the run: GeneImageClassifierModule steps ReduceLROnPlateau
        # itself at the end of validation, before the epoch-end checkpoint is written
        pytest.param(
            {"RESUME_SORTED_DATA": "1", "RESUME_LR_PATIENCE": "1"}, id="lr-plateau-reached"
        ),
    ],
)
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Kill -9 in the middle of epoch 2 (6 batches per epoch, step 9), resume from last.ckpt."""
    kill_step = 9
    full = tmp_path / "full.json"
    _run("full", str(tmp_path / "unused"), str(full), env=env)
    ck = tmp_path / "ckpt"
    killed = _run(
        "killed", str(ck), str(tmp_path / "killed.json"), str(kill_step), check=False, env=env
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert (ck / "last.ckpt").is_file() and not (tmp_path / "killed.json").exists()
    tally("kills")
    resumed = tmp_path / "resumed.json"
    _run("resume", str(ck), str(resumed), env=env)
    a, b = json.loads(full.read_text()), json.loads(resumed.read_text())
    assert a["global_step"] == b["global_step"] and a["epochs"] == b["epochs"]
    wa = load_file(str(full.with_suffix(".safetensors")))
    wb = load_file(str(resumed.with_suffix(".safetensors")))
    assert a["proba"] == b["proba"], "resumed predictions differ from the uninterrupted run"
    assert all(torch.equal(wa[k], wb[k]) for k in wa), "resumed weights differ"
    assert a["val_loss"] == b["val_loss"] and a["val_acc"] == b["val_acc"]


def _cohort(seed: int = 0):  # type: ignore[no-untyped-def]
    import anndata as ad

    rng = np.random.default_rng(seed)
    labels = np.repeat(["TCGA-A", "TCGA-B", "TCGA-C"], 12)
    base = rng.gamma(2.0, 60.0, size=64)
    x = []
    for lab in labels:
        mu = base.copy()
        k = "ABC".index(lab[-1])
        mu[k * 10 : (k + 1) * 10] *= 6
        x.append(rng.poisson(mu))
    a = ad.AnnData(X=np.asarray(x, dtype=np.float32))
    a.layers["counts"] = np.asarray(x, dtype=np.int64)
    a.var_names = [f"ENSG{i:011d}" for i in range(64)]
    a.obs_names = [f"S{i:03d}" for i in range(len(labels))]
    a.obs["project"] = labels
    a.obs["participant"] = a.obs_names
    return a


@pytest.mark.slow
def test_same_seed_same_predictions_cpu(tmp_path: Path) -> None:
    """GeneXNet: two fits with one seed on one machine predict bit-identically; save/load too."""
    from oncosig.genexnet import GeneImageClassifier, GeneXNet

    torch.set_num_threads(1)
    adata = _cohort()
    params = dict(
        growth_rate=4,
        theta_d=0.25,
        theta_r=0.25,
        depth=2,
        max_epochs=3,
        patience=3,
        batch_size=8,
        gene_order="given",
        accelerator="cpu",
        seed=7,
    )
    probs = []
    for _ in range(2):
        m = GeneXNet(**params).fit(adata, label_key="project")
        probs.append(m.predict_proba(adata))
    np.testing.assert_array_equal(probs[0], probs[1])
    m.save(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(
        GeneImageClassifier.load(tmp_path / "m.safetensors").predict_proba(adata), probs[1]
    )
    other = GeneXNet(**{**params, "seed": 8}).fit(adata, label_key="project").predict_proba(adata)
    assert not np.array_equal(other, probs[0]), "the seed has no effect"
    tally("determinism_runs", 3)
