"""Worker for the estimator resume tests: train GeneXNet or DEGnext through the public API.

Usage: ``python resume_estimators_worker.py WHAT MODE DIR RESULT [KILL]``

- ``WHAT``: ``genexnet`` (``GeneXNet.fit``), ``genexnet-finetune`` (``GeneXNet.finetune`` of
  a model fitted without checkpoints), ``degnext`` (``DEGnext.fit`` + ``finetune``) or
  ``genexnet-cli`` (``oncosig genexnet train``, in process);
- ``MODE``: ``full`` (uninterrupted, no checkpoint), ``killed`` (SIGKILLs itself at the
  start of training step ``KILL``, i.e. mid-epoch, once an epoch checkpoint exists) or
  ``resume`` (continues from the checkpoints in ``DIR``);
- ``KILL``: ``STEP`` for GeneXNet, ``PHASE:STEP`` for the fine-tuning (``frozen:3``,
  ``unfrozen:5``), ``LEVEL:STEP`` for DEGnext (``1:5`` = level 1, step 5).

Writes ``RESULT`` (JSON: probabilities, metrics, history) and ``RESULT.safetensors``
(the final model, :meth:`save`).  Exit code 3: the kill point came before any checkpoint.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import torch

#: GeneXNet: a high LR with lr_patience=0 so that ReduceLROnPlateau halves the LR and
#: early stopping ends the run (both must survive the kill).
GENEXNET = dict(
    growth_rate=4,
    theta_d=0.25,
    theta_r=0.25,
    depth=2,
    lr=0.05,
    lr_patience=0,
    max_epochs=10,
    patience=3,
    batch_size=8,
    gene_order="given",
    accelerator="cpu",
    seed=3,
    progress=False,
)
#: DEGnext: early stopping on a 20 % hold-out; the best epochs (level 1: 3 of 0-4, level 2:
#: 2 of 0-3) come after the kill points the tests use, so a resume must reproduce them.
DEGNEXT = dict(
    arch="degnext_fast",
    net_kwargs={"widths": [4, 8, 8, 8, 8, 16, 16, 16], "hidden": [16, 8]},
    lr=5e-3,
    batch_size=16,
    max_epochs=5,
    finetune_batch_size=8,
    finetune_epochs=4,
    patience=2,
    val_fraction=0.2,
    precision="32-true",
    seed=5,
    progress=False,
)


def genexnet_cohort(seed: int = 0) -> ad.AnnData:
    """36 samples x 64 genes (8 x 8 grid), 3 classes, each with its own up-regulated block."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(["TCGA-A", "TCGA-B", "TCGA-C"], 12)
    base = rng.gamma(2.0, 60.0, size=64)
    x = []
    for lab in labels:
        mu = base.copy()
        k = "ABC".index(lab[-1])
        mu[k * 10 : (k + 1) * 10] *= 4
        x.append(rng.poisson(mu * rng.uniform(0.5, 2.0)))
    a = ad.AnnData(X=np.asarray(x, dtype=np.float32))
    a.layers["counts"] = np.asarray(x, dtype=np.int64)
    a.var_names = [f"ENSG{i:011d}" for i in range(64)]
    a.obs_names = [f"TCGA-XX-{i:04d}-01A" for i in range(len(labels))]
    a.obs["project"] = labels
    a.obs["participant"] = [f"P{i:03d}" for i in range(len(labels))]
    return a


