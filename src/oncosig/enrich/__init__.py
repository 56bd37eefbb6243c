"""Offline gene-set enrichment: over-representation (ORA) and GSEA prerank.

Libraries shipped with the package (:func:`list_libraries`): ``go-bp`` (GO biological
process, propagated, 2022-07-01), ``hallmark`` (MSigDB Hallmark v7.4), ``reactome``
(2021-12) and ``wikipathways`` (2023 Human); any GMT file works too.  Licences:
``oncosig/data/genesets/LICENSES.md``.

Examples
--------
>>> from oncosig.enrich import ora
>>> ora(["TP53", "MDM2", "CDKN1A", "BAX", "GADD45A"], library="hallmark").head()  # doctest: +SKIP
"""

from oncosig.enrich._gmt import GeneSetLibrary, read_gmt, read_library, write_gmt, write_library
from oncosig.enrich._gsea import gsea_prerank
from oncosig.enrich._ids import to_symbols
from oncosig.enrich._library import BUILTIN_LIBRARIES, list_libraries, load_library
from oncosig.enrich._ora import bh_fdr, ora

__all__ = [
    "BUILTIN_LIBRARIES",
    "GeneSetLibrary",
    "bh_fdr",
    "gsea_prerank",
    "list_libraries",
    "load_library",
    "ora",
    "read_gmt",
    "read_library",
    "to_symbols",
    "write_gmt",
    "write_library",
]
