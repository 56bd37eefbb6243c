"""LightningModule for DEGnext: losses on logits, Adam, metrics over all genes."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from torch import nn

from oncosig.degnext._metrics import classification_metrics
from oncosig.models.networks._degnext import DEGnextNet, rows_to_grid


def logits_to_proba(logits: torch.Tensor) -> torch.Tensor:
    """Class probabilities: softmax for a multi-class head, ``[1-p, p]`` for one logit."""
    if logits.shape[1] == 1:
        p = torch.sigmoid(logits[:, 0].float())
        return torch.stack([1 - p, p], dim=1)
    return torch.softmax(logits.float(), dim=1)


class DEGnextModule(pl.LightningModule):
    """Train one DEGnext level.

    Parameters
    ----------
    net
        The network; its head decides the task (3 logits: cross-entropy; 1 logit:
        ``BCEWithLogitsLoss``, probability threshold 0.5).
    lr
        Adam learning rate (paper: 1e-4).
    channels_last
        Feed grids in channels-last memory format (faster oneDNN convolutions on CPU).
    """

    def __init__(self, net: DEGnextNet, *, lr: float = 1e-4, channels_last: bool = True) -> None:
        super().__init__()
        self.net = net
        self.lr = lr
        self.channels_last = channels_last
        self._val: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.history: list[dict[str, float]] = []

    @property
    def binary(self) -> bool:
        """True for the one-logit (DR vs UR) head."""
        return int(self.net.config["num_classes"]) == 1

    def _grid(self, x: torch.Tensor) -> torch.Tensor:
        g = rows_to_grid(x)
        return g.contiguous(memory_format=torch.channels_last) if self.channels_last else g

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rows ``(batch, n)`` -> logits."""
        return self.net(self._grid(x))

    def _loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        if self.binary:
            return nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.float())
        return nn.functional.cross_entropy(logits, y.long())

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        x, y = batch
        loss = self._loss(self(x), y)
        self.log("train_loss", loss, prog_bar=True, on_step=False, on_epoch=True, batch_size=len(y))
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self(x).float()
        self.log("val_loss", self._loss(logits, y), on_epoch=True, batch_size=len(y))
        self._val.append((logits.detach().cpu(), y.detach().cpu()))

    def on_validation_epoch_end(self) -> None:
        if not self._val:
            return
        logits = torch.cat([v[0] for v in self._val])
        y = torch.cat([v[1] for v in self._val]).long().numpy()
        self._val.clear()
        proba = logits_to_proba(logits).numpy()
        pred = np.argmax(proba, axis=1)
        acc = classification_metrics(y, pred)["accuracy"]
        self.log("val_acc", acc, prog_bar=True)
        self.history.append({"epoch": float(self.current_epoch), "val_acc": float(acc)})

    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.parameters(), lr=self.lr, betas=(0.9, 0.999), eps=1e-8)
