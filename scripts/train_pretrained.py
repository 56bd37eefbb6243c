"""Rebuild the GeneXNet model shipped in ``src/oncosig/data/models/`` (deterministic).

Trains the ``compact`` GeneXNet preset on the embedded 7-cohort data
(``oncosig.datasets.tcga7()``, label ``project``) with seed 0 on one CPU thread, so that the
same oncosig/torch versions give the same weights, and writes
``src/oncosig/data/models/genexnet_tcga7.safetensors``.

    .venv/bin/python scripts/train_pretrained.py [--epochs N] [--out PATH]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from oncosig.datasets import tcga7
from oncosig.genexnet import PRETRAINED_PATH, GeneXNet, preset

REPO_PATH = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "oncosig"
    / "data"
    / "models"
    / PRETRAINED_PATH.name
)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--epochs", type=int, default=None, help="override the preset's max_epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=REPO_PATH)
    args = p.parse_args()
    torch.set_num_threads(1)  # bitwise-reproducible CPU kernels
    config = preset("compact", accelerator="cpu", seed=args.seed, val_size=0.15)
    if args.epochs is not None:
        config["max_epochs"] = args.epochs
    t0 = time.perf_counter()
    adata = tcga7()
    model = GeneXNet(**config).fit(adata, label_key="project")
    model.training_["recipe"] = {
        "script": "scripts/train_pretrained.py",
        "data": "oncosig.datasets.tcga7()",
        "label": "project",
        "config": config,
    }
    path = model.save(args.out, overwrite=True)
    size = path.stat().st_size / 1e6
    print(
        f"wrote {path} ({size:.2f} MB, {len(model.genes_)} genes, classes {model.classes_}) in {time.perf_counter() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