def degnext_cohort(seed: int = 0) -> ad.AnnData:
    """A DEGnext AnnData (genes as observations): T1 (3 classes), F1 and T3 (DR/UR)."""
    rng = np.random.default_rng(seed)
    n_normal, n_tumor = 6, 14
    splits = np.repeat(["T1", "F1", "T3"], [60, 40, 24])
    y = np.concatenate([np.resize([0, 1, 2], 60), np.resize([0, 1], 40), np.resize([0, 1], 24)])
    rng.shuffle(y[:60])
    base = rng.uniform(3, 8, size=(len(y), 1))
    shift = np.where(y == 0, -1.5, np.where(y == 1, 1.5, 0.0))[:, None]
    mu = 2.0 ** np.concatenate(
        [np.repeat(base, n_normal, axis=1), np.repeat(base + shift, n_tumor, axis=1)], axis=1
    )
    counts = rng.poisson(mu * rng.gamma(10.0, 0.1, size=mu.shape)).astype(np.int64)
    a = ad.AnnData(X=counts.astype(np.float32))
    a.layers["counts"] = counts
    a.obs_names = [f"G{i:04d}" for i in range(len(y))]
    a.var_names = [f"N{i}" for i in range(n_normal)] + [f"T{i}" for i in range(n_tumor)]
    a.obs["split"] = splits
    a.obs["label"] = y
    a.uns["cohort"] = "TCGA-TOY"
    return a


def _arm_kill(what: str, spec: str | None, ckdir: Path) -> None:
    """Patch the Lightning module so that the process SIGKILLs itself at a training step."""
    if spec is None:
        return
    if what == "genexnet-finetune":
        from oncosig.genexnet._lightning import GeneImageClassifierModule as Module

        phase, st = spec.split(":")
        level, step = (2 if phase == "frozen" else 1), int(st)
        ckpt = ckdir / ("finetune-frozen.ckpt" if phase == "frozen" else "finetune.ckpt")
    elif what.startswith("genexnet"):
        from oncosig.genexnet._lightning import GeneImageClassifierModule as Module

        level, step = 1, int(spec)
        ckpt = ckdir / "fit.ckpt"
    else:
        from oncosig.degnext._lightning import DEGnextModule as Module  # type: ignore[assignment]

        lv, st = spec.split(":")
        level, step = int(lv), int(st)
        ckpt = ckdir / f"level{level}.ckpt"
    original = Module.training_step

    def step_then_maybe_die(self: Any, batch: Any, batch_idx: int) -> Any:
        # DEGnext: level 2 is the binary model; GeneXNet fine-tuning: 2 = frozen phase
        this_level = 2 if getattr(self, "binary", False) or getattr(self, "frozen", None) else 1
        if this_level == level and self.trainer.global_step >= step:
            if not ckpt.is_file():
                os._exit(3)  # no epoch checkpoint yet: the test would prove nothing
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, batch, batch_idx)

    Module.training_step = step_then_maybe_die  # type: ignore[method-assign]


def run_genexnet(mode: str, ckdir: Path, result: Path) -> dict[str, Any]:
    from oncosig.genexnet import GeneXNet

    a = genexnet_cohort()
    model = GeneXNet(**GENEXNET)  # type: ignore[arg-type]
    if mode == "full":
        model.fit(a, label_key="project")
    else:
        model.fit(a, label_key="project", checkpoint_dir=ckdir, resume=mode == "resume")
    model.save(result.with_suffix(".safetensors"), overwrite=True)
    return {
        "proba": model.predict_proba(a).tolist(),
        "metrics": model.evaluate(a, label_key="project"),
        "history": model.history_,
        "training": {k: v for k, v in model.training_["fit"].items() if k != "seconds"},
    }


def run_genexnet_finetune(
    mode: str, ckdir: Path, result: Path, kill: str | None = None
) -> dict[str, Any]:
    """Fit without checkpoints, then fine-tune to a 2-class task with resumable phases."""
    from oncosig.genexnet import GeneXNet

    model = GeneXNet(**GENEXNET)  # type: ignore[arg-type]
    model.fit(genexnet_cohort(), label_key="project")
    b = genexnet_cohort(seed=1)
    b.obs["tn"] = np.where(b.obs["project"] == "TCGA-A", "normal", "tumour")
    _arm_kill("genexnet-finetune", kill, ckdir)
    kw: dict[str, Any] = {"freeze_epochs": 3, "max_epochs": 6, "lr": 0.02}
    if mode != "full":
        kw |= {"checkpoint_dir": ckdir, "resume": mode == "resume"}
    model.finetune(b, label_key="tn", **kw)
    model.save(result.with_suffix(".safetensors"), overwrite=True)
    return {
        "proba": model.predict_proba(b).tolist(),
        "history": model.history_,
        "training": {
            ph: {k: v for k, v in t.items() if k != "seconds"}
            for ph, t in model.training_["finetune"].items()
        },
    }


