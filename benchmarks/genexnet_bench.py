"""GeneXNet benchmarks: 7-cohort CV beside every baseline, tumour vs normal, transfer, throughput.

Writes ``benchmarks/results/genexnet.md`` and prints it.  Data: ``../shared/data``.

    python benchmarks/genexnet_bench.py                # everything, full settings
    python benchmarks/genexnet_bench.py --quick        # small settings for a busy 2-core CPU
    python benchmarks/genexnet_bench.py --sections cv7,throughput --cnn mobilenetv2

Sections: ``cv7`` (7-cohort tumour classification, 5-fold stratified CV, GeneXNet beside the
CNN and classical baselines on the same folds), ``seeds`` (GeneXNet's 7-cohort CV repeated
over training seeds, with the seed ensemble), ``tumor_normal`` (CHOL, KICH: accuracy and
ROC AUC with full training), ``transfer`` (pre-train on the 7 cohorts, fine-tune tumour vs
normal vs training from scratch on the same folds; the paper's Table I) and
``throughput`` (training samples/s and peak memory on CPU per network, one subprocess each).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genexnet_data as data
from bench_report import command_line, wall_time_line, write_report
from genexnet_seeds import section_seeds

OUT = Path(__file__).resolve().parent / "results" / "genexnet.md"
CNNS = ("resnet50v2", "densenet121", "mobilenetv2", "nasnet_mobile")
CNN_STEM = 2  # the CNNs' published stride-2 stems (1 keeps small grids larger but costs 4x)
XGB_GENES = 5000
CLASSICAL = ("logreg", "linear_svm", "random_forest", "xgboost", "mlp")


def _fmt(mean: float, sd: float, pct: bool) -> str:
    if pct:
        return f"{100 * mean:.1f} ± {100 * sd:.1f} %"
    return f"{mean:.3f} ± {sd:.3f}"


def _summary_table(result: Any) -> str:
    s = result.summary()
    secs = result.metrics.groupby("model")["seconds"].sum(min_count=1)
    lines = [
        "| model | accuracy | macro F1 | balanced acc. | ROC AUC | seconds (all folds) |",
        "|---|---|---|---|---|---|",
    ]
    for model, r in s.iterrows():
        lines.append(
            f"| {model} | {_fmt(r['accuracy_mean'], r['accuracy_std'], True)} | "
            f"{_fmt(r['macro_f1_mean'], r['macro_f1_std'], False)} | "
            f"{100 * r['balanced_accuracy_mean']:.1f} % | {r['roc_auc_mean']:.3f} | {'n/a (resumed)' if np.isnan(secs[model]) else f'{secs[model]:.0f}'} |"
        )
    return "\n".join(lines)


def network_params(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    from oncosig.genexnet import preset

    gx = preset(args.preset, accelerator="cpu")
    if args.epochs:
        gx["max_epochs"] = args.epochs
    shared = {
        k: gx[k]
        for k in (
            "max_genes",
            "lr",
            "batch_size",
            "max_epochs",
            "patience",
            "lr_patience",
            "accelerator",
        )
        if k in gx
    }
    params: dict[str, dict[str, Any]] = {"genexnet": gx}
    for cnn in args.cnn:
        params[cnn] = {**shared, "net_params": {"width": args.cnn_width, "stem_stride": CNN_STEM}}
    params["logreg"] = {"C": 0.1}
    params["linear_svm"] = {"C": 0.01}
    params["random_forest"] = {"n_estimators": 300, "n_jobs": 2}
    # the 5,000 most variable detected genes (fitted per training fold) bound XGBoost's time
    params["xgboost"] = {"n_estimators": 200, "n_jobs": 2, "max_genes": XGB_GENES}
    params["mlp"] = {}
    return params


def section_cv7(args: argparse.Namespace, report: list[str]) -> None:
    from oncosig.genexnet import cross_validate, preset

    adata = data.tcga7()
    published = ("genexnet_published", "genexnet", preset("compact-published", accelerator="cpu"))
    standard = ("genexnet_4096", "genexnet", preset("standard", accelerator="cpu"))
    # linear baselines restricted to the networks' own genes (the most variable 1,024 / 4,096)
    same_genes = [
        (f"{m}_{g}", m, {**network_params(args)[m], "max_genes": g})
        for g in (1024, 4096)
        for m in ("logreg", "linear_svm")
        if m in args.classical and args.preset == "compact"
    ]
    models: list[Any] = [
        "genexnet",
        *([published, standard] if args.preset == "compact" else []),
        *(args.cnn if args.cnn_cv else []),
        *args.classical,
        *same_genes,
    ]
    t0 = time.perf_counter()
    res = cross_validate(
        adata,
        label_key="project",
        models=models,
        model_params=network_params(args),
        n_splits=args.folds,
        seed=0,
        out_dir=data.CACHE / f"cv7_{args.preset}_{args.folds}f",
        resume=args.resume,
        progress=True,
    )
    report += [
        f"## 7-cohort tumour classification ({adata.n_obs} samples, {args.folds}-fold stratified CV, shuffle seed 0)",
        "",
        f"Data: `../shared/data/tcga-counts` ACC, CHOL, DLBC, KICH, UCS, UVM + 20 PAAD (TCGA_TEST), "
        f"{adata.n_vars} genes common to all files. Every model sees the same folds; gene filter "
        "(detected in > 10 % of training samples), log-CPM and z-score are fitted on each training "
        "fold only. Networks use the GeneXNet preset's gene grid "
        f"(`{args.preset}`: {network_params(args)['genexnet']}); `genexnet_published` is the "
        "same network without the gene embedding (preset `compact-published`, the published "
        "blocks only); `genexnet_4096` is preset `standard`: the same network on the 4,096 most "
        "variable genes (64x64 grid). CNN baselines run at width "
        f"{args.cnn_width} with their published stride-{CNN_STEM} stems, the same grid and training options. Metrics are over all test "
        "samples of a fold (mean ± sd over folds). Classical baselines see every detected gene, "
        f"except XGBoost: the {XGB_GENES:,} most variable (chosen on the training fold), which "
        "bounds its time on 2 cores. `logreg_1024`, `linear_svm_1024` (and `_4096`) are the "
        "linear baselines restricted to the same most variable genes as `genexnet` "
        "(`genexnet_4096`): they show whether a gap comes from the genes or from the model. "
        "This table trains each network once (seed 0); the next section repeats GeneXNet over "
        "seeds.",
        "",
        _summary_table(res),
        "",
        "Per-class accuracy (out-of-fold, all folds pooled):",
        "",
    ]
    shown = [
        m for m in ("genexnet", "genexnet_published", "logreg") if m in set(res.metrics["model"])
    ]
    pc = pd.concat({m: res.per_class(m)["accuracy"] for m in shown}, axis=1)
    report += ["| cohort | " + " | ".join(pc.columns) + " |", "|---" * (len(pc.columns) + 1) + "|"]
    report += [
        f"| {c} | " + " | ".join(f"{100 * v:.1f} %" for v in row) + " |" for c, row in pc.iterrows()
    ]
    report += ["", *_shared_errors(res), ""]
    report += [
        wall_time_line(t0),
        "",
    ]


def _shared_errors(res: Any) -> list[str]:
    """Samples misclassified by GeneXNet and how many of the other models miss them too."""
    pred = res.predictions
    wrong = pred[pred["true"] != pred["prediction"]]
    n_models = pred["model"].nunique()
    by_sample = wrong.groupby("sample")["model"].apply(set)
    gx = by_sample[by_sample.map(lambda ms: "genexnet" in ms)]
    truth = pred.drop_duplicates("sample").set_index("sample")["true"]
    gx_pred = wrong[wrong["model"] == "genexnet"].set_index("sample")["prediction"]
    lines = [
        f"Errors: GeneXNet misclassifies {len(gx)} of {pred['sample'].nunique()} samples; "
        f"{int(by_sample.map(len).eq(n_models).sum())} samples are misclassified by all "
        f"{n_models} models. GeneXNet's errors and how many models miss each:",
        "",
        "| sample | true | GeneXNet says | models wrong |",
        "|---|---|---|---|",
    ]
    for sample, ms in sorted(gx.items(), key=lambda kv: -len(kv[1])):
        lines.append(
            f"| {sample} | {truth[sample]} | {gx_pred[sample]} | {len(ms)} of {n_models} |"
        )
    return lines


def _chol_kich() -> dict[str, Any]:
    return {p: data.chol_kich(p) for p in ("TCGA-CHOL", "TCGA-KICH")}


def _degnext_samples(cohort: str) -> Any:
    """A DEGnext cohort as samples x genes (every labelled gene of its available splits)."""
    from oncosig.degnext._data import samples_view
    from oncosig.io import read_degnext

    return samples_view(read_degnext(data.SHARED / "degnext", cohort=cohort))


def section_tumor_normal(args: argparse.Namespace, report: list[str]) -> None:
    from oncosig.genexnet import cross_validate
    from oncosig.io._degnext_layout import degnext_cohort_table

    cohorts = degnext_cohort_table()
    cohorts = cohorts[cohorts["in_shared_data"] == "yes"]
    report += [
        "## Tumour vs normal with full training (every DEGnext cohort in shared)",
        "",
        f"Each cohort of `../shared/data/degnext` ({len(cohorts)} of the paper's 17): samples x the "
        "cohort's labelled genes (all splits present, rows are genes there), normal columns first "
        f"as the files state. {args.folds}-fold stratified CV, same folds for GeneXNet "
        f"(`{args.preset}`) and logistic regression; the normal barcodes are not in the files, "
        "so each sample is its own group.  Metrics: mean over folds.",
        "",
        "| cohort | normal + tumour | genes | GeneXNet accuracy | GeneXNet ROC AUC | "
        "logreg accuracy | logreg ROC AUC | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    params = network_params(args)
    for cohort, row in cohorts.iterrows():
        t0 = time.perf_counter()
        a = _degnext_samples(str(cohort))
        res = cross_validate(
            a,
            label_key="condition",
            models=["genexnet", "logreg"],
            model_params=params,
            n_splits=args.folds,
            seed=0,
            group_key=None,
            out_dir=data.CACHE / f"tn_{cohort}_{args.preset}_{args.folds}f",
            resume=args.resume,
            progress=False,
        )
        m = res.metrics.groupby("model")[["accuracy", "roc_auc"]].mean()
        report.append(
            f"| {cohort} | {row['n_normal']} + {row['n_tumor']} | {a.n_vars} | "
            f"{100 * m.loc['genexnet', 'accuracy']:.1f} % | {m.loc['genexnet', 'roc_auc']:.3f} | "
            f"{100 * m.loc['logreg', 'accuracy']:.1f} % | {m.loc['logreg', 'roc_auc']:.3f} | "
            f"{time.perf_counter() - t0:.0f} |"
        )
        print(report[-1], flush=True)
    report.append("")


def section_transfer(args: argparse.Namespace, report: list[str]) -> None:
    from oncosig.genexnet import GeneXNet, compare_transfer, preset

    t0 = time.perf_counter()
    pre = GeneXNet(
        **preset(
            args.preset, accelerator="cpu", **({"max_epochs": args.epochs} if args.epochs else {})
        )
    )
    pre.fit(data.tcga7(), label_key="project")
    report += [
        "## Transfer learning vs training from scratch (the paper's Table I)",
        "",
        f"GeneXNet (`{args.preset}`) pre-trained on all 384 7-cohort tumours ({len(pre.genes_)} genes, "
        f"{pre.grid.side}x{pre.grid.side} grid, {time.perf_counter() - t0:.0f} s), then per fold: "
        "transfer = the cohort aligned to the model's genes (missing genes = training mean), new "
        f"2-class head, {args.freeze_epochs} epochs with the backbone frozen, then up to "
        f"{args.finetune_epochs} epochs unfrozen; scratch = the same architecture and training "
        f"options trained on the cohort alone. {args.folds}-fold stratified CV, same folds for both.",
        "",
        "| cohort | mode | accuracy | macro F1 | ROC AUC | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for project, a in _chol_kich().items():
        table = compare_transfer(
            pre,
            a,
            label_key="condition",
            n_splits=args.folds,
            seed=0,
            group_key=None,
            finetune_params={
                "freeze_epochs": args.freeze_epochs,
                "max_epochs": args.finetune_epochs,
            },
            progress=True,
        )
        found = np.isin(pre.genes_, a.var_names).mean()
        for mode, g in table.groupby("mode"):
            report.append(
                f"| {project} ({found:.0%} of model genes present) | {mode} | "
                f"{_fmt(g['accuracy'].mean(), g['accuracy'].std(), True)} | "
                f"{_fmt(g['macro_f1'].mean(), g['macro_f1'].std(), False)} | "
                f"{_fmt(g['roc_auc'].mean(), g['roc_auc'].std(), False)} | {g['seconds'].sum():.0f} |"
            )
    report.append("")


_THROUGHPUT_CHILD = """
import json, resource, sys, time, torch
torch.set_num_threads(int(sys.argv[3]))
from oncosig.models import create_model
name, side, steps, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[4]), float(sys.argv[5])
kw = json.loads(sys.argv[6])
net = create_model(name, num_classes=7, in_chans=1, **kw)
opt = torch.optim.Adam(net.parameters(), lr=1e-4)
x = torch.randn(32, 1, side, side); y = torch.randint(0, 7, (32,))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def step():
    opt.zero_grad(); loss = torch.nn.functional.cross_entropy(net(x), y); loss.backward(); opt.step()
