"""MobileNet v2 of Sandler et al. (CVPR 2018), "Inverted Residuals and Linear Bottlenecks".

Inverted residual blocks (1x1 expansion by t, 3x3 depthwise, linear 1x1 projection; a
residual connection where stride is 1 and the widths match), the paper's Table 2 settings,
ReLU6 activations and a final 1x1 convolution to 1280 channels.
"""

from __future__ import annotations

import torch
from torch import nn

from oncosig.models.networks._cnn_common import CNNClassifier

#: expansion t, output channels c, repeats n, first stride s (Sandler et al., Table 2)
INVERTED_RESIDUAL_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
STEM_CHANNELS = 32
LAST_CHANNELS = 1280
ROUND_TO = 8


def make_divisible(value: float, divisor: int = ROUND_TO) -> int:
    """Round a scaled width to a multiple of ``divisor``, never more than 10 % below it."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


def _conv_bn_relu6(
    in_ch: int, out_ch: int, kernel: int, stride: int, groups: int = 1
) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(
            in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False
        ),
        nn.BatchNorm2d(out_ch),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    """Expand (1x1, ReLU6) -> depthwise 3x3 (ReLU6) -> linear 1x1 projection (+ residual)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = round(in_ch * expand_ratio)
        self.use_residual = stride == 1 and in_ch == out_ch
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(_conv_bn_relu6(in_ch, hidden, 1, 1))
        layers += [
            _conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
            nn.Conv2d(hidden, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Block output; ``x + block(x)`` where the shapes allow."""
        out = self.conv(x)
        return x + out if self.use_residual else out


class MobileNetV2(CNNClassifier):
    """MobileNet v2 (width multiplier 1.0, the paper's setting table).

    Parameters
    ----------
    num_classes
        Number of logits.
    in_chans
        Input channels.
    drop_rate
        Dropout before the classifier (the reference implementations use 0.2).
    width
        The width multiplier alpha; widths are rounded to multiples of 8 and the last
        convolution keeps 1280 channels for alpha <= 1, as in the paper.
    stem_stride
        Stride of the 3x3 stem convolution (2 as published; 1 for small grids).

    Notes
    -----
    1000 classes and 3 channels give 3,504,872 parameters, as torchvision's
    ``mobilenet_v2``.  Every convolution is zero-padded to keep ``ceil(size / stride)``, so any
    grid >= 1x1 builds; the feature map is ``1/32`` of the input (``1/16`` with
    ``stem_stride=1``).
    """

    def __init__(
        self,
        *,
        num_classes: int = 2,
        in_chans: int = 1,
        drop_rate: float = 0.0,
        width: float = 1.0,
        stem_stride: int = 2,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            in_chans=in_chans,
            drop_rate=drop_rate,
            width=width,
            stem_stride=stem_stride,
        )
        in_ch = make_divisible(STEM_CHANNELS * width)
        last_ch = make_divisible(LAST_CHANNELS * max(1.0, width))
        self.stem = _conv_bn_relu6(in_chans, in_ch, 3, stem_stride)
        blocks: list[nn.Module] = []
        for t, c, n, s in INVERTED_RESIDUAL_SETTINGS:
            out_ch = make_divisible(c * width)
            for i in range(n):
                blocks.append(InvertedResidual(in_ch, out_ch, s if i == 0 else 1, t))
                in_ch = out_ch
        self.blocks = nn.Sequential(*blocks)
        self.conv_head = _conv_bn_relu6(in_ch, last_ch, 1, 1)
        self._init_head(last_ch)
        self._init_weights()

    @property
    def cam_layer(self) -> nn.Module:
        """The final 1x1 convolution + BN + ReLU6 (Keras' ``out_relu``)."""
        return self.conv_head

    def _forward_body(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_head(self.blocks(self.stem(x)))
