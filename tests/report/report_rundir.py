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


# DEGnext layout: cohort -> (n_normal, n_tumour) as in the DEGnext table (read_degnext checks it)
DEGNEXT_SIZES = {"TCGA-CHOL": (9, 36), "TCGA-READ": (10, 166)}
DEGNEXT_STEMS = {
    "T1": "non_bio_train",
    "T2": "non_bio_test",
    "F1": "bio_fine_tune",
    "T3": "bio_test",
}


def write_degnext_cohort(
    folder: Path, cohort: str, *, genes: dict[str, int], seed: int = 0, lfc: float = 2.0
) -> Path:
    """A tiny DEGnext-layout cohort: DR genes drop by ``lfc`` log2 units in tumours, UR rise."""
    import gzip

    rng = np.random.default_rng(seed)
    n_normal, n_tumor = DEGNEXT_SIZES[cohort]
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in genes.items():
        y = np.resize(np.array([0, 1] if split in ("F1", "T3") else [0, 1, 2]), n)
        rng.shuffle(y)
        base = rng.uniform(3, 9, size=(n, 1))
        shift = np.where(y == 0, -lfc, np.where(y == 1, lfc, 0.0))[:, None]
        mu = 2.0 ** np.concatenate(
            [np.repeat(base, n_normal, axis=1), np.repeat(base + shift, n_tumor, axis=1)], axis=1
        )
        x = rng.poisson(mu * rng.gamma(10.0, 0.1, size=mu.shape)).astype(np.int64)
        with gzip.open(folder / f"{cohort}_{DEGNEXT_STEMS[split]}.csv.gz", "wt") as fh:
            np.savetxt(fh, x, delimiter=",", fmt="%d")
        np.savetxt(folder / f"{cohort}_{DEGNEXT_STEMS[split]}_label.txt", y, fmt="%d")
    return folder


def make_cv_run_dir(root: Path, seed: int = 0) -> Path:
    """A cross-validation run laid out as ``oncosig demo`` writes it (2 models, 3 folds)."""
    rng = np.random.default_rng(seed)
    classes = ["TCGA-ACC", "TCGA-KICH", "TCGA-UVM"]
    samples = [f"TCGA-AA-{i:04d}-01A" for i in range(30)]
    labels = np.resize(classes, 30)
    folds = np.resize([0, 1, 2], 30)
    (root / "predictions").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {"sample": samples, "fold": folds, "label": labels, "group": [s[:12] for s in samples]}
    ).to_csv(root / "splits.tsv", sep="\t", index=False)
    rows = []
    for model, skill in (("logreg", 3.0), ("genexnet", 0.15)):
        for k in range(3):
            idx = np.flatnonzero(folds == k)
            proba = rng.dirichlet([1, 1, 1], len(idx))
            proba[np.arange(len(idx)), [classes.index(c) for c in labels[idx]]] += skill
            proba /= proba.sum(1, keepdims=True)
            pred = pd.DataFrame(proba, columns=classes)
            pred.insert(0, "prediction", np.array(classes)[proba.argmax(1)])
            pred.insert(0, "true", labels[idx])
            pred.insert(0, "sample", [samples[i] for i in idx])
            pred.insert(0, "fold", k)
            pred.insert(0, "model", model)
            if model == "genexnet":  # a network's review flags, as cross_validate writes them
                pred["max_probability"] = proba.max(1)
                pred["nearest_class"] = pred["true"]
                pred["review"] = pred["max_probability"] < 0.5
            pred.to_csv(root / "predictions" / f"{model}_fold{k}.tsv", sep="\t", index=False)
            acc = float((pred["prediction"] == pred["true"]).mean())
            rows.append({"model": model, "fold": k, "n": len(idx), "accuracy": acc})
    folds_df = pd.DataFrame(rows)
    folds_df["macro_f1"] = folds_df["accuracy"] - 0.01
    folds_df.to_csv(root / "cv_metrics.tsv", sep="\t", index=False)
    folds_df.to_csv(root / "metrics.csv", index=False)  # the demo writes both
    summary = folds_df.groupby("model", sort=False)[["accuracy", "macro_f1"]].agg(["mean", "std"])
    summary.columns = [f"{m}_{s}" for m, s in summary.columns]
    summary.to_csv(root / "summary.csv")
    (root / "run.json").write_text(
        json.dumps(
            {
                "command": "oncosig demo",
                "config": {"folds": 3, "label": "project"},
                "seed": seed,
                "n_samples": 30,
                "n_genes": 500,
            }
        )
    )
    return root
