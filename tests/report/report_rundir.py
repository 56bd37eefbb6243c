"""A small synthetic GeneXNet-style run directory for the report tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd


def make_run_dir(root: Path, seed: int = 0) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from oncosig import pl
    from oncosig.enrich import load_library

    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    classes = ["ACC", "CHOL", "KICH"]
    (root / "run.json").write_text(
        json.dumps(
            {
                "command": "genexnet train",
                "config": {"epochs": 3, "optimizer": "adam", "grid": {"side": 12}},
                "seed": 0,
                "time_utc": "2024-01-01T00:00:00+00:00",
                "versions": {"oncosig": "0.1.0"},
                "metrics": {"accuracy": 0.9, "macro_f1": 0.88},
            }
        )
    )
    y = rng.choice(classes, 40)
    proba = rng.dirichlet([1, 1, 1], 40)
    for i, c in enumerate(y):
        proba[i, classes.index(c)] += 1.5
    proba /= proba.sum(1, keepdims=True)
    pred = pd.DataFrame(proba, columns=classes, index=[f"TCGA-{i:02d}" for i in range(40)])
    pred.insert(0, "prediction", np.array(classes)[proba.argmax(1)])
    pred.insert(0, "true", y)
    pred.to_csv(root / "predictions.csv")
    pd.DataFrame(
        {
            "epoch": np.repeat(np.arange(5), 2),
            "train_loss": np.where(np.arange(10) % 2 == 0, np.linspace(1, 0.2, 10), np.nan),
            "val_loss": np.where(np.arange(10) % 2 == 1, np.linspace(1.1, 0.3, 10), np.nan),
            "val_acc": np.where(np.arange(10) % 2 == 1, np.linspace(0.4, 0.9, 10), np.nan),
        }
    ).to_csv(root / "metrics.csv", index=False)
    pd.DataFrame(
        {"fold": [0, 1, 2], "accuracy": [0.9, 0.92, 0.88], "macro_f1": [0.9, 0.9, 0.85]}
    ).to_csv(root / "cv_results.csv", index=False)
    hallmark = load_library("hallmark").to_dict()
    rows = []
    for cls, term in zip(
        classes,
        ["HALLMARK_P53_PATHWAY", "HALLMARK_HYPOXIA", "HALLMARK_G2M_CHECKPOINT"],
        strict=True,
    ):
        for r, g in enumerate(hallmark[term][:50], 1):
            rows.append((cls, r, g, round(1 - r / 60, 3), 1.0 / r, 12))
    pd.DataFrame(
        rows, columns=["class", "rank", "gene", "share", "mean_score", "n_samples"]
    ).to_csv(root / "top_genes.csv", index=False)
    pd.DataFrame({"gene": ["TP53"], "n_classes": [2], "classes": ["ACC;KICH"]}).to_csv(
        root / "common_genes.csv", index=False
    )
    lfc = rng.normal(0, 2, 300)
    p = np.clip(np.exp(-np.abs(lfc) * 2), 1e-30, 1)
    pd.DataFrame(
        {"logFC": lfc, "logCPM": rng.uniform(0, 12, 300), "PValue": p, "FDR": np.minimum(p * 3, 1)},
        index=[f"G{i}" for i in range(300)],
    ).to_csv(root / "de_ACC_vs_rest.tsv", sep="\t")
    sub = root / "figures"
    sub.mkdir(exist_ok=True)
    pl.savefig(pl.confusion_matrix(y, pred["prediction"]), sub / "confusion.png")
    (root / "broken.csv").write_bytes(b"\xff\xfe\x00garbage\x00")
    (root / "model.safetensors").write_bytes(b"\0" * 16)
    return root
