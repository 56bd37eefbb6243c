"""Compose the HTML report of a run directory."""

from __future__ import annotations

import json
import logging
import re
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncosig import pl
from oncosig._atomic import check_can_write, write_text
from oncosig._errors import OncosigInputError
from oncosig.report import _cv, _degnext
from oncosig.report import _html as H
from oncosig.report._figures import figure
from oncosig.report._scan import RunContents, scan_run, truth_column

log = logging.getLogger(__name__)
_MAX_EMBEDDED_PNG = 8_000_000


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list | tuple):
            out[key] = json.dumps(v) if len(v) <= 20 else f"[{len(v)} items]"
        else:
            out[key] = v
    return out


def _summary(run: RunContents) -> str:
    parts: list[str] = []
    if not run.records:
        parts.append(H.note("No run record (run.json) found: configuration and versions unknown."))
    for path, rec in run.records:
        top = {k: rec[k] for k in ("command", "time_utc", "seed") if k in rec}
        parts.append(f"<h3>{H.esc(run.rel(path))}</h3>")
        if top:
            parts.append(H.table(pd.DataFrame({"field": list(top), "value": list(top.values())})))
        for key in ("config", "metrics", "data", "summary"):
            if isinstance(rec.get(key), dict) and rec[key]:
                flat = _flatten(rec[key])
                parts.append(f"<h3>{H.esc(key)}</h3>")
                parts.append(
                    H.table(
                        pd.DataFrame({"key": list(flat), "value": list(flat.values())}), max_rows=60
                    )
                )
        if isinstance(rec.get("versions"), dict):
            v = rec["versions"]
            parts.append(
                '<p class="muted">versions: '
                + H.esc(", ".join(f"{k} {val}" for k, val in v.items()))
                + "</p>"
            )
    listing = [
        run.rel(p)
        for p in sorted(
            [p for p, _ in run.records]
            + [p for ts in run.tables.values() for p, _ in ts]
            + run.images
            + run.other_files
        )
    ]
    parts.append(f'<p class="muted">files: {H.esc(", ".join(listing) or "none")}</p>')
    for path, same in run.duplicates:
        parts.append(
            f'<p class="muted">{H.esc(run.rel(path))}: same table as '
            f"{H.esc(run.rel(same))} (shown once).</p>"
        )
    for path, why in run.unreadable:
        parts.append(H.note(f"{run.rel(path)} could not be read: {why}"))
    return "".join(parts)


def _data_summary(run: RunContents) -> str:
    parts: list[str] = []
    for path, df in run.of("predictions"):
        truth = truth_column(df)
        counts = pd.DataFrame({"predicted": df["prediction"].astype(str).value_counts()})
        if truth is not None:
            counts["true"] = df[truth].astype(str).value_counts()
        counts = counts.fillna(0).astype(int).sort_index()
        counts.index.name = "class"
        parts.append(
            f"<h3>{H.esc(run.rel(path))}: {len(df)} samples, "
            f"{counts.shape[0]} classes</h3>" + H.table(counts, index=True, max_rows=60)
        )
        if "review" in df.columns:  # genexnet predict's flags
            flagged = df[df["review"].astype(str).str.lower() == "true"]
            parts.append(
                f"<p>{len(flagged)} of {len(df)} predictions flagged for review (probability "
                "below the threshold, or the sample nearer another class's training samples)."
                "</p>"
            )
            if len(flagged):
                named = ("sample", "prediction", "max_probability", "nearest_class")
                cols = [c for c in named if c in df]
                parts.append(H.table(flagged[cols], index="sample" not in df, max_rows=60))
    for path, df in run.of("degnext_predictions"):
        counts = df["label"].astype(str).value_counts().rename("genes").to_frame()
        parts.append(
            f"<h3>{H.esc(run.rel(path))}: {len(df)} genes</h3>" + H.table(counts, index=True)
        )
    parts.append(_cv.data_summary(run))
    for model, df in _cv.pooled_predictions(run).items():
        parts.append(
            f"<p>{H.esc(model)}: out-of-fold predictions of {len(df)} samples "
            f"in {df['fold'].nunique()} folds.</p>"
        )
    parts.append(_cv.describe_models(run.records))
    return "".join(parts) or H.note("No predictions or data description found in this run.")


