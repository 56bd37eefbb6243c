"""One cross-validation runner for GeneXNet, the CNN baselines and the classical baselines.

All models see the same folds (stratified, participant-grouped, manifest saved to disk).
Networks get gene images; classical baselines get the standardized log-CPM features of the
same genes.  Every fitted step (gene filter, log-CPM scaler, network) is fitted on the
training samples of the fold only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData
from tqdm.auto import tqdm

from oncosig._atomic import write_table
from oncosig._errors import OncosigInputError
from oncosig.genexnet._data import counts_matrix, participants, resolve_labels
from oncosig.genexnet._metrics import (
    classification_metrics,
    confusion_table,
    per_class_accuracy,
    summarize,
)
from oncosig.genexnet._prep import LogCPMScaler, select_genes
from oncosig.genexnet._review import REVIEW_COLUMNS
from oncosig.genexnet._splits import make_folds, read_manifest, write_manifest

logger = logging.getLogger(__name__)

ModelSpec = str | tuple[str, str, Mapping[str, Any]]
MANIFEST = "splits.tsv"
#: settings of a classical baseline that the runner uses itself (gene filter and scaling),
#: with their defaults; the rest go to the registry factory
CLASSICAL_FEATURE_DEFAULTS: dict[str, Any] = {
    "min_detected": 0.1,
    "max_genes": None,
    "prior_count": 1.0,
    "normalization": "log-cpm",
}


@dataclass
class CVResult:
    """Out-of-fold predictions and per-fold metrics of every model.

    Attributes
    ----------
    predictions
        One row per (model, sample): ``model, fold, sample, true, prediction`` and one
        probability column per class; networks' rows also ``max_probability``,
        ``nearest_class`` and ``review`` (see ``GeneXNet.predict_review``).
    metrics
        One row per (model, fold): accuracy, macro F1, balanced accuracy, ROC AUC, seconds.
    folds
        The split manifest (indexed by sample: ``fold, label[, group]``).
    classes
        Class names.
    """

    predictions: pd.DataFrame
    metrics: pd.DataFrame
    folds: pd.DataFrame
    classes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """Mean and standard deviation over folds of every metric, per model."""
        return summarize(self.metrics.drop(columns=["seconds"], errors="ignore"), by="model")

    def _model(self, model: str) -> pd.DataFrame:
        df = self.predictions[self.predictions["model"] == model]
        if df.empty:
            raise ValueError(f"no predictions for model '{model}'")
        return df

    def per_class(self, model: str) -> pd.DataFrame:
        """Per-class accuracy of ``model`` over all out-of-fold predictions."""
        df = self._model(model)
        return per_class_accuracy(df["true"], df["prediction"])

    def confusion(self, model: str) -> pd.DataFrame:
        """Confusion table of ``model`` over all out-of-fold predictions."""
        df = self._model(model)
        return confusion_table(df["true"], df["prediction"], self.classes)

    @property
    def models(self) -> list[str]:
        """Model labels, in the order they were run."""
        return list(pd.unique(self.predictions["model"]))

    def per_class_table(self) -> pd.DataFrame:
        """Per-class accuracy of every model side by side (index: class; ``n`` first)."""
        table = pd.concat({m: self.per_class(m)["accuracy"] for m in self.models}, axis=1)
        table.insert(0, "n", self.per_class(self.models[0])["n"])
        return table

    def seed_summary(self, groups: Mapping[str, Sequence[str]]) -> pd.DataFrame:
        """Training seeds of one configuration summarised, and their seed ensemble.

        Parameters
        ----------
        groups
            Configuration name -> the model labels of its seeds (same folds).

        Returns
        -------
        One row per configuration: ``n_seeds``; accuracy and macro F1 over all out-of-fold
        predictions of a seed (mean and sd over seeds); ``errors_min``/``_mean``/``_max``;
        and the ensemble's (class probabilities averaged over the seeds)
        ``ensemble_accuracy``, ``ensemble_macro_f1`` and ``ensemble_errors``.
        """
        rows: list[dict[str, Any]] = []
        for name, members in groups.items():
            if not members:
                raise ValueError(f"no seeds given for '{name}'")
            frames = [self._model(m).sort_values("sample") for m in members]
            truth = frames[0]["true"].to_numpy().astype(str)
            if any(list(f["sample"]) != list(frames[0]["sample"]) for f in frames):
                raise ValueError(f"the seeds of '{name}' do not predict the same samples")
            probas = [f[self.classes].to_numpy(dtype=np.float64) for f in frames]
            per = [
                classification_metrics(truth, f["prediction"], pr, self.classes)
                for f, pr in zip(frames, probas, strict=True)
            ]
            errors = np.asarray([int((f["prediction"].astype(str) != truth).sum()) for f in frames])
            mean = np.mean(probas, axis=0)
            pred = np.asarray(self.classes, dtype=object)[mean.argmax(axis=1)]
            ens = classification_metrics(truth, pred, mean, self.classes)
            acc = np.asarray([m["accuracy"] for m in per])
            f1 = np.asarray([m["macro_f1"] for m in per])
            ddof = 1 if len(members) > 1 else 0
            rows.append(
                {
                    "model": name,
                    "n_seeds": len(members),
                    "accuracy_mean": acc.mean(),
                    "accuracy_std": acc.std(ddof=ddof),
                    "macro_f1_mean": f1.mean(),
                    "macro_f1_std": f1.std(ddof=ddof),
                    "errors_min": int(errors.min()),
                    "errors_mean": float(errors.mean()),
                    "errors_max": int(errors.max()),
                    "ensemble_accuracy": ens["accuracy"],
                    "ensemble_macro_f1": ens["macro_f1"],
                    "ensemble_errors": int((pred.astype(str) != truth).sum()),
                }
            )
        return pd.DataFrame(rows).set_index("model")

    def errors(self) -> pd.DataFrame:
        """Samples that at least one model gets wrong, the most often missed first.

        Indexed by sample: ``true``, each model's out-of-fold prediction (one column per
        model), ``n_models_wrong`` and, for each network, ``<model>_review`` (whether
        ``predict_review`` flagged the call).
        """
        pred = self.predictions.pivot(index="sample", columns="model", values="prediction")
        pred = pred[self.models]
        pred.columns.name = None
        truth = self.predictions.groupby("sample")["true"].first().reindex(pred.index)
        wrong = pred.ne(truth, axis=0)
        out = pred[wrong.any(axis=1)].copy()
        out.insert(0, "true", truth[out.index])
        out["n_models_wrong"] = wrong[wrong.any(axis=1)].sum(axis=1).astype(int)
        if "review" in self.predictions:
            flags = self.predictions.pivot(index="sample", columns="model", values="review")
            for model in self.models:
                if flags[model].notna().any():  # networks only
                    out[f"{model}_review"] = flags.loc[out.index, model].astype(bool)
        out = out.rename_axis("sample").reset_index()
        out = out.sort_values(["n_models_wrong", "true", "sample"], ascending=[False, True, True])
        return out.set_index("sample")


def _resolve(
    spec: ModelSpec, params: Mapping[str, Mapping[str, Any]]
) -> tuple[str, str, dict[str, Any]]:
    if isinstance(spec, str):
        return spec, spec, dict(params.get(spec, {}))
    label, name, p = spec
    return label, name, dict(p)


def _fit_predict_network(
    name: str,
    p: dict[str, Any],
    train: AnnData,
    y_train: np.ndarray,
    test: AnnData,
    seed: int,
    history_path: Path | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Fit a network on ``train``; its test probabilities and review flags (REVIEW_COLUMNS)."""
    from oncosig.genexnet._estimator import GeneImageClassifier
    from oncosig.genexnet._genexnet import GeneXNet

    p.setdefault("seed", seed)
    est: GeneImageClassifier = (
        GeneXNet(**p) if name == "genexnet" else GeneImageClassifier(name, **p)
    )
    est.fit(train, y_train)
    if history_path is not None and est.history_:
        write_table(pd.DataFrame(est.history_), history_path, index=False)
    review = est.predict_review(test)
    return review[list(est.classes_)].to_numpy(dtype=np.float64), review


