"""Forward hooks that are always released (context manager)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class LayerRecord:
    """What :func:`record_layer` captured: the layer outputs of every forward call."""

    outputs: list[torch.Tensor] = field(default_factory=list)

    @property
    def last(self) -> torch.Tensor:
        """Output of the most recent forward call."""
        if not self.outputs:
            raise RuntimeError("the recorded layer did not run during the forward pass")
        return self.outputs[-1]


@contextlib.contextmanager
def record_layer(module: nn.Module) -> Iterator[LayerRecord]:
    """Record ``module``'s output during forward passes inside the ``with`` block.

    The hook is removed when the block exits, also on an exception, so a model never
    keeps a stray hook (and the activations it holds) after an interpretation call.

    Parameters
    ----------
    module
        The layer to record (e.g. a network's ``cam_layer``).

    Yields
    ------
    LayerRecord
        Its ``outputs`` fill up as the model runs.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"expected a torch.nn.Module to record, got {type(module).__name__}")
    record = LayerRecord()

    def hook(_mod: nn.Module, _inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        if not isinstance(out, torch.Tensor):
            raise TypeError("the recorded layer must return a single tensor")
        record.outputs.append(out)

    handle = module.register_forward_hook(hook)
    try:
        yield record
    finally:
        handle.remove()
        record.outputs.clear()
