"""How well do GeneXNet's review flags single out its errors on the 7-cohort CV?

``GeneXNet.predict_review`` (and ``oncosig genexnet predict``'s ``review`` column) flags a
sample when its predicted class has a probability below 0.5, or when its scaled profile
correlates better with another class's mean training profile than with that of its
predicted class.  This script cross-validates presets ``standard`` and ``standard-rank``
with several seeds on the 5 folds (shuffle seed 0) of ``genexnet_bench.py`` and, for every
fold, rebuilds the class centroids as ``GeneXNet.fit`` keeps them (the training fold's
gene filter, scaler and class means, through the library's own functions) to flag the
out-of-fold predictions.  It reports how many samples are flagged, how many of the errors
they hold and the accuracy with and without them.  Writes
``benchmarks/results/genexnet_review.md`` and prints it.

    python benchmarks/genexnet_review.py --resume            # seeds 0-9, cached folds: ~1 min

GeneXNet folds are cached under the seed study's names in ``.bench-cache/cv7_seeds_5f``
(training them all afresh takes about 2 hours on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genexnet_data as data
from bench_report import report_header, wall_time_line, write_report
from genexnet_seeds import seed_study_cv

OUT = Path(__file__).resolve().parent / "results" / "genexnet_review.md"
#: GeneXNet configurations (label -> preset), cached under the seed study's names
CONFIGS = {"genexnet_4096": "standard", "genexnet_4096_rank": "standard-rank"}
ENSEMBLE_SIZE = 5


def fold_correlations(
    counts: np.ndarray, labels: np.ndarray, folds: np.ndarray, settings: dict
) -> np.ndarray:
    """Out-of-fold correlation of every sample with each training class centroid.

    For each fold, the gene filter and scaler are fitted on the other folds with the
    preset's settings and the centroids are the training classes' mean scaled inputs, as
    :meth:`GeneXNet.fit` keeps them.  Returns ``(n_samples, n_classes)`` (sorted classes).
    """
    from oncosig.genexnet import GeneGrid
    from oncosig.genexnet._prep import LogCPMScaler, select_genes
    from oncosig.genexnet._review import centroid_correlations, class_centroids

    classes = sorted(set(labels))
    y = np.asarray([classes.index(v) for v in labels])
    out = np.full((len(labels), len(classes)), np.nan)
    for f in np.unique(folds):
        tr, te = folds != f, folds == f
        keep = select_genes(
            counts[tr], min_detected=settings["min_detected"], max_genes=settings["max_genes"]
        )
        scaler = LogCPMScaler(
            prior_count=settings["prior_count"], method=settings["normalization"]
        ).fit(counts[tr][:, keep])
        grid = GeneGrid.from_genes([str(i) for i in keep], order="given")
        images = torch.from_numpy(grid.to_image(scaler.transform(counts[tr][:, keep])))
        centroids = class_centroids(images, y[tr], len(classes), grid)
        out[te] = centroid_correlations(scaler.transform(counts[te][:, keep]), centroids)
    return out


def flag_row(name: str, proba: np.ndarray, truth: np.ndarray, corr: np.ndarray) -> dict:
    """Flags of one set of out-of-fold predictions, summarised."""
    from oncosig.genexnet._metrics import prediction_table
    from oncosig.genexnet._review import review_summary, review_table

    classes = sorted(set(truth))
    index = [str(i) for i in range(len(truth))]
    table = pd.concat(
        [prediction_table(proba, index, classes), review_table(proba, corr, classes, index)],
        axis=1,
    )
    s = review_summary(truth, table)
    wrong = table["prediction"].to_numpy() != truth
    pred = table["prediction"].to_numpy()
    return {
        "run": name,
        "errors": s["errors"],
        "flagged": s["flagged"],
        "errors flagged": s["errors_flagged"],
        "by probability": int((wrong & (table["max_probability"].to_numpy() < 0.5)).sum()),
        "by centroid": int((wrong & (table["nearest_class"].to_numpy() != pred)).sum()),
        "accuracy unflagged": s["accuracy_unflagged"],
        "accuracy flagged": s["accuracy_flagged"],
    }


def run(args: argparse.Namespace) -> list[str]:
    """Cross-validate (or read back) the seeds, flag their predictions; the report lines."""
    from oncosig.genexnet import preset

    adata = data.tcga7()
    t0 = time.perf_counter()
    models = [
        (f"{label}_s{seed}", "genexnet", preset(name, accelerator="cpu", seed=seed))
        for label, name in CONFIGS.items()
        for seed in args.seeds
    ]
    cv = seed_study_cv(adata, models, resume=args.resume)
    samples = adata.obs_names
    counts = np.asarray(adata.layers["counts"], dtype=np.float64)
    labels = adata.obs["project"].to_numpy(str)
    folds = cv.folds["fold"].reindex(samples).to_numpy()
    classes = sorted(set(labels))
    rows = []
    for label, name in CONFIGS.items():
        s = preset(name)
        settings = {
            "min_detected": s.get("min_detected", 0.1),
            "max_genes": s["max_genes"],
            "prior_count": s.get("prior_count", 1.0),
            "normalization": s.get("normalization", "log-cpm"),
        }
        corr = fold_correlations(counts, labels, folds, settings)
        probas = []
        for seed in args.seeds:
            df = cv.predictions[cv.predictions["model"] == f"{label}_s{seed}"]
            df = df.set_index("sample").reindex(samples)
            probas.append(df[classes].to_numpy(float))
            rows.append(flag_row(f"{label} seed {seed}", probas[-1], labels, corr))
        for i in range(0, len(probas) - ENSEMBLE_SIZE + 1, ENSEMBLE_SIZE):
            seeds = args.seeds[i : i + ENSEMBLE_SIZE]
            rows.append(
                flag_row(
                    f"{label} ensemble of seeds {seeds[0]}-{seeds[-1]}",
                    np.mean(probas[i : i + ENSEMBLE_SIZE], axis=0),
                    labels,
                    corr,
                )
            )
    table = pd.DataFrame(rows)
    single = table[table["run"].str.contains("seed ") & ~table["run"].str.contains("ensemble")]
    lines = [
        "## Review flags on GeneXNet's out-of-fold predictions (7-cohort CV, 5 folds)",
        "",
        f"{len(samples)} samples; presets `standard` (`genexnet_4096`) and `standard-rank` "
        f"(`genexnet_4096_rank`), seeds {args.seeds[0]}-{args.seeds[-1]}, the seed study's "
        "folds. A prediction is flagged (`review`) when its probability is below 0.5 or when "
        "the sample correlates better with another class's centroid (mean scaled input of the "
        "training fold's samples of that class, over the model's genes) than with the "
        "predicted class's. Accuracy with and without the flagged samples is over each run's "
        "384 predictions.",
        "",
        "| run | errors | flagged | errors among flagged | of them by probability | "
        "by centroid | accuracy unflagged | accuracy flagged |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | "
            f"{100 * r[6]:.1f} % | {100 * r[7]:.1f} % |"
        )
    caught = single["errors flagged"].sum() / max(single["errors"].sum(), 1)
    lines += [
        "",
        f"Single models: {single['flagged'].mean():.1f} of {len(samples)} samples flagged on "
        f"average ({100 * single['flagged'].mean() / len(samples):.1f} %), holding "
        f"{100 * caught:.0f} % of the errors ({single['errors flagged'].sum()} of "
        f"{single['errors'].sum()}); accuracy on the unflagged samples "
        f"{100 * single['accuracy unflagged'].mean():.1f} % against "
        f"{100 * single['accuracy flagged'].mean():.1f} % on the flagged ones (means over runs).",
        "",
        wall_time_line(t0),
    ]
    return lines


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--seeds", default="0,1,2,3,4,5,6,7,8,9", help="training seeds (comma-separated)"
    )
    p.add_argument("--resume", action="store_true", help="read cached folds back")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",") if s]
    torch.set_num_threads(2)
    report = [*report_header("GeneXNet review flags", __file__, argv), *run(args)]
    write_report(args.out, report)


if __name__ == "__main__":
    main()
