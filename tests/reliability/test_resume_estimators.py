"""GeneXNet and DEGnext estimators: SIGKILL mid-epoch, resume, same result (issue 8, point 2).

Each kill test trains in a subprocess (``resume_estimators_worker.py``) that SIGKILLs itself
in the middle of an epoch once an epoch checkpoint exists, resumes in a new process and
compares with an uninterrupted run of the same seed: probabilities, metrics, per-epoch
history and every weight must be bit-identical (CPU).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from reliability_inputs import tally
from resume_estimators_worker import DEGNEXT, GENEXNET, degnext_cohort, genexnet_cohort
from safetensors.torch import load_file

from oncosig._errors import OncosigInputError
from oncosig._resume import resume_setup

WORKER = Path(__file__).with_name("resume_estimators_worker.py")


def _worker(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [sys.executable, str(WORKER), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if check:
        assert res.returncode == 0, res.stderr[-3000:]
    return res


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN included (JSON round trip)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _kill_and_resume(what: str, kill: str, tmp: Path) -> dict[str, Any]:
    ck = tmp / "ckpt"
    killed = _worker(what, "killed", ck, tmp / "killed.json", kill, check=False)
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr[-2000:])
    assert any(ck.glob("*.ckpt")) and not (tmp / "killed.json").exists()
    assert not list(ck.glob(".*.tmp")), "a half-written checkpoint was left behind"
    tally("kills")
    _worker(what, "resume", ck, tmp / "resumed.json")
    return json.loads((tmp / "resumed.json").read_text())  # type: ignore[no-any-return]


def _same_weights(a: Path, b: Path) -> None:
    wa, wb = load_file(str(a)), load_file(str(b))
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa), "resumed weights differ"


def _full_run(factory: pytest.TempPathFactory, what: str) -> tuple[dict[str, Any], Path]:
    """An uninterrupted run of the worker: its JSON record and its saved weights."""
    d = factory.mktemp(f"{what}_full")
    _worker(what, "full", d / "unused", d / "full.json")
    return json.loads((d / "full.json").read_text()), d / "full.safetensors"


@pytest.fixture(scope="module")
def genexnet_full(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    return _full_run(tmp_path_factory, "genexnet")


@pytest.fixture(scope="module")
def degnext_full(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    return _full_run(tmp_path_factory, "degnext")


@pytest.mark.slow
def test_genexnet_sigkill_mid_epoch_then_resume(
    tmp_path: Path, genexnet_full: tuple[dict[str, Any], Path]
) -> None:
    """Killed at step 22 (epoch 5 of 0-9, 4 steps per epoch), just after ReduceLROnPlateau
    halved the LR at the end of epoch 4: the resumed run must train epoch 5 at the halved LR."""
    full, full_weights = genexnet_full
    lrs = [h["lr"] for h in full["history"]]
    assert lrs[4] == GENEXNET["lr"] and lrs[5] < GENEXNET["lr"], lrs  # the plateau is crossed
    resumed = _kill_and_resume("genexnet", "22", tmp_path)
    for key in ("history", "training", "metrics", "proba"):
        assert _same(full[key], resumed[key]), f"{key} differs after the resume"
    assert resumed["steps_run"] < full["steps_run"], "the resume did not start from the checkpoint"
    _same_weights(full_weights, tmp_path / "resumed.safetensors")


@pytest.fixture(scope="module")
def finetune_full(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    return _full_run(tmp_path_factory, "genexnet-finetune")


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill",
    [
        # frozen phase: 3 epochs of 4 steps; killed in epoch 1 (head only, backbone frozen)
        pytest.param("frozen:6", id="frozen-phase"),
        # unfrozen phase: killed in epoch 3, which trains at the twice-halved LR
        pytest.param("unfrozen:14", id="unfrozen-after-lr-halving"),
    ],
)
def test_genexnet_finetune_sigkill_then_resume(
    tmp_path: Path, finetune_full: tuple[dict[str, Any], Path], kill: str
) -> None:
    """GeneXNet.finetune(checkpoint_dir=..., resume=True): both phases resume bit-identically."""
    full, full_weights = finetune_full
    lrs = [h["lr"] for h in full["history"]][-6:]  # the unfrozen phase
    assert lrs[2] > lrs[3], lrs  # the kill in epoch 3 comes after an LR halving
    resumed = _kill_and_resume("genexnet-finetune", kill, tmp_path)
    for key in ("history", "training", "proba"):
        assert _same(full[key], resumed[key]), f"{key} differs after the resume"
    assert resumed["steps_run"] < full["steps_run"], "the resume did not start from the checkpoint"
    _same_weights(full_weights, tmp_path / "resumed.safetensors")


def test_finetune_resume_refuses_other_starting_weights(tmp_path: Path) -> None:
    """A fine-tuning checkpoint belongs to its pre-trained model: another one is refused."""
    from oncosig.genexnet import GeneXNet

    a = genexnet_cohort()
    b = genexnet_cohort(seed=1)
    b.obs["tn"] = np.where(b.obs["project"] == "TCGA-A", "normal", "tumour")
    quick = {**GENEXNET, "max_epochs": 1}
    first = GeneXNet(**quick).fit(a, label_key="project")  # type: ignore[arg-type]
    first.finetune(b, label_key="tn", freeze_epochs=1, max_epochs=1, checkpoint_dir=tmp_path)
    assert (tmp_path / "finetune.ckpt").is_file()
    other = GeneXNet(**{**quick, "seed": 4}).fit(a, label_key="project")  # type: ignore[arg-type]
    other.seed = first.seed  # same settings, different starting weights
    with pytest.raises(OncosigInputError):
        other.finetune(
            b, label_key="tn", freeze_epochs=1, max_epochs=1, checkpoint_dir=tmp_path, resume=True
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill",
    [
        pytest.param("1:7", id="level1-epoch2"),  # level 1: 3 steps per epoch
        pytest.param("2:6", id="level2-epoch1"),  # level 2 (level 1 finished): 4 per epoch
    ],
)
def test_degnext_sigkill_mid_epoch_then_resume(
    tmp_path: Path, degnext_full: tuple[dict[str, Any], Path], kill: str
) -> None:
    full, full_weights = degnext_full
    # the best epochs (restored at the end) come after the kill points
    assert full["history"]["level1"]["best_epoch"] >= 3, full["history"]
    assert full["history"]["level2"]["best_epoch"] >= 2, full["history"]
    resumed = _kill_and_resume("degnext", kill, tmp_path)
    for key in ("history", "metrics", "level1_proba", "proba"):
        assert _same(full[key], resumed[key]), f"{key} differs after the resume"
    assert resumed["steps_run"] < full["steps_run"], "the resume did not start from the checkpoint"
    _same_weights(full_weights, tmp_path / "resumed.safetensors")


@pytest.mark.slow
def test_cli_genexnet_train_resume(tmp_path: Path) -> None:
    """``oncosig genexnet train --resume`` after a SIGKILL equals an uninterrupted run;
    the checkpoint folder is removed once the model is written."""
    _worker("genexnet-cli", "full", tmp_path / "ck_full", tmp_path / "full.json")
    full = json.loads((tmp_path / "full.json").read_text())
    assert full["checkpoint_left"] == [] and not (tmp_path / "ck_full").exists()
    resumed = _kill_and_resume("genexnet-cli", "22", tmp_path)
    assert resumed["proba"] == full["proba"]
    assert resumed["checkpoint_left"] == []
    record = json.loads((tmp_path / "resumed.safetensors.run.json").read_text())
    assert record["resumed"] is True


# -- finished runs, refusals (in process, small) -------------------------------------------


def _tiny_genexnet(**kw: Any) -> Any:
    from oncosig.genexnet import GeneXNet

    return GeneXNet(**{**GENEXNET, "max_epochs": 3, **kw})


def test_resume_of_an_early_stopped_run_trains_nothing(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    a = genexnet_cohort()
    first = _tiny_genexnet(max_epochs=10, patience=1).fit(
        a, label_key="project", checkpoint_dir=tmp_path
    )
    assert first.training_["fit"]["epochs"] < 9, "the run did not stop early"
    again = _tiny_genexnet(max_epochs=10, patience=1).fit(
        a, label_key="project", checkpoint_dir=tmp_path, resume=True
    )
    assert again.history_ == first.history_
    assert again.training_["fit"]["epochs"] == first.training_["fit"]["epochs"]
    np.testing.assert_array_equal(again.predict_proba(a), first.predict_proba(a))


def test_existing_checkpoint_needs_resume_and_matching_settings(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    a = genexnet_cohort()
    _tiny_genexnet(max_epochs=1).fit(a, label_key="project", checkpoint_dir=tmp_path)
    assert (tmp_path / "fit.ckpt").is_file()
    with pytest.raises(OncosigInputError, match="resume=True"):
        _tiny_genexnet(max_epochs=1).fit(a, label_key="project", checkpoint_dir=tmp_path)
    with pytest.raises(OncosigInputError, match="other data or settings"):
        _tiny_genexnet(max_epochs=1, lr=0.01).fit(
            a, label_key="project", checkpoint_dir=tmp_path, resume=True
        )
    with pytest.raises(OncosigInputError, match="other data or settings"):
        _tiny_genexnet(max_epochs=1).fit(
            a[:-3].copy(), label_key="project", checkpoint_dir=tmp_path, resume=True
        )
    with pytest.raises(OncosigInputError, match="checkpoint directory"):
        resume_setup(None, resume=True, fingerprint="x")


class _Payload:
    """Unpickling this would create a marker file (it must never be unpickled)."""

    marker: Path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("damage", ["truncated", "pickled-object"])
def test_damaged_or_pickled_resume_checkpoint_is_refused(tmp_path: Path, damage: str) -> None:
    torch.set_num_threads(1)
    a = genexnet_cohort()
    _tiny_genexnet(max_epochs=1).fit(a, label_key="project", checkpoint_dir=tmp_path)
    ckpt = tmp_path / "fit.ckpt"
    marker = tmp_path / "executed"
    if damage == "truncated":
        ckpt.write_bytes(ckpt.read_bytes()[:5000])
    else:
        payload = _Payload()
        payload.marker = marker
        torch.save({"state_dict": {}, "evil": payload}, ckpt)
    with pytest.raises(OncosigInputError, match="cannot read the resume checkpoint"):
        _tiny_genexnet(max_epochs=1).fit(
            a, label_key="project", checkpoint_dir=tmp_path, resume=True
        )
    assert not marker.exists(), "the checkpoint's pickle payload was executed"
    tally("inputs:checkpoints")


def test_cli_refuses_a_leftover_checkpoint_without_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pandas as pd

    from oncosig.cli import main

    a = genexnet_cohort()
    data = tmp_path / "counts.tsv"
    pd.DataFrame(a.layers["counts"], index=a.obs_names, columns=a.var_names).T.to_csv(
        data, sep="\t"
    )
    out = tmp_path / "m.safetensors"
    leftover = tmp_path / "m.safetensors.resume" / "fit.ckpt"
    leftover.parent.mkdir()
    leftover.write_bytes(b"state of a killed run")
    with pytest.raises(SystemExit) as exc:
        main(["genexnet", "train", str(data), "--label-column", "project", "--out", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--resume" in err and "--overwrite" in err and "Traceback" not in err
    assert leftover.read_bytes() == b"state of a killed run" and not out.exists()


def test_degnext_same_seed_same_predictions_cpu() -> None:
    """DEGnext (both levels, default bf16 precision): one seed, bit-identical predictions."""
    from oncosig.degnext import DEGnext

    torch.set_num_threads(1)
    a = degnext_cohort()
    cfg = {k: v for k, v in DEGNEXT.items() if k != "precision"}

    def run(seed: int) -> np.ndarray:
        m = DEGnext(**{**cfg, "seed": seed, "max_epochs": 2, "finetune_epochs": 2})  # type: ignore[arg-type]
        m.fit(a, splits=["T1"]).finetune(a, splits=["F1"])
        return m.predict_proba(a, splits=None, task="ternary")

    p1, p2, p3 = run(5), run(5), run(6)
    np.testing.assert_array_equal(p1, p2)
    assert not np.array_equal(p1, p3), "the seed has no effect"
    tally("determinism_runs", 3)
