"""DenseNet-121 of Huang et al. (CVPR 2017), "Densely Connected Convolutional Networks".

DenseNet-BC: dense layers BN-ReLU-Conv1x1(bn_size * k)-BN-ReLU-Conv3x3(k) whose outputs are
concatenated to their inputs, blocks of [6, 12, 24, 16] layers with growth rate k = 32,
transitions BN-ReLU-Conv1x1 (compression 0.5) + 2x2 average pooling, a final BN-ReLU.
"""

from __future__ import annotations

import torch
from torch import nn

from oncosig.models.networks._cnn_common import CNNClassifier, scale_channels

BLOCK_DEPTHS = (6, 12, 24, 16)
GROWTH_RATE = 32
BN_SIZE = 4
COMPRESSION = 0.5
INIT_FEATURES = 64


class DenseLayer(nn.Module):
    """BN-ReLU-Conv1x1(bn_size * growth)-BN-ReLU-Conv3x3(growth) on the concatenated inputs."""

    def __init__(self, in_ch: int, growth: int, bn_size: int) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_ch)
        self.conv1 = nn.Conv2d(in_ch, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The ``growth`` new feature maps."""
        out = self.conv1(self.act(self.norm1(x)))
        return self.conv2(self.act(self.norm2(out)))


class DenseBlock(nn.Module):
    """``depth`` dense layers; each sees the concatenation of the block input and all earlier outputs."""

    def __init__(self, depth: int, in_ch: int, growth: int, bn_size: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(in_ch + i * growth, growth, bn_size) for i in range(depth)
        )
        self.out_channels = in_ch + depth * growth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Input and every layer's output, concatenated along channels."""
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, 1)))
        return torch.cat(features, 1)


class Transition(nn.Sequential):
    """BN-ReLU-Conv1x1 to ``out_ch`` channels, then 2x2 average pooling with stride 2.

    ``ceil_mode=True`` keeps a 1-pixel map at 1 pixel (the published floor-mode pooling would
    empty it); on even sizes both modes agree.
    """

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__(
            nn.BatchNorm2d(in_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_ch, out_ch, 1, bias=False),
            nn.AvgPool2d(2, stride=2, ceil_mode=True),
        )


class DenseNet121(CNNClassifier):
    """DenseNet-121 (growth 32, blocks [6, 12, 24, 16], bn_size 4, compression 0.5).

    Parameters
    ----------
    num_classes
        Number of logits.
    in_chans
        Input channels.
    drop_rate
        Dropout before the classifier (the published ImageNet network has none).
    width
        Multiplier on the growth rate and the stem width (1.0: k = 32, 64 stem filters).
    stem_stride
        Stride of the 7x7 stem convolution (2 as published; 1 for small grids).

    Notes
    -----
    Stem: 7x7 convolution (64 filters), BN-ReLU and 3x3 max-pooling with stride 2.  The only
    change from the paper is ``ceil_mode`` in the transition pooling (see :class:`Transition`),
    so any grid >= 1x1 builds.  1000 classes and 3 channels give 7,978,856 parameters, as
    torchvision's ``densenet121``.
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
        growth = scale_channels(GROWTH_RATE, width)
        ch = scale_channels(INIT_FEATURES, width)
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, ch, 7, stride=stem_stride, padding=3, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        stages: list[nn.Module] = []
        for i, depth in enumerate(BLOCK_DEPTHS):
            block = DenseBlock(depth, ch, growth, BN_SIZE)
            stages.append(block)
            ch = block.out_channels
            if i < len(BLOCK_DEPTHS) - 1:
                out = int(ch * COMPRESSION)
                stages.append(Transition(ch, out))
                ch = out
        self.stages = nn.Sequential(*stages)
        self.norm = nn.Sequential(nn.BatchNorm2d(ch), nn.ReLU(inplace=True))
        self._init_head(ch)
        self._init_weights()

    @property
    def cam_layer(self) -> nn.Module:
        """The final BN-ReLU (Keras' ``relu``): its output is the last feature map."""
        return self.norm

    def _forward_body(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.stages(self.stem(x)))
