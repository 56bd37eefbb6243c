"""What every fitted sample classifier derives from its class probabilities.

:class:`ProbaClassifier` gives ``predict``, ``predict_frame`` and ``evaluate`` to any class
that defines ``classes_`` and ``predict_proba`` (a single model or a seed ensemble), so that
the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from oncosig.genexnet._data import Data, obs_view, resolve_labels
from oncosig.genexnet._metrics import classification_metrics, prediction_table


class ProbaClassifier:
    """Mixin: predictions, prediction table and metrics from ``predict_proba``."""

    classes_: list[str]

    def predict_proba(self, adata: Data) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` in :attr:`classes_` order."""
        raise NotImplementedError

    def predict(self, adata: Data) -> np.ndarray:
        """Predicted class names (the most probable class of each sample)."""
        proba = self.predict_proba(adata)
        return np.asarray(self.classes_, dtype=object)[proba.argmax(axis=1)]

    def predict_frame(self, adata: Data) -> pd.DataFrame:
        """Table indexed by sample: ``prediction`` and one probability column per class."""
        return prediction_table(self.predict_proba(adata), obs_view(adata).obs_names, self.classes_)

    def evaluate(
        self,
        adata: Data,
        y: Sequence[object] | np.ndarray | pd.Series | None = None,
        *,
        label_key: str | None = None,
    ) -> dict[str, float]:
        """Accuracy, macro F1, balanced accuracy and ROC AUC over all samples.

        Labels are ``y`` or the ``label_key`` column of ``adata.obs``.
        """
        labels = resolve_labels(obs_view(adata), y, label_key)
        proba = self.predict_proba(adata)
        pred = np.asarray(self.classes_, dtype=object)[proba.argmax(axis=1)]
        return classification_metrics(labels, pred, proba, self.classes_)
