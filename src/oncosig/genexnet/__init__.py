"""GeneXNet: pan-cancer sample classification on a 2-D gene grid.

- :class:`GeneXNet` — the estimator (``fit``, ``predict``, ``predict_proba``, ``evaluate``,
  ``save``/``load``, ``finetune``); :class:`GeneImageClassifier` runs any registered
  ``task="sample"`` network (the CNN baselines) the same way;
- :class:`GeneGrid` — the gene-to-pixel layout saved with every model (Gene-CAM uses it);
- :func:`cross_validate` — one CV runner for GeneXNet, the CNN and the classical baselines;
- :func:`compare_transfer` — fine-tuning a pre-trained model vs training from scratch;
- :func:`load_pretrained` — the small model shipped with the package;
- :class:`GeneXNetEnsemble` — several fitted models (e.g. one per seed), probabilities averaged;
  :func:`fit_seed_ensemble` trains one per seed, ``save`` writes them to one file and
  :func:`load_model` reads a single model or an ensemble.
"""

from oncosig.genexnet._cv import CVResult, cross_validate
from oncosig.genexnet._ensemble import GeneXNetEnsemble, fit_seed_ensemble, load_model
from oncosig.genexnet._estimator import GeneImageClassifier
from oncosig.genexnet._genexnet import GeneXNet
from oncosig.genexnet._grid import GeneGrid
from oncosig.genexnet._metrics import (
    classification_metrics,
    confusion_table,
    per_class_accuracy,
    plot_confusion,
    prediction_table,
    top_class,
)
from oncosig.genexnet._prep import LogCPMScaler, select_genes
from oncosig.genexnet._presets import PRESETS, preset
from oncosig.genexnet._pretrained import PRETRAINED_PATH, load_pretrained
from oncosig.genexnet._splits import holdout_split, make_folds, read_manifest, write_manifest
from oncosig.genexnet._transfer import compare_transfer

__all__ = [
    "PRESETS",
    "PRETRAINED_PATH",
    "CVResult",
    "GeneGrid",
    "GeneImageClassifier",
    "GeneXNet",
    "GeneXNetEnsemble",
    "LogCPMScaler",
    "classification_metrics",
    "compare_transfer",
    "confusion_table",
    "cross_validate",
    "fit_seed_ensemble",
    "holdout_split",
    "load_model",
    "load_pretrained",
    "make_folds",
    "per_class_accuracy",
    "plot_confusion",
    "prediction_table",
    "preset",
    "read_manifest",
    "select_genes",
    "top_class",
    "write_manifest",
]