def _noise_plot(df: pd.DataFrame) -> Any:
    """Accuracy against noise on a symmetric-log axis (levels span 0 to 1500 %)."""
    ax = pl.noise_robustness(df)
    ax.set_xscale("symlog", linthresh=1.0)
    return ax


def _metrics(run: RunContents, notes: list[str]) -> str:
    parts: list[str] = [_cv.metrics_section(run, notes)]
    for path, df in run.of("metrics"):
        parts.append(
            f"<h3>{H.esc(run.rel(path))}</h3>"
            + H.table(df, index=not isinstance(df.index, pd.RangeIndex))
        )
    for path, df in run.of("noise"):
        parts.append(
            figure(
                partial(_noise_plot, df),
                alt="noise robustness",
                caption=f"noise robustness ({run.rel(path)})",
                notes=notes,
            )
        )
    for path, df in run.of("predictions"):
        truth = truth_column(df)
        if truth is None:
            parts.append(H.note(f"{run.rel(path)}: no true-label column; no confusion matrix/ROC."))
            continue
        y = df[truth].astype(str)
        acc = float((df["prediction"].astype(str) == y).mean())
        parts.append(f"<h3>{H.esc(run.rel(path))}: accuracy {acc:.4f} over {len(df)} samples</h3>")
        classes = sorted(set(y) | set(df["prediction"].astype(str)))
        parts.append(
            figure(
                partial(pl.confusion_matrix, y, df["prediction"].astype(str), labels=classes),
                alt="confusion matrix",
                caption=f"confusion matrix ({run.rel(path)})",
                notes=notes,
            )
        )
        prob_cols = [
            c for c in df.columns if str(c) in classes and pd.api.types.is_numeric_dtype(df[c])
        ]
        if len(prob_cols) >= 2:
            parts.append(
                figure(
                    partial(pl.roc_curves, y, df[prob_cols]),
                    alt="ROC curves",
                    caption=f"ROC curves ({run.rel(path)})",
                    notes=notes,
                )
            )
    return "".join(parts) or H.note("No metrics tables, training logs or predictions found.")


def _training(run: RunContents, notes: list[str]) -> str:
    parts = [
        figure(
            partial(pl.training_curves, df),
            alt="training curves",
            caption=f"training curves ({run.rel(path)})",
            notes=notes,
        )
        for path, df in run.of("training")
    ]
    return "".join(parts) or H.note(
        "No training log (per-epoch loss / accuracy table with an 'epoch' column) in this run."
    )


def _de(run: RunContents, notes: list[str]) -> str:
    parts: list[str] = []
    for path, df in run.of("de"):
        parts.append(f"<h3>{H.esc(run.rel(path))}: {len(df)} genes</h3>")
        parts.append(
            figure(
                partial(pl.volcano, df),
                alt="volcano plot",
                caption=f"volcano ({run.rel(path)})",
                notes=notes,
            )
        )
        parts.append(
            figure(
                partial(pl.ma_plot, df),
                alt="MA plot",
                caption=f"MA plot ({run.rel(path)})",
                notes=notes,
            )
        )
        cols = pl.de_columns(df)
        key = cols.get("fdr", cols["pvalue"])
        parts.append(H.table(df.sort_values(key).head(20), index=True))
    return "".join(parts)


