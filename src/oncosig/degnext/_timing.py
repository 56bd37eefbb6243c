"""Epoch timing for the DEGnext speed figure (one level-1 epoch over a cohort's rows).

Three measurements of the same work (3-class training, batch 256, shuffled):

- :func:`time_epoch`: the epoch as the package trains it (Lightning ``Trainer`` with the
  :class:`~oncosig.degnext._lightning.DEGnextModule` and the whole-batch loader of
  :func:`~oncosig.degnext._data.make_loader`), timed from the start to the end of each
  training epoch by a callback, so the Trainer's one-off set-up is reported apart;
- :func:`time_plain_epoch`: the same steps in a bare torch loop (no Lightning), which
  shows what the Lightning loop itself costs;
- :func:`time_reference_style_epoch`: the reference code's set-up (published widths,
  float32, contiguous memory, a per-gene ``Dataset`` that reshapes each numpy row in
  Python), extrapolated from a few steps.

Wall-clock seconds depend on what else runs on the machine, so every figure also comes
with the process CPU seconds and the 1-minute load average.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch

from oncosig.degnext._data import GeneRows, make_loader
from oncosig.degnext._lightning import DEGnextModule
from oncosig.degnext._training import _quiet_lightning
from oncosig.models import create_model
from oncosig.models.networks._degnext import rows_to_grid


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


class _EpochClock(pl.Callback):
    """Wall and process-CPU seconds of every training epoch."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._t = (0.0, 0.0)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._t = (time.perf_counter(), time.process_time())

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.wall.append(time.perf_counter() - self._t[0])
        self.cpu.append(time.process_time() - self._t[1])


def _summary(wall: list[float], cpu: list[float]) -> dict[str, float]:
    later_w = wall[1:] or wall
    later_c = cpu[1:] or cpu
    return {
        "first_epoch_s": float(wall[0]),
        "epoch_s": float(np.median(later_w)),
        "epoch_min_s": float(np.min(later_w)),
        "epoch_cpu_s": float(np.median(later_c)),
        "n_epochs": float(len(wall)),
    }


def time_epoch(
    rows: GeneRows,
    *,
    arch: str = "degnext_fast",
    net_kwargs: dict[str, Any] | None = None,
    precision: str = "bf16-mixed",
    channels_last: bool = True,
    batch_size: int = 256,
    epochs: int = 3,
    num_threads: int | None = 2,
    seed: int = 0,
) -> dict[str, float]:
    """Seconds per Lightning training epoch (3 classes) over ``rows``.

    Parameters
    ----------
    rows
        Scaled training rows of one cohort.
    arch, net_kwargs
        Registered network and extra configuration.
    precision, channels_last, batch_size
        As in :class:`oncosig.degnext.DEGnext`.
    epochs
        Epochs to run; the first one (oneDNN kernel selection, allocator warm-up) is
        reported apart as ``first_epoch_s``.
    num_threads
        ``torch.set_num_threads`` for the measurement only (restored afterwards).
    seed
        Weight and shuffling seed.

    Returns
    -------
    dict with ``epoch_s`` (median wall seconds of the epochs after the first),
    ``epoch_min_s``, ``epoch_cpu_s`` (median process CPU seconds), ``first_epoch_s``,
    ``setup_s`` (Trainer construction and fit set-up/tear-down outside the epochs),
    ``load_avg_1min`` and ``threads``.
    """
    with _threads(num_threads):
        torch.manual_seed(seed)
        net = create_model(arch, num_classes=3, **(net_kwargs or {}))
        module = DEGnextModule(net, lr=1e-4, channels_last=channels_last)
        if channels_last:
            net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        loader = make_loader([rows], batch_size=batch_size, shuffle=True, seed=seed)
        clock = _EpochClock()
        t0 = time.perf_counter()
        with _quiet_lightning():
            trainer = pl.Trainer(
                accelerator="cpu",
                devices=1,
                max_epochs=epochs,
                precision=precision,  # type: ignore[arg-type]
                logger=False,
                enable_checkpointing=False,
                enable_progress_bar=False,
                enable_model_summary=False,
                num_sanity_val_steps=0,
                callbacks=[clock],
            )
            trainer.fit(module, train_dataloaders=loader)
        total = time.perf_counter() - t0
        out = _summary(clock.wall, clock.cpu)
        out["setup_s"] = float(total - sum(clock.wall))
        out["threads"] = float(torch.get_num_threads())
    out["load_avg_1min"] = float(os.getloadavg()[0])
    return out


def time_plain_epoch(
    rows: GeneRows,
    *,
    arch: str = "degnext_fast",
    net_kwargs: dict[str, Any] | None = None,
    bf16: bool = True,
    channels_last: bool = True,
    batch_size: int = 256,
    epochs: int = 3,
    num_threads: int | None = 2,
    seed: int = 0,
) -> dict[str, float]:
    """The same epochs as :func:`time_epoch` in a bare torch loop (no Lightning)."""
    with _threads(num_threads):
        torch.manual_seed(seed)
        net = create_model(arch, num_classes=3, **(net_kwargs or {}))
        if channels_last:
            net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        loader = make_loader([rows], batch_size=batch_size, shuffle=True, seed=seed)
        wall, cpu = [], []
        for _ in range(epochs):
            t = (time.perf_counter(), time.process_time())
            for x, y in loader:
                g = rows_to_grid(x)
                if channels_last:
                    g = g.contiguous(memory_format=torch.channels_last)
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    logits = net(g)
                loss = torch.nn.functional.cross_entropy(logits.float(), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            wall.append(time.perf_counter() - t[0])
            cpu.append(time.process_time() - t[1])
        out = _summary(wall, cpu)
        out["threads"] = float(torch.get_num_threads())
    out["load_avg_1min"] = float(os.getloadavg()[0])
    return out


def time_reference_style_epoch(
    rows: GeneRows, *, n_steps: int = 3, batch_size: int = 256, num_threads: int | None = 2
) -> float:
    """Seconds per epoch of the reference set-up, extrapolated from ``n_steps`` steps.

    The reference configuration: published widths, float32, contiguous memory, a
    per-gene ``Dataset`` that reshapes each numpy row in Python, batch 256, shuffling.
    """
    from torch.utils.data import DataLoader, Dataset

    from oncosig.models.networks._degnext import degnext_grid

    h, w, m = degnext_grid(rows.x.shape[1])

    class _PerGene(Dataset[tuple[torch.Tensor, int]]):
        def __len__(self) -> int:
            return len(rows.y)

        def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
            r = np.zeros(m, dtype=np.float64)
            r[: rows.x.shape[1]] = rows.x[i]
            return torch.from_numpy(np.reshape(r, (1, h, w))).float(), int(rows.y[i])

    with _threads(num_threads):
        torch.manual_seed(0)
        net = create_model("degnext", num_classes=3)
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        loader = DataLoader(_PerGene(), batch_size=batch_size, shuffle=True)
        n_batches = len(loader)
        it = iter(loader)
        times = []
        for _ in range(min(n_steps + 1, n_batches)):
            t0 = time.perf_counter()
            x, y = next(it)
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t0)
    per_step = float(np.mean(times[1:])) if len(times) > 1 else times[0]
    return per_step * n_batches
