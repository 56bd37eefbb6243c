"""The GeneXNet estimator (the GeneXNet network with its preprocessing and gene grid)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oncosig.genexnet._estimator import GeneImageClassifier


class GeneXNet(GeneImageClassifier):
    """GeneXNet sample classifier (Khorshed et al.), trained with Lightning.

    Parameters
    ----------
    growth_rate
        θk, filters per dense layer (paper: 32 or 64).
    theta_d, theta_r
        Share of dense layers / residual units used (paper: 0, 0.25, 0.5, 1).
    depth
        Number of GeneXNet blocks (1-4).
    stem_stride
        1, 2 or 4 (4 = ImageNet stem, for grids of tens of thousands of genes).
    drop_rate
        Dropout before the head.
    gene_embedding
        Channels of the per-pixel gene embedding before the stem (0 = off, as published;
        see :class:`~oncosig.models.networks.GeneXNetNetwork`).
    dense_layers, res_units
        Full per-block configuration (default DenseNet-121 / ResNet-50 v2 layouts).
    **kwargs
        Training and preprocessing options of :class:`GeneImageClassifier`
        (``max_genes``, ``optimizer``, ``lr``, ``max_epochs``, ``seed``, ...).

    Attributes
    ----------
    network
        The fitted ``torch.nn.Module``.
    grid
        The :class:`~oncosig.genexnet.GeneGrid` (genes and their pixels).
    classes_
        Class names (columns of :meth:`predict_proba`).
    genes_
        The model's genes.

    Examples
    --------
    >>> from oncosig.genexnet import GeneXNet
    >>> model = GeneXNet(growth_rate=16, theta_d=0.25, theta_r=0.25, depth=2, max_epochs=5)
    >>> model.fit(adata, label_key="project")  # doctest: +SKIP
    >>> model.predict(new_adata)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        growth_rate: int = 32,
        theta_d: float = 1.0,
        theta_r: float = 1.0,
        depth: int = 4,
        stem_stride: int = 1,
        drop_rate: float = 0.0,
        gene_embedding: int = 0,
        dense_layers: Sequence[int] | None = None,
        res_units: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        net_params: dict[str, Any] = {
            "growth_rate": growth_rate,
            "theta_d": theta_d,
            "theta_r": theta_r,
            "depth": depth,
            "stem_stride": stem_stride,
            "drop_rate": drop_rate,
        }
        if gene_embedding:
            net_params["gene_embedding"] = int(gene_embedding)
        if dense_layers is not None:
            net_params["dense_layers"] = list(dense_layers)
        if res_units is not None:
            net_params["res_units"] = list(res_units)
        net_params.update(kwargs.pop("net_params", None) or {})
        kwargs.pop("arch", None)
        super().__init__("genexnet", net_params=net_params, **kwargs)
