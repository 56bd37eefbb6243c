"""Whole-transcriptome scale: GeneXNet (θk 32) on an on-disk 11,000 x 60,483 dataset.

Generates once (cached under ``--data-dir``, default ``.bench-cache/``) a synthetic
log-normal count matrix with class structure, written to a row-chunked ``.h5ad`` store
block by block (it is never in memory), then measures, each configuration in a fresh
subprocess so that peak RSS is per configuration:

- ``pipeline``: the streaming preprocessing passes (gene filter + scaler) and one epoch of
  the training data path alone (read, log-CPM, z-score, gene image), samples/s;
- ``train``: one GeneXNet training epoch (and inference over the same samples), samples/s;

at 2,000 and 11,000 samples; peak RSS is ``ru_maxrss`` of the process and of its
DataLoader workers.  Where ``torch.cuda.is_available()``, the GPU is measured too.
Writes ``benchmarks/results/scale.md`` and prints it.

    python benchmarks/scale.py                                   # full: 11,000 x 60,483
    python benchmarks/scale.py --n-samples 200 --n-genes 5000 --sizes 100,200   # quick
    python benchmarks/scale.py --max-batches 20    # training epoch capped at 20 batches
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "scale.md"


# -- data ---------------------------------------------------------------------------------
def generate(
    path: Path, *, n_samples: int, n_genes: int, n_classes: int, dtype: str, seed: int
) -> Path:
    """Write the synthetic store block by block (cached: reused when it exists)."""
    import pandas as pd

    from oncosig.stream import StoreWriter

    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    base = rng.normal(1.5, 2.0, size=n_genes)  # gene log-means: ~25 % of genes mostly zero
    effect = np.zeros((n_classes, n_genes), dtype=np.float32)
    for c in range(n_classes):  # each class shifts 2 % of the genes up or down
        genes = rng.choice(n_genes, size=max(1, n_genes // 50), replace=False)
        effect[c, genes] = rng.choice([-1.0, 1.0], size=genes.size) * rng.uniform(0.7, 1.5)
    labels = np.arange(n_samples) % n_classes
    rng.shuffle(labels)
    names = [f"ENSG{i:011d}" for i in range(n_genes)]
    t0 = time.perf_counter()
    block = 256
    with StoreWriter(path, var=names, n_obs=n_samples, dtype=dtype, overwrite=True) as w:
        for i in range(0, n_samples, block):
            y = labels[i : i + block]
            noise = rng.standard_normal((len(y), n_genes), dtype=np.float32)
            logx = base.astype(np.float32) + effect[y] + 0.7 * noise
            counts = np.floor(np.exp(logx, out=logx), out=logx)
            obs = pd.DataFrame(
                {"project": [f"C{v}" for v in y]},
                index=[f"S{j:06d}" for j in range(i, i + len(y))],
            )
            w.append(counts, obs=obs)
    print(f"generated {path} ({n_samples} x {n_genes}) in {time.perf_counter() - t0:.0f} s")
    return path


def head_store(src: Path, dest: Path, n: int) -> Path:
    """The first ``n`` samples of a store, copied block by block (cached)."""
    from oncosig.stream import StoreWriter, open_store

    if dest.exists():
        return dest
    import anndata

    store = open_store(src)
    obs = anndata.read_h5ad(src, backed="r").obs
    with StoreWriter(dest, var=store.var_names, n_obs=n, overwrite=True) as w:
        for i in range(0, n, 512):
            j = min(i + 512, n)
            w.append(store.read_slice(i, j), obs=obs.iloc[i:j])
    return dest


# -- one measurement (runs in a fresh subprocess) ------------------------------------------
def _rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def worker_pipeline(store_path: str, batch_size: int) -> dict[str, Any]:
    """Streaming prep passes + one epoch of the data path (no model)."""
    from oncosig.genexnet import GeneGrid, LogCPMScaler
    from oncosig.genexnet._prep import GeneImageTransform
    from oncosig.stream import (
        RowBatchDataset,
        logcpm_stats,
        make_loader,
        open_store,
        select_genes_streaming,
    )

    store = open_store(store_path)
    t0 = time.perf_counter()
    keep = select_genes_streaming(store, min_detected=0.1)
    t1 = time.perf_counter()
    scaler = LogCPMScaler.from_state(logcpm_stats(store, columns=keep))
    t2 = time.perf_counter()
    grid = GeneGrid.from_genes(list(store.var_names[keep]), order="given")
    ds = RowBatchDataset(store, transform=GeneImageTransform(keep, scaler, grid))
    n = 0
    for x, _ in make_loader(ds, batch_size=batch_size, shuffle=True):
        n += len(x)
    t3 = time.perf_counter()
    return {
        "n": store.n_obs,
        "genes": int(keep.size),
        "grid": grid.side,
        "select_s": t1 - t0,
        "scaler_s": t2 - t1,
        "epoch_s": t3 - t2,
        "epoch_samples_per_s": n / (t3 - t2),
    }


def worker_train(store_path: str, args: argparse.Namespace, device: str) -> dict[str, Any]:
    """One training epoch of GeneXNet on the store, then inference over it."""
    import torch

    from oncosig.genexnet import GeneXNet

    if device == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    opts = {"limit_train_batches": args.max_batches} if args.max_batches else {}
    model = GeneXNet(
        growth_rate=args.growth_rate,
        theta_d=args.theta_d,
        theta_r=args.theta_r,
        depth=args.depth,
        stem_stride=4,
        gene_order="given",
        max_epochs=1,
        patience=1,
        val_size=0.0,
        batch_size=args.batch_size,
        lr=1e-3,
        accelerator=device,
        trainer_options=opts,
        compile_network=args.compile,
    )
    t0 = time.perf_counter()
    model.fit(store_path, label_key="project")
    fit_s = time.perf_counter() - t0
    summary = model.training_["fit"]
    trained = summary.get("train_samples", 0)
    if device == "cuda" and model.network is not None:
        model.network.to("cuda")  # fit hands the network back on the CPU
    t1 = time.perf_counter()
    proba = model.predict_proba(store_path, batch_size=64)
    infer_s = time.perf_counter() - t1
    return {
        "n": int(proba.shape[0]),
        "genes": len(model.genes_),
        "grid": model.grid.side if model.grid else 0,
        "fit_s": fit_s,
        "epoch_s": summary["seconds"],
        "train_samples": trained,
        "train_samples_per_s": trained / summary["seconds"],
        "infer_samples_per_s": proba.shape[0] / infer_s,
        "precision": summary.get("precision", ""),
        "compiled": bool(args.compile),
    }


def worker_compile(args: argparse.Namespace, device: str, side: int) -> dict[str, Any]:
    """Training steps of the same network, eager vs ``torch.compile`` (compile time apart)."""
    import torch

    from oncosig.models import create_model

    dev = torch.device(device)
    net = create_model(
        "genexnet",
        num_classes=args.n_classes,
        in_chans=1,
        growth_rate=args.growth_rate,
        theta_d=args.theta_d,
        theta_r=args.theta_r,
        depth=args.depth,
        stem_stride=4,
    ).to(dev)
    x = torch.randn(args.batch_size, 1, side, side, device=dev)
    y = torch.randint(0, args.n_classes, (args.batch_size,), device=dev)

    def steps(model: Any, n: int) -> float:
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        t = time.perf_counter()
        for _ in range(n):
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t

    n = 20 if dev.type == "cuda" else 4
    steps(net, 1)  # warm-up
    eager = steps(net, n)
    compiled = torch.compile(net)
    t0 = time.perf_counter()
    steps(compiled, 1)
    compile_s = time.perf_counter() - t0
    comp = steps(compiled, n)
    samples = n * args.batch_size
    return {
        "n": samples,
        "grid": side,
        "eager_samples_per_s": samples / eager,
        "compiled_samples_per_s": samples / comp,
        "compile_s": compile_s,
    }


def run_worker(
    mode: str, store: Path | str, args: argparse.Namespace, device: str
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", mode, "--store", str(store), "--device", device]
    for key in ("batch_size", "growth_rate", "theta_d", "theta_r", "depth", "max_batches"):
        cmd += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
    if args.compile:
        cmd.append("--compile")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} worker failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- report -------------------------------------------------------------------------------
def report(rows: list[dict[str, Any]], args: argparse.Namespace, gen_note: str) -> str:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    lines = [
        "## Whole-transcriptome scale (`benchmarks/scale.py`)",
        "",
        f"Synthetic log-normal counts with {args.n_classes} classes, {args.n_samples:,} x "
        f"{args.n_genes:,} genes, stored on disk ({args.dtype}, row-chunked `.h5ad`); "
        f"{gen_note}. GeneXNet θk {args.growth_rate}, θd {args.theta_d}, θr {args.theta_r}, "
        f"depth {args.depth}, ImageNet stem, batch {args.batch_size}, genes kept by the "
        "detection filter (> 10 % of samples). Machine: "
        f"{os.cpu_count()} CPU cores ({platform.machine()}), GPU: {gpu}; the CPU is shared "
        "with other jobs (1-min load average when each run started in the last column).",
        "",
        "| run | device | samples | genes (grid) | prep s (filter + scaler) | epoch s | "
        "train samples/s | inference samples/s | peak RSS MB (process / workers) | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    compiled = [r for r in rows if r["mode"] == "compile"]
    rows = [r for r in rows if r["mode"] != "compile"]
    for r in rows:
        prep = (
            f"{r['select_s']:.0f} + {r['scaler_s']:.0f}"
            if "select_s" in r
            else f"{r['fit_s'] - r['epoch_s']:.0f}"
        )
        train = (
            f"{r['train_samples_per_s']:.1f} ({r['train_samples']} samples)"
            if "train_samples_per_s" in r
            else f"{r['epoch_samples_per_s']:.0f} (data path only)"
        )
        infer = f"{r['infer_samples_per_s']:.1f}" if "infer_samples_per_s" in r else "-"
        lines.append(
            f"| {r['mode']}{' (compiled)' if r.get('compiled') else ''} | {r['device']} | {r['n']:,} | {r['genes']:,} ({r['grid']}²) | "
            f"{prep} | {r['epoch_s']:.0f} | {train} | {infer} | "
            f"{r['rss_mb']:.0f} / {r['child_rss_mb']:.0f} | "
            + (f"{r['load']:.1f} |" if "load" in r else "- |")
        )
    if args.max_batches:
        lines += [
            "",
            f"Training epochs were capped at {args.max_batches} batches "
            f"({args.max_batches * args.batch_size} samples): the preprocessing passes and "
            "inference still cover every sample.",
        ]
    for mode in ("pipeline", "train"):
        got = sorted(
            (r["n"], r["rss_mb"])
            for r in rows
            if r["mode"] == mode and r["device"] == "cpu" and not r.get("compiled")
        )
        if len(got) >= 2:
            (n0, m0), (n1, m1) = got[0], got[-1]
            lines += [
                "",
                f"{mode}: peak RSS {m0:.0f} MB at {n0:,} samples and {m1:.0f} MB at {n1:,} "
                f"({n1 / n0:.1f}x the samples, {m1 / m0:.2f}x the memory); "
                + ("under" if m1 < 3000 else "NOT under")
                + " the 3 GB target.",
            ]
    lines += [
        "",
        "Peak RSS is `ru_maxrss` of the measuring process and of its DataLoader workers (a "
        "forked worker's figure includes the pages it shares with the main process, so the "
        "two overlap); the "
        "float32 data alone would take "
        f"{args.n_samples * args.n_genes * 4 / 1e9:.2f} GB in memory. `pipeline` runs the "
        "streaming preprocessing passes and one epoch of the training data path (read rows, "
        "log-CPM, z-score, gene image) without the network; `train` is `GeneXNet.fit` on "
        "the store path (streaming passes + one epoch; prep s = fit time minus the "
        "training loop) and `predict_proba` over every sample (batches of 64).",
        "",
        "Speed settings: on GPU, bf16 mixed precision (16-mixed without bf16) and "
        "channels-last; on CPU, float32 and the default memory format.",
    ]
    if any(r.get("compiled") for r in rows):
        lines += [
            "",
            "`train (compiled)`: `GeneXNet(compile_network=True)`; its epoch time includes "
            "the one-off compile; inference runs the uncompiled network.",
        ]
    if compiled:
        lines += [
            "",
            "`torch.compile` (training steps of the same network on random gene images, "
            f"batch {args.batch_size}, compile time apart):",
            "",
            "| device | grid | eager samples/s | compiled samples/s | compile s |",
            "|---|---|---|---|---|",
        ]
        for r in compiled:
            lines.append(
                f"| {r['device']} | {r['grid']}² | {r['eager_samples_per_s']:.1f} | "
                f"{r['compiled_samples_per_s']:.1f} | {r['compile_s']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=REPO / ".bench-cache")
    p.add_argument("--n-samples", type=int, default=11_000)
    p.add_argument("--n-genes", type=int, default=60_483)
    p.add_argument("--n-classes", type=int, default=10)
    p.add_argument("--sizes", default="2000,11000", help="sample counts measured")
    p.add_argument("--dtype", default="float32", choices=["float32", "float16"])
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--growth-rate", type=int, default=32)
    p.add_argument("--theta-d", type=float, default=0.25)
    p.add_argument("--theta-r", type=float, default=0.25)
    p.add_argument("--depth", type=int, default=1)
    p.add_argument("--max-batches", type=int, default=0, help="cap training batches (0 = all)")
    p.add_argument("--modes", default="pipeline,train,compile")
    p.add_argument("--compile", action="store_true", help="train through torch.compile")
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument(
        "--rows-from", type=Path, help="re-render the report from the JSON lines of a log"
    )
    p.add_argument("--worker", choices=["pipeline", "train", "compile"], help=argparse.SUPPRESS)
    p.add_argument("--store", help=argparse.SUPPRESS)
    p.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.worker:
        load = os.getloadavg()[0]
        if args.worker == "pipeline":
            res = worker_pipeline(args.store, args.batch_size)
        elif args.worker == "compile":
            res = worker_compile(args, args.device, int(args.store))
        else:
            res = worker_train(args.store, args, args.device)
        res["rss_mb"], res["child_rss_mb"] = _rss_mb()
        res["load"] = load
        print(json.dumps(res))
        return 0

    import torch

    if args.rows_from:
        lines = args.rows_from.read_text(encoding="utf-8").splitlines()
        saved = [json.loads(line) for line in lines if line.startswith("{")]
        text = report(saved, args, "measured by an earlier run of this script")
        print(text)
        if not args.no_write:
            from oncosig._atomic import write_text

            write_text(OUT, text)
        return 0
    args.data_dir.mkdir(parents=True, exist_ok=True)
    tag = f"{args.n_samples}x{args.n_genes}_{args.dtype}"
    full = args.data_dir / f"scale_{tag}.h5ad"
    existed = full.exists()
    generate(
        full,
        n_samples=args.n_samples,
        n_genes=args.n_genes,
        n_classes=args.n_classes,
        dtype=args.dtype,
        seed=0,
    )
    gen_note = "generated by this run" if not existed else "cached from an earlier run"
    sizes = sorted({min(int(s), args.n_samples) for s in args.sizes.split(",")})
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    stores = {
        n: full
        if n == args.n_samples
        else head_store(full, args.data_dir / f"scale_{tag}_head{n}.h5ad", n)
        for n in sizes
    }
    rows: list[dict[str, Any]] = []
    # cheap data-path runs first, then the model; the report is rewritten after each run
    for mode in args.modes.split(","):
        for n in sizes if mode != "compile" else sizes[-1:]:  # compile: no data needed
            for device in devices if mode != "pipeline" else ["cpu"]:
                side = max([r["grid"] for r in rows] or [math.ceil(math.sqrt(args.n_genes))])
                target = str(side) if mode == "compile" else stores[n]
                res = run_worker(mode, target, args, device)
                res.update(mode=mode, device=device)
                print(json.dumps(res), flush=True)
                rows.append(res)
                text = report(rows, args, gen_note)
                if not args.no_write:
                    from oncosig._atomic import write_text

                    write_text(OUT, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
