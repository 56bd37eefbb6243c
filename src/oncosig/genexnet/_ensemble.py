"""Seed ensembles: several fitted models whose class probabilities are averaged.

GeneXNet's errors on a few hundred samples change with the training seed; averaging the
probabilities of models trained with different seeds removes most of that variance
(BENCHMARKS.md, seed study).  Each member keeps its own genes, grid and fitted scaler, so
members need not share a gene list; they must predict the same classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from oncosig._errors import OncosigInputError
from oncosig.genexnet._data import Data
from oncosig.genexnet._estimator import GeneImageClassifier
from oncosig.genexnet._predictor import ProbaClassifier


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
    def load(cls, paths: Sequence[str | Path]) -> GeneXNetEnsemble:
        """An ensemble of the checkpoints at ``paths`` (each written by ``save``)."""
        return cls([GeneImageClassifier.load(p) for p in paths])

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
