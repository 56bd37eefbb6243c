"""Lightning pieces: the data module, the classifier module and the trainer factory."""

from __future__ import annotations

import copy
import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping
from torch import nn
from torch.utils.data import DataLoader

from oncosig._resume import resume_setup
from oncosig.stream import RowBatchDataset, make_loader

logger = logging.getLogger(__name__)

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
}


class GeneImageDataModule(L.LightningDataModule):
    """Training and (optionally) validation batches, from memory or streamed from disk.

    The same module serves both cases: in memory, ``x_train`` is a tensor of gene images;
    on disk, it is a :class:`~oncosig.stream.RowBatchDataset` over an expression store
    whose transform turns counts into gene images batch by batch.  Batches come whole
    from the dataset (no per-sample collate), shuffled per epoch with the seed, and are
    split over DDP processes by the sampler itself.

    Parameters
    ----------
    x_train, y_train
        Images ``(n, 1, H, W)`` and labels ``(n,)``, or a ``RowBatchDataset`` (then
        ``y_train`` is ignored: the dataset carries its labels).
    x_val, y_val
        Validation set for early stopping and the learning-rate schedule (may be None); every
        DDP process evaluates all of it, so all processes see the same metrics.
    batch_size
        Mini-batch size (per process under DDP).
    seed
        Seed of the shuffling (the epoch is added).
    accelerator
        Pins host memory for CUDA.
    num_workers
        DataLoader workers (default: :func:`oncosig.stream.loader_options`).
    """

    def __init__(
        self,
        x_train: torch.Tensor | RowBatchDataset,
        y_train: torch.Tensor | None = None,
        x_val: torch.Tensor | RowBatchDataset | None = None,
        y_val: torch.Tensor | None = None,
        *,
        batch_size: int = 32,
        seed: int = 0,
        accelerator: str = "cpu",
        num_workers: int | None = None,
    ) -> None:
        super().__init__()
        self.train_set = _as_dataset(x_train, y_train)
        self.val_set = None if x_val is None or len(x_val) == 0 else _as_dataset(x_val, y_val)
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.accelerator = accelerator
        self.num_workers = num_workers

    @property
    def on_disk(self) -> bool:
        """True when the training rows are streamed from a file."""
        return self.train_set.on_disk

    def train_dataloader(self) -> DataLoader:
        # a last batch of one sample is dropped: BatchNorm cannot train on it
        return make_loader(
            self.train_set,
            batch_size=self.batch_size,
            shuffle=True,
            seed=self.seed,
            accelerator=self.accelerator,
            num_workers=self.num_workers,
        )

    def val_dataloader(self) -> DataLoader | list[Any]:
        if self.val_set is None:
            return []
        return make_loader(
            self.val_set,
            batch_size=max(self.batch_size, 64),
            shuffle=False,
            accelerator=self.accelerator,
            num_workers=self.num_workers,
            shard=False,
        )


def _as_dataset(x: torch.Tensor | RowBatchDataset, y: torch.Tensor | None) -> RowBatchDataset:
    if isinstance(x, RowBatchDataset):
        return x
    if y is None or len(y) != len(x):
        raise ValueError("give one label per image (y_train / y_val)")
    return RowBatchDataset(x, labels=y)


