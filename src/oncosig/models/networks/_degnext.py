"""DEGnext network (Kakati et al. 2022): a CNN that classifies one gene's expression row.

The input is one gene's (scaled) expression across the samples of a cohort, normal
samples first.  The row is zero-padded by one value when its length is prime and reshaped
to a 2-D grid of width ``a`` = the largest divisor of ``n`` that is <= sqrt(n) and height
``n / a`` (:func:`degnext_grid`).  Four pairs of 3x3 convolutions (no nonlinearity inside a
pair, one ReLU after each pair, one 2x2 max pool before the last ReLU), a global max pool
and a 256-120-64-32-8 MLP feed a 3-class head (DR / UR / neutral) or a one-logit binary
head (DR vs UR).

Because the global pool makes the network independent of the grid size, one set of
weights serves cohorts with different sample counts.

Differences from the reference code (deliberate):

- the head returns raw logits (the reference put a ReLU and a softmax behind its last
  linear layer and then applied ``CrossEntropyLoss`` on those probabilities);
- the 2x2 max pool uses ``ceil_mode=True`` so grids with an odd side keep their last
  row/column and tiny grids (1 x k) still build;
- He (Kaiming-normal, fan-in) weight initialisation instead of PyTorch's default;
- ``widths`` / ``hidden`` are configurable; the defaults are the published ones and
  ``degnext_fast`` is a slimmer member of the same family (see its docstring).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from oncosig.models._registry import register_model

PUBLISHED_WIDTHS: tuple[int, ...] = (6, 12, 24, 48, 64, 102, 164, 256)
PUBLISHED_HIDDEN: tuple[int, ...] = (120, 64, 32, 8)
FAST_WIDTHS: tuple[int, ...] = (8, 8, 16, 16, 16, 32, 32, 32)
FAST_HIDDEN: tuple[int, ...] = (32, 16, 8)
FAST_POOL_BLOCK = 2


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    return all(n % k for k in range(2, math.isqrt(n) + 1))


def degnext_grid(n: int) -> tuple[int, int, int]:
    """Grid that holds a row of ``n`` values.

    Parameters
    ----------
    n
        Number of samples (row length).

    Returns
    -------
    height, width, padded_length
        ``padded_length`` is ``n + 1`` when ``n`` is prime (one zero appended), else ``n``;
        ``width`` is the largest divisor of it that is <= its square root.

    Examples
    --------
    >>> degnext_grid(176)
    (16, 11, 176)
    >>> degnext_grid(7)
    (4, 2, 8)
    """
    if n < 1:
        raise ValueError(f"a DEGnext row needs at least one sample, got {n}")
    m = n + 1 if _is_prime(n) else n
    a = math.isqrt(m)
    while m % a:
        a -= 1
    return m // a, a, m


def rows_to_grid(x: torch.Tensor) -> torch.Tensor:
    """Reshape rows ``(batch, n)`` to images ``(batch, 1, height, width)``."""
    if x.dim() != 2:
        raise ValueError(f"expected rows of shape (batch, n_samples), got {tuple(x.shape)}")
    h, w, m = degnext_grid(x.shape[1])
    if m != x.shape[1]:
        x = nn.functional.pad(x, (0, m - x.shape[1]))
    return x.reshape(x.shape[0], 1, h, w)


def _conv_pair(c_in: int, c_mid: int, c_out: int) -> list[nn.Module]:
    return [
        nn.Conv2d(c_in, c_mid, kernel_size=3, padding=1),
        nn.Conv2d(c_mid, c_out, kernel_size=3, padding=1),
    ]


class DEGnextNet(nn.Module):
    """The DEGnext CNN.

    Parameters
    ----------
    num_classes
        Output logits: 3 for DR/UR/neutral (level 1), 1 for the binary DR-vs-UR head
        (level 2, trained with ``BCEWithLogitsLoss``).
    widths
        The eight convolution widths (two per block).
    hidden
        The widths of the linear layers between the pooled features and the head.
    pool_block
        The block (1-4) whose ReLU is preceded by the one 2x2 max pool.  The published
        network pools in block 4; pooling earlier shrinks the grid the later, wider
        blocks run on (4x fewer positions) at no cost in parameters.

    Notes
    -----
    ``forward`` accepts rows ``(batch, n_samples)`` (turned into grids by
    :func:`rows_to_grid`) or ready grids ``(batch, 1, height, width)``.
    """

    def __init__(
        self,
        *,
        num_classes: int = 3,
        widths: Sequence[int] = PUBLISHED_WIDTHS,
        hidden: Sequence[int] = PUBLISHED_HIDDEN,
        pool_block: int = 4,
        symmetric: bool = False,
    ) -> None:
        super().__init__()
        widths = tuple(int(w) for w in widths)
        hidden = tuple(int(h) for h in hidden)
        if len(widths) != 8 or min(widths) < 1:
            raise ValueError(f"widths needs 8 positive channel counts, got {widths}")
        if not hidden or min(hidden) < 1:
            raise ValueError(f"hidden needs positive layer widths, got {hidden}")
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        if pool_block not in (1, 2, 3, 4):
            raise ValueError(f"pool_block must be 1, 2, 3 or 4, got {pool_block}")
        self.config: dict[str, Any] = {
            "num_classes": int(num_classes),
            "widths": list(widths),
            "hidden": list(hidden),
            "pool_block": int(pool_block),
            "symmetric": bool(symmetric),
        }
        w = widths
        ins = (1, w[1], w[3], w[5])

        def block(k: int) -> nn.Sequential:
            layers = _conv_pair(ins[k - 1], w[2 * k - 2], w[2 * k - 1])
            if k == pool_block:
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
            return nn.Sequential(*layers, nn.ReLU(inplace=True))

        self.block1 = block(1)
        self.block2 = block(2)
        self.block3 = block(3)
        self.block4 = block(4)
        self.global_pool = nn.AdaptiveMaxPool2d((1, 1))
        layers: list[nn.Module] = []
        prev = w[7]
        for h in hidden:
            layers += [nn.Linear(prev, h), nn.ReLU(inplace=True)]
            prev = h
        self.mlp = nn.Sequential(*layers)
        self.num_features = prev
        self.head: nn.Linear = nn.Linear(prev, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        # He (fan-in) initialisation keeps the signal's scale through the eight linear
        # convolutions; PyTorch's default shrinks it per layer, which left the plain
        # (normalisation-free) published network on a long initial loss plateau.
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    @property
    def cam_layer(self) -> nn.Module:
        """The last convolutional block (Grad-CAM reads its output)."""
        return self.block4

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Rows or grids -> the last convolutional feature map ``(batch, C, h', w')``."""
        if x.dim() == 2:
            x = rows_to_grid(x)
        if x.dim() != 4 or x.shape[1] != 1:
            raise ValueError(
                f"expected (batch, n) rows or (batch, 1, h, w) grids, got {tuple(x.shape)}"
            )
        x = self.block1(x)
        x = self.block2(x)
        x = self.block3(x)
        return self.block4(x)

    def forward_head(self, features: torch.Tensor, *, pre_logits: bool = False) -> torch.Tensor:
        """Feature map -> logits (or the 8-d embedding with ``pre_logits=True``)."""
        x = self.global_pool(features).flatten(1)
        x = self.mlp(x)
        return x if pre_logits else self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, num_classes)`` (sign-symmetrised in eval mode, see ``symmetric``)."""
        out = self.forward_head(self.forward_features(x))
        if self.training or not self.config.get("symmetric", False):
            return out
        neg = self.forward_head(self.forward_features(-x))
        k = out.shape[1]
        if k == 1:
            return 0.5 * (out - neg)
        if k >= 2:  # classes 0 (DR) and 1 (UR) swap under negation; the others stay
            perm = torch.arange(k, device=out.device)
            perm[0], perm[1] = 1, 0
            neg = neg[:, perm]
        return 0.5 * (out + neg)

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the head with a fresh one of ``num_classes`` logits (1 = binary)."""
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.head = nn.Linear(self.num_features, num_classes)
        self.config["num_classes"] = int(num_classes)


