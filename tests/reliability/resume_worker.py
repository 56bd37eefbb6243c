"""Worker for the resume test: train a tiny gene-image classifier with Lightning.

Usage: ``python resume_worker.py MODE CKPT_DIR RESULT [KILL_STEP]`` with MODE ``full``
(uninterrupted), ``killed`` (SIGKILLs itself after KILL_STEP optimizer steps, mid-epoch)
or ``resume`` (continues from ``CKPT_DIR/last.ckpt``).  Uses oncosig's own Lightning
module (:class:`oncosig.genexnet._lightning.GeneImageClassifierModule`); the data module
reseeds its shuffling per epoch (``sampler.set_epoch``), which exact resumption needs.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from safetensors.torch import save_file
from torch import nn
from torch.utils.data import DataLoader, Sampler

from oncosig.genexnet._lightning import GeneImageClassifierModule, GeneImageDataModule

EPOCHS = 6
#: ReduceLROnPlateau patience (1 with RESUME_SORTED_DATA: the LR is halved during the run).
#: The module steps the schedule before the epoch-end checkpoint is written, so a resumed
#: run follows the same LR trajectory.
LR_PATIENCE = int(os.environ.get("RESUME_LR_PATIENCE", "1000"))
BATCH = 8


class EpochSeededSampler(Sampler[int]):
    """A shuffle that depends only on (seed, epoch), so epoch k replays identically."""

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed, self.epoch = n, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):  # type: ignore[no-untyped-def]
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return iter(torch.randperm(self.n, generator=g).tolist())

    def __len__(self) -> int:
        return self.n


class ResumableData(GeneImageDataModule):
    def train_dataloader(self) -> DataLoader:
        return DataLoader(
            self.train_set,
            batch_size=self.batch_size,
            sampler=EpochSeededSampler(len(self.train_set), self.seed),
        )


class KillAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # type: ignore[no-untyped-def]
        if trainer.global_step >= self.step:
            os.kill(os.getpid(), signal.SIGKILL)


def tiny_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16, 3),
    )


def data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 20)
    x = rng.normal(size=(60, 1, 8, 8)).astype(np.float32)
    for k in range(3):
        x[y == k, 0, k * 2 : k * 2 + 2, :] += 1.5
    order = rng.permutation(len(y))
    if os.environ.get("RESUME_SORTED_DATA"):  # class-sorted split: the LR plateau is reached
        order = np.arange(len(y))
    xt, yt = torch.from_numpy(x[order]), torch.from_numpy(y[order])
    return xt[:45], yt[:45], xt[45:], yt[45:]


class RngState(Callback):
    """Save and restore the global torch RNG (dropout) in the Lightning checkpoint."""

    def state_dict(self) -> dict:  # type: ignore[type-arg]
        return {"torch_rng": torch.get_rng_state()}

    def load_state_dict(self, state: dict) -> None:  # type: ignore[type-arg]
        torch.set_rng_state(state["torch_rng"])


def main() -> None:
    mode, ckpt_dir, result = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    torch.set_num_threads(1)
    L.seed_everything(0, workers=True, verbose=False)
    torch.use_deterministic_algorithms(True)
    xtr, ytr, xva, yva = data()
    module = GeneImageClassifierModule(tiny_net(), lr=1e-2, lr_patience=LR_PATIENCE)
    dm = ResumableData(xtr, ytr, xva, yva, batch_size=BATCH, seed=0)
    callbacks: list[Callback] = [RngState()]
    if mode in ("killed", "resume"):
        # Lightning's own mechanism: an end-of-epoch checkpoint, resumed with ckpt_path=
        callbacks.append(
            ModelCheckpoint(dirpath=ckpt_dir, save_last=True, save_top_k=1, every_n_epochs=1)
        )
    if mode == "killed":
        callbacks.append(KillAt(int(sys.argv[4])))
    trainer = L.Trainer(
        max_epochs=EPOCHS,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        deterministic=True,
        callbacks=callbacks,
        enable_checkpointing=mode != "full",
    )
    ckpt = ckpt_dir / "last.ckpt" if mode == "resume" else None
    trainer.fit(module, datamodule=dm, ckpt_path=ckpt, weights_only=True if ckpt else None)
    module.eval()
    with torch.no_grad():
        proba = torch.softmax(module(xva), dim=1)
    save_file(
        {k: v.contiguous() for k, v in module.network.state_dict().items()},
        str(result.with_suffix(".safetensors")),
    )
    result.write_text(
        json.dumps(
            {
                "val_loss": float(trainer.callback_metrics["val_loss"]),
                "val_acc": float(trainer.callback_metrics["val_acc"]),
                "proba": proba.numpy().round(7).tolist(),
                "epochs": trainer.current_epoch,
                "global_step": trainer.global_step,
            }
        )
    )


if __name__ == "__main__":
    main()
