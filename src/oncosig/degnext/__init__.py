"""DEGnext: classify genes as down-regulated, up-regulated or neutral from their expression row.

Three layers (scvi-tools style): the network :class:`oncosig.models.networks._degnext.DEGnextNet`
(tensors only), the LightningModule :class:`DEGnextModule` (losses on logits, Adam,
metrics over all genes) and the estimator :class:`DEGnext` (fit / finetune / predict /
predict_proba / evaluate / save / load) on :func:`oncosig.io.read_degnext` data.

Examples
--------
>>> from oncosig.io import read_degnext  # doctest: +SKIP
>>> from oncosig.degnext import DEGnext  # doctest: +SKIP
>>> ad = read_degnext("shared/data/degnext", cohort="TCGA-READ")  # doctest: +SKIP
>>> m = DEGnext().fit(ad, splits=["T1"]).finetune(ad, splits=["F1"])  # doctest: +SKIP
>>> m.evaluate(ad, splits=["T3"])["accuracy"]  # doctest: +SKIP
"""

from oncosig.degnext._baselines import (
    BASELINES,
    edger_sign_baseline,
    fit_baselines,
    score_baselines,
)
from oncosig.degnext._estimator import DEGnext
from oncosig.degnext._lightning import DEGnextModule
from oncosig.degnext._metrics import classification_metrics
from oncosig.degnext._predict import predict_table, to_gene_rows
from oncosig.degnext._robustness import (
    NOISE_LEVELS,
    add_gene_noise,
    noise_curves,
    plot_noise_curves,
    plot_roc_curves,
)
from oncosig.degnext._scaling import fit_size_factors, scale_rows
from oncosig.degnext._transfer import (
    TRAIN_COHORTS,
    UNSEEN_COHORTS,
    evaluate_cohort,
    train_transfer,
)

__all__ = [
    "BASELINES",
    "NOISE_LEVELS",
    "TRAIN_COHORTS",
    "UNSEEN_COHORTS",
    "DEGnext",
    "DEGnextModule",
    "add_gene_noise",
    "classification_metrics",
    "edger_sign_baseline",
    "evaluate_cohort",
    "fit_baselines",
    "fit_size_factors",
    "noise_curves",
    "plot_noise_curves",
    "plot_roc_curves",
    "predict_table",
    "scale_rows",
    "score_baselines",
    "to_gene_rows",
    "train_transfer",
]
