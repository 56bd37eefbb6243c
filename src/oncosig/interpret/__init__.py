"""Interpretation of GeneXNet models: Gene-CAM and its comparison with captum attributions.

Gene-CAM is Grad-CAM on the network's ``cam_layer`` (the last GeneXNet block), upsampled
to the gene image and mapped back to genes through the layout stored with the model.

Examples
--------
>>> from oncosig.interpret import gene_scores, rank_genes
>>> scores = gene_scores(model, adata)  # doctest: +SKIP
>>> rank_genes(scores, adata.obs["project"], predictions=model.predict(adata))  # doctest: +SKIP

A :class:`~oncosig.genexnet.GeneXNetEnsemble` (models trained with several seeds) is
explained by averaging its members' normalised scores.  Gene-CAM top-gene lists of single
seeds overlap little (Jaccard ~0.1-0.15 on the 7-cohort benchmark); 3-seed ensembles raise
that overlap and the agreement with differential expression somewhat, not fully
(BENCHMARKS.md, Gene-CAM benchmark).
"""

from oncosig.interpret._compare import (
    attribution_maps,
    method_agreement,
    rank_agreement,
    ranking_overlap,
    top_k_jaccard,
)
from oncosig.interpret._explain import explain_to_dir
from oncosig.interpret._genes import (
    common_genes,
    gene_inputs,
    gene_scores,
    normalize_scores,
    pixels_to_genes,
    rank_genes,
)
from oncosig.interpret._gradcam import gene_cam
from oncosig.interpret._hooks import LayerRecord, record_layer

__all__ = [
    "LayerRecord",
    "attribution_maps",
    "common_genes",
    "explain_to_dir",
    "gene_cam",
    "gene_inputs",
    "gene_scores",
    "method_agreement",
    "normalize_scores",
    "pixels_to_genes",
    "rank_agreement",
    "rank_genes",
    "ranking_overlap",
    "record_layer",
    "top_k_jaccard",
]
