"""The four CNN baselines of the GeneXNet paper, in pure torch, registered by name.

``resnet50v2``, ``densenet121``, ``mobilenetv2`` and ``nasnet_mobile`` take a
``(batch, in_chans, height, width)`` gene grid of any size (default one channel), start from
random weights and share one constructor signature::

    create_model("densenet121", num_classes=7, in_chans=1, drop_rate=0.0, width=1.0, stem_stride=2)

``width`` scales the channels and ``stem_stride=1`` keeps small grids at twice the
resolution; the defaults are the published networks.  Each provides ``forward``,
``forward_features`` (final activated feature map), ``forward_head``, ``reset_classifier``,
``cam_layer`` and ``config`` (see :mod:`oncosig.models.networks`).

Examples
--------
>>> import torch
>>> from oncosig.models import create_model
>>> net = create_model("mobilenetv2", num_classes=3, width=0.35)
>>> net(torch.zeros(2, 1, 32, 32)).shape
torch.Size([2, 3])
"""

from __future__ import annotations

from oncosig.models._registry import register_model
from oncosig.models.networks._cnn_common import CNNClassifier
from oncosig.models.networks._cnn_densenet import DenseNet121
from oncosig.models.networks._cnn_mobilenet import MobileNetV2
from oncosig.models.networks._cnn_nasnet import NASNetAMobile
from oncosig.models.networks._cnn_resnet import ResNet50V2

__all__ = ["CNNClassifier", "DenseNet121", "MobileNetV2", "NASNetAMobile", "ResNet50V2"]

register_model(
    "resnet50v2",
    family="network",
    task="sample",
    description="ResNet-50 v2 (pre-activation bottlenecks, He et al. 2016), random init",
)(ResNet50V2)
register_model(
    "densenet121",
    family="network",
    task="sample",
    description="DenseNet-121 (growth 32, blocks 6/12/24/16, Huang et al. 2017), random init",
)(DenseNet121)
register_model(
    "mobilenetv2",
    family="network",
    task="sample",
    description="MobileNet v2 (inverted residuals, width 1.0, Sandler et al. 2018), random init",
)(MobileNetV2)
register_model(
    "nasnet_mobile",
    family="network",
    task="sample",
    description="NASNet-A Mobile (4 @ 1056, Zoph et al. 2018), random init",
)(NASNetAMobile)
