"""Registry-wide contract: every registered network and every baseline behaves the same way.

The networks are taken from the registry, so a network added later is checked without
editing this file.  Inputs are one-channel grids: two sizes per task ("sample": GeneXNet-style
sample grids; "gene": DEGnext-style grids built from one gene's row), one of them small.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from oncosig._checkpoint import load_checkpoint, save_checkpoint, split_prefix
from oncosig.models import create_model, get_entry, list_models

NETWORKS = list_models(family="network")
BASELINES = list_models(family="baseline")
#: two grid sizes per task, the first one small
GRIDS: dict[str, tuple[tuple[int, int], ...]] = {
    "sample": ((32, 32), (57, 57)),
    "gene": ((5, 9), (11, 16)),
}
NUM_CLASSES = 3
BATCH = 2  # >= 2: BatchNorm in training mode


def _grids(name: str) -> tuple[tuple[int, int], ...]:
    task = get_entry(name).task
    if task not in GRIDS:
        pytest.fail(f"network '{name}' has task '{task}'; add its input grids to GRIDS")
    return GRIDS[task]


@pytest.fixture(scope="module")
def build() -> Iterator[Callable[[str], nn.Module]]:
    """``build(name)``: a fresh copy of the network, constructed once per module."""
    built: dict[str, nn.Module] = {}

    def _build(name: str) -> nn.Module:
        if name not in built:
            torch.manual_seed(0)
            net = create_model(name, num_classes=NUM_CLASSES)
            assert isinstance(net, nn.Module), f"{name} is registered as a network, not a Module"
            built[name] = net
        return copy.deepcopy(built[name])

    yield _build
    built.clear()


def _input(shape: tuple[int, int], seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(BATCH, 1, *shape, generator=gen)


def test_registry_lists_the_paper_networks() -> None:
    for name in ("resnet50v2", "densenet121", "mobilenetv2", "nasnet_mobile"):
        assert name in NETWORKS
    assert all(get_entry(n).family == "network" for n in NETWORKS)


@pytest.mark.parametrize("name", NETWORKS)
def test_output_shape_finite_and_gradients_reach_every_parameter(
    name: str, build: Callable[[str], nn.Module]
) -> None:
    net = build(name)
    net.train()
    for i, shape in enumerate(_grids(name)):
        net.zero_grad(set_to_none=True)
        x = _input(shape, seed=i).requires_grad_(True)
        out = net(x)
        assert out.shape == (BATCH, NUM_CLASSES), f"{name} on {shape}: {tuple(out.shape)}"
        assert torch.isfinite(out).all(), f"{name} on {shape}: non-finite logits"
        weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
        (out * weights).sum().backward()
        missing = [n for n, p in net.named_parameters() if p.requires_grad and p.grad is None]
        assert not missing, f"{name} on {shape}: no gradient reaches {missing[:5]}"
        bad = [
            n
            for n, p in net.named_parameters()
            if p.grad is not None and not torch.isfinite(p.grad).all()
        ]
        assert not bad, f"{name} on {shape}: non-finite gradients in {bad[:5]}"
        assert x.grad is not None and x.grad.abs().sum() > 0, (
            f"{name}: no gradient reaches the input"
        )


@pytest.mark.parametrize("name", NETWORKS)
def test_forward_equals_head_of_features(name: str, build: Callable[[str], nn.Module]) -> None:
    net = build(name).eval()
    x = _input(_grids(name)[0])
    with torch.no_grad():
        torch.testing.assert_close(net(x), net.forward_head(net.forward_features(x)))


@pytest.mark.parametrize("name", NETWORKS)
def test_reset_classifier_changes_width_and_keeps_features(
    name: str, build: Callable[[str], nn.Module]
) -> None:
    net = build(name).eval()
    x = _input(_grids(name)[0])
    with torch.no_grad():
        before = net.forward_features(x)
        net.reset_classifier(5)
        after = net.forward_features(x)
        out = net(x)
    assert out.shape == (BATCH, 5)
    torch.testing.assert_close(after, before, rtol=0, atol=0)
    # the config follows the new head, so a checkpoint written after fine-tuning rebuilds it
    rebuilt = create_model(name, **net.config)
    rebuilt.load_state_dict(net.state_dict(), strict=True)


@pytest.mark.parametrize("name", NETWORKS)
def test_checkpoint_round_trip(
    name: str, build: Callable[[str], nn.Module], tmp_path: Path
) -> None:
    net = build(name)
    x = _input(_grids(name)[0])
    net.train()
    with torch.no_grad():
        net(_input(_grids(name)[0], seed=3))  # move BatchNorm running statistics off their init
    net.eval()
    with torch.no_grad():
        expected = net(x)
    path = save_checkpoint(
        tmp_path / "net.safetensors",
        tensors={f"model.{k}": v for k, v in net.state_dict().items()},
        meta={"kind": "network", "name": name, "config": net.config},
    )
    tensors, meta = load_checkpoint(path, kind="network")
    assert meta["name"] == name
    assert meta["config"] == net.config
    loaded = create_model(meta["name"], **meta["config"])
    loaded.load_state_dict(split_prefix(tensors, "model"), strict=True)
    loaded.eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), expected)


@pytest.mark.parametrize("name", NETWORKS)
def test_cam_layer_is_a_submodule_with_a_feature_map(
    name: str, build: Callable[[str], nn.Module]
) -> None:
    net = build(name).eval()
    cam = net.cam_layer
    assert isinstance(cam, nn.Module)
    assert any(m is cam for m in net.modules()), f"{name}.cam_layer is not part of the network"
    seen: list[torch.Tensor] = []
    handle = cam.register_forward_hook(lambda _m, _i, out: seen.append(out))
    try:
        with torch.no_grad():
            net(_input(_grids(name)[0]))
    finally:
        handle.remove()
    assert len(seen) == 1, f"{name}.cam_layer ran {len(seen)} times in one forward pass"
    assert seen[0].ndim == 4 and seen[0].shape[0] == BATCH


def _three_class_problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 20)
    x = rng.normal(size=(y.size, 6))
    x[:, 0] += 3.0 * (y == 1)
    x[:, 1] += 3.0 * (y == 2)
    return x, y


@pytest.mark.parametrize("name", BASELINES)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_baseline_fit_predict_proba(name: str) -> None:
    x, y = _three_class_problem()
    est = create_model(name)
    est.fit(x, y)
    proba = np.asarray(est.predict_proba(x))
    assert proba.shape == (y.size, 3)
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    pred = np.asarray(est.predict(x))
    assert pred.shape == y.shape
    assert set(np.unique(pred)) <= {0, 1, 2}
    assert (pred == y).mean() > 0.6, f"{name} does not learn a well-separated 3-class problem"