step()
t = time.perf_counter()
for _ in range(steps):
    step()
dt = time.perf_counter() - t
# VmHWM is this process's own peak (ru_maxrss keeps the parent's peak across exec on Linux)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")]
peak = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"samples_per_s": 32 * steps / dt, "peak_rss_mb": peak / 1024, "params": sum(p.numel() for p in net.parameters())}))
"""


def section_throughput(args: argparse.Namespace, report: list[str]) -> None:
    from oncosig.genexnet import preset

    gx = preset(args.preset)
    side = int(np.ceil(np.sqrt(gx.get("max_genes") or 41211)))
    gx_kw = {k: gx[k] for k in ("growth_rate", "theta_d", "theta_r", "depth", "stem_stride")}
    paper_kw = {k: v for k, v in preset("paper").items() if k in gx_kw}
    if gx.get("gene_embedding"):
        gx_kw.update(gene_embedding=gx["gene_embedding"], grid_side=side)
    runs = [
        ("genexnet", f"`{args.preset}`", gx_kw),
        ("genexnet", "paper (θk 32, θD=θR=1, 4 blocks)", paper_kw),
    ]
    runs += [
        (c, f"width {args.cnn_width}", {"width": args.cnn_width, "stem_stride": CNN_STEM})
        for c in args.cnn
    ]
    runs += [
        (c, "width 1.0 (published)", {"width": 1.0, "stem_stride": CNN_STEM}) for c in args.cnn
    ]
    report += [
        "## Training throughput and peak memory on CPU",
        "",
        f"One training step = forward + backward + Adam on a batch of 32 gene images of "
        f"{side}x{side} (the `{args.preset}` grid), {args.threads} torch thread(s), {args.steps} timed "
        "steps after one warm-up step; peak memory = the process's maximum resident set size "
        "(includes Python, torch and the model). Measured on a shared 2-core machine: other jobs "
        "ran at the same time, so samples/s is a lower bound.",
        "",
        "| network | configuration | parameters | samples/s | peak RSS (MB) |",
        "|---|---|---|---|---|",
    ]
    for name, label, kw in runs:
        cmd = [
            sys.executable,
            "-c",
            _THROUGHPUT_CHILD,
            name,
            str(side),
            str(args.threads),
            str(args.steps),
            "1",
            json.dumps(kw),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
        if proc.returncode != 0:
            report.append(
                f"| {name} | {label} | - | failed: {proc.stderr.strip().splitlines()[-1][:80]} | - |"
            )
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        report.append(
            f"| {name} | {label} | {r['params']:,} | {r['samples_per_s']:.1f} | {r['peak_rss_mb']:.0f} |"
        )
    report.append("")


SECTIONS = {
    "cv7": section_cv7,
    "seeds": section_seeds,
    "tumor_normal": section_tumor_normal,
    "transfer": section_transfer,
    "throughput": section_throughput,
}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick", action="store_true", help="3 folds, fewer epochs, narrow CNNs, fewer baselines"
    )
    p.add_argument(
        "--sections", default=",".join(SECTIONS), help="comma-separated: " + ",".join(SECTIONS)
    )
    p.add_argument("--preset", default="compact", help="GeneXNet preset (compact or paper)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=0, help="override the preset's max_epochs")
    p.add_argument("--cnn", default=",".join(CNNS), help="CNN baselines ('' for none)")
    p.add_argument("--cnn-width", type=float, default=1.0)
    p.add_argument(
        "--no-cnn-cv",
        dest="cnn_cv",
        action="store_false",
        help="CNN baselines in the throughput section only, not in the 7-cohort CV",
    )
    p.add_argument("--classical", default=",".join(CLASSICAL))
    p.add_argument(
        "--seeds",
        default="0,1,2,3,4,5,6,7,8,9",
        help="training seeds of the seeds section (comma-separated; only the first 5 for the "
        "compact and co-expression configurations)",
    )
    p.add_argument("--freeze-epochs", type=int, default=10)
    p.add_argument("--finetune-epochs", type=int, default=30)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--resume", action="store_true", help="reuse finished CV folds in .bench-cache")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    if args.quick:
        args.cnn_width = 0.25 if args.cnn_width == 1.0 else args.cnn_width
        args.epochs = args.epochs or 20
        args.finetune_epochs = min(args.finetune_epochs, 15)
        args.freeze_epochs = min(args.freeze_epochs, 5)
        args.steps = min(args.steps, 3)
    args.cnn = [c for c in args.cnn.split(",") if c]
    args.classical = [c for c in args.classical.split(",") if c]
    args.seeds = [int(x) for x in args.seeds.split(",") if x]
    sections = [s for s in args.sections.split(",") if s]
    t0 = time.perf_counter()
    report = [
        "# GeneXNet benchmarks",
        "",
        command_line(__file__, argv),
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores (shared with other jobs), "
        f"Python {platform.python_version()}, torch {__import__('torch').__version__}; no GPU.  ",
        f"Sections run: {', '.join(sections)}.",
        "",
    ]
    for s in sections:
        SECTIONS[s](args, report)
    report.append(f"Total wall time: {time.perf_counter() - t0:.0f} s.")
    write_report(args.out, report)


if __name__ == "__main__":
    main()
