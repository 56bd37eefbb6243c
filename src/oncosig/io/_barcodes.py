"""TCGA barcodes: parse ``TCGA-XX-XXXX-01A-11R-2315-07`` into its documented fields.

A full aliquot barcode reads ``TCGA-<TSS>-<participant>-<sample><vial>-<portion><analyte>-
<plate>-<center>``.  Shorter prefixes (participant, sample, portion, analyte) are accepted
too, as is the dot-separated form that R's ``make.names`` produces
(``TCGA.KN.8424.01A``).  The sample-type code (two digits after the participant) groups
samples into tumour (01-09), normal (10-19) and control (20-29) tissue, following the GDC
code table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from oncosig._constants import CONTROL, NORMAL, TUMOR, UNKNOWN

#: GDC sample-type codes and their names (as written in GDC sample sheets).
SAMPLE_TYPES: dict[str, str] = {
    "01": "Primary Tumor",
    "02": "Recurrent Tumor",
    "03": "Primary Blood Derived Cancer - Peripheral Blood",
    "04": "Recurrent Blood Derived Cancer - Bone Marrow",
    "05": "Additional - New Primary",
    "06": "Metastatic",
    "07": "Additional Metastatic",
    "08": "Human Tumor Original Cells",
    "09": "Primary Blood Derived Cancer - Bone Marrow",
    "10": "Blood Derived Normal",
    "11": "Solid Tissue Normal",
    "12": "Buccal Cell Normal",
    "13": "EBV Immortalized Normal",
    "14": "Bone Marrow Normal",
    "15": "Sample Type 15",
    "16": "Sample Type 16",
    "20": "Control Analyte",
    "40": "Recurrent Blood Derived Cancer - Peripheral Blood",
    "50": "Cell Lines",
    "60": "Primary Xenograft Tissue",
    "61": "Cell Line Derived Xenograft Tissue",
    "99": "Sample Type 99",
}

#: Analyte codes of the portion field.
ANALYTES: dict[str, str] = {
    "D": "DNA",
    "G": "Whole Genome Amplification (GenomePlex)",
    "H": "mirVana RNA",
    "R": "RNA",
    "T": "Total RNA",
    "W": "Whole Genome Amplification (Repli-G)",
    "X": "Whole Genome Amplification (Repli-G X)",
}

_SEP = r"[-.]"
_BARCODE_RE = (
    rf"^TCGA{_SEP}(?P<tss>[A-Z0-9]{{2}}){_SEP}(?P<pid>[A-Z0-9]{{4}})"
    rf"(?:{_SEP}(?P<code>\d{{2}})(?P<vial>[A-Z])?"
    rf"(?:{_SEP}(?P<portion>\d{{2}})(?P<analyte>[A-Z])?"
    rf"(?:{_SEP}(?P<plate>[A-Z0-9]{{4}})"
    rf"(?:{_SEP}(?P<center>[A-Z0-9]{{2}}))?)?)?)?$"
)

BARCODE_COLUMNS: tuple[str, ...] = (
    "barcode",
    "participant",
    "sample",
    "sample_type_code",
    "sample_type",
    "tissue",
    "vial",
    "portion",
    "analyte",
    "plate",
    "center",
)


def tissue_from_code(code: str | float | None) -> str:
    """Tissue group of a two-digit TCGA sample-type code.

    Parameters
    ----------
    code
        ``"01"``..``"99"``; anything else gives ``"unknown"``.

    Returns
    -------
    ``"tumor"`` (01-09), ``"normal"`` (10-19), ``"control"`` (20-29) or ``"unknown"``.
    """
    if not isinstance(code, str) or not code.isdigit():
        return UNKNOWN
    n = int(code)
    if 1 <= n <= 9:
        return TUMOR
    if 10 <= n <= 19:
        return NORMAL
    if 20 <= n <= 29:
        return CONTROL
    return UNKNOWN


def is_tcga_barcode(ids: Sequence[str]) -> np.ndarray:
    """Boolean mask: which strings are TCGA barcodes (any prefix length)."""
    s = pd.Series(list(ids), dtype=object).astype(str).str.strip().str.upper()
    return s.str.match(_BARCODE_RE).to_numpy(dtype=bool)


def parse_barcodes(barcodes: Sequence[str]) -> pd.DataFrame:
    """Split TCGA barcodes into their fields.

    Parameters
    ----------
    barcodes
        Strings such as ``"TCGA-KN-8424-01A-11R-2315-07"`` (full aliquot barcode) or a
        prefix of one (``"TCGA-KN-8424-01A"``); ``-`` or ``.`` separators.

    Returns
    -------
    DataFrame indexed by the input strings (duplicates kept, order kept) with columns
    ``barcode`` (normalised, ``-`` separated, upper case), ``participant``
    (``TCGA-XX-XXXX``), ``sample`` (``TCGA-XX-XXXX-01A`` or ``-01``),
    ``sample_type_code`` (``"01"``), ``sample_type`` (``"Primary Tumor"``), ``tissue``
    (``"tumor"``/``"normal"``/``"control"``/``"unknown"``), ``vial``, ``portion``,
    ``analyte``, ``plate`` and ``center``.  Strings that are not TCGA barcodes give rows
    of NaN; they never raise.  The project (e.g. ``TCGA-KICH``) is not part of a barcode.

    Examples
    --------
    >>> parse_barcodes(["TCGA-KN-8424-01A-11R-2315-07"]).loc[:, ["participant", "tissue"]]
                                     participant tissue
    TCGA-KN-8424-01A-11R-2315-07  TCGA-KN-8424  tumor
    """
    raw = [str(b) for b in barcodes]
    s = pd.Series(raw, dtype=object).str.strip().str.upper()
    m = s.str.extract(_BARCODE_RE)
    ok = m["tss"].notna()
    out = pd.DataFrame(
        index=pd.Index(raw, dtype=object), columns=list(BARCODE_COLUMNS), dtype=object
    )
    if ok.any():
        mo = m[ok]
        participant = "TCGA-" + mo["tss"] + "-" + mo["pid"]
        barcode = participant.copy()
        sample = pd.Series(np.nan, index=mo.index, dtype=object)
        has_code = mo["code"].notna()
        sample[has_code] = participant[has_code] + "-" + mo["code"][has_code]
        has_vial = mo["vial"].notna()
        sample[has_vial] = sample[has_vial] + mo["vial"][has_vial]
        barcode[has_code] = sample[has_code]
        has_portion = mo["portion"].notna()
        barcode[has_portion] = (
            barcode[has_portion]
            + "-"
            + mo["portion"][has_portion]
            + mo["analyte"][has_portion].fillna("")
        )
        has_plate = mo["plate"].notna()
        barcode[has_plate] = barcode[has_plate] + "-" + mo["plate"][has_plate]
        has_center = mo["center"].notna()
        barcode[has_center] = barcode[has_center] + "-" + mo["center"][has_center]
        codes = mo["code"]
        cols = {
            "barcode": barcode,
            "participant": participant,
            "sample": sample,
            "sample_type_code": codes,
            "sample_type": codes.map(SAMPLE_TYPES),
            "tissue": codes.map(tissue_from_code),
            "vial": mo["vial"],
            "portion": mo["portion"],
            "analyte": mo["analyte"],
            "plate": mo["plate"],
            "center": mo["center"],
        }
        pos = np.flatnonzero(ok.to_numpy())
        for name, values in cols.items():
            col = out[name].to_numpy(dtype=object)
            col[pos] = values.to_numpy(dtype=object)
            out[name] = col
    # keep NaN (not None) for missing fields
    return out.where(out.notna(), np.nan)
