"""Train a tiny GeneXNet with 1 process or with 2 DDP processes (gloo, CPU); run as a script.

    python ddp_train.py OUT_DIR DEVICES [STORE.h5ad]

Lightning's ``strategy="ddp"`` re-launches this script once per extra process, so every
process regenerates the same seeded data.  Each process writes ``OUT_DIR/rank<r>.json``
(its global rank, the world size and, on rank 0, the held-out accuracy).  With a STORE the
training data are streamed from that on-disk store (written beforehand by the test).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from anndata import AnnData

N_GENES = 64
SEED = 7


def make_data(n: int, seed: int) -> AnnData:
    """Two classes separated by 12 genes shifted 7-fold up or down (log-normal counts)."""
    rng = np.random.default_rng(seed)
    base = np.random.default_rng(0).normal(4.0, 1.0, size=N_GENES)
    y = np.arange(n) % 2
    shift = np.zeros((2, N_GENES))
    shift[1, :6] = 2.0
    shift[1, 6:12] = -2.0
    counts = np.floor(np.exp(base + shift[y] + rng.normal(0, 0.3, size=(n, N_GENES))))
    obs = pd.DataFrame(
        {"label": np.where(y == 1, "tumor", "normal")},
        index=[f"s{seed}_{i}" for i in range(n)],
    )
    ad = AnnData(
        X=counts.astype(np.float32),
        obs=obs,
        var=pd.DataFrame(index=[f"ENSG{i:011d}" for i in range(N_GENES)]),
    )
    ad.layers["counts"] = counts.astype(np.float32)
    return ad


def main() -> None:
    out, devices = Path(sys.argv[1]), int(sys.argv[2])
    store = sys.argv[3] if len(sys.argv) > 3 else None
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    from oncosig.genexnet import GeneXNet

    model = GeneXNet(
        growth_rate=4,
        theta_d=0.25,
        theta_r=0.25,
        depth=1,
        stem_stride=1,
        gene_order="given",
        lr=1e-2,
        batch_size=16,
        max_epochs=15,
        patience=15,
        val_size=0.0,
        seed=SEED,
        accelerator="cpu",
        devices=devices,
        strategy="ddp" if devices > 1 else "auto",
    )
    model.fit(store if store else make_data(128, seed=1), label_key="label")
    fit = model.training_["fit"]
    rec = {"rank": fit["global_rank"], "world_size": fit["world_size"], "epochs": fit["epochs"]}
    if fit["global_rank"] == 0:
        test = make_data(200, seed=2)
        rec["accuracy"] = float((model.predict(test) == test.obs["label"].to_numpy()).mean())
    out.mkdir(parents=True, exist_ok=True)
    (out / f"rank{fit['global_rank']}.json").write_text(json.dumps(rec))


if __name__ == "__main__":
    main()
