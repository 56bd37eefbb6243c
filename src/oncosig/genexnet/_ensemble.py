"""Seed ensembles: several fitted models whose class probabilities are averaged.

GeneXNet's errors on a few hundred samples change with the training seed; averaging the
probabilities of models trained with different seeds removes most of that variance
(BENCHMARKS.md, seed study).  Each member keeps its own genes, grid and fitted scaler, so
members need not share a gene list; they must predict the same classes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncosig._errors import OncosigInputError
from oncosig.genexnet._data import Data
from oncosig.genexnet._estimator import GeneImageClassifier
from oncosig.genexnet._persist import load_any, save_ensemble
from oncosig.genexnet._predictor import ProbaClassifier

logger = logging.getLogger(__name__)


class GeneXNetEnsemble(ProbaClassifier):
    """Average the class probabilities of several fitted models (e.g. one per seed).

    Parameters
    ----------
    models
        Fitted :class:`~oncosig.genexnet.GeneImageClassifier` / ``GeneXNet`` estimators
        with the same set of classes (in any order; columns follow the first model).

    Attributes
    ----------
    classes_
        Class names (columns of :meth:`predict_proba`), as the first model orders them.

    Examples
    --------
    >>> members = [GeneXNet(**preset("standard", seed=s)).fit(adata, label_key="project")
    ...            for s in range(5)]  # doctest: +SKIP
    >>> GeneXNetEnsemble(members).predict_frame(new_adata)  # doctest: +SKIP
    """

    def __init__(self, models: Sequence[GeneImageClassifier]) -> None:
        members = list(models)
        if not members:
            raise ValueError("an ensemble needs at least one fitted model")
        for m in members:
            if not isinstance(m, GeneImageClassifier):
                raise TypeError(
                    f"ensemble members must be fitted GeneXNet models, got {type(m).__name__}"
                )
            if not m.classes_:
                raise ValueError("every ensemble member must be fitted (call fit or load first)")
        self.classes_: list[str] = list(members[0].classes_)
        for i, m in enumerate(members[1:], start=1):
            if sorted(m.classes_) != sorted(self.classes_):
                raise OncosigInputError(
                    f"ensemble member {i} predicts {m.classes_}, member 0 predicts "
                    f"{self.classes_}; combine models trained on the same classes"
                )
        self.models = members

    @classmethod
    def load(cls, paths: str | Path | Sequence[str | Path]) -> GeneXNetEnsemble:
        """An ensemble of the models in ``paths``.

        Each path is a single-model checkpoint (``GeneXNet.save``) or an ensemble file
        (:meth:`save`), whose members are all added.
        """
        if isinstance(paths, (str, Path)):
            paths = [paths]
        members: list[GeneImageClassifier] = []
        for p in paths:
            model = load_any(p)
            members.extend(model if isinstance(model, list) else [model])
        return cls(members)

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write every member (weights, scaler, grid, classes, settings) to one safetensors file."""
        return save_ensemble(self.models, path, overwrite=overwrite)

    def __len__(self) -> int:
        return len(self.models)

    def predict_proba(self, adata: Data) -> np.ndarray:
        """Mean class probabilities of the members, ``(n_samples, n_classes)``."""
        total: np.ndarray | None = None
        for m in self.models:
            order = [m.classes_.index(c) for c in self.classes_]
            proba = np.asarray(m.predict_proba(adata), dtype=np.float64)[:, order]
            total = proba if total is None else total + proba
        assert total is not None
        return total / len(self.models)

    def proba_and_correlations(self, adata: Data) -> tuple[np.ndarray, np.ndarray | None]:
        """Members' mean probabilities and mean centroid correlations (members with centroids)."""
        probas, corrs = [], []
        for m in self.models:
            order = [m.classes_.index(c) for c in self.classes_]
            proba, corr = m.proba_and_correlations(adata)
            probas.append(np.asarray(proba, dtype=np.float64)[:, order])
            if corr is not None:
                corrs.append(np.asarray(corr, dtype=np.float64)[:, order])
        return np.mean(probas, axis=0), (np.mean(corrs, axis=0) if corrs else None)


def load_model(path: str | Path) -> GeneImageClassifier | GeneXNetEnsemble:
    """The model in a checkpoint: an estimator, or a :class:`GeneXNetEnsemble` for an ensemble file."""
    model = load_any(path)
    return GeneXNetEnsemble(model) if isinstance(model, list) else model


def _member_path(checkpoint_dir: Path, seed: int) -> Path:
    return checkpoint_dir / f"seed{seed}.safetensors"


def fit_seed_ensemble(
    adata: Data,
    y: Sequence[object] | np.ndarray | pd.Series | None = None,
    *,
    seeds: Sequence[int],
    label_key: str | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    **params: Any,
) -> GeneXNetEnsemble:
    """Train one GeneXNet per seed, with otherwise identical settings, as an ensemble.

    Parameters
    ----------
    adata, y, label_key
        Training data and labels, as for :meth:`GeneXNet.fit`.
    seeds
        One training seed per member (weights, inner validation split, batch order).
    checkpoint_dir
        Folder for resumable training: member ``s`` checkpoints to ``seed{s}/fit.ckpt``
        and is saved as ``seed{s}.safetensors`` once trained.  The folder is not cleaned up.
    resume
        Reuse the members already saved in ``checkpoint_dir`` (refused if their settings
        differ) and continue the interrupted one.
    **params
        GeneXNet settings (e.g. ``**preset("standard")``); ``seed`` is set per member.

    Examples
    --------
    >>> ens = fit_seed_ensemble(adata, label_key="project", seeds=range(5),
    ...                         **preset("standard"))  # doctest: +SKIP
    >>> ens.save("genexnet_5seeds.safetensors")  # doctest: +SKIP
    """
    from oncosig.genexnet._genexnet import GeneXNet

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("give at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must differ, got {seeds}")
    params.pop("seed", None)
    folder = None if checkpoint_dir is None else Path(checkpoint_dir)
    members: list[GeneImageClassifier] = []
    for i, seed in enumerate(seeds):
        model = GeneXNet(**params, seed=seed)
        saved = None if folder is None else _member_path(folder, seed)
        if resume and saved is not None and saved.exists():
            done = GeneImageClassifier.load(saved)
            if done.training_settings() != model.training_settings():
                raise ValueError(
                    f"{saved} was trained with other settings; delete it, or train without resume"
                )
            logger.info("seed %d: reusing the finished member %s", seed, saved)
            members.append(done)
            continue
        logger.info("training ensemble member %d of %d (seed %d)", i + 1, len(seeds), seed)
        model.fit(
            adata,
            y,
            label_key=label_key,
            checkpoint_dir=None if folder is None else folder / f"seed{seed}",
            resume=resume,
        )
        if saved is not None:
            model.save(saved, overwrite=True)
        members.append(model)
    return GeneXNetEnsemble(members)
