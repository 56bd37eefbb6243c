"""Run one Lightning training level (kept apart from the estimator's bookkeeping)."""

from __future__ import annotations

import contextlib
import copy
import logging
import warnings
from collections.abc import Iterator, Sequence

import lightning.pytorch as pl
import numpy as np
import torch

from oncosig.degnext._data import GeneRows, make_loader
from oncosig.degnext._lightning import DEGnextModule, logits_to_proba
from oncosig.models.networks._degnext import DEGnextNet, rows_to_grid


class _KeepBest(pl.Callback):
    """Remember the weights of the epoch with the best validation accuracy."""

    def __init__(self) -> None:
        self.best = -np.inf
        self.state: dict[str, torch.Tensor] | None = None
        self.best_epoch = -1

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        acc = trainer.callback_metrics.get("val_acc")
        if acc is not None and float(acc) > self.best:
            self.best = float(acc)
            self.best_epoch = trainer.current_epoch
            self.state = copy.deepcopy(pl_module.state_dict())


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
) -> dict[str, object]:
    """Train ``net`` in place; returns a small history (epochs run, best validation accuracy).

    With validation rows and ``patience > 0``, training stops after ``patience`` epochs
    without a better validation accuracy and the best epoch's weights are restored.
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
    callbacks: list[pl.Callback] = [keep]
    if val_loader is not None and patience > 0:
        callbacks.append(
            pl.callbacks.EarlyStopping("val_acc", mode="max", patience=patience, check_finite=True)
        )
    with _quiet_lightning():
        trainer = pl.Trainer(
            accelerator="cpu",
            devices=1,
            max_epochs=max_epochs,
            precision=precision,  # type: ignore[arg-type]
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=progress,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            callbacks=callbacks,
        )
        trainer.fit(module, train_dataloaders=loader, val_dataloaders=val_loader)
    if keep.state is not None:
        module.load_state_dict(keep.state)
    net.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
    return {
        "epochs_run": int(trainer.current_epoch),
        "best_val_acc": None if keep.state is None else keep.best,
        "best_epoch": None if keep.state is None else keep.best_epoch,
        "train_loss": float(trainer.callback_metrics.get("train_loss", torch.tensor(np.nan))),
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
