"""Gene-CAM on the 7-cohort GeneXNet model: agreement with one-vs-rest DE and across seeds.

For each training seed (default 0-5), GeneXNet (preset ``compact`` unless told otherwise)
is trained on a stratified 80 % of the 384 tumour samples of ``../shared/data/tcga-counts``
(ACC, CHOL, DLBC, KICH, UCS, UVM, PAAD) and Gene-CAM is computed on the 20 % held-out
samples; per class, the genes are ranked by the share of correctly classified held-out
samples whose top 50 contains them.  Then, per class:

- how many of the top 50 Gene-CAM genes (seed 0) are among the top 200 genes of a
  one-vs-rest edgeR exact test of that class on all samples (the model's genes only), with
  the count expected by chance (50 x 200 / n_genes);
- the overlap of the top 50 across the seeds (genes common to all, mean pairwise Jaccard);
- the agreement of Gene-CAM with integrated gradients and saliency (captum), seed 0;
- with at least 2 x ``--ensemble-size`` seeds: two disjoint seed ensembles
  (``GeneXNetEnsemble``, members' normalised scores averaged) and the overlap of their top
  genes, beside the overlap between single seeds.

When the network has a gene embedding (preset ``compact``), the same tables are also made
for Grad-CAM on the embedding layer's output: full grid resolution, one value per gene,
instead of one CAM cell per block of neighbouring genes.

Writes ``benchmarks/results/interpret.md``.  Usage::

    python benchmarks/interpret_genecam.py [--seeds 0,1,2,3,4,5] [--preset compact] [--epochs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from genexnet_data import tcga7
from oncosig._atomic import write_text
from oncosig.de import differential_expression
from oncosig.genexnet import GeneXNet, GeneXNetEnsemble, preset
from oncosig.interpret import (
    gene_scores,
    method_agreement,
    rank_genes,
    ranking_overlap,
    record_layer,
)

OUT = Path(__file__).resolve().parent / "results" / "interpret.md"


def _md(df: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A DataFrame as a GitHub markdown table (no tabulate dependency)."""

    def cell(v: object) -> str:
        return format(v, floatfmt) if isinstance(v, float) else str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def _split(labels: np.ndarray, seed: int, test_size: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    tr, te = train_test_split(idx, test_size=test_size, stratify=labels, random_state=seed)
    return np.sort(tr), np.sort(te)


def _de_top(adata, genes: list[str], cls: str, n: int) -> list[str]:
    sub = adata[:, [g for g in genes if g in adata.var_names]].copy()
    sub.obs["ovr"] = np.where(sub.obs["project"].astype(str) == cls, cls, "rest")
    de = differential_expression(sub, groupby="ovr", reference="rest", method="edger-exact")
    de = de.assign(absfc=de["logFC"].abs()).sort_values(
        ["PValue", "absfc"], ascending=[True, False]
    )
    return de.index.astype(str)[:n].tolist()


def _ensemble_ranking(
    ens: GeneXNetEnsemble, pred: np.ndarray, test, top: int, layer: str | None
) -> pd.DataFrame:
    """Gene ranking of the seed ensemble ``ens`` whose predictions on ``test`` are ``pred``."""
    y = test.obs["project"].astype(str).to_numpy()
    scores = gene_scores(ens, test, target=pred, **({} if layer is None else {"layer": layer}))
    return rank_genes(scores, y, predictions=pred, n_top=top)


def _ensemble_section(
    models: list[GeneXNet],
    seeds: list[int],
    test,
    args: argparse.Namespace,
    de_overlap,
    rankings: list[pd.DataFrame],
    emb_rankings: list[pd.DataFrame],
) -> list[str]:
    """Two disjoint seed ensembles: overlap of their top genes beside single seeds'."""
    k = args.ensemble_size
    if k < 1 or len(models) < 2 * k:
        return []
    groups = [models[:k], models[k : 2 * k]]
    names = [",".join(map(str, seeds[:k])), ",".join(map(str, seeds[k : 2 * k]))]
    layers: dict[str, tuple[str | None, list[pd.DataFrame]]] = {"block": (None, rankings)}
    if emb_rankings:
        layers["embedding"] = ("embedding", emb_rankings)
    table = pd.DataFrame({"class": sorted(set(rankings[0]["class"]))})
    ensembles = [GeneXNetEnsemble(g) for g in groups]
    preds = [np.asarray(e.predict(test), dtype=str) for e in ensembles]  # once per ensemble
    y = test.obs["project"].astype(str).to_numpy()
    accs = [float((p == y).mean()) for p in preds]
    de_md: list[str] = []
    for label, (layer, singles) in layers.items():
        ens = [
            _ensemble_ranking(e, p, test, args.top, layer)
            for e, p in zip(ensembles, preds, strict=True)
        ]
        single = ranking_overlap(singles, k=args.top).set_index("class")["jaccard_mean"]
        pair = ranking_overlap(ens, k=args.top).set_index("class")["jaccard_mean"]
        table[f"single seeds ({label})"] = table["class"].map(single).round(3)
        table[f"ensembles ({label})"] = table["class"].map(pair).round(3)
        if label == list(layers)[-1]:
            de_md = [
                f"Top {args.top} of the ensemble of seeds {names[0]} ({label} layer) among the "
                f"DE top {args.de_top}:",
                "",
                _md(de_overlap(ens[0])),
            ]
    return [
        f"## Seed ensembles: how stable are the top {args.top} genes?",
        "",
        f"Two disjoint ensembles of {k} seeds (seeds {names[0]} and {names[1]}; "
        "`GeneXNetEnsemble`, each member's per-sample scores scaled to a maximum of 1, then "
        f"averaged) explain the same {test.n_obs} held-out samples. Per class: the Jaccard "
        f"index of the two ensembles' top {args.top} genes, beside the mean pairwise Jaccard "
        f"of single-seed top {args.top} lists over seeds {args.seeds} (`block` = Gene-CAM on "
        "the last block, `embedding` = on the gene embedding). Held-out accuracy of the "
        "ensembles: " + ", ".join(f"{a:.4f}" for a in accs) + ".",
        "",
        _md(table),
        "",
        *de_md,
        "",
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2,3,4,5")
    ap.add_argument(
        "--ensemble-size", type=int, default=3, help="seeds per ensemble (0 = no ensembles)"
    )
    ap.add_argument("--preset", default="compact")
    ap.add_argument("--epochs", type=int, default=0, help="override the preset's max_epochs")
    ap.add_argument("--top", type=int, default=50)
    ap.add_argument("--de-top", type=int, default=200)
    ap.add_argument("--accelerator", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    adata = tcga7()
    labels = adata.obs["project"].astype(str).to_numpy()
    tr, te = _split(labels, seed=0)
    train, test = adata[tr].copy(), adata[te].copy()
    cfg = preset(args.preset, **({"max_epochs": args.epochs} if args.epochs else {}))
    rankings, accs, times = [], [], []
    emb_rankings: list[pd.DataFrame] = []
    first_model, first_scores = None, None
    models: list[GeneXNet] = []
    for seed in seeds:
        t0 = time.perf_counter()
        model = GeneXNet(**cfg, seed=seed, accelerator=args.accelerator)
        model.fit(train, label_key="project")
        pred = np.asarray(model.predict(test), dtype=str)
        y = test.obs["project"].astype(str).to_numpy()
        scores = gene_scores(model, test, target=pred)
        rankings.append(rank_genes(scores, y, predictions=pred, n_top=args.top))
        emb = getattr(model.network, "embedding", None)
        if emb is not None and not isinstance(emb, torch.nn.Identity):
            emb_scores = gene_scores(model, test, target=pred, layer=emb)
            emb_rankings.append(rank_genes(emb_scores, y, predictions=pred, n_top=args.top))
        accs.append(float((pred == y).mean()))
        models.append(model)
        times.append(time.perf_counter() - t0)
        print(f"seed {seed}: held-out accuracy {accs[-1]:.4f} ({times[-1]:.0f} s)", flush=True)
        if first_model is None:
            first_model, first_scores = model, scores

    assert first_model is not None and first_scores is not None
    genes = first_model.genes_
    rank0 = rankings[0]
    de_tops = {cls: set(_de_top(adata, genes, cls, args.de_top)) for cls in set(rank0["class"])}

    def de_overlap(rank: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for cls in sorted(set(rank["class"])):
            top = rank[(rank["class"] == cls) & (rank["rank"] <= args.top)]["gene"].tolist()
            rows.append(
                {
                    "class": cls,
                    "n_correct": int(rank[rank["class"] == cls]["n_samples"].iloc[0]),
                    f"top{args.top} in DE top{args.de_top}": len(set(top) & de_tops[cls]),
                    "expected by chance": round(args.top * args.de_top / len(genes), 1),
                }
            )
        return pd.DataFrame(rows)

    de_table = de_overlap(rank0)
    seed_table = ranking_overlap(rankings, k=args.top) if len(rankings) > 1 else pd.DataFrame()
    emb_md: list[str] = []
    if emb_rankings:
        emb_seed = ranking_overlap(emb_rankings, k=args.top) if len(emb_rankings) > 1 else None
        emb_md = [
            "## Gene-resolved Grad-CAM on the gene-embedding layer",
            "",
            "Grad-CAM on the output of the per-pixel gene embedding (one value per gene), same "
            f"models and samples. Top {args.top} (seed {seeds[0]}) among the DE top "
            f"{args.de_top}:",
            "",
            _md(de_overlap(emb_rankings[0])),
            "",
            f"Overlap of the top {args.top} across seeds {args.seeds}:",
            "",
            _md(emb_seed) if emb_seed is not None else "(one seed only)",
            "",
        ]

    ens_md = _ensemble_section(models, seeds, test, args, de_overlap, rankings, emb_rankings)

    x0 = first_model.prepare(test[:1])
    with record_layer(first_model.network.cam_layer) as rec, torch.no_grad():
        first_model.network.eval()
        first_model.network(x0.to(next(first_model.network.parameters()).device))
        cam_hw = tuple(int(v) for v in rec.last.shape[-2:])
    grid_hw = tuple(int(v) for v in x0.shape[-2:])
    genes_per_cell = len(genes) / (cam_hw[0] * cam_hw[1])

    t0 = time.perf_counter()
    sub = test[: min(40, test.n_obs)].copy()
    per_method = {
        "gradcam": first_scores.loc[sub.obs_names],
        "integrated_gradients": gene_scores(
            first_model, sub, method="integrated_gradients", n_steps=32
        ),
        "saliency": gene_scores(first_model, sub, method="saliency"),
    }
    methods = method_agreement(per_method, k=args.top)
    t_methods = time.perf_counter() - t0

    md = [
        "# Gene-CAM benchmark (7 TCGA cohorts)",
        "",
        f"Command: `python benchmarks/interpret_genecam.py --seeds {args.seeds} --preset "
        f"{args.preset}{f' --epochs {args.epochs}' if args.epochs else ''} "
        f"--ensemble-size {args.ensemble_size} --threads {args.threads}`",
        "",
        "CPU training results depend on the number of torch threads (summation order), so "
        "rerun with the same `--threads` to reproduce these tables exactly.",
        "",
        f"Data: {adata.n_obs} tumour samples x {adata.n_vars} genes; GeneXNet preset "
        f"`{args.preset}` ({len(genes)} model genes), trained on {len(tr)} samples (stratified "
        f"80 %), Gene-CAM on the {len(te)} held-out samples.  Held-out accuracy per seed: "
        + ", ".join(f"{s}: {a:.4f}" for s, a in zip(seeds, accs, strict=True))
        + f"; training + Gene-CAM time per seed: {', '.join(f'{t:.0f} s' for t in times)}.",
        "",
        f"Gene-CAM resolution: the cam_layer (last GeneXNet block) outputs a {cam_hw[0]} x "
        f"{cam_hw[1]} map for the {grid_hw[0]} x {grid_hw[1]} gene grid, i.e. one CAM cell per "
        f"~{genes_per_cell:.0f} genes (neighbours in genomic order); bilinear upsampling gives "
        "those genes nearly equal scores, which bounds how gene-specific the rankings can be.",
        "",
        f"## Top {args.top} Gene-CAM genes (seed {seeds[0]}) among the top {args.de_top} genes of "
        "a one-vs-rest edgeR exact test",
        "",
        _md(de_table),
        "",
        f"## Overlap of the top {args.top} genes across seeds {args.seeds}",
        "",
        _md(seed_table) if not seed_table.empty else "(one seed only)",
        "",
        f"## Agreement between attribution methods (seed {seeds[0]}, {sub.n_obs} samples, "
        f"per-sample Spearman over all genes and top-{args.top} Jaccard; {t_methods:.0f} s)",
        "",
        _md(methods),
        "",
        *emb_md,
        *ens_md,
    ]
    write_text(args.out, "\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
