"""Readers and writers: expression files -> AnnData (samples x genes), TCGA annotation.

Every reader returns samples x genes with float32 ``X``; integer counts are also kept in
``layers["counts"]``; ``uns["value_kind"]`` is ``"counts"`` or ``"normalized"``,
``uns["gene_id_type"]`` the detected identifier type and ``uns["oncosig_source"]`` the
provenance.  Samples named by TCGA barcodes get barcode fields, project and organ site
in ``obs``.  The DEGnext dataset layout is the documented exception (one gene per
observation), see :func:`read_degnext`.  Bad input raises
:class:`oncosig._errors.OncosigInputError` with a one-line message naming the file.
"""

from oncosig.io._barcodes import SAMPLE_TYPES, parse_barcodes
from oncosig.io._degnext import list_degnext_cohorts, read_degnext
from oncosig.io._degnext_layout import degnext_cohort_table
from oncosig.io._degnext_write import write_degnext
from oncosig.io._gdc import read_htseq, read_star
from oncosig.io._gdc_sheet import read_gdc
from oncosig.io._h5ad import read_h5ad, write_h5ad
from oncosig.io._matrix import read_matrix, read_xena
from oncosig.io._read import detect_format, read
from oncosig.io._tcga import annotate_tcga, tcga_projects

__all__ = [
    "SAMPLE_TYPES",
    "annotate_tcga",
    "degnext_cohort_table",
    "detect_format",
    "list_degnext_cohorts",
    "parse_barcodes",
    "read",
    "read_degnext",
    "read_gdc",
    "read_h5ad",
    "read_htseq",
    "read_matrix",
    "read_star",
    "read_xena",
    "tcga_projects",
    "write_degnext",
    "write_h5ad",
]
