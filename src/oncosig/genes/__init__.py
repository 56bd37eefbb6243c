"""Offline gene identifier harmonisation to unversioned Ensembl IDs.

oncosig keys genes by **unversioned Ensembl gene IDs** (``ENSG00000141510``).  This
namespace maps versioned Ensembl IDs, HGNC symbols, Entrez IDs and legacy TCGA
``SYMBOL|ENTREZ`` names onto that key with a compact annotation shipped in the package
(GENCODE v36, org.Hs.eg.db 3.16, sanbomics, TCGAbiolinks geneInfoHT), and aligns a
cohort to a model's gene list.

- :func:`detect_id_type` — which kind of identifier a list holds
- :func:`gene_table` — the annotation (symbol, Entrez, HGNC, type, position, GC, length)
- :func:`to_ensembl` — map identifiers (rules in its docstring)
- :func:`harmonize` — rename an AnnData's genes, merging duplicates (counts summed)
- :func:`align_genes` — reorder to a reference gene list; missing genes are NaN
- :func:`genomic_order` — chromosome/position order (GeneXNet's grid layout)
"""

from oncosig.genes._align import align_genes
from oncosig.genes._harmonize import harmonize
from oncosig.genes._idtypes import detect_id_type
from oncosig.genes._table import gene_table, genomic_order, normalize_ensembl, to_ensembl

__all__ = [
    "align_genes",
    "detect_id_type",
    "gene_table",
    "genomic_order",
    "harmonize",
    "normalize_ensembl",
    "to_ensembl",
]
