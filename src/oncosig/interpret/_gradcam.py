"""Grad-CAM on a network's ``cam_layer``, upsampled to the input grid (Gene-CAM maps)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from oncosig._errors import OncosigInputError
from oncosig.interpret._hooks import record_layer

Target = int | Sequence[int] | np.ndarray | torch.Tensor | None


def resolve_targets(logits: torch.Tensor, target: Target) -> torch.Tensor:
    """Class index per sample: ``None`` = the predicted class; an int = that class for all."""
    n = logits.shape[0]
    n_out = logits.shape[1] if logits.ndim == 2 else 1
    n_classes = 2 if n_out == 1 else n_out
    if target is None:
        t = (logits[:, 0] > 0).long() if n_out == 1 else logits.argmax(dim=1)
    else:
        t = torch.as_tensor(np.array(target), dtype=torch.long).reshape(-1)
        if t.numel() == 1:
            t = t.expand(n)
        if t.numel() != n:
            raise OncosigInputError(f"target has {t.numel()} entries for {n} samples")
    if (t < 0).any() or (t >= n_classes).any():
        raise OncosigInputError(f"target classes must be in 0..{n_classes - 1}")
    return t.to(logits.device)


def class_scores(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The logit of each sample's target class (binary one-logit head: +logit / -logit)."""
    if logits.ndim == 2 and logits.shape[1] > 1:
        return logits.gather(1, targets.view(-1, 1)).squeeze(1)
    flat = logits.reshape(logits.shape[0])
    return torch.where(targets == 1, flat, -flat)


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode (BatchNorm/dropout frozen) and restore its mode after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def _cam_layer(model: nn.Module) -> nn.Module:
    layer = getattr(model, "cam_layer", None)
    if not isinstance(layer, nn.Module):
        raise OncosigInputError(
            f"{type(model).__name__} has no `cam_layer` module; Gene-CAM needs a network that "
            "follows the oncosig network contract"
        )
    return layer


def gene_cam(
    model: nn.Module,
    x: torch.Tensor | np.ndarray,
    *,
    target: Target = None,
    layer: nn.Module | None = None,
    relu: bool = True,
    batch_size: int = 64,
) -> np.ndarray:
    """Grad-CAM maps of ``model`` on gene images, upsampled to the input grid.

    For each sample, the gradients of the target class logit with respect to the feature
    maps ``A_k`` of ``layer`` (default ``model.cam_layer``) are averaged over space to give
    weights ``w_k``; the map is ``ReLU(sum_k w_k A_k)``, upsampled bilinearly to the input
    height and width.  This is what captum's ``LayerGradCam(model, layer)`` with
    ``relu_attributions=True`` followed by ``LayerAttribution.interpolate(..., "bilinear")``
    computes.

    Parameters
    ----------
    model
        A network (eval mode is used and the previous mode restored).
    x
        Gene images ``(n, channels, H, W)``.
    target
        ``None`` (each sample's predicted class), a class index, or one index per sample.
    layer
        Layer to read; default ``model.cam_layer``.
    relu
        Apply the ReLU (Grad-CAM); ``False`` keeps negative evidence.
    batch_size
        Samples per forward/backward pass.

    Returns
    -------
    ``(n, H, W)`` float64 array.
    """
    xt = torch.as_tensor(x)
    if xt.ndim != 4:
        raise OncosigInputError(f"expected images (n, channels, H, W), got shape {tuple(xt.shape)}")
    layer = layer if layer is not None else _cam_layer(model)
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    size = tuple(int(s) for s in xt.shape[-2:])
    tgt_all = None if target is None else np.broadcast_to(np.asarray(target), (xt.shape[0],))
    maps: list[np.ndarray] = []
    with eval_mode(model), torch.enable_grad(), record_layer(layer) as rec:
        for start in range(0, xt.shape[0], batch_size):
            xb = xt[start : start + batch_size].to(device=device, dtype=torch.float32)
            xb = xb.detach().requires_grad_(True)  # keeps a graph even with frozen weights
            rec.outputs.clear()
            logits = model(xb)
            acts = rec.last
            tb = None if tgt_all is None else tgt_all[start : start + batch_size]
            targets = resolve_targets(logits, tb)
            (grads,) = torch.autograd.grad(class_scores(logits, targets).sum(), acts)
            weights = grads.mean(dim=(2, 3), keepdim=True)
            cam = (weights * acts).sum(dim=1, keepdim=True)
            if relu:
                cam = F.relu(cam)
            cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)
            maps.append(cam[:, 0].detach().cpu().double().numpy())
    return np.concatenate(maps, axis=0) if maps else np.zeros((0, *size))