def _fit_predict_classical(
    name: str,
    p: dict[str, Any],
    train: AnnData,
    y_int: np.ndarray,
    test: AnnData,
    seed: int,
    n_classes: int,
) -> np.ndarray:
    from oncosig.models import create_model

    f = {k: p.pop(k, default) for k, default in CLASSICAL_FEATURE_DEFAULTS.items()}
    c_train = counts_matrix(train)
    keep = select_genes(c_train, min_detected=float(f["min_detected"]), max_genes=f["max_genes"])
    scaler = LogCPMScaler(prior_count=float(f["prior_count"]), method=str(f["normalization"])).fit(
        c_train[:, keep]
    )
    x_train = scaler.transform(c_train[:, keep])
    x_test = scaler.transform(counts_matrix(test)[:, keep])
    p.setdefault("seed", seed)
    est = create_model(name, **p)
    est.fit(x_train, y_int)
    proba = np.zeros((len(x_test), n_classes))
    proba[:, np.asarray(est.classes_, dtype=int)] = est.predict_proba(x_test)
    return proba


def _is_network(name: str) -> bool:
    from oncosig.models import get_entry

    return bool(get_entry(name).family == "network")


def cross_validate(
    adata: AnnData,
    *,
    label_key: str | None = None,
    y: Sequence[object] | np.ndarray | pd.Series | None = None,
    models: Sequence[ModelSpec] = ("genexnet", "logreg"),
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    n_splits: int = 5,
    seed: int = 0,
    group_key: str | None = "participant",
    out_dir: str | Path | None = None,
    resume: bool = True,
    progress: bool = True,
    on_fold: Callable[[str, int, dict[str, float]], None] | None = None,
) -> CVResult:
    """Stratified (participant-grouped) k-fold CV of several models on the same folds.

    Parameters
    ----------
    adata
        Samples x genes with raw counts.
    label_key, y
        The labels: an ``obs`` column, or one label per sample.
    models
        Model names (``"genexnet"``, a registered CNN such as ``"resnet50v2"``, or a
        classical baseline such as ``"logreg"``), or ``(label, name, params)`` tuples.
    model_params
        Keyword arguments per model name (e.g. ``{"logreg": {"C": 0.1}}``); network
        entries go to :class:`GeneImageClassifier` (``max_epochs``, ``net_params``, ...),
        classical entries to the registry factory (plus ``min_detected``/``max_genes``).
    n_splits, seed
        Folds and shuffle seed (also the models' seed).
    group_key
        ``obs`` column of participants: no participant is in both train and test.
    out_dir
        Where to write the split manifest (``splits.tsv``) and per-fold predictions
        (``predictions/<model>_fold<k>.tsv``); with ``resume``, finished folds are read back
        instead of retrained, and an existing manifest is reused.
    resume
        Reuse finished folds found in ``out_dir``.
    progress
        Show a progress bar over (model, fold).
    on_fold
        Called as ``on_fold(model, fold, metrics)`` after each fold.
    """
    labels = resolve_labels(adata, y, label_key)
    classes = sorted(set(labels))
    groups = participants(adata, group_key)
    sample_ids = [str(s) for s in adata.obs_names]
    if len(set(sample_ids)) != len(sample_ids):
        raise OncosigInputError("sample IDs must be unique for cross-validation")
    out = Path(out_dir) if out_dir is not None else None
    manifest_path = out / MANIFEST if out is not None else None
    if manifest_path is not None and resume and manifest_path.exists():
        manifest = read_manifest(manifest_path)
        if list(manifest.index) != sample_ids or list(manifest["label"]) != list(labels):
            raise OncosigInputError(
                "the existing split manifest belongs to other samples or labels; "
                "use another output folder or resume=False",
                path=manifest_path,
            )
        folds = manifest["fold"].to_numpy(dtype=np.int64)
        n_splits = int(folds.max()) + 1
    else:
        folds = make_folds(labels, groups, n_splits=n_splits, seed=seed)
        if manifest_path is not None:
            write_manifest(
                manifest_path,
                sample_ids=sample_ids,
                folds=folds,
                labels=list(labels),
                groups=None if groups is None else list(groups),
            )
    manifest_df = pd.DataFrame(
        {"fold": folds, "label": labels}, index=pd.Index(sample_ids, name="sample")
    )
    if groups is not None:
        manifest_df["group"] = groups
    class_index = {c: i for i, c in enumerate(classes)}
    y_int = np.asarray([class_index[v] for v in labels], dtype=np.int64)
    params = model_params or {}
    specs = [_resolve(s, params) for s in models]
    pred_frames: list[pd.DataFrame] = []
    metric_rows: list[dict[str, Any]] = []
    bar = tqdm(total=len(specs) * n_splits, desc="cross-validation", disable=not progress)
    for label, name, p in specs:
        network = _is_network(name)
        for k in range(n_splits):
            bar.set_postfix_str(f"{label} fold {k + 1}/{n_splits}")
            te = np.flatnonzero(folds == k)
            tr = np.flatnonzero(folds != k)
            pred_path = out / "predictions" / f"{label}_fold{k}.tsv" if out is not None else None
            t0 = time.perf_counter()
            if pred_path is not None and resume and pred_path.exists():
                df = pd.read_csv(
                    pred_path, sep="\t", dtype={"sample": str, "true": str, "prediction": str}
                )
                seconds = float(df.pop("seconds").iloc[0]) if "seconds" in df else float("nan")
            else:
                train, test = adata[tr], adata[te]
                review = None
                if network:
                    hist = out / "training" / f"{label}_fold{k}.csv" if out is not None else None
                    proba, review = _fit_predict_network(
                        name, dict(p), train, labels[tr], test, seed, history_path=hist
                    )
                else:
                    proba = _fit_predict_classical(
                        name, dict(p), train, y_int[tr], test, seed, len(classes)
                    )
                df = pd.DataFrame(proba, columns=classes)
                if review is not None:  # networks: which calls to check (predict_review)
                    for col in REVIEW_COLUMNS:
                        df[col] = review[col].to_numpy()
                df.insert(0, "prediction", np.asarray(classes, dtype=object)[proba.argmax(1)])
                df.insert(0, "true", labels[te])
                df.insert(0, "sample", [sample_ids[i] for i in te])
                df.insert(0, "fold", k)
                df.insert(0, "model", label)
                seconds = time.perf_counter() - t0
                if pred_path is not None:
                    write_table(df.assign(seconds=seconds), pred_path, index=False)
            m = classification_metrics(
                df["true"], df["prediction"], df[classes].to_numpy(), classes
            )
            metric_rows.append({"model": label, "fold": k, **m, "seconds": seconds})
            pred_frames.append(df)
            if on_fold is not None:
                on_fold(label, k, m)
            bar.update(1)
    bar.close()
    metrics = pd.DataFrame(metric_rows)
    if out is not None:
        write_table(metrics, out / "cv_metrics.tsv", index=False)
    return CVResult(
        predictions=pd.concat(pred_frames, ignore_index=True),
        metrics=metrics,
        folds=manifest_df,
        classes=classes,
    )
