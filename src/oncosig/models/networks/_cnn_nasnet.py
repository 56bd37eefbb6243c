"""NASNet-A Mobile of Zoph et al. (CVPR 2018), "Learning Transferable Architectures for
Scalable Image Recognition" (arXiv:1707.07012), configuration "4 @ 1056".

A 3x3 stem convolution (32 filters), two reduction cells as the ImageNet stem, then
N = 4 normal cells, a reduction cell, N normal cells, a reduction cell and N normal cells;
44 filters in the first stack, doubled at each reduction, so the last normal cell emits
6 x 176 = 1056 channels.  ReLU, global average pooling and a linear classifier follow.

Cells follow the TF-slim reference (``nasnet_utils.NasNetANormalCell`` /
``NasNetAReductionCell``): both inputs are first brought to the cell's width (ReLU-Conv1x1-BN,
or a factorized reduction where the previous input is at twice the resolution); five
combinations each add two operations on earlier hidden states; the unused hidden states are
concatenated.  Separable operations are two stacked (ReLU, depthwise kxk, pointwise 1x1, BN)
with the stride on the first.

Simplifications, all so that any grid >= 1x1 builds and all branches of a cell agree in size:

* every convolution and pooling is padded symmetrically (``kernel // 2``), so a stride-2
  operation yields ``ceil(size / 2)`` for every size; TensorFlow's ``SAME`` padding puts the
  odd pixel on the bottom/right instead (a one-pixel alignment shift, no parameters change);
  the stem convolution is padded the same way instead of ``VALID``;
* whether the previous input needs a factorized reduction is fixed by the architecture, not
  decided by comparing runtime shapes (which coincide on 1x1 maps);
* no auxiliary head and no drop-path (training-time regularisers; NASNet-A Mobile was
  trained with drop-path keep probability 1.0).

1000 classes and 3 input channels give 5,289,978 trainable parameters (5,326,716 with the
BatchNorm statistics), as Keras' ``NASNetMobile`` and the PyTorch port of the released
checkpoint.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from oncosig.models.networks._cnn_common import CNNClassifier, scale_channels

N_CELLS = 4
PENULTIMATE_FILTERS = 1056
STEM_FILTERS = 32
FILTER_SCALING_RATE = 2
BN_EPS = 1e-3  # TF-slim NASNet batch-norm epsilon

#: (operation, hidden-state index) pairs of the five combinations, and the states concatenated
NORMAL_OPS = ("sep5", "sep3", "sep5", "sep3", "avg3", "none", "avg3", "avg3", "sep3", "none")
NORMAL_INPUTS = (0, 1, 1, 1, 0, 1, 1, 1, 0, 0)
NORMAL_CONCAT = (1, 2, 3, 4, 5, 6)
REDUCTION_OPS = ("sep5", "sep7", "max3", "sep7", "avg3", "sep5", "none", "avg3", "sep3", "max3")
REDUCTION_INPUTS = (0, 1, 0, 1, 0, 1, 3, 2, 2, 0)
REDUCTION_CONCAT = (3, 4, 5, 6)


def _bn(ch: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(ch, eps=BN_EPS)


class SeparableStack(nn.Module):
    """Two stacked ReLU -> depthwise kxk -> pointwise 1x1 -> BN; stride on the first."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int) -> None:
        super().__init__()
        pad = kernel // 2
        self.depthwise1 = nn.Conv2d(in_ch, in_ch, kernel, stride, pad, groups=in_ch, bias=False)
        self.pointwise1 = nn.Conv2d(in_ch, out_ch, 1, bias=False)
        self.bn1 = _bn(out_ch)
        self.depthwise2 = nn.Conv2d(out_ch, out_ch, kernel, 1, pad, groups=out_ch, bias=False)
        self.pointwise2 = nn.Conv2d(out_ch, out_ch, 1, bias=False)
        self.bn2 = _bn(out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The stacked separable convolution (the input is not modified in place)."""
        x = self.bn1(self.pointwise1(self.depthwise1(F.relu(x))))
        return self.bn2(self.pointwise2(self.depthwise2(F.relu(x))))


class ReluConvBn(nn.Sequential):
    """ReLU -> 1x1 convolution -> BN: brings a cell input to the cell's width."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__(nn.ReLU(), nn.Conv2d(in_ch, out_ch, 1, bias=False), _bn(out_ch))


class FactorizedReduction(nn.Module):
    """ReLU, then two strided 1x1 paths (the second shifted by one pixel), concatenated, BN.

    Halves the resolution of the previous cell's output without losing every other pixel.
    """

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch // 2, 1, bias=False)
        self.conv2 = nn.Conv2d(in_ch, out_ch - out_ch // 2, 1, bias=False)
        self.bn = _bn(out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, out_ch, ceil(h / 2), ceil(w / 2))``."""
        x = F.relu(x)
        path1 = self.conv1(x[:, :, ::2, ::2])
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        path2 = self.conv2(shifted[:, :, ::2, ::2])
        return self.bn(torch.cat([path1, path2], 1))


def _make_op(name: str, in_ch: int, out_ch: int, stride: int) -> nn.Module:
    if name.startswith("sep"):
        return SeparableStack(in_ch, out_ch, int(name[3:]), stride)
    if in_ch != out_ch:  # never happens in NASNet-A: only separable ops see a raw input
        raise ValueError(f"NASNet operation {name} cannot change width ({in_ch} -> {out_ch})")
    if name == "avg3":
        return nn.AvgPool2d(3, stride, 1, count_include_pad=False)
    if name == "max3":
        return nn.MaxPool2d(3, stride, 1)
    if name == "none" and stride == 1:
        return nn.Identity()
    raise ValueError(f"unknown NASNet operation {name} with stride {stride}")


class NASNetCell(nn.Module):
    """A NASNet-A normal or reduction cell.

    Parameters
    ----------
    kind
        ``"normal"`` (output ``6 * filters``) or ``"reduction"`` (stride 2, ``4 * filters``).
    in_ch, prev_ch
        Channels of the current input (the previous cell's output) and of the input before it.
    filters
        The cell's width.
    prev_mode
        How the earlier input is adjusted: ``"reduce"`` (it has twice the resolution:
        factorized reduction), ``"conv"`` (ReLU-Conv1x1-BN) or ``"identity"`` (used as is: the
        first stem cell, whose two inputs are both the stem convolution, and inputs already of
        the right width).
    """

    def __init__(self, kind: str, in_ch: int, prev_ch: int, filters: int, prev_mode: str) -> None:
        super().__init__()
        ops: tuple[str, ...]
        inputs: tuple[int, ...]
        concat: tuple[int, ...]
        if kind == "normal":
            ops, inputs, concat, stride = NORMAL_OPS, NORMAL_INPUTS, NORMAL_CONCAT, 1
        elif kind == "reduction":
            ops, inputs, concat, stride = REDUCTION_OPS, REDUCTION_INPUTS, REDUCTION_CONCAT, 2
        else:
            raise ValueError(f"NASNet cell kind must be 'normal' or 'reduction', got {kind!r}")
        self.kind = kind
        self.inputs = inputs
        self.concat = concat
        self.conv_1x1 = ReluConvBn(in_ch, filters)
        self.prev_adjust: nn.Module
        if prev_mode == "reduce":
            self.prev_adjust, h1_ch = FactorizedReduction(prev_ch, filters), filters
        elif prev_mode == "conv":
            self.prev_adjust, h1_ch = ReluConvBn(prev_ch, filters), filters
        elif prev_mode == "identity":
            self.prev_adjust, h1_ch = nn.Identity(), prev_ch
        else:
            raise ValueError(f"unknown prev_mode {prev_mode!r}")
        widths = [filters, h1_ch] + [filters] * (len(ops) // 2)
        self.ops = nn.ModuleList(
            _make_op(op, widths[i], filters, stride if i < 2 else 1)
            for op, i in zip(ops, inputs, strict=True)
        )
        self.out_channels = filters * len(concat)

    def forward(self, x: torch.Tensor, x_prev: torch.Tensor) -> torch.Tensor:
        """Cell output from the current input ``x`` and the one before, ``x_prev``."""
        states = [self.conv_1x1(x), self.prev_adjust(x_prev)]
        for j in range(0, len(self.ops), 2):
            left = self.ops[j](states[self.inputs[j]])
            right = self.ops[j + 1](states[self.inputs[j + 1]])
            states.append(left + right)
        return torch.cat([states[i] for i in self.concat], 1)


class NASNetAMobile(CNNClassifier):
    """NASNet-A Mobile (N = 4, penultimate filters 1056) for gene grids of any size.

    Parameters
    ----------
    num_classes
        Number of logits.
    in_chans
        Input channels.
    drop_rate
        Dropout before the classifier (the published network used 0.5).
    width
        Multiplier on the filters (1.0: 44 filters in the first stack, 1056 penultimate, a
        32-filter stem convolution).
    stem_stride
        Stride of the 3x3 stem convolution (2 as published; 1 for small grids).

    Notes
    -----
    See the module docstring for the cell structure and the padding simplifications.  The
    feature map is ``1/32`` of the input (``1/16`` with ``stem_stride=1``), at least 1x1.
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
        filters = max(2, round(PENULTIMATE_FILTERS * width / 24))
        stem_ch = scale_channels(STEM_FILTERS, width)
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, stem_ch, 3, stride=stem_stride, padding=1, bias=False),
            _bn(stem_ch),
        )
        # (kind, width) of every cell: two stem reductions, then N normal cells per stack
        plan: list[tuple[str, int]] = [
            ("reduction", max(1, filters // FILTER_SCALING_RATE**2)),
            ("reduction", max(1, filters // FILTER_SCALING_RATE)),
        ]
        for stack in range(3):
            if stack > 0:
                plan.append(("reduction", filters * FILTER_SCALING_RATE**stack))
            plan += [("normal", filters * FILTER_SCALING_RATE**stack)] * N_CELLS
        # (channels, resolution level) of the current and previous cell outputs
        cur, prev = (stem_ch, 0), (stem_ch, 0)
        cells = []
        for i, (kind, f) in enumerate(plan):
            if i == 0:
                mode = "identity"
            elif prev[1] < cur[1]:
                mode = "reduce"
            else:
                mode = "conv" if prev[0] != f else "identity"
            cell = NASNetCell(kind, cur[0], prev[0], f, mode)
            cells.append(cell)
            level = cur[1] + (1 if kind == "reduction" else 0)
            cur, prev = (cell.out_channels, level), cur
        self.cells = nn.ModuleList(cells)
        self.act = nn.ReLU()
        self._init_head(cur[0])
        self._init_weights()

    @property
    def cam_layer(self) -> nn.Module:
        """The final ReLU after the last normal cell: its output is the last feature map."""
        return self.act

    def _forward_body(self, x: torch.Tensor) -> torch.Tensor:
        cur = prev = self.stem(x)
        for cell in self.cells:
            cur, prev = cell(cur, prev), cur
        return self.act(cur)
