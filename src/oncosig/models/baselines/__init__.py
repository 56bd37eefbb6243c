"""Classical baselines (scikit-learn API), registered by name.

Every factory returns an unfitted estimator with ``fit``, ``predict`` and
``predict_proba``; inputs are whatever the calling pipeline prepared (log-CPM features
for GeneXNet, scaled expression rows for DEGnext), so baselines and networks see exactly
the same data and folds.
"""

from __future__ import annotations

from typing import Any

from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

from oncosig.models._registry import register_model


@register_model("logreg", family="baseline", task="any", description="L2 logistic regression")
def logreg(*, C: float = 0.1, max_iter: int = 2000, seed: int = 0, **kw: Any) -> Any:
    """L2-regularised logistic regression (lbfgs)."""
    return LogisticRegression(C=C, max_iter=max_iter, random_state=seed, **kw)


@register_model("linear_svm", family="baseline", task="any", description="linear SVM")
def linear_svm(*, C: float = 0.01, seed: int = 0, **kw: Any) -> Any:
    """Linear SVM with calibrated probabilities (Platt scaling, 3-fold)."""
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(LinearSVC(C=C, random_state=seed, **kw), cv=3)


@register_model("svm", family="baseline", task="any", description="RBF SVM")
def svm(*, C: float = 1.0, seed: int = 0, **kw: Any) -> Any:
    """RBF-kernel SVM with probability estimates (Platt scaling on internal 5-fold CV)."""
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(SVC(C=C, random_state=seed, **kw), ensemble=False)


@register_model("random_forest", family="baseline", task="any", description="random forest")
def random_forest(*, n_estimators: int = 300, seed: int = 0, n_jobs: int = -1, **kw: Any) -> Any:
    """Random forest."""
    return RandomForestClassifier(n_estimators=n_estimators, random_state=seed, n_jobs=n_jobs, **kw)


@register_model("decision_tree", family="baseline", task="any", description="decision tree")
def decision_tree(*, seed: int = 0, **kw: Any) -> Any:
    """CART decision tree."""
    return DecisionTreeClassifier(random_state=seed, **kw)


@register_model("knn", family="baseline", task="any", description="k nearest neighbours")
def knn(*, n_neighbors: int = 5, **kw: Any) -> Any:
    """k-nearest neighbours."""
    return KNeighborsClassifier(n_neighbors=n_neighbors, **kw)


@register_model("naive_bayes", family="baseline", task="any", description="Gaussian naive Bayes")
def naive_bayes(**kw: Any) -> Any:
    """Gaussian naive Bayes."""
    return GaussianNB(**kw)


@register_model("mlp", family="baseline", task="any", description="multilayer perceptron")
def mlp(
    *, hidden: tuple[int, ...] = (256, 64), seed: int = 0, max_iter: int = 300, **kw: Any
) -> Any:
    """Two-hidden-layer MLP (Adam, early stopping)."""
    return MLPClassifier(
        hidden_layer_sizes=hidden, random_state=seed, max_iter=max_iter, early_stopping=True, **kw
    )


@register_model("xgboost", family="baseline", task="any", description="gradient boosted trees")
def xgboost(*, n_estimators: int = 300, seed: int = 0, n_jobs: int = 2, **kw: Any) -> Any:
    """XGBoost (``hist`` tree method); labels must be 0..K-1."""
    from xgboost import XGBClassifier

    return XGBClassifier(
        n_estimators=n_estimators,
        tree_method="hist",
        random_state=seed,
        n_jobs=n_jobs,
        learning_rate=0.1,
        max_depth=4,
        **kw,
    )
