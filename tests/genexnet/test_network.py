"""The GeneXNet network: shapes on any grid, gradients, learning, registry contract."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from oncosig.models import create_model, list_models
from oncosig.models.networks._genexnet import GeneXNetBlock, GeneXNetNetwork

torch.set_num_threads(1)


@pytest.mark.parametrize("side", [1, 2, 3, 5, 8, 17])
@pytest.mark.parametrize(("theta_d", "theta_r"), [(1.0, 1.0), (0.25, 0.5), (0.0, 1.0), (1.0, 0.0)])
def test_builds_and_runs_on_any_grid(side: int, theta_d: float, theta_r: float) -> None:
    net = GeneXNetNetwork(5, growth_rate=4, theta_d=theta_d, theta_r=theta_r, depth=4)
    net.eval()
    out = net(torch.randn(3, 1, side, side))
    assert out.shape == (3, 5)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("stem_stride", [1, 2, 4])
def test_stems_and_depths(stem_stride: int) -> None:
    for depth in (1, 2, 3, 4):
        net = GeneXNetNetwork(
            2, growth_rate=4, theta_d=0.25, theta_r=0.25, depth=depth, stem_stride=stem_stride
        )
        assert net(torch.randn(2, 1, 11, 11)).shape == (2, 2)
        assert len(net.blocks) == depth


def test_theta_controls_sub_blocks() -> None:
    full = GeneXNetNetwork(3, growth_rate=4)
    quarter = GeneXNetNetwork(3, growth_rate=4, theta_d=0.25, theta_r=0.25)
    assert [len(b.dense.layers) for b in full.blocks] == [6, 12, 24, 16]
    assert [len(b.residual) for b in full.blocks] == [3, 4, 6, 3]
    assert [len(b.dense.layers) for b in quarter.blocks] == [2, 3, 6, 4]
    assert [len(b.residual) for b in quarter.blocks] == [1, 1, 2, 1]
    none = GeneXNetNetwork(3, growth_rate=4, theta_d=0.0, theta_r=0.0, depth=2)
    assert all(len(b.dense.layers) == 0 and len(b.residual) == 0 for b in none.blocks)
    # θk = 64 doubles the growth of every dense layer
    wide = GeneXNetNetwork(3, growth_rate=64, theta_d=0.25, theta_r=0.25, depth=1)
    assert wide.blocks[0].out_channels == 128 + 2 * 64


def test_invalid_config_is_refused() -> None:
    with pytest.raises(ValueError, match="theta_d"):
        GeneXNetNetwork(3, theta_d=1.5)
    with pytest.raises(ValueError, match="depth"):
        GeneXNetNetwork(3, depth=5)
    with pytest.raises(ValueError, match="stem_stride"):
        GeneXNetNetwork(3, stem_stride=3)


def test_gradients_reach_every_parameter() -> None:
    torch.manual_seed(0)
    net = GeneXNetNetwork(4, growth_rate=4, theta_d=0.25, theta_r=0.5, depth=3)
    loss = nn.functional.cross_entropy(net(torch.randn(4, 1, 9, 9)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert p.grad.abs().sum() > 0, name


def test_loss_falls_on_a_small_batch() -> None:
    torch.manual_seed(0)
    net = GeneXNetNetwork(3, growth_rate=4, theta_d=0.25, theta_r=0.25, depth=2)
    x = torch.randn(12, 1, 8, 8)
    y = torch.arange(12) % 3
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    first = None
    for _ in range(30):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        first = float(loss.detach()) if first is None else first
    assert float(loss.detach()) < 0.5 * first


def test_contract_and_registry() -> None:
    assert "genexnet" in list_models(family="network", task="sample")
    net = create_model(
        "genexnet", num_classes=3, in_chans=1, growth_rate=4, theta_d=0.25, theta_r=0.25, depth=2
    )
    assert isinstance(net, GeneXNetNetwork)
    assert isinstance(net.cam_layer, GeneXNetBlock) and net.cam_layer is net.blocks[-1]
    x = torch.randn(2, 1, 6, 6)
    feats = net.forward_features(x)
    assert feats.ndim == 4 and feats.shape[1] == net.num_features
    assert torch.allclose(net.forward_head(feats), net(x))
    net.reset_classifier(5)
    assert net(x).shape == (2, 5) and net.config["num_classes"] == 5
    rebuilt = create_model("genexnet", **net.config)
    rebuilt.load_state_dict(net.state_dict())
    net.eval()
    rebuilt.eval()
    assert torch.equal(net(x), rebuilt(x))


def test_gene_embedding_is_position_aware_and_checks_the_grid() -> None:
    torch.manual_seed(0)
    net = GeneXNetNetwork(
        3, growth_rate=4, theta_d=0.25, theta_r=0.25, depth=2, gene_embedding=4, grid_side=6
    )
    x = torch.randn(5, 1, 6, 6)
    out = net(x)
    assert out.shape == (5, 3) and torch.isfinite(out).all()
    out.sum().backward()
    for name, p in net.named_parameters():
        if name.startswith("head") or "embedding" in name:
            assert p.grad is not None and p.grad.abs().sum() > 0, name
    # per-pixel weights: the same value at two different pixels gives different channels
    emb = net.embedding(
        torch.zeros(1, 1, 6, 6).index_put_(
            (torch.tensor([0]),) * 2 + (torch.tensor([1]), torch.tensor([2])), torch.tensor([1.0])
        )
    )
    other = net.embedding(
        torch.zeros(1, 1, 6, 6).index_put_(
            (torch.tensor([0]),) * 2 + (torch.tensor([4]), torch.tensor([3])), torch.tensor([1.0])
        )
    )
    assert not torch.allclose(emb[0, :, 1, 2], other[0, :, 4, 3])
    with pytest.raises(ValueError, match="6 x 6 gene grid"):
        net(torch.randn(2, 1, 7, 7))
    with pytest.raises(ValueError, match="grid_side"):
        GeneXNetNetwork(3, gene_embedding=4)
    assert net.config["gene_embedding"] == 4 and net.config["grid_side"] == 6
    rebuilt = create_model("genexnet", **net.config)
    rebuilt.load_state_dict(net.state_dict())
    net.eval(), rebuilt.eval()
    torch.testing.assert_close(rebuilt(x), net(x))
