"""Report parts of DEGnext runs (``oncosig degnext train | transfer | evaluate``).

Those commands write a checkpoint (or a metrics JSON) and a ``<name>.run.json`` record
naming the data folder and cohort.  Scores per gene are not written, so, to draw ROC curves
and confusion matrices, the report loads the checkpoint (safetensors, never unpickled) and
scores the held-out splits of the recorded cohort again: T2 with the level-1 network
(DR / UR / neutral) and T3 (or the evaluated bio splits) with the fine-tuned head.
"""

from __future__ import annotations

import copy
import logging
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncosig import pl
from oncosig._constants import LABEL_NAMES
from oncosig._errors import OncosigInputError
from oncosig.report import _html as H
from oncosig.report._figures import figure
from oncosig.report._scan import RunContents

log = logging.getLogger(__name__)

RECORD_SUFFIX = ".run.json"
_METRIC_KEYS = ("accuracy", "precision", "recall", "f1", "mcc", "roc_auc", "n_genes")


def _sub(rec: dict[str, Any], key: str) -> dict[str, Any]:
    """``rec[key]`` when it is a dict, else an empty dict."""
    value = rec.get(key)
    return value if isinstance(value, dict) else {}


def is_degnext_record(rec: dict[str, Any]) -> bool:
    """Whether a run record was written by an ``oncosig degnext`` command."""
    return str(rec.get("command", "")).startswith("degnext")


def recorded_metrics(rec: dict[str, Any]) -> pd.DataFrame | None:
    """The ``metrics`` of a DEGnext record as a table (one row per scored split set)."""
    metrics = rec.get("metrics")
    if not isinstance(metrics, dict):
        return None
    rows = {str(k): v for k, v in metrics.items() if isinstance(v, dict)}
    flat = {k: v for k, v in metrics.items() if k in _METRIC_KEYS}
    if flat:
        cfg = _sub(rec, "config")
        rows[str(cfg.get("splits", "scored"))] = flat
    if not rows:
        return None
    table = pd.DataFrame.from_dict(rows, orient="index")
    table = table[[c for c in _METRIC_KEYS if c in table.columns]]
    table.index.name = "splits"
    return table


def _resolve(path_text: str, run: RunContents) -> Path:
    """A path written in a record: as recorded, else beside the run directory's files."""
    p = Path(path_text)
    if p.exists() or p.is_absolute():
        return p
    return run.root / p.name


def _jobs(rec: dict[str, Any]) -> list[tuple[list[str], str]]:
    """``(splits, task)`` pairs to score for a record."""
    command = str(rec.get("command", ""))
    cfg = _sub(rec, "config")
    if command == "degnext train":
        metrics = _sub(rec, "metrics")
        jobs = []
        if "T2" in metrics:
            jobs.append((["T2"], "level1"))
        if "T3" in metrics:
            jobs.append((["T3"], "binary"))
        return jobs
    if command == "degnext evaluate":
        splits = [s.strip() for s in str(cfg.get("splits", "F1,T3")).split(",") if s.strip()]
        return [(splits, "binary")]
    return []


def _checkpoint_of(path: Path, rec: dict[str, Any], run: RunContents) -> Path | None:
    cfg = _sub(rec, "config")
    if str(rec.get("command")) == "degnext evaluate":
        return _resolve(str(cfg["model"]), run) if "model" in cfg else None
    if path.name.endswith(RECORD_SUFFIX):
        return path.with_name(path.name[: -len(RECORD_SUFFIX)])
    return None


def score_split(
    model: Any, adata: Any, splits: list[str], task: str
) -> tuple[pd.Series, pd.DataFrame]:
    """True labels (DR / UR / neutral) and class probabilities of the genes in ``splits``.

    ``task`` is ``"binary"`` (fine-tuned DR vs UR head), ``"ternary"`` (the model's
    three-class output) or ``"level1"`` (the level-1 network alone).
    """
    present = set(adata.obs["split"].astype(str))
    use = [s for s in splits if s in present]
    if not use:
        raise OncosigInputError(
            f"none of the splits {', '.join(splits)} is in the data (present: "
            f"{', '.join(sorted(present))})"
        )
    if task == "level1":
        # the level-1 network alone, as `degnext train` scored T2 before fine-tuning
        level1 = copy.copy(model)
        level1.net = model.level1_net
        proba = level1.predict_proba(adata, splits=use, task="ternary")
    else:
        proba = model.predict_proba(adata, splits=use, task=task)
    mask = adata.obs["split"].astype(str).isin(use).to_numpy()
    y = pd.Series(adata.obs["label"].to_numpy()[mask].astype(int)).map(LABEL_NAMES)
    names = [LABEL_NAMES[k] for k in range(proba.shape[1])]
    return y.astype(str), pd.DataFrame(proba, columns=names)


