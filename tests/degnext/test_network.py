"""DEGnext network: grid, shapes for any n, contract, gradients."""

from __future__ import annotations

import math

import pytest
import torch

from oncosig.models import create_model
from oncosig.models.networks._degnext import DEGnextNet, degnext_grid, rows_to_grid

FAST = {"widths": (4, 4, 8, 8, 8, 8, 16, 16), "hidden": (16, 8)}


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (176, (16, 11, 176)),
        (433, (31, 14, 434)),
        (7, (4, 2, 8)),
        (1, (1, 1, 1)),
        (2, (3, 1, 3)),
        (100, (10, 10, 100)),
    ],
)
def test_grid_matches_the_published_rule(n: int, expected: tuple[int, int, int]) -> None:
    assert degnext_grid(n) == expected


@pytest.mark.parametrize("n", range(1, 60))
def test_grid_width_is_largest_divisor_below_sqrt(n: int) -> None:
    h, w, m = degnext_grid(n)
    assert h * w == m and m in (n, n + 1) and w <= math.isqrt(m)
    assert all(m % d for d in range(w + 1, math.isqrt(m) + 1))


def test_grid_rejects_empty_rows() -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        degnext_grid(0)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 13, 45, 97, 176])
@pytest.mark.parametrize("num_classes", [3, 1])
def test_forward_shapes_for_any_n(n: int, num_classes: int) -> None:
    net = DEGnextNet(num_classes=num_classes, **FAST)
    out = net(torch.randn(4, n))
    assert out.shape == (4, num_classes)
    assert torch.isfinite(out).all()


def test_published_network_builds_and_zero_pads_primes() -> None:
    net = create_model("degnext")
    assert net.config["widths"] == [6, 12, 24, 48, 64, 102, 164, 256]
    x = torch.randn(2, 173)  # prime: one zero appended -> 174 = 29 x 6
    g = rows_to_grid(x)
    assert g.shape == (2, 1, 29, 6) and torch.all(g.flatten(1)[:, -1] == 0)
    assert net(x).shape == (2, 3)
    feats = net.forward_features(x)
    assert feats.shape[1] == 256
    assert net.forward_head(feats, pre_logits=True).shape == (2, 8)


def test_contract_reset_classifier_and_cam_layer() -> None:
    net = create_model("degnext_fast", num_classes=3)
    assert net.cam_layer is net.block4
    net.reset_classifier(1)
    assert net.config["num_classes"] == 1 and net(torch.randn(3, 30)).shape == (3, 1)
    rebuilt = create_model("degnext_fast", **net.config)
    assert rebuilt.config == net.config
    assert "cam_layer" not in dict(net.named_modules())  # no duplicated weights in state_dict


def test_gradients_reach_every_parameter() -> None:
    torch.manual_seed(0)
    net = DEGnextNet(num_classes=3, **FAST)
    loss = torch.nn.functional.cross_entropy(net(torch.randn(16, 45)), torch.randint(0, 3, (16,)))
    loss.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError, match="8 positive"):
        DEGnextNet(widths=(1, 2, 3))
    with pytest.raises(ValueError, match="batch, n"):
        DEGnextNet(**FAST)(torch.randn(2, 3, 4))


@pytest.mark.parametrize("pool_block", [1, 2, 3, 4])
@pytest.mark.parametrize("n", [1, 2, 13, 45, 176, 519])
def test_pool_block_builds_for_any_n(pool_block: int, n: int) -> None:
    net = DEGnextNet(num_classes=3, pool_block=pool_block, **FAST)
    assert net(torch.randn(2, n)).shape == (2, 3)
    assert net.config["pool_block"] == pool_block
    rebuilt = DEGnextNet(**net.config)
    rebuilt.load_state_dict(net.state_dict())  # same parameter names wherever the pool sits


def test_fast_network_is_lean_and_published_pools_last() -> None:
    fast, pub = create_model("degnext_fast"), create_model("degnext")
    assert fast.config["pool_block"] == 2 and pub.config["pool_block"] == 4
    n_fast = sum(p.numel() for p in fast.parameters())
    n_pub = sum(p.numel() for p in pub.parameters())
    assert n_fast * 10 < n_pub
    assert isinstance(pub.block4[2], torch.nn.MaxPool2d)
    with pytest.raises(ValueError, match="pool_block"):
        DEGnextNet(pool_block=5)


@pytest.mark.parametrize("num_classes", [3, 1])
def test_symmetric_prediction_is_antisymmetric_in_eval_mode(num_classes: int) -> None:
    torch.manual_seed(0)
    net = DEGnextNet(num_classes=num_classes, symmetric=True, **FAST).eval()
    x = torch.randn(5, 45)
    a, b = net(x), net(-x)
    if num_classes == 1:
        assert torch.allclose(a, -b, atol=1e-6)
    else:
        assert torch.allclose(a[:, [1, 0, 2]], b, atol=1e-6)  # DR <-> UR, neutral unchanged
    net.train()
    assert not torch.allclose(net(x)[:, 0], -net(-x)[:, 0])  # training sees x only
    assert create_model("degnext_fast").config["symmetric"] is False
    assert create_model("degnext").config["symmetric"] is False
