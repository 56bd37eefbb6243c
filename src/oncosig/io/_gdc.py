"""GDC gene-count files: STAR ``augmented_star_gene_counts`` and legacy HTSeq counts.

STAR files (GDC data release 32+, GENCODE v36) start with a ``# gene-model:`` comment,
then a header ``gene_id gene_name gene_type unstranded stranded_first stranded_second
tpm_unstranded fpkm_unstranded fpkm_uq_unstranded``, then four alignment summary rows
(``N_unmapped``, ``N_multimapping``, ``N_noFeature``, ``N_ambiguous``) and one row per gene.
HTSeq files (GDC releases before 32) have two columns (gene ID, count) without header and
five ``__`` summary rows (``__no_feature``, ``__ambiguous``, ``__too_low_aQual``,
``__not_aligned``, ``__alignment_not_unique``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import VAR_GENE_TYPE, VAR_SYMBOL
from oncosig._errors import OncosigInputError
from oncosig.io._build import build_anndata, provenance
from oncosig.io._text import PARSE_ERRORS, check_file, compression_of, head_lines, parse_message
from oncosig.io._validate import check_values

log = logging.getLogger(__name__)

STAR_COLUMNS: tuple[str, ...] = (
    "gene_id",
    "gene_name",
    "gene_type",
    "unstranded",
    "stranded_first",
    "stranded_second",
    "tpm_unstranded",
    "fpkm_unstranded",
    "fpkm_uq_unstranded",
)
STAR_COUNT_COLUMNS: tuple[str, ...] = ("unstranded", "stranded_first", "stranded_second")
STAR_VALUE_COLUMNS: tuple[str, ...] = STAR_COLUMNS[3:]
STAR_QC_ROWS: tuple[str, ...] = ("N_unmapped", "N_multimapping", "N_noFeature", "N_ambiguous")
HTSEQ_QC_ROWS: tuple[str, ...] = (
    "__no_feature",
    "__ambiguous",
    "__too_low_aQual",
    "__not_aligned",
    "__alignment_not_unique",
)


@dataclass
class GeneCounts:
    """One sample's values as read from a GDC file."""

    gene_ids: np.ndarray
    values: np.ndarray
    qc: dict[str, float]
    var: pd.DataFrame = field(default_factory=pd.DataFrame)
    gene_model: str | None = None


def sniff_gdc_kind(path: str | Path) -> str | None:
    """``"star"``, ``"htseq"`` or ``None`` from the first lines of a file."""
    lines = [ln for ln in head_lines(path, 8) if ln.strip()]
    if not lines:
        return None
    if lines[0].startswith("# gene-model") or lines[0].startswith("gene_id\tgene_name"):
        return "star"
    fields = [ln.split("\t") for ln in lines]
    if all(len(f) == 2 for f in fields):
        try:
            [float(f[1]) for f in fields]
        except ValueError:
            return None
        first = fields[0][0]
        if first.startswith("ENSG") or first.startswith("__"):
            return "htseq"
    return None


def _qc_rows_to_uns(qc: dict[str, float]) -> dict[str, float]:
    return {k: (None if not np.isfinite(v) else float(v)) for k, v in qc.items()}  # type: ignore[misc]


def read_star_table(path: str | Path, *, value_column: str = "unstranded") -> GeneCounts:
    """Parse one STAR gene-count file (see the module docstring) into :class:`GeneCounts`."""
    p = check_file(path)
    if value_column not in STAR_VALUE_COLUMNS:
        raise OncosigInputError(
            f"value_column must be one of {', '.join(STAR_VALUE_COLUMNS)}, got {value_column!r}",
            path=p,
        )
    lines = head_lines(p, 3)
    skip = 0
    gene_model = None
    while skip < len(lines) and lines[skip].startswith("#"):
        if "gene-model" in lines[skip]:
            gene_model = lines[skip].split(":", 1)[-1].strip()
        skip += 1
    if skip >= len(lines):
        raise OncosigInputError("empty matrix: STAR file without header or genes", path=p)
    header = lines[skip].split("\t")
    missing = [c for c in ("gene_id", value_column) if c not in header]
    if missing:
        raise OncosigInputError(
            f"not a GDC STAR gene-count file: header lacks {', '.join(missing)} "
            f"(found {', '.join(header[:9])})",
            path=p,
        )
    annot = [c for c in ("gene_name", "gene_type") if c in header]
    try:
        df = pd.read_csv(
            p,
            sep="\t",
            skiprows=skip,
            header=0,
            usecols=["gene_id", *annot, value_column],
            dtype={"gene_id": str, "gene_name": str, "gene_type": str, value_column: np.float64},
            compression=compression_of(p),
            engine="c",
        )
    except PARSE_ERRORS as exc:
        raise OncosigInputError(
            f"cannot parse the STAR file: {parse_message(exc)}", path=p
        ) from exc
    is_qc = df["gene_id"].str.startswith("N_").to_numpy(dtype=bool)
    qc = dict(zip(df.loc[is_qc, "gene_id"], df.loc[is_qc, value_column].astype(float), strict=True))
    genes = df.loc[~is_qc]
    var = genes[annot].rename(columns={"gene_name": VAR_SYMBOL, "gene_type": VAR_GENE_TYPE})
    return GeneCounts(
        gene_ids=genes["gene_id"].to_numpy(dtype=object),
        values=genes[value_column].to_numpy(dtype=np.float64),
        qc=qc,
        var=var.reset_index(drop=True),
        gene_model=gene_model,
    )


