"""ResNet-50 v2: the pre-activation residual network of He et al. (ECCV 2016).

"Identity Mappings in Deep Residual Networks" (arXiv:1603.05027): bottleneck blocks
BN-ReLU-Conv1x1 -> BN-ReLU-Conv3x3 -> BN-ReLU-Conv1x1 with an identity shortcut (a 1x1
projection of the pre-activated input where the shape changes), stages of [3, 4, 6, 3] blocks
with output widths 256/512/1024/2048, and a final BN-ReLU before global average pooling.
"""

from __future__ import annotations

import torch
from torch import nn

from oncosig.models.networks._cnn_common import CNNClassifier, scale_channels

STAGE_DEPTHS = (3, 4, 6, 3)
STAGE_MID_WIDTHS = (64, 128, 256, 512)
EXPANSION = 4


class PreActBottleneck(nn.Module):
    """Pre-activation bottleneck; the 3x3 convolution carries the stride (as in the paper).

    Parameters
    ----------
    in_ch, mid_ch, out_ch
        Input, bottleneck and output channels.
    stride
        Stride of the 3x3 convolution and of the projection shortcut.
    """

    def __init__(self, in_ch: int, mid_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_ch)
        self.downsample = (
            nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False)
            if stride != 1 or in_ch != out_ch
            else None
        )
        self.conv1 = nn.Conv2d(in_ch, mid_ch, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(mid_ch)
        self.conv2 = nn.Conv2d(mid_ch, mid_ch, 3, stride=stride, padding=1, bias=False)
        self.norm3 = nn.BatchNorm2d(mid_ch)
        self.conv3 = nn.Conv2d(mid_ch, out_ch, 1, bias=False)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual update ``x + F(x)``."""
        pre = self.act(self.norm1(x))
        shortcut = x if self.downsample is None else self.downsample(pre)
        out = self.conv1(pre)
        out = self.conv2(self.act(self.norm2(out)))
        out = self.conv3(self.act(self.norm3(out)))
        return out + shortcut


class ResNet50V2(CNNClassifier):
    """ResNet-50 v2 (pre-activation) for 1-channel gene grids of any size.

    Parameters
    ----------
    num_classes
        Number of logits.
    in_chans
        Input channels.
    drop_rate
        Dropout before the classifier (the published network has none).
    width
        Channel multiplier on every stage (1.0: widths 256/512/1024/2048).
    stem_stride
        Stride of the 7x7 stem convolution (2 as published; 1 for small grids).

    Notes
    -----
    Stem: 7x7 convolution (64 filters) and 3x3 max-pooling with stride 2, without BN-ReLU
    (the first block pre-activates).  Stages 2-4 downsample in their first block.  Keras'
    ``ResNet50V2`` instead strides in the *last* block of stages 1-3 and gives convolutions a
    bias; the parameter count of the paper's bias-free layout, 25,549,352 for 3 input channels
    and 1000 classes, equals timm's ``resnetv2_50``.  The feature map is ``1/32`` of the input
    (``1/16`` with ``stem_stride=1``), at least 1x1.
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
        stem_ch = scale_channels(64, width)
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, stem_ch, 7, stride=stem_stride, padding=3, bias=False),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        stages: list[nn.Module] = []
        in_ch = stem_ch
        for i, (depth, mid) in enumerate(zip(STAGE_DEPTHS, STAGE_MID_WIDTHS, strict=True)):
            mid_ch = scale_channels(mid, width)
            out_ch = EXPANSION * mid_ch
            blocks = []
            for j in range(depth):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(PreActBottleneck(in_ch, mid_ch, out_ch, stride))
                in_ch = out_ch
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.norm = nn.Sequential(nn.BatchNorm2d(in_ch), nn.ReLU(inplace=True))
        self._init_head(in_ch)
        self._init_weights()

    @property
    def cam_layer(self) -> nn.Module:
        """The final BN-ReLU (Keras' ``post_relu``): its output is the last feature map."""
        return self.norm

    def _forward_body(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.stages(self.stem(x)))