def run_genexnet_cli(mode: str, ckdir: Path, result: Path) -> dict[str, Any]:
    import pandas as pd

    from oncosig.cli import main
    from oncosig.genexnet import GeneImageClassifier

    a = genexnet_cohort()
    data = result.parent / "cli_counts.tsv"
    if not data.exists():
        df = pd.DataFrame(a.layers["counts"], index=a.obs_names, columns=a.var_names)
        df.T.to_csv(data, sep="\t")
    labels = result.parent / "cli_labels.tsv"
    pd.DataFrame({"sample": a.obs_names, "project": a.obs["project"]}).to_csv(
        labels, sep="\t", index=False
    )
    out = result.with_suffix(".safetensors")
    p = GENEXNET
    args = [
        "genexnet", "train", str(data), "--labels", str(labels), "--label-column", "project",
        "--out", str(out), "--epochs", str(p["max_epochs"]), "--growth-rate", "4",
        "--theta-d", "0.25", "--theta-r", "0.25", "--depth", "2", "--lr", str(p["lr"]),
        "--batch-size", str(p["batch_size"]), "--patience", str(p["patience"]),
        "--gene-order", "given", "--accelerator", "cpu", "--seed", str(p["seed"]),
        "--no-progress", "--overwrite", "--checkpoint-dir", str(ckdir),
    ]  # fmt: skip
    if mode == "resume":
        args.append("--resume")
    try:
        main(args)
    except SystemExit as exc:
        if exc.code:
            raise
    model = GeneImageClassifier.load(out)
    return {
        "proba": model.predict_proba(a).tolist(),
        "checkpoint_left": sorted(q.name for q in ckdir.glob("*")) if ckdir.exists() else [],
    }


def run_degnext(mode: str, ckdir: Path, result: Path) -> dict[str, Any]:
    from oncosig.degnext import DEGnext

    a = degnext_cohort()
    model = DEGnext(**DEGNEXT)  # type: ignore[arg-type]
    kw: dict[str, Any] = {}
    if mode != "full":
        kw = {"checkpoint_dir": ckdir, "resume": mode == "resume"}
    model.fit(a, splits=["T1"], **kw)
    level1 = model.predict_proba(a, splits=["T1"]).tolist()
    model.finetune(a, splits=["F1"], **kw)
    model.save(result.with_suffix(".safetensors"), overwrite=True)
    return {
        "level1_proba": level1,
        "proba": model.predict_proba(a, splits=["T3"]).tolist(),
        "metrics": model.evaluate(a, splits=["T3"]),
        "history": model.history,
    }


_STEPS = {"run": 0}


def _count_steps() -> None:
    """Count the training steps this process runs (a resume must run fewer than a full run)."""
    from oncosig.degnext._lightning import DEGnextModule
    from oncosig.genexnet._lightning import GeneImageClassifierModule

    for module in (GeneImageClassifierModule, DEGnextModule):
        original = module.training_step

        def counted(self: Any, batch: Any, batch_idx: int, _orig: Any = original) -> Any:
            _STEPS["run"] += 1
            return _orig(self, batch, batch_idx)

        module.training_step = counted  # type: ignore[method-assign]


def main() -> None:
    what, mode, ckdir, result = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    kill = sys.argv[5] if mode == "killed" else None
    torch.set_num_threads(1)
    _count_steps()
    if what == "genexnet-finetune":  # armed after the (uncheckpointed) pre-training
        out = run_genexnet_finetune(mode, ckdir, result, kill)
    else:
        _arm_kill(what, kill, ckdir)
        run = {"genexnet": run_genexnet, "genexnet-cli": run_genexnet_cli, "degnext": run_degnext}
        out = run[what](mode, ckdir, result)
    out["steps_run"] = _STEPS["run"]
    result.write_text(json.dumps(out, default=float))


if __name__ == "__main__":
    main()