def read_htseq_table(path: str | Path) -> GeneCounts:
    """Parse one HTSeq-count file (two columns, ``__`` trailer rows)."""
    p = check_file(path)
    first = next((ln for ln in head_lines(p, 3) if ln.strip()), "")
    if len(first.split("\t")) != 2:
        raise OncosigInputError(
            f"not an HTSeq count file: expected 2 tab-separated columns, found {len(first.split(chr(9)))}",
            path=p,
        )
    try:
        df = pd.read_csv(
            p,
            sep="\t",
            header=None,
            names=["gene_id", "count"],
            dtype={"gene_id": str, "count": np.float64},
            compression=compression_of(p),
            engine="c",
        )
    except PARSE_ERRORS as exc:
        raise OncosigInputError(
            f"cannot parse the HTSeq file: {parse_message(exc)}", path=p
        ) from exc
    is_qc = df["gene_id"].str.startswith("__").to_numpy(dtype=bool)
    qc = dict(zip(df.loc[is_qc, "gene_id"], df.loc[is_qc, "count"].astype(float), strict=True))
    genes = df.loc[~is_qc]
    return GeneCounts(
        gene_ids=genes["gene_id"].to_numpy(dtype=object),
        values=genes["count"].to_numpy(dtype=np.float64),
        qc=qc,
    )


def _sample_id_from_name(p: Path) -> str:
    name = p.name
    for suffix in (".gz", ".tsv", ".txt", ".counts", ".htseq"):
        name = name.removesuffix(suffix)
    return name.split(".rna_seq")[0].split(".htseq")[0]


def read_star(
    path: str | Path,
    *,
    value_column: str = "unstranded",
    sample_id: str | None = None,
    project: str | None = None,
) -> AnnData:
    """Read one GDC STAR ``*.rna_seq.augmented_star_gene_counts.tsv`` file.

    Parameters
    ----------
    path
        The file (gzipped or not).
    value_column
        ``"unstranded"`` (default), ``"stranded_first"``, ``"stranded_second"`` (raw
        counts), or ``"tpm_unstranded"``, ``"fpkm_unstranded"``, ``"fpkm_uq_unstranded"``
        (normalized values; ``uns["value_kind"] == "normalized"``).
    sample_id
        Name of the sample; default: the file name up to ``.rna_seq`` (the GDC file
        UUID).  Use :func:`read_gdc` to name samples from a sample sheet.
    project
        TCGA project (e.g. ``"TCGA-KICH"``) for ``obs``.

    Returns
    -------
    AnnData with one sample; ``var`` holds ``symbol`` (gene_name) and ``gene_type``;
    ``uns["star_qc"]`` the ``N_*`` alignment summary rows of the chosen column and
    ``uns["oncosig_source"]["gene_model"]`` the annotation (``GENCODE v36``).
    """
    p = check_file(path)
    gc = read_star_table(p, value_column=value_column)
    normalized = value_column not in STAR_COUNT_COLUMNS
    src = provenance(
        p, fmt="gdc_star", reader="read_star", value_column=value_column, gene_model=gc.gene_model
    )
    adata = build_anndata(
        gc.values[None, :],
        samples=[sample_id or _sample_id_from_name(p)],
        genes=list(gc.gene_ids),
        path=p,
        source=src,
        allow_normalized=normalized,
        var=gc.var,
        project=project,
        what=value_column,
    )
    adata.uns["star_qc"] = _qc_rows_to_uns(gc.qc)
    return adata


def read_htseq(
    path: str | Path, *, sample_id: str | None = None, project: str | None = None
) -> AnnData:
    """Read one legacy GDC HTSeq-count file (``*.htseq.counts[.gz]``).

    Parameters
    ----------
    path
        Two tab-separated columns, gene ID and count, no header; the ``__no_feature``,
        ``__ambiguous``, ``__too_low_aQual``, ``__not_aligned`` and
        ``__alignment_not_unique`` rows are removed and kept in ``uns["htseq_qc"]``.
    sample_id
        Name of the sample; default: the file name without suffixes.
    project
        TCGA project for ``obs``.

    Returns
    -------
    AnnData with one sample and raw counts in ``layers["counts"]``.
    """
    p = check_file(path)
    gc = read_htseq_table(p)
    adata = build_anndata(
        gc.values[None, :],
        samples=[sample_id or _sample_id_from_name(p)],
        genes=list(gc.gene_ids),
        path=p,
        source=provenance(p, fmt="gdc_htseq", reader="read_htseq"),
        allow_normalized=False,
        project=project,
    )
    adata.uns["htseq_qc"] = _qc_rows_to_uns(gc.qc)
    return adata


def read_table(path: Path, *, kind: str, value_column: str) -> GeneCounts:
    """Read one GDC file of known ``kind`` (``"star"`` or ``"htseq"``)."""
    if kind == "star":
        return read_star_table(path, value_column=value_column)
    return read_htseq_table(path)


def qc_frame(tables: list[GeneCounts], samples: list[str]) -> dict[str, Any]:
    """Summary rows of many files as ``{row: [value per sample]}`` (JSON/h5ad friendly)."""
    rows = sorted({k for t in tables for k in t.qc})
    return {r: [float(t.qc.get(r, np.nan)) for t in tables] for r in rows} | {"samples": samples}


def check_sample_values(gc: GeneCounts, path: Path, *, value_column: str, normalized: bool) -> None:
    """Validate one file's values before it is stacked with others (names that file)."""
    check_values(gc.values, path=path, allow_normalized=normalized, what=value_column)
