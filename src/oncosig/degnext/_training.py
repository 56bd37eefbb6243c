"""Run one Lightning training level (kept apart from the estimator's bookkeeping)."""

from __future__ import annotations

import contextlib
import copy
import logging
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch

from oncosig._resume import resume_setup
from oncosig.degnext._data import CohortBatchSampler, GeneRows, make_loader
from oncosig.degnext._lightning import DEGnextModule, logits_to_proba
from oncosig.models.networks._degnext import DEGnextNet, rows_to_grid


class _KeepBest(pl.Callback):
    """Remember the weights of the epoch with the best validation accuracy.

    Checked in ``on_validation_end``: the module logs ``val_acc`` in its own
    ``on_validation_epoch_end``, which runs after the callbacks' hook of that name.
    """

    def __init__(self) -> None:
        self.best = -np.inf
        self.state: dict[str, torch.Tensor] | None = None
        self.best_epoch = -1

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        acc = trainer.callback_metrics.get("val_acc")
        if acc is not None and float(acc) > self.best:
            self.best = float(acc)
            self.best_epoch = trainer.current_epoch
            self.state = copy.deepcopy(pl_module.state_dict())

    def state_dict(self) -> dict[str, object]:
        """Best accuracy, epoch and weights (tensors): saved in resumable checkpoints."""
        return {"best": self.best, "best_epoch": self.best_epoch, "state": self.state}

    def load_state_dict(self, state_dict: dict[str, object]) -> None:
        """Restore :meth:`state_dict`."""
        self.best = float(state_dict["best"])  # type: ignore[arg-type]
        self.best_epoch = int(state_dict["best_epoch"])  # type: ignore[call-overload]
        self.state = state_dict["state"]  # type: ignore[assignment]


class _LastTrainLoss(pl.Callback):
    """The last epoch's mean training loss (kept in resumable checkpoints)."""

    def __init__(self) -> None:
        self.value = float("nan")

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.value = float(trainer.callback_metrics.get("train_loss", torch.tensor(np.nan)))

    def state_dict(self) -> dict[str, float]:
        """The loss, for a resumed run that has no epoch left to train."""
        return {"value": self.value}

    def load_state_dict(self, state_dict: dict[str, float]) -> None:
        """Restore :meth:`state_dict`."""
        self.value = float(state_dict["value"])


class _EpochShuffle(pl.Callback):
    """Shuffle epoch ``k`` with ``seed + k`` (also after a resume, which starts at epoch k)."""

    def __init__(self, sampler: CohortBatchSampler) -> None:
        self.sampler = sampler

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.sampler.epoch = trainer.current_epoch


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    names = ("lightning.pytorch", "lightning.pytorch.utilities.rank_zero", "lightning.fabric")
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have many workers.*")
            warnings.filterwarnings("ignore", message=".*LightningModule.*log.*")
            warnings.filterwarnings("ignore", message=".*isn't a multiple.*")
            warnings.filterwarnings("ignore", category=UserWarning, module="lightning")
            yield
    finally:
        for lg, lv in zip(loggers, levels, strict=True):
            lg.setLevel(lv)


def train_level(
    net: DEGnextNet,
    train: Sequence[GeneRows],
    *,
    val: Sequence[GeneRows] = (),
    lr: float,
    batch_size: int,
    max_epochs: int,
    patience: int,
    precision: str,
    channels_last: bool,
    progress: bool,
    seed: int,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    fingerprint: str = "",
) -> dict[str, object]:
    """Train ``net`` in place; returns a small history (epochs run, best validation accuracy).

    With validation rows and ``patience > 0``, training stops after ``patience`` epochs
    without a better validation accuracy and the best epoch's weights are restored.
    ``checkpoint``: a resumable Lightning checkpoint written at the end of every epoch
    (see :mod:`oncosig._resume`); ``resume`` continues from it; ``fingerprint`` identifies
    the run (a checkpoint of another run is refused).
    """
    binary = int(net.config["num_classes"]) == 1
    module = DEGnextModule(net, lr=lr, channels_last=channels_last)
    if channels_last:
        net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    loader = make_loader(train, batch_size=batch_size, shuffle=True, binary=binary, seed=seed)
    val_loader = (
        make_loader(val, batch_size=max(batch_size, 1024), shuffle=False, binary=binary)
        if val
        else None
    )
    keep = _KeepBest()
    assert isinstance(loader.batch_sampler, CohortBatchSampler)
    last_loss = _LastTrainLoss()
    callbacks: list[pl.Callback] = [keep, last_loss, _EpochShuffle(loader.batch_sampler)]
    if val_loader is not None and patience > 0:
        callbacks.append(
            pl.callbacks.EarlyStopping("val_acc", mode="max", patience=patience, check_finite=True)
        )
    extra, plugins, ckpt_path = resume_setup(checkpoint, resume=resume, fingerprint=fingerprint)
    callbacks += extra
    with _quiet_lightning():
        trainer = pl.Trainer(
            accelerator="cpu",
            devices=1,
            max_epochs=max_epochs,
            precision=precision,  # type: ignore[arg-type]
            logger=False,
            enable_checkpointing=bool(extra),
            enable_progress_bar=progress,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            callbacks=callbacks,
            plugins=plugins or None,
        )
        trainer.fit(
            module,
            train_dataloaders=loader,
            val_dataloaders=val_loader,
            ckpt_path=ckpt_path,
            weights_only=True,
        )
    if keep.state is not None:
        module.load_state_dict(keep.state)
    net.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
    return {
        "epochs_run": int(trainer.current_epoch),
        "best_val_acc": None if keep.state is None else keep.best,
        "best_epoch": None if keep.state is None else keep.best_epoch,
        "train_loss": last_loss.value,
    }


@torch.inference_mode()
def predict_logits(
    net: DEGnextNet,
    x: np.ndarray,
    *,
    batch_size: int = 4096,
    bf16: bool = True,
    channels_last: bool = True,
) -> torch.Tensor:
    """Logits of every row (large batches, no autograd, optional bf16 autocast)."""
    was_training = net.training
    net.eval()
    if channels_last:
        net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    out = []
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    try:
        for i in range(0, xt.shape[0], batch_size):
            g = rows_to_grid(xt[i : i + batch_size])
            if channels_last:
                g = g.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                out.append(net(g).float())
    finally:
        net.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
        net.train(was_training)
    if not out:
        return torch.zeros((0, int(net.config["num_classes"])))
    return torch.cat(out)


def predict_proba_rows(net: DEGnextNet, x: np.ndarray, **kw: object) -> np.ndarray:
    """Class probabilities of every row (see :func:`logits_to_proba`)."""
    return logits_to_proba(predict_logits(net, x, **kw)).numpy()  # type: ignore[arg-type]