class GeneImageClassifierModule(L.LightningModule):
    """Cross-entropy training of a gene-image network (logits; metrics over all samples).

    Parameters
    ----------
    network
        Any registered ``task="sample"`` network.
    optimizer
        ``"adam"``, ``"adagrad"`` or ``"rmsprop"``.
    lr
        Initial learning rate (halved when the monitored loss plateaus).
    weight_decay
        L2 penalty.
    class_weights
        Per-class loss weights (None = unweighted).
    lr_patience
        Epochs without improvement before the learning rate is halved.
    frozen
        Modules kept frozen (no gradient, BatchNorm statistics fixed) during training.
    """

    def __init__(
        self,
        network: nn.Module,
        *,
        optimizer: str = "adam",
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        class_weights: torch.Tensor | None = None,
        lr_patience: int = 3,
        frozen: Sequence[nn.Module] = (),
    ) -> None:
        super().__init__()
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
        self.network = network
        self.optimizer_name = optimizer
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.lr_patience = int(lr_patience)
        self.frozen = list(frozen)
        self.loss_fn = nn.CrossEntropyLoss(weight=class_weights)
        self._val: list[tuple[float, int, int]] = []
        self._train: list[tuple[float, int]] = []
        self.history: list[dict[str, float]] = []
        self.channels_last = False  # set by fit_module on GPU
        self.compiled: Any = None  # torch.compile(network), set by fit_module on request
        self.samples_seen = 0
        self.plateau: torch.optim.lr_scheduler.ReduceLROnPlateau | None = None
        self._plateau_state: dict[str, Any] | None = None
        self._epoch_lr = float("nan")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if self.compiled is not None:
            return self.compiled(x)  # type: ignore[no-any-return]
        return self.network(x)

    def on_train_epoch_start(self) -> None:
        for m in self.frozen:
            m.eval()
        self._train = []
        self._epoch_lr = float(self.trainer.optimizers[0].param_groups[0]["lr"])

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        x, y = batch
        loss = self.loss_fn(self(x), y)
        self._train.append((float(loss.detach()) * len(y), len(y)))
        self.samples_seen += len(y)
        # averaged over DDP processes, so that every process takes the same LR/stop decisions
        self.log(
            "train_loss",
            loss,
            prog_bar=True,
            on_step=False,
            on_epoch=True,
            batch_size=len(y),
            sync_dist=self.trainer.world_size > 1,
        )
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        loss = nn.functional.cross_entropy(
            logits.float(), y, weight=self.loss_fn.weight, reduction="sum"
        )
        correct = int((logits.argmax(1) == y).sum())
        self._val.append((float(loss), correct, len(y)))

    def on_validation_epoch_end(self) -> None:
        if not self._val:
            return
        tot = np.asarray(self._val, dtype=np.float64)
        n = tot[:, 2].sum()
        # over all validation samples (not an average of batch means)
        val_loss = float(tot[:, 0].sum() / n)
        self.log("val_loss", val_loss, prog_bar=True)
        self.log("val_acc", float(tot[:, 1].sum() / n), prog_bar=True)
        self._val = []
        if not self.trainer.sanity_checking:
            # the logged value (default dtype), as Lightning would have passed it
            self._step_plateau(torch.tensor(val_loss, dtype=torch.get_default_dtype()))

    def on_train_epoch_end(self) -> None:
        rec: dict[str, float] = {"epoch": float(self.current_epoch)}
        if self._train:
            t = np.asarray(self._train, dtype=np.float64).sum(axis=0)
            if self.trainer.world_size > 1:  # over the samples of every process
                tt = torch.as_tensor(t, device=self.device)  # NCCL reduces CUDA tensors only
                t = self.trainer.strategy.reduce(tt, reduce_op="sum").cpu().numpy()
            rec["train_loss"] = float(t[0] / t[1])
        for key in ("val_loss", "val_acc"):
            if key in self.trainer.callback_metrics:
                rec[key] = float(self.trainer.callback_metrics[key])
        rec["lr"] = self._epoch_lr  # the learning rate this epoch trained with
        self.history.append(rec)
        if self.trainer.datamodule.val_set is None:  # type: ignore[attr-defined]
            train_loss = self.trainer.callback_metrics.get("train_loss")
            if train_loss is not None:
                self._step_plateau(train_loss)

    def _step_plateau(self, value: torch.Tensor) -> None:
        """Step the LR schedule on the monitored loss, before any epoch-end checkpoint.

        Lightning would step a ``ReduceLROnPlateau`` only after the epoch-end checkpoint
        is written, so a resumed run would miss one step; the module steps it itself: on
        the validation loss at the end of validation, else on the epoch's training loss.
        """
        if self.plateau is not None and not self.trainer.fit_loop.restarting:
            self.plateau.step(value)

    def configure_optimizers(self) -> Any:
        params = [p for p in self.network.parameters() if p.requires_grad]
        opt = OPTIMIZERS[self.optimizer_name](params, lr=self.lr, weight_decay=self.weight_decay)
        # stepped by the module (see _step_plateau), so not returned to Lightning
        self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=0.5, patience=self.lr_patience
        )
        if self._plateau_state is not None:
            self.plateau.load_state_dict(self._plateau_state)
            self._plateau_state = None
        return opt

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Add the LR schedule, the epoch history and the sample count (resumable runs)."""
        checkpoint["oncosig"] = {
            "plateau": None if self.plateau is None else self.plateau.state_dict(),
            "history": [dict(h) for h in self.history],
            "samples_seen": int(self.samples_seen),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore what :meth:`on_save_checkpoint` added."""
        state = checkpoint.get("oncosig", {})
        self.history = [dict(h) for h in state.get("history", [])]
        self.samples_seen = int(state.get("samples_seen", 0))
        plateau = state.get("plateau")
        if plateau is not None:
            if self.plateau is not None:  # optimizers already set up (strategy-dependent)
                self.plateau.load_state_dict(plateau)
            else:
                self._plateau_state = dict(plateau)