def _rescore(path: Path, rec: dict[str, Any], run: RunContents, notes: list[str]) -> str:
    jobs = _jobs(rec)
    command = str(rec.get("command", ""))
    if not jobs:
        if command == "degnext transfer":
            return H.note(
                "A transfer model is scored on unseen cohorts: run `oncosig degnext evaluate "
                "--model CKPT --data DIR --cohort TCGA-XXXX --out eval.json` into this folder "
                "and the report shows its ROC curves."
            )
        return ""
    ckpt = _checkpoint_of(path, rec, run)
    cfg = _sub(rec, "config")
    data = _resolve(str(cfg.get("data", "")), run)
    if ckpt is None or not ckpt.is_file():
        return H.note(f"{run.rel(path)}: model checkpoint not found ({ckpt}); no ROC curves.")
    if data is None or not data.is_dir():
        return H.note(f"{run.rel(path)}: data folder not found ({data}); no ROC curves.")
    from oncosig.degnext import DEGnext
    from oncosig.io import read_degnext

    try:
        model = DEGnext.load(ckpt)
        adata = read_degnext(data, cohort=cfg.get("cohort"))
    except (OncosigInputError, OSError, ValueError) as exc:
        notes.append(f"{run.rel(path)}: not scored ({exc})")
        return H.note(f"{run.rel(path)}: the model could not be scored again ({exc}).")
    parts: list[str] = []
    rows: dict[str, dict[str, Any]] = {}
    recorded = _sub(rec, "metrics")
    if "accuracy" in recorded:
        recorded = {"+".join(jobs[0][0]): recorded}
    for splits, task in jobs:
        name = "+".join(splits)
        try:
            y, proba = score_split(model, adata, splits, task)
        except (OncosigInputError, ValueError) as exc:
            parts.append(H.note(f"{name}: not scored ({exc})"))
            continue
        pred = proba.idxmax(axis=1).astype(str)
        what = "DR vs UR head" if task == "binary" else "level-1 network, DR / UR / neutral"
        rows[name] = {
            "scored by": what,
            "genes": len(y),
            "accuracy": float((pred == y).mean()),
            "recorded accuracy": recorded.get(name, {}).get("accuracy", np.nan),
        }
        scores = proba[["UR"]] if task == "binary" else proba
        parts.append(
            figure(
                partial(pl.roc_curves, y, scores),
                alt=f"ROC curves {name}",
                caption=f"ROC curves, {name} ({what}), {ckpt.name}",
                notes=notes,
            )
        )
        parts.append(
            figure(
                partial(pl.confusion_matrix, y, pred, labels=list(proba.columns)),
                alt=f"confusion matrix {name}",
                caption=f"confusion matrix, {name} ({what})",
                notes=notes,
            )
        )
    head = ""
    if rows:
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "scored again"
        head = H.table(table, index=True)
    log.info("scored %s again on %s", ckpt, data)
    return head + "".join(parts)


def degnext_section(run: RunContents, notes: list[str], *, rescore: bool = True) -> str:
    """Recorded metrics of every DEGnext record, and ROC curves / confusion matrices."""
    parts: list[str] = []
    for path, rec in run.records:
        if not is_degnext_record(rec):
            continue
        cfg = _sub(rec, "config")
        cohort = cfg.get("cohort", "")
        parts.append(
            f"<h3>{H.esc(rec.get('command'))} {H.esc(cohort)} ({H.esc(run.rel(path))})</h3>"
        )
        table = recorded_metrics(rec)
        if table is not None:
            parts.append(H.table(table, index=True))
        scored = _rescore(path, rec, run, notes) if rescore else ""
        parts.append(scored)
        confusion = _confusion_from_json(path, run)
        if confusion is not None and "<img" not in scored:
            parts.append(
                figure(
                    partial(_draw_confusion, confusion),
                    alt="confusion matrix",
                    caption=f"confusion matrix recorded by {rec.get('command')}",
                    notes=notes,
                )
            )
    return "".join(parts)


def _confusion_from_json(path: Path, run: RunContents) -> np.ndarray | None:
    """The ``confusion`` matrix of an ``evaluate --out`` JSON beside its record."""
    if not path.name.endswith(RECORD_SUFFIX):
        return None
    target = path.with_name(path.name[: -len(RECORD_SUFFIX)])
    data = next((rec for p, rec in run.records if p == target), None)
    if data is None or "confusion" not in data:
        return None
    mat = np.asarray(data["confusion"], dtype=float)
    return mat if mat.ndim == 2 and mat.shape[0] == mat.shape[1] else None


def _draw_confusion(mat: np.ndarray) -> Any:
    names = [LABEL_NAMES[k] for k in range(mat.shape[0])]
    y_true = np.repeat(np.repeat(names, mat.shape[1]), mat.astype(int).ravel())
    y_pred = np.repeat(np.tile(names, mat.shape[0]), mat.astype(int).ravel())
    return pl.confusion_matrix(y_true, y_pred, labels=names)
