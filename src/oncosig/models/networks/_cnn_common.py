"""What the four CNN baselines share: configuration checks, the head and the network contract.

Every baseline network (ResNet-50 v2, DenseNet-121, MobileNet v2, NASNet-A Mobile) is a
:class:`CNNClassifier`: the subclass builds its body and implements
``_forward_body``; this base class provides input checks, global average pooling, dropout,
the linear classifier, ``reset_classifier``, weight initialisation and the ``config`` dict
that rebuilds the network through :func:`oncosig.models.create_model`.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from oncosig._errors import OncosigInputError


def _check_int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise OncosigInputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_cnn_config(
    *, num_classes: int, in_chans: int, drop_rate: float, width: float, stem_stride: int
) -> dict[str, Any]:
    """Validate the constructor arguments shared by the CNN baselines.

    Parameters
    ----------
    num_classes
        Number of logits (1 for a single-logit binary head).
    in_chans
        Input channels (1 for a gene grid).
    drop_rate
        Dropout probability before the classifier, in ``[0, 1)``.
    width
        Channel multiplier (1.0 = the published network).
    stem_stride
        Stride of the first convolution, 1 or 2 (2 = the published network).

    Returns
    -------
    The validated configuration as plain JSON types.

    Raises
    ------
    OncosigInputError
        An argument outside its range; the message names it and the valid range.
    """
    _check_int("num_classes", num_classes, minimum=1)
    _check_int("in_chans", in_chans, minimum=1)
    if isinstance(drop_rate, bool) or not isinstance(drop_rate, int | float):
        raise OncosigInputError(f"drop_rate must be a number in [0, 1), got {drop_rate!r}")
    if not 0.0 <= float(drop_rate) < 1.0:
        raise OncosigInputError(f"drop_rate must be in [0, 1), got {drop_rate!r}")
    if (
        isinstance(width, bool)
        or not isinstance(width, int | float)
        or not math.isfinite(width)
        or width <= 0
    ):
        raise OncosigInputError(f"width must be a positive number (1.0 = published), got {width!r}")
    if isinstance(stem_stride, bool) or stem_stride not in (1, 2):
        raise OncosigInputError(
            f"stem_stride must be 1 or 2 (2 = published; 1 keeps small grids larger), "
            f"got {stem_stride!r}"
        )
    return {
        "num_classes": int(num_classes),
        "in_chans": int(in_chans),
        "drop_rate": float(drop_rate),
        "width": float(width),
        "stem_stride": int(stem_stride),
    }


def scale_channels(channels: int, width: float) -> int:
    """``channels * width`` rounded to the nearest integer, at least 1."""
    return max(1, round(channels * width))


class CNNClassifier(nn.Module):
    """Base class of the CNN baselines: input checks, pooled linear head and the contract.

    Parameters
    ----------
    num_classes, in_chans, drop_rate, width, stem_stride
        See :func:`check_cnn_config`.

    Notes
    -----
    A subclass calls ``super().__init__(...)`` first, builds its layers, then
    ``self._init_head(num_features)`` and ``self._init_weights()``; it implements
    ``_forward_body(x)`` (input -> final activated feature map) and the ``cam_layer``
    property (the module whose output is that map, read by Grad-CAM / Gene-CAM).
    """

    def __init__(
        self,
        *,
        num_classes: int,
        in_chans: int,
        drop_rate: float,
        width: float,
        stem_stride: int,
    ) -> None:
        super().__init__()
        cfg = check_cnn_config(
            num_classes=num_classes,
            in_chans=in_chans,
            drop_rate=drop_rate,
            width=width,
            stem_stride=stem_stride,
        )
        #: keyword arguments that rebuild this network (saved in checkpoints)
        self.config: dict[str, Any] = cfg
        self.num_classes: int = cfg["num_classes"]
        self.in_chans: int = cfg["in_chans"]
        self.drop_rate: float = cfg["drop_rate"]
        self.num_features: int = 0

    # -- construction helpers -------------------------------------------------------------
    def _init_head(self, num_features: int) -> None:
        self.num_features = num_features
        self.head_drop = nn.Dropout(self.drop_rate)
        self.classifier = nn.Linear(num_features, self.num_classes)

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    # -- the network contract -------------------------------------------------------------
    @property
    def cam_layer(self) -> nn.Module:
        """The module whose output is the final feature map (what Gene-CAM reads)."""
        raise NotImplementedError  # pragma: no cover - every subclass overrides it

    def _forward_body(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError  # pragma: no cover - every subclass overrides it

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The final activated feature map ``(batch, num_features, h, w)`` before pooling.

        Parameters
        ----------
        x
            Input ``(batch, in_chans, height, width)``; any height and width >= 1.
        """
        if x.ndim != 4 or x.shape[1] != self.in_chans:
            raise OncosigInputError(
                f"{type(self).__name__} expects input of shape (batch, {self.in_chans}, "
                f"height, width); got {tuple(x.shape)}. Reshape the gene grid to that layout "
                f"or build the network with in_chans={x.shape[1] if x.ndim == 4 else '?'}."
            )
        return self._forward_body(x)

    def forward_head(self, x: torch.Tensor, *, pre_logits: bool = False) -> torch.Tensor:
        """Global average pooling, dropout and the linear classifier.

        Parameters
        ----------
        x
            Output of :meth:`forward_features`.
        pre_logits
            Return the pooled embedding ``(batch, num_features)`` instead of the logits.
        """
        x = x.mean(dim=(2, 3))
        if pre_logits:
            return x
        return self.classifier(self.head_drop(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, num_classes)``."""
        return self.forward_head(self.forward_features(x))

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier with a freshly initialised one (transfer learning).

        The feature extractor is untouched and ``config["num_classes"]`` follows, so a
        checkpoint written afterwards rebuilds the new head.
        """
        _check_int("num_classes", num_classes, minimum=1)
        old = self.classifier
        new = nn.Linear(self.num_features, num_classes)
        nn.init.zeros_(new.bias)
        self.classifier = new.to(device=old.weight.device, dtype=old.weight.dtype)
        self.num_classes = num_classes
        self.config["num_classes"] = num_classes
