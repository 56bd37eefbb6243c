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
from oncosig.genexnet._metrics import classification_metrics, prediction_table, top_class
from oncosig.genexnet._review import review_table


class ProbaClassifier:
    """Mixin: predictions, prediction table and metrics from ``predict_proba``."""

    classes_: list[str]

    def predict_proba(self, adata: Data) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` in :attr:`classes_` order."""
        raise NotImplementedError

    def proba_and_correlations(self, adata: Data) -> tuple[np.ndarray, np.ndarray | None]:
        """Class probabilities and correlations with the class centroids (None: none kept)."""
        return self.predict_proba(adata), None

    def predict_review(self, adata: Data, *, min_probability: float = 0.5) -> pd.DataFrame:
        """Predictions with a flag on those to check before trusting them.

        A sample is flagged (``review``) when its predicted class has a probability below
        ``min_probability``, or when its scaled expression profile correlates better with
        another class's mean training profile (``nearest_class``) than with that of the
        predicted class: samples unlike any training sample of the class they get, such as
        tumours dominated by immune or stromal cells.  On the 7-cohort benchmark these few
        samples hold most of the errors (``benchmarks/genexnet_review.py``).

        Returns
        -------
        DataFrame indexed by sample: ``prediction``, one probability column per class,
        ``max_probability``, ``nearest_class`` and ``review``.
        """
        proba, corr = self.proba_and_correlations(adata)
        index = obs_view(adata).obs_names
        flags = review_table(proba, corr, self.classes_, index, min_probability=min_probability)
        table = prediction_table(proba, index, self.classes_)
        return pd.concat([table, flags.set_index(table.index)], axis=1)

    def predict(self, adata: Data) -> np.ndarray:
        """Predicted class names (the most probable class of each sample)."""
        return top_class(self.predict_proba(adata), self.classes_)

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
        return self.evaluate_with_predictions(adata, y, label_key=label_key)[0]

    def evaluate_with_predictions(
        self,
        adata: Data,
        y: Sequence[object] | np.ndarray | pd.Series | None = None,
        *,
        label_key: str | None = None,
    ) -> tuple[dict[str, float], np.ndarray]:
        """:meth:`evaluate`'s metrics and the predicted classes, from one prediction pass."""
        labels = resolve_labels(obs_view(adata), y, label_key)
        proba = self.predict_proba(adata)
        pred = top_class(proba, self.classes_)
        return classification_metrics(labels, pred, proba, self.classes_), pred
