"""Slot and column names used across oncosig, defined once (scverse habit).

Every AnnData that oncosig reads or writes is **samples x genes** (``obs`` = samples,
``var`` = genes, ``var_names`` = unversioned Ensembl IDs after harmonisation) unless a
function documents otherwise.  The one exception is a DEGnext dataset, where one gene is
one observation: see :func:`oncosig.io.read_degnext`.
"""

from __future__ import annotations

from typing import Final

# --- layers -----------------------------------------------------------------------------
COUNTS_LAYER: Final = "counts"
"""``adata.layers[COUNTS_LAYER]`` holds raw integer counts when the input was counts."""
LOGCPM_LAYER: Final = "logcpm"
NORMALIZED_LAYER: Final = "normalized"

# --- obs (sample annotation) ------------------------------------------------------------
OBS_BARCODE: Final = "barcode"
OBS_PARTICIPANT: Final = "participant"
OBS_SAMPLE_TYPE: Final = "sample_type"  # e.g. "Primary Tumor"
OBS_SAMPLE_TYPE_CODE: Final = "sample_type_code"  # e.g. "01"
OBS_TISSUE: Final = "tissue"  # "tumor" | "normal" | "control" | "unknown"
OBS_PROJECT: Final = "project"  # e.g. "TCGA-KICH"
OBS_ORGAN_SITE: Final = "organ_site"  # e.g. "Kidney"
OBS_CONDITION: Final = "condition"  # two-group DE: "normal" | "tumor"

# --- var (gene annotation) --------------------------------------------------------------
VAR_SYMBOL: Final = "symbol"
VAR_GENE_TYPE: Final = "gene_type"
VAR_ORIGINAL_ID: Final = "original_id"
VAR_CHROM: Final = "chrom"
VAR_START: Final = "start"

# --- uns ----------------------------------------------------------------------------------
UNS_SOURCE: Final = "oncosig_source"  # provenance dict written by the readers
UNS_VALUE_KIND: Final = "value_kind"  # "counts" | "normalized"

# --- tissue groups from TCGA sample-type codes -------------------------------------------
TUMOR: Final = "tumor"
NORMAL: Final = "normal"
CONTROL: Final = "control"
UNKNOWN: Final = "unknown"

# --- DEGnext labels ---------------------------------------------------------------------
LABEL_DOWN: Final = 0
LABEL_UP: Final = 1
LABEL_NEUTRAL: Final = 2
LABEL_NAMES: Final = {LABEL_DOWN: "DR", LABEL_UP: "UR", LABEL_NEUTRAL: "neutral"}

# DEGnext split names (paper) and their file stems (released dataset layout)
SPLIT_FILES: Final = {
    "T1": "non_bio_train",
    "T2": "non_bio_test",
    "F1": "bio_fine_tune",
    "T3": "bio_test",
}