@register_model("degnext", family="network", task="gene")
def degnext(
    *,
    num_classes: int = 3,
    widths: Sequence[int] = PUBLISHED_WIDTHS,
    hidden: Sequence[int] = PUBLISHED_HIDDEN,
    pool_block: int = 4,
    symmetric: bool = False,
) -> DEGnextNet:
    """DEGnext CNN with the published widths (gene row -> DR/UR/neutral)."""
    return DEGnextNet(
        num_classes=num_classes,
        widths=widths,
        hidden=hidden,
        pool_block=pool_block,
        symmetric=symmetric,
    )


@register_model("degnext_fast", family="network", task="gene")
def degnext_fast(
    *,
    num_classes: int = 3,
    widths: Sequence[int] = FAST_WIDTHS,
    hidden: Sequence[int] = FAST_HIDDEN,
    pool_block: int = FAST_POOL_BLOCK,
    symmetric: bool = False,
) -> DEGnextNet:
    """Slim DEGnext for CPU training: same layout, narrower, the max pool in block 2.

    Widths 8-8, 16-16, 16-32, 32-32 and a 32-16-8 MLP (31 k parameters against the
    published 670 k); pooling after block 2 runs blocks 3 and 4 on a quarter of the grid
    positions.  One level-1 epoch over READ's T1 costs about 0.4 CPU seconds against
    the published widths' ~8 (see ``benchmarks/results/degnext.md``).
    ``symmetric=True`` is available but off: on CHOL and LIHC it cost 13 and 11 points
    of bio-test accuracy (the trained networks do not treat a negated row as the
    opposite call).
    """
    return DEGnextNet(
        num_classes=num_classes,
        widths=widths,
        hidden=hidden,
        pool_block=pool_block,
        symmetric=symmetric,
    )