class BestWeights(Callback):
    """Keep the weights of the best epoch (lowest monitored loss) in memory; restore at the end.

    Nothing is pickled to disk: checkpoints are written by the estimator as safetensors.
    """

    def __init__(self, monitor: str) -> None:
        self.monitor = monitor
        self.best: float = float("inf")
        self.state: dict[str, torch.Tensor] | None = None
        self.best_epoch = -1

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            return
        v = float(value)
        if v < self.best:
            self.best = v
            self.best_epoch = trainer.current_epoch
            self.state = copy.deepcopy(pl_module.network.state_dict())  # type: ignore[union-attr]

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.state is not None:
            pl_module.network.load_state_dict(self.state)  # type: ignore[union-attr]

    def state_dict(self) -> dict[str, Any]:
        """Best loss, epoch and weights (tensors): saved in resumable checkpoints."""
        return {"best": self.best, "best_epoch": self.best_epoch, "state": self.state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self.best = float(state_dict["best"])
        self.best_epoch = int(state_dict["best_epoch"])
        self.state = state_dict["state"]


def precision_for(accelerator: str) -> str:
    """Mixed precision on GPU only (bf16 where supported), full precision on CPU."""
    if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
        if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            return "bf16-mixed"
        return "16-mixed"
    return "32-true"


def fit_module(
    module: GeneImageClassifierModule,
    data: GeneImageDataModule,
    *,
    max_epochs: int,
    patience: int,
    accelerator: str = "auto",
    devices: int | str | list[int] = 1,
    num_nodes: int = 1,
    strategy: str = "auto",
    progress: bool = False,
    trainer_options: Mapping[str, Any] | None = None,
    compile_network: bool = False,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    fingerprint: str = "",
) -> dict[str, Any]:
    """Train with early stopping and best-weight restore; returns a training summary.

    Parameters
    ----------
    module, data
        The Lightning module and data module.
    max_epochs, patience
        Epoch limit and early-stopping patience.
    accelerator
        ``"auto"``, ``"cpu"`` or ``"gpu"``; on GPU, mixed precision (bf16 where supported)
        and channels-last memory format.
    devices, num_nodes, strategy
        Lightning's distribution settings: e.g. ``devices=4, strategy="ddp"`` (one process
        per GPU), ``num_nodes=2`` for several machines (launched by ``torchrun``/SLURM), or
        ``accelerator="cpu", devices=2, strategy="ddp"`` (gloo).  With ``strategy="ddp"``
        Lightning re-launches the running script once per extra process.
    progress
        Show the progress bar.
    trainer_options
        Extra ``lightning.Trainer`` arguments (e.g. ``limit_train_batches``).
    compile_network
        Train through ``torch.compile(network)`` (weights shared; the network itself is
        left uncompiled).  Costs a one-off compile (~30 s) and needs a C++ compiler on
        CPU; ``benchmarks/scale.py`` measured ~1.9x faster GeneXNet training steps on CPU.
    checkpoint
        Resumable Lightning checkpoint written (atomically) at the end of every epoch;
        None writes nothing.  See :mod:`oncosig._resume`.
    resume
        Continue from ``checkpoint`` when it exists (weights, optimizer, LR schedule, early
        stopping, best weights, random generators, epoch counter).
    fingerprint
        Identifies the run; a checkpoint of another run is refused.

    Returns
    -------
    ``epochs``, ``best_epoch``, ``best_<monitor>``, ``monitor``, ``seconds`` (wall time of
    the training loop), ``train_samples`` (over all processes), ``world_size``,
    ``global_rank`` and ``precision``.
    """
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    monitor = "val_loss" if data.val_set is not None else "train_loss"
    best = BestWeights(monitor)
    callbacks: list[Callback] = [
        EarlyStopping(monitor=monitor, patience=patience, mode="min"),
        best,
    ]
    extra, plugins, ckpt_path = resume_setup(checkpoint, resume=resume, fingerprint=fingerprint)
    callbacks += extra
    precision = precision_for(accelerator)
    gpu = precision != "32-true"
    if gpu:
        module.network.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        module.channels_last = True
    trainer = L.Trainer(
        max_epochs=max_epochs,
        accelerator="gpu" if accelerator in ("gpu", "cuda") else accelerator,
        devices=devices,
        num_nodes=num_nodes,
        strategy=strategy,
        precision=precision,  # type: ignore[arg-type]
        logger=False,
        enable_checkpointing=bool(extra),
        enable_progress_bar=progress,
        enable_model_summary=False,
        callbacks=callbacks,
        plugins=plugins or None,
        deterministic="warn",
        num_sanity_val_steps=0,
        # our batch sampler splits batches over DDP processes itself
        use_distributed_sampler=False,
        **dict(trainer_options or {}),
    )
    module.samples_seen = 0
    if compile_network:
        module.compiled = torch.compile(module.network)
    with warnings.catch_warnings():
        # Lightning's advice for multi-process data loading does not apply to in-memory tensors
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*treespec.*")
        warnings.filterwarnings("ignore", message=".*is smaller than the logging interval.*")
        start = time.perf_counter()
        trainer.fit(module, datamodule=data, ckpt_path=ckpt_path, weights_only=True)
        seconds = time.perf_counter() - start
    module.compiled = None
    module.network.cpu()
    if module.channels_last:
        module.network.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
        module.channels_last = False
    return {
        "epochs": int(trainer.current_epoch),
        "best_epoch": int(best.best_epoch),
        "best_" + monitor: float(best.best),
        "monitor": monitor,
        "seconds": float(seconds),
        "train_samples": int(module.samples_seen * trainer.world_size),
        "world_size": int(trainer.world_size),
        "global_rank": int(trainer.global_rank),
        "precision": precision,
    }