def _safe(name: str) -> str:
    """File-name form of a class name (as ``oncosig explain`` names its heatmaps)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "class"


def _embed(run: RunContents, path: Path) -> str:
    data = path.read_bytes()
    if len(data) > _MAX_EMBEDDED_PNG or not data.startswith(b"\x89PNG"):
        return H.note(f"{run.rel(path)} not embedded (not a PNG or larger than 8 MB)")
    return H.img_png(data, alt=path.stem, caption=run.rel(path))


def _top_genes(run: RunContents, used: set[Path]) -> str:
    parts: list[str] = []
    for path, df in run.of("ranking"):
        top = df[df["rank"] <= 20]
        n_cls = df["class"].nunique()
        parts.append(
            f"<h3>Gene-CAM top genes per class ({H.esc(run.rel(path))}, {n_cls} classes)</h3>"
        )
        heatmaps = {p.stem: p for p in run.images if p.parent == path.parent}
        for cls, grp in top.groupby("class", sort=True):
            parts.append(f"<h4>{H.esc(cls)}</h4>")
            heat = heatmaps.get(f"heatmap_{_safe(str(cls))}")
            if heat is not None:
                used.add(heat)
                parts.append(_embed(run, heat))
            parts.append(H.table(grp.drop(columns="class"), max_rows=20))
    for path, df in run.of("common_genes"):
        parts.append(
            f"<h3>genes shared by several classes ({H.esc(run.rel(path))})</h3>"
            + H.table(df, max_rows=40)
        )
    return "".join(parts) or H.note("No Gene-CAM gene rankings found in this run.")


def _gene_lists(run: RunContents, n_top: int) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for _path, df in run.of("ranking"):
        for cls, grp in df.sort_values("rank").groupby("class", sort=True):
            lists[f"Gene-CAM top {n_top}: {cls}"] = grp["gene"].astype(str).head(n_top).tolist()
    for _path, df in run.of("degnext_predictions"):
        for lab in ("UR", "DR"):
            genes = df.index[df["label"].astype(str) == lab].astype(str).tolist()
            if genes:
                lists[f"DEGnext {lab} genes"] = genes
    return lists


def _enrichment_table(df: pd.DataFrame, name: str, notes: list[str]) -> str:
    """Dot plot of the terms at FDR < 0.05 (when any) and the top rows of one ORA result."""
    parts: list[str] = []
    if "fdr" in df.columns:
        df = df.sort_values("fdr")
        n_sig = int((df["fdr"] < 0.05).sum())
        parts.append(f"<h4>{H.esc(name)}: {n_sig} terms at FDR &lt; 0.05</h4>")
        if n_sig and {"overlap", "set_size"} <= set(df.columns):
            parts.append(
                figure(
                    partial(pl.enrichment_dotplot, df[df["fdr"] < 0.05]),
                    alt="enrichment",
                    caption=f"enrichment: {name}",
                    notes=notes,
                )
            )
    if "genes" in df.columns:
        df = df.assign(genes=df["genes"].astype(str).str.slice(0, 80))
    parts.append(H.table(df, max_rows=10))
    return "".join(parts)


def _enrichment(run: RunContents, notes: list[str], library: str | None, n_top: int) -> str:
    parts: list[str] = []
    for path, df in run.of("enrichment"):
        parts.append(f"<h3>{H.esc(run.rel(path))}</h3>")
        if "class" in df.columns:  # `oncosig explain`: ORA of each class's top genes
            for cls, grp in df.groupby(df["class"].astype(str), sort=True):
                parts.append(_enrichment_table(grp.drop(columns="class"), str(cls), notes))
        else:
            parts.append(_enrichment_table(df, run.rel(path), notes))
    if parts or library is None:
        return "".join(parts) or H.note("No enrichment results found in this run.")
    lists = _gene_lists(run, n_top)
    if not lists:
        return H.note("No enrichment results, and no gene lists to test, in this run.")
    from oncosig.enrich import ora

    for name, genes in lists.items():
        try:
            res = ora(genes, library=library)
        except OncosigInputError as exc:
            parts.append(H.note(f"{name}: enrichment not computed ({exc})"))
            continue
        sig = res[res["fdr"] < 0.05]
        parts.append(
            f"<h3>{H.esc(name)} ({len(genes)} genes, {library}): "
            f"{len(sig)} terms at FDR &lt; 0.05</h3>"
        )
        if len(sig):
            parts.append(
                figure(
                    partial(pl.enrichment_dotplot, sig),
                    alt="enrichment",
                    caption=f"{name}: {library}",
                    notes=notes,
                )
            )
        parts.append(H.table(res.assign(genes=res["genes"].str.slice(0, 80)), max_rows=10))
    return "".join(parts)


def _figures(run: RunContents, used: set[Path]) -> str:
    parts = [_embed(run, p) for p in run.images if p not in used]
    if parts:
        return "".join(parts)
    if used:
        return '<p class="muted">Every figure of the run is shown above.</p>'
    return H.note("The run wrote no PNG figures.")


def build_report(
    run_dir: str | Path,
    *,
    title: str | None = None,
    library: str | None = "go-bp",
    n_top: int = 50,
    rescore: bool = True,
) -> str:
    """The HTML text of the report of a GeneXNet or DEGnext run directory.

    Parameters
    ----------
    run_dir
        Folder written by a run (``run.json``, CSV/TSV tables, PNG figures), up to three
        levels deep.  Tables are recognised by their columns (predictions, metrics,
        training logs, DE tables, gene rankings, enrichment results, and a
        cross-validation's split manifest, per-fold predictions and summary, whose folds
        are pooled per model and set beside the baselines); DEGnext ``*.run.json``
        records get their metrics, ROC curves and confusion matrices.  Missing parts are
        reported as notes.
    title
        Page title (default: the folder name).
    library
        Gene-set library used to compute enrichment of the run's gene lists (Gene-CAM top
        genes per class, DEGnext UR/DR genes) when the run holds no enrichment table;
        ``None`` skips it.
    n_top
        Genes per class used for that enrichment.
    rescore
        Score the checkpoint of a DEGnext ``train`` / ``evaluate`` record again on the
        recorded cohort's held-out splits, to draw ROC curves and confusion matrices (those
        commands write no per-gene scores).  Needs the recorded data folder.
    """
    root = Path(run_dir)
    if not root.is_dir():
        raise OncosigInputError("run directory not found (give the folder a run wrote)", path=root)
    run = scan_run(root)
    notes: list[str] = []
    used: set[Path] = set()
    sections = [
        ("Run", "run", H.section("Run", "run", [_summary(run)])),
        ("Data", "data", H.section("Data", "data", [_data_summary(run)])),
        ("Metrics", "metrics", H.section("Metrics and plots", "metrics", [_metrics(run, notes)])),
    ]
    sections.append(
        ("Training", "training", H.section("Training curves", "training", [_training(run, notes)]))
    )
    dn = _degnext.degnext_section(run, notes, rescore=rescore)
    if dn:
        sections.append(("DEGnext", "degnext", H.section("DEGnext models", "degnext", [dn])))
    de = _de(run, notes)
    if de:
        sections.append(("DE", "de", H.section("Differential expression", "de", [de])))
    sections += [
        ("Top genes", "genes", H.section("Top genes", "genes", [_top_genes(run, used)])),
        (
            "Enrichment",
            "enrichment",
            H.section("Enrichment", "enrichment", [_enrichment(run, notes, library, n_top)]),
        ),
        (
            "Figures",
            "figures",
            H.section("Figures written by the run", "figures", [_figures(run, used)]),
        ),
    ]
    for n in notes:
        log.warning(n)
    n_tables = int(np.sum([len(v) for v in run.tables.values()]))
    from oncosig import __version__

    subtitle = (
        f"{root.resolve()} - {n_tables} tables, {len(run.images)} figures - oncosig {__version__}"
    )
    return H.page(title or f"oncosig report: {root.resolve().name}", sections, subtitle=subtitle)


def write_report(
    run_dir: str | Path,
    out: str | Path,
    *,
    overwrite: bool = False,
    title: str | None = None,
    library: str | None = "go-bp",
    n_top: int = 50,
    rescore: bool = True,
) -> Path:
    """Write the self-contained HTML report of ``run_dir`` to ``out`` (atomically).

    See :func:`build_report` for the parameters.  Figures are embedded as base64 PNG and
    tables as HTML; the file has no external assets and no scripts.
    """
    check_can_write(out, overwrite=overwrite)
    text = build_report(run_dir, title=title, library=library, n_top=n_top, rescore=rescore)
    return write_text(out, text, overwrite=overwrite)
