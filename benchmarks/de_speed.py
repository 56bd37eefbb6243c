"""Speed and agreement of the edger-lrt engine against R on 20,000 genes x 600 samples.

Runs oncosig's edgeR glmLRT recipe (GLM common + tagwise dispersion, glmFit, glmLRT) on
``r-reference/synthetic_20000_x_600_counts.tsv.gz`` (100 normal + 500 tumour), compares
the calls at FDR 0.01 with R's output from the same folder, and prints our time beside
R's (``synthetic_20000_R_timings.tsv``, edgeR 3.40.2 on a 2-core machine), the speed-up,
CPU time and peak memory.  The results are also written as a markdown section to
``benchmarks/results/de_speed.md``.

It then times the other recipes of ``oncosig.de.differential_expression`` on the same
matrix (``--recipes``, default ``edger-ql,deseq2``) beside R's timings of the same steps
(``TMM_QL``: calcNormFactors + estimateDisp + glmQLFit + glmQLFTest; ``DESeq2_Wald``: DESeq +
results).  R wrote no results for these on the synthetic data, so only time is compared
(agreement with R for every recipe is tested on CHOL and KICH in tests/de).

Usage::

    python benchmarks/de_speed.py [--shared ../shared/data] [--threads N] [--recipes LIST]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
FDR = 0.01


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--threads", type=int, default=None, help="threads for the engine")
    parser.add_argument(
        "--recipes",
        default="edger-ql,deseq2",
        help="other recipes to time on the same matrix ('' for none)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/de_speed.md")
    args = parser.parse_args(argv)

    from oncosig._atomic import write_text
    from oncosig.de import _nbcore
    from oncosig.de._fdr import bh_fdr
    from oncosig.de._glm import glm_lrt_pipeline

    if args.threads is not None:
        _nbcore.N_THREADS = max(1, args.threads)
    ref_dir = args.shared / "r-reference"
    counts_path = ref_dir / "synthetic_20000_x_600_counts.tsv.gz"
    if not counts_path.is_file():
        print(f"error: {counts_path} not found (pass --shared)", file=sys.stderr)
        return 2
    t_read = time.perf_counter()
    counts = pd.read_csv(counts_path, sep="\t", index_col=0)
    t_read = time.perf_counter() - t_read
    y = counts.to_numpy(dtype=np.float64)
    group = np.r_[np.zeros(100, dtype=int), np.ones(counts.shape[1] - 100, dtype=int)]
    lib = y.sum(axis=0)

    rss_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    log_fc, _log_cpm, _lr, pval, _tagwise, common = glm_lrt_pipeline(y, lib, group)
    fdr = bh_fdr(pval)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    rss_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    ref = pd.read_csv(
        ref_dir / "synthetic_20000_edgeR_glmLRT_tagwise.tsv.gz", sep="\t", index_col=0
    )
    ref = ref.reindex(counts.index)
    ours_call = (fdr < FDR) & np.isfinite(fdr)
    ref_call = (ref["FDR"] < FDR).to_numpy()
    agree = float(np.mean(ours_call == ref_call))
    both_up = int(np.sum(ours_call & ref_call & (log_fc > 0)))
    max_dfc = float(np.max(np.abs(log_fc - ref["logFC"].to_numpy())))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_p = np.abs(pval - ref["PValue"].to_numpy()) / ref["PValue"].to_numpy()
    rel_p = np.where((pval < 1e-300) & (ref["PValue"].to_numpy() < 1e-300), 0.0, rel_p)
    timings = pd.read_csv(ref_dir / "synthetic_20000_R_timings.tsv", sep="\t")
    r_seconds = float(timings.set_index("step").loc["glmLRT_tagwise", "seconds"])
    speedup = r_seconds / seconds
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    lines = [
        "## Differential expression speed: edger-lrt on 20,000 genes x 600 samples",
        "",
        f"Command: `python benchmarks/de_speed.py` (input read in {t_read:.1f} s, not timed).",
        "",
        "| | oncosig | R edgeR 3.40.2 |",
        "|---|---|---|",
        f"| wall time (s) | {seconds:.2f} | {r_seconds:.1f} |",
        f"| speed-up | {speedup:.1f}x | 1x |",
        f"| CPU time, all threads (s) | {cpu:.2f} | |",
        f"| common dispersion | {common:.6f} | |",
        "",
        f"- calls at FDR {FDR}: {agree:.4%} identical to R "
        f"({int(ours_call.sum())} ours, {int(ref_call.sum())} R, {both_up} up in both)",
        f"- max |logFC - R| = {max_dfc:.2e}; max relative p-value difference = "
        f"{np.nanmax(rel_p):.2e}",
        f"- peak memory (resource.getrusage): {rss_peak_mb:.0f} MiB peak RSS of the process, "
        f"{rss_peak_mb - rss_before_mb:.0f} MiB above the peak before the run (input table "
        "and pandas reading included in the former)",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPU(s), engine threads "
        f"{_nbcore.N_THREADS}, 1-min load average at the end {load:.1f} "
        "(R's time was taken on an idle 2-core machine)",
        f"- goal >= 10x faster than R: {'met' if speedup >= 10 else 'not met'} in this run",
        "",
    ]
    recipes = [r for r in args.recipes.split(",") if r]
    if recipes:
        lines += _other_recipes(counts, group, timings.set_index("step")["seconds"], recipes)
    text = "\n".join(lines)
    print(text)
    write_text(args.out, text)
    return 0 if agree >= 0.995 else 1


R_STEP = {"edger-ql": "TMM_QL", "deseq2": "DESeq2_Wald", "edger-lrt": "glmLRT_tagwise"}


def _other_recipes(
    counts: pd.DataFrame, group: np.ndarray, r_seconds: pd.Series, recipes: list[str]
) -> list[str]:
    """Time ``differential_expression`` recipes on the matrix; a markdown table."""
    import importlib

    import anndata as ad

    import oncosig as oc

    # imports are not timed (R's timings exclude library() as well)
    importlib.import_module("oncosig.de")
    if "deseq2" in recipes:
        importlib.import_module("pydeseq2.dds")

    a = ad.AnnData(X=counts.T.to_numpy(dtype=np.float32))
    a.layers["counts"] = counts.T.to_numpy(dtype=np.float64)
    a.obs_names, a.var_names = counts.columns.astype(str), counts.index.astype(str)
    a.obs["condition"] = np.where(group == 0, "normal", "tumor")
    out = [
        "### Other recipes on the same matrix (public API, wall time)",
        "",
        "| recipe | oncosig (s) | R step | R (s) | speed-up | genes at FDR 0.01 |",
        "|---|---|---|---|---|---|",
    ]
    for recipe in recipes:
        t0 = time.perf_counter()
        res = oc.de.differential_expression(
            a, groupby="condition", reference="normal", method=recipe
        )
        sec = time.perf_counter() - t0
        step = R_STEP.get(recipe, "")
        r = float(r_seconds.get(step, np.nan))
        padj = res["padj"] if "padj" in res else res["FDR"]
        out.append(
            f"| {recipe} | {sec:.2f} | {step} | {r:.1f} | {r / sec:.1f}x | "
            f"{int((padj < FDR).sum())} |"
        )
    return [*out, ""]


if __name__ == "__main__":
    raise SystemExit(main())
