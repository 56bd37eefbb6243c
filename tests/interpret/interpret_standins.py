"""Tiny stand-ins honouring the network and GeneXNet estimator contracts (tests only)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

torch.set_num_threads(1)  # tiny tensors: threads only add contention on shared CI cores


class Block(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x)))


class TinyNet(nn.Module):
    """Stem -> block -> 2x2 pool -> block (cam_layer) -> GAP -> linear."""

    def __init__(self, num_classes: int = 3, width: int = 6) -> None:
        super().__init__()
        self.config = {"num_classes": num_classes, "width": width}
        self.features = nn.Sequential(Block(1, width), nn.MaxPool2d(2), Block(width, 2 * width))
        self.head = nn.Linear(2 * width, num_classes)

    @property
    def cam_layer(self) -> nn.Module:
        return self.features[-1]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward_head(self, f: torch.Tensor) -> torch.Tensor:
        return self.head(f.mean(dim=(2, 3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def reset_classifier(self, num_classes: int) -> None:
        self.head = nn.Linear(self.head.in_features, num_classes)


class Grid:
    """GeneGrid stand-in: genes laid out in a fixed shuffled order, zero-padded square."""

    def __init__(self, genes: list[str], seed: int = 0) -> None:
        self.genes = tuple(genes)
        self.side = math.ceil(math.sqrt(len(genes)))
        self.order = np.random.default_rng(seed).permutation(len(genes))

    @property
    def shape(self) -> tuple[int, int, int]:
        return (1, self.side, self.side)

    def pixel_genes(self) -> np.ndarray:
        out = np.full(self.side**2, -1, dtype=np.int64)
        out[: len(self.genes)] = self.order
        return out

    def to_image(self, x: np.ndarray) -> np.ndarray:
        flat = np.zeros((len(x), self.side**2), dtype=np.float32)
        flat[:, : len(self.genes)] = np.asarray(x)[:, self.order]
        return flat.reshape(len(x), 1, self.side, self.side)


class Estimator:
    """GeneXNet estimator stand-in: z-scores log1p values, lays them out, predicts."""

    def __init__(self, net: nn.Module, genes: list[str], classes: list[str]) -> None:
        self.network = net
        self.grid = Grid(genes)
        self.genes_ = list(genes)
        self.classes_ = np.asarray(classes)

    def prepare(self, adata: Any) -> torch.Tensor:
        x = np.log1p(np.asarray(adata[:, self.genes_].X, dtype=float))
        x = (x - x.mean(0)) / (x.std(0) + 1e-6)
        return torch.from_numpy(self.grid.to_image(x))

    def predict(self, adata: Any) -> np.ndarray:
        with torch.no_grad():
            self.network.eval()
            return self.classes_[self.network(self.prepare(adata)).argmax(1).numpy()]


def make_adata(n_per_class: int = 10, n_genes: int = 30, seed: int = 0) -> Any:
    """Counts with 3 classes; class c over-expresses genes 5c..5c+4."""
    import anndata as ad

    rng = np.random.default_rng(seed)
    classes = np.repeat(["A", "B", "C"], n_per_class)
    mu = np.full((len(classes), n_genes), 50.0)
    for c, name in enumerate(["A", "B", "C"]):
        mu[classes == name, 5 * c : 5 * c + 5] *= 8
    counts = rng.poisson(mu).astype(np.float32)
    genes = [f"ENSG{i:011d}" for i in range(n_genes)]
    obs = pd.DataFrame({"project": classes}, index=[f"s{i}" for i in range(len(classes))])
    return ad.AnnData(counts, obs=obs, var=pd.DataFrame(index=genes))


def train(est: Estimator, adata: Any, epochs: int = 40, seed: int = 0) -> Estimator:
    """Plain gradient descent (torch.optim would import torch._dynamo: seconds per test)."""
    torch.manual_seed(seed)
    x = est.prepare(adata)
    codes = pd.Categorical(adata.obs["project"], categories=est.classes_).codes
    y = torch.tensor(np.asarray(codes), dtype=torch.long)
    params = [p for p in est.network.parameters() if p.requires_grad]
    est.network.train()
    for _ in range(epochs):
        for p in params:
            p.grad = None
        nn.functional.cross_entropy(est.network(x), y).backward()
        with torch.no_grad():
            for p in params:
                p -= 0.2 * p.grad
    est.network.eval()
    return est
