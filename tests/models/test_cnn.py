"""The four CNN baselines: faithful to the published architectures, robust on any grid."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from oncosig._errors import OncosigInputError
from oncosig.models import create_model, get_entry
from oncosig.models.networks._cnn_mobilenet import make_divisible
from oncosig.models.networks._cnn_nasnet import FactorizedReduction, NASNetCell

CNNS = ("resnet50v2", "densenet121", "mobilenetv2", "nasnet_mobile")

#: trainable parameters with 3 input channels and 1000 classes, and the same plus the
#: BatchNorm running statistics (the "Total params" of the Keras applications).  References:
#: BiT/timm ResNetV2-50 (25,549,352), torchvision densenet121 and mobilenet_v2, Keras
#: NASNetMobile / imgclsmob NASNet-A 4@1056 (5,289,978 trainable); Keras totals of
#: DenseNet121, MobileNetV2 and NASNetMobile.  Keras' ResNet50V2 (25,613,800) adds 19,008
#: convolution biases that the paper's pre-activation blocks do not have.
PUBLISHED = {
    "resnet50v2": (25_549_352, 25_594_792, 2048),
    "densenet121": (7_978_856, 8_062_504, 1024),
    "mobilenetv2": (3_504_872, 3_538_984, 1280),
    "nasnet_mobile": (5_289_978, 5_326_716, 1056),
}


def _n_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def _n_bn_stats(net: nn.Module) -> int:
    return sum(2 * m.num_features for m in net.modules() if isinstance(m, nn.BatchNorm2d))


@pytest.mark.parametrize("name", CNNS)
def test_parameter_counts_match_the_published_networks(name: str) -> None:
    trainable, keras_total, features = PUBLISHED[name]
    net = create_model(name, num_classes=1000, in_chans=3)
    assert _n_params(net) == trainable
    assert _n_params(net) + _n_bn_stats(net) == keras_total
    assert net.num_features == features
    assert get_entry(name).task == "sample"


@pytest.mark.parametrize("name", CNNS)
def test_feature_map_stride_and_stem_stride(name: str) -> None:
    x = torch.randn(2, 1, 64, 64)
    for stem_stride, side in ((2, 2), (1, 4)):
        net = create_model(name, num_classes=2, width=0.25, stem_stride=stem_stride).eval()
        with torch.no_grad():
            feats = net.forward_features(x)
        assert feats.shape[2:] == (side, side)
        assert feats.shape[1] == net.num_features
        assert (feats >= 0).all()  # final activation before pooling


@pytest.mark.parametrize("name", CNNS)
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (33, 17)])
def test_any_grid_size_builds(name: str, shape: tuple[int, int]) -> None:
    net = create_model(name, num_classes=4, width=0.25).train()
    out = net(torch.randn(2, 1, *shape))
    assert out.shape == (2, 4)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", CNNS)
def test_cam_layer_output_is_the_feature_map(name: str) -> None:
    net = create_model(name, num_classes=3, width=0.25).eval()
    seen: list[torch.Tensor] = []
    handle = net.cam_layer.register_forward_hook(lambda _m, _i, out: seen.append(out.clone()))
    x = torch.randn(2, 1, 40, 40)
    with torch.no_grad():
        feats = net.forward_features(x)
    handle.remove()
    torch.testing.assert_close(seen[-1], feats, rtol=0, atol=0)
    # cam_layer is an alias, not a second registration: no duplicated weights
    assert not any(k.startswith("cam_layer.") for k in net.state_dict())


@pytest.mark.parametrize("name", CNNS)
def test_width_and_config_rebuild(name: str) -> None:
    small = create_model(name, num_classes=3, width=0.25, drop_rate=0.2, stem_stride=1)
    assert small.config == {
        "num_classes": 3,
        "in_chans": 1,
        "drop_rate": 0.2,
        "width": 0.25,
        "stem_stride": 1,
    }
    assert _n_params(small) < _n_params(create_model(name, num_classes=3))
    twin = create_model(name, **small.config)
    twin.load_state_dict(small.state_dict(), strict=True)
    assert small.head_drop.p == 0.2


@pytest.mark.parametrize("name", CNNS)
def test_dropout_only_in_training(name: str) -> None:
    net = create_model(name, num_classes=3, width=0.25, drop_rate=0.5)
    x = torch.randn(2, 1, 32, 32)
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(x), net(x), rtol=0, atol=0)
    feats = net.forward_features(x).detach()
    net.train()
    torch.manual_seed(0)
    a = net.forward_head(feats)
    torch.manual_seed(1)
    b = net.forward_head(feats)
    assert not torch.equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"num_classes": 0}, "num_classes"),
        ({"num_classes": 2.0}, "num_classes"),
        ({"in_chans": True}, "in_chans"),
        ({"drop_rate": 1.0}, "drop_rate"),
        ({"width": 0}, "width"),
        ({"width": float("nan")}, "width"),
        ({"stem_stride": 3}, "stem_stride"),
    ],
)
def test_invalid_configuration_is_refused(kwargs: dict[str, object], word: str) -> None:
    for name in CNNS:
        with pytest.raises(OncosigInputError, match=word):
            create_model(name, **kwargs)


def test_wrong_input_layout_is_refused_with_advice() -> None:
    net = create_model("mobilenetv2", num_classes=2, width=0.25)
    with pytest.raises(OncosigInputError, match=r"expects input of shape \(batch, 1,"):
        net(torch.randn(2, 3, 16, 16))
    with pytest.raises(OncosigInputError, match="expects input"):
        net(torch.randn(2, 16, 16))
    with pytest.raises(OncosigInputError, match="num_classes"):
        net.reset_classifier(0)


def test_make_divisible_follows_the_reference_rounding() -> None:
    assert make_divisible(32 * 1.0) == 32
    assert make_divisible(32 * 0.35) == 16
    assert make_divisible(24 * 0.5) == 16
    assert make_divisible(1280) == 1280
    assert make_divisible(96 * 0.75) == 72


def test_nasnet_cells_widths_and_resolutions() -> None:
    normal = NASNetCell("normal", in_ch=24, prev_ch=24, filters=8, prev_mode="conv")
    reduction = NASNetCell("reduction", in_ch=48, prev_ch=24, filters=8, prev_mode="conv")
    x = torch.randn(2, 24, 7, 7)
    assert normal(x, x).shape == (2, 48, 7, 7)
    assert reduction(torch.randn(2, 48, 7, 7), x).shape == (2, 32, 4, 4)
    # a normal cell after a reduction gets its earlier input at twice the resolution
    after = NASNetCell("normal", in_ch=32, prev_ch=48, filters=8, prev_mode="reduce")
    assert after(torch.randn(2, 32, 4, 4), torch.randn(2, 48, 7, 7)).shape == (2, 48, 4, 4)
    with pytest.raises(ValueError, match="kind"):
        NASNetCell("other", in_ch=8, prev_ch=8, filters=8, prev_mode="conv")


def test_factorized_reduction_uses_both_pixel_phases() -> None:
    red = FactorizedReduction(1, 2).eval()
    with torch.no_grad():
        red.conv1.weight.fill_(1.0)
        red.conv2.weight.fill_(1.0)
    x = torch.arange(1.0, 26.0).reshape(1, 1, 5, 5)
    with torch.no_grad():
        out = red(x)
    assert out.shape == (1, 2, 3, 3)
    scale = 1.0 / (1.0 + red.bn.eps) ** 0.5  # eval-mode BN with fresh statistics
    torch.testing.assert_close(out[0, 0] / scale, x[0, 0, ::2, ::2])
    shifted = torch.zeros(3, 3)
    shifted[:2, :2] = x[0, 0, 1::2, 1::2]
    torch.testing.assert_close(out[0, 1] / scale, shifted)
