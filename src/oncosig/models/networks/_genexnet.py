"""GeneXNet: DenseNet dense sub-blocks followed by pre-activation ResNet v2 bottlenecks.

Each GeneXNet block is a dense sub-block (``BN-ReLU-Conv1x1(4k)-BN-ReLU-Conv3x3(k)``
layers whose outputs are concatenated, as in DenseNet) followed by a residual sub-block of
pre-activation bottleneck units (ResNet v2).  Blocks are joined by DenseNet transitions
(``BN-ReLU-Conv1x1`` with compression 0.5, then 2x2 average pooling).  A stem comes first;
global average pooling and a linear head come last.

``theta_d`` and ``theta_r`` are the share (0, 0.25, 0.5 or 1, or any value in [0, 1]) of
the dense layers and residual units of the full configuration that are used; ``growth_rate``
is the paper's θk.  Pooling uses ``ceil_mode`` so that the network builds and runs for any
input grid, down to 1 x 1 (the reference implementation fails to build with its own default
grid).

An optional *gene embedding* (``gene_embedding=C``, our addition, off by default) maps each
pixel's expression to ``C`` channels with weights of its own before the stem:
``h[c, i, j] = w[c, i, j] * x[i, j] + b[c, i, j]``.  Convolutions share weights across
positions and global average pooling discards position, so a plain CNN cannot tell *which*
gene sits at a pixel; the per-pixel weights give it that knowledge (a gene-specific
projection, like a linear model's coefficients) for ``C * H * W * 2`` extra parameters.  On
the 7-cohort benchmark it closes most of the gap to logistic regression (BENCHMARKS.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from oncosig.models._registry import register_model

DENSE_LAYERS = (6, 12, 24, 16)  # DenseNet-121
RES_UNITS = (3, 4, 6, 3)  # ResNet-50 v2


def _share(theta: float, n: int) -> int:
    """Number of sub-layers used for a share ``theta`` of ``n`` (at least 1 when theta > 0)."""
    if theta <= 0 or n <= 0:
        return 0
    return max(1, math.floor(theta * n + 0.5))


class DenseLayer(nn.Module):
    """``BN-ReLU-Conv1x1(bn_size*k)-BN-ReLU-Conv3x3(k)``; returns the ``k`` new maps."""

    def __init__(self, in_channels: int, growth_rate: int, bn_size: int = 4) -> None:
        super().__init__()
        mid = bn_size * growth_rate
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, mid, kernel_size=1, bias=False)
        self.norm2 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, growth_rate, kernel_size=3, padding=1, bias=False)
        self.act = nn.ReLU(inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(self.act(self.norm1(x)))
        return self.conv2(self.act(self.norm2(out)))


class DenseSubBlock(nn.Module):
    """DenseNet dense block: every layer sees the concatenation of all earlier outputs."""

    def __init__(self, in_channels: int, n_layers: int, growth_rate: int, bn_size: int = 4):
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size) for i in range(n_layers)
        )
        self.out_channels = in_channels + n_layers * growth_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for layer in self.layers:
            feats.append(layer(torch.cat(feats, dim=1)))
        return torch.cat(feats, dim=1)


class PreActBottleneck(nn.Module):
    """ResNet v2 bottleneck: ``x + Conv1x1(BN-ReLU(Conv3x3(BN-ReLU(Conv1x1(BN-ReLU(x))))))``."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        mid = max(1, channels // reduction)
        self.norm1 = nn.BatchNorm2d(channels)
        self.conv1 = nn.Conv2d(channels, mid, kernel_size=1, bias=False)
        self.norm2 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, kernel_size=3, padding=1, bias=False)
        self.norm3 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, channels, kernel_size=1, bias=False)
        self.act = nn.ReLU(inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(self.act(self.norm1(x)))
        out = self.conv2(self.act(self.norm2(out)))
        out = self.conv3(self.act(self.norm3(out)))
        return x + out


class GeneXNetBlock(nn.Module):
    """One GeneXNet block: a dense sub-block, then a residual sub-block."""

    def __init__(
        self, in_channels: int, *, n_dense: int, n_res: int, growth_rate: int, bn_size: int = 4
    ) -> None:
        super().__init__()
        self.dense = DenseSubBlock(in_channels, n_dense, growth_rate, bn_size)
        ch = self.dense.out_channels
        self.residual = nn.Sequential(*(PreActBottleneck(ch) for _ in range(n_res)))
        self.out_channels = ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.residual(self.dense(x))


class Transition(nn.Module):
    """DenseNet transition: ``BN-ReLU-Conv1x1(compression*C)-AvgPool2x2`` (ceil mode)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.act = nn.ReLU(inplace=False)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.conv(self.act(self.norm(x))))


class GeneEmbedding(nn.Module):
    """Per-pixel linear map from ``in_chans`` to ``channels`` (a weight per gene position).

    Parameters
    ----------
    side
        Height and width of the gene grid the network is built for.
    in_chans, channels
        Input and output channels.
    """

    def __init__(self, side: int, in_chans: int, channels: int) -> None:
        super().__init__()
        if side < 1 or channels < 1:
            raise ValueError("gene embedding needs grid_side >= 1 and channels >= 1")
        self.side = int(side)
        self.weight = nn.Parameter(torch.randn(channels, in_chans, side, side) * 0.5)
        self.bias = nn.Parameter(torch.zeros(1, channels, side, side))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (self.side, self.side):
            raise ValueError(
                f"this network was built for a {self.side} x {self.side} gene grid, got "
                f"{tuple(x.shape[-2:])}; lay the genes out with the model's grid"
            )
        return torch.einsum("bkhw,ckhw->bchw", x, self.weight) + self.bias


def _stem(in_chans: int, out_channels: int, stride: int) -> nn.Sequential:
    if stride == 4:  # ImageNet-style stem for large grids
        return nn.Sequential(
            nn.Conv2d(in_chans, out_channels, kernel_size=7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=False),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        )
    if stride not in (1, 2):
        raise ValueError(f"stem_stride must be 1, 2 or 4, got {stride}")
    return nn.Sequential(
        nn.Conv2d(in_chans, out_channels, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=False),
    )


class GeneXNetNetwork(nn.Module):
    """The GeneXNet network (see the module docstring).

    Parameters
    ----------
    num_classes
        Outputs of the linear head.
    in_chans
        Input channels of the gene image (1).
    growth_rate
        θk, filters added by each dense layer (the paper uses 32 or 64).
    theta_d, theta_r
        Share in [0, 1] of the dense layers / residual units of the full configuration used.
    depth
        Number of GeneXNet blocks (uses the first ``depth`` entries of ``dense_layers`` and
        ``res_units``).
    dense_layers, res_units
        Full per-block configuration (default DenseNet-121 and ResNet-50 v2 layouts).
    stem_stride
        1 (3x3 conv), 2 (strided 3x3 conv) or 4 (7x7/2 conv + 3x3/2 max-pool, for large grids).
    compression
        Channel compression of the transitions (DenseNet-BC: 0.5).
    bn_size
        Bottleneck width factor of the dense layers (4 -> ``Conv1x1(4k)``).
    drop_rate
        Dropout before the head.
    gene_embedding
        Channels of the per-pixel gene embedding before the stem (0 = none, as published).
    grid_side
        Side of the gene grid; required with ``gene_embedding`` (its weights are per pixel).
    """

    def __init__(
        self,
        num_classes: int,
        in_chans: int = 1,
        *,
        growth_rate: int = 32,
        theta_d: float = 1.0,
        theta_r: float = 1.0,
        depth: int = 4,
        dense_layers: Sequence[int] = DENSE_LAYERS,
        res_units: Sequence[int] = RES_UNITS,
        stem_stride: int = 1,
        compression: float = 0.5,
        bn_size: int = 4,
        drop_rate: float = 0.0,
        gene_embedding: int = 0,
        grid_side: int | None = None,
    ) -> None:
        super().__init__()
        if gene_embedding < 0:
            raise ValueError(f"gene_embedding must be 0 (off) or positive, got {gene_embedding}")
        if gene_embedding and not grid_side:
            raise ValueError(
                "gene_embedding needs grid_side (the side of the model's gene grid); the "
                "GeneXNet estimator passes it for you"
            )
        for name, theta in (("theta_d", theta_d), ("theta_r", theta_r)):
            if not 0.0 <= float(theta) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1] (e.g. 0, 0.25, 0.5, 1), got {theta}")
        if num_classes < 1 or in_chans < 1 or growth_rate < 1:
            raise ValueError("num_classes, in_chans and growth_rate must be positive")
        if not 1 <= depth <= min(len(dense_layers), len(res_units)):
            raise ValueError(
                f"depth must be between 1 and {min(len(dense_layers), len(res_units))} "
                "(the length of dense_layers/res_units), got {depth}"
            )
        if not 0.0 < compression <= 1.0:
            raise ValueError(f"compression must lie in (0, 1], got {compression}")
        self.config: dict[str, Any] = {
            "num_classes": int(num_classes),
            "in_chans": int(in_chans),
            "growth_rate": int(growth_rate),
            "theta_d": float(theta_d),
            "theta_r": float(theta_r),
            "depth": int(depth),
            "dense_layers": [int(v) for v in dense_layers],
            "res_units": [int(v) for v in res_units],
            "stem_stride": int(stem_stride),
            "compression": float(compression),
            "bn_size": int(bn_size),
            "drop_rate": float(drop_rate),
            "gene_embedding": int(gene_embedding),
            "grid_side": None if grid_side is None else int(grid_side),
        }
        self.embedding: nn.Module = (
            GeneEmbedding(int(grid_side or 0), in_chans, gene_embedding)
            if gene_embedding
            else nn.Identity()
        )
        ch = 2 * growth_rate
        modules: list[nn.Module] = [_stem(gene_embedding or in_chans, ch, stem_stride)]
        for i in range(depth):
            block = GeneXNetBlock(
                ch,
                n_dense=_share(theta_d, dense_layers[i]),
                n_res=_share(theta_r, res_units[i]),
                growth_rate=growth_rate,
                bn_size=bn_size,
            )
            modules.append(block)
            ch = block.out_channels
            if i < depth - 1:
                out = max(1, int(ch * compression))
                modules.append(Transition(ch, out))
                ch = out
        modules += [nn.BatchNorm2d(ch), nn.ReLU(inplace=False)]
        self.features = nn.Sequential(*modules)
        self.num_features = ch
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(ch, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    @property
    def blocks(self) -> list[GeneXNetBlock]:
        """The GeneXNet blocks, in order (views into ``features``)."""
        return [m for m in self.features if isinstance(m, GeneXNetBlock)]

    @property
    def cam_layer(self) -> nn.Module:
        """The last GeneXNet block (the layer Gene-CAM reads)."""
        return self.blocks[-1]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Feature map ``(batch, num_features, h, w)`` before pooling and head."""
        if x.ndim != 4:
            raise ValueError(
                f"expected a (batch, channels, H, W) gene image, got shape {tuple(x.shape)}"
            )
        return self.features(self.embedding(x))

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """Global average pooling, dropout and the linear head."""
        return self.head(self.drop(torch.flatten(self.pool(features), 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def get_classifier(self) -> nn.Module:
        """The linear head."""
        return self.head

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the head with a fresh ``Linear(num_features, num_classes)`` (transfer)."""
        if num_classes < 1:
            raise ValueError(f"num_classes must be positive, got {num_classes}")
        self.head = nn.Linear(self.num_features, num_classes)
        nn.init.zeros_(self.head.bias)
        self.config["num_classes"] = int(num_classes)


@register_model(
    "genexnet",
    family="network",
    task="sample",
    description="GeneXNet: dense + pre-activation residual blocks on a gene image",
)
def genexnet(*, num_classes: int, in_chans: int = 1, **kwargs: Any) -> GeneXNetNetwork:
    """GeneXNet network (see :class:`GeneXNetNetwork` for the keyword arguments)."""
    return GeneXNetNetwork(num_classes, in_chans, **kwargs)
