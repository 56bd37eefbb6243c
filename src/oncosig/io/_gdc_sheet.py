"""Many GDC gene-count files joined through a GDC sample sheet."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import OBS_PROJECT, OBS_SAMPLE_TYPE
from oncosig._errors import OncosigInputError
from oncosig.io._build import build_anndata, provenance
from oncosig.io._gdc import (
    STAR_COUNT_COLUMNS,
    GeneCounts,
    check_sample_values,
    qc_frame,
    read_table,
    sniff_gdc_kind,
)
from oncosig.io._text import check_file, head_lines, read_csv_checked

log = logging.getLogger(__name__)

#: GDC sample-sheet columns and the obs names they get.
SHEET_COLUMNS = {
    "File ID": "file_id",
    "File Name": "file_name",
    "Data Category": "data_category",
    "Data Type": "data_type",
    "Project ID": OBS_PROJECT,
    "Case ID": "case_id",
    "Sample ID": "sample_id",
    "Sample Type": OBS_SAMPLE_TYPE,
}
REQUIRED = ("File Name", "Sample ID")


def is_sample_sheet(path: str | Path) -> bool:
    """Whether the first line of ``path`` is a GDC sample-sheet header."""
    lines = head_lines(path, 1)
    if not lines:
        return False
    cells = [c.strip() for c in lines[0].split("\t")]
    return all(c in cells for c in REQUIRED)


def read_sample_sheet(path: str | Path) -> pd.DataFrame:
    """Read a GDC sample sheet (TSV) and check its required columns."""
    p = check_file(path)
    sheet = read_csv_checked(p, what="sample sheet", sep="\t", dtype=str, keep_default_na=False)
    sheet.columns = [c.strip() for c in sheet.columns]
    missing = [c for c in REQUIRED if c not in sheet.columns]
    if missing:
        raise OncosigInputError(
            f"not a GDC sample sheet: missing column(s) {', '.join(missing)} "
            "(download it from the GDC cart: 'Sample Sheet')",
            path=p,
        )
    if sheet.empty:
        raise OncosigInputError("empty matrix: the sample sheet lists no files", path=p)
    return sheet


def _locate(data_dir: Path, file_id: str, file_name: str) -> Path | None:
    names = [file_name]
    names.append(file_name.removesuffix(".gz") if file_name.endswith(".gz") else f"{file_name}.gz")
    for name in names:
        for cand in ((data_dir / file_id / name) if file_id else None, data_dir / name):
            if cand is not None and cand.is_file():
                return cand
    return None


def read_gdc(
    sample_sheet: str | Path,
    *,
    data_dir: str | Path | None = None,
    value_column: str = "unstranded",
) -> AnnData:
    """Join GDC gene-count files (STAR or HTSeq) listed in a GDC sample sheet.

    Parameters
    ----------
    sample_sheet
        The GDC sample sheet (TSV with ``File ID``, ``File Name``, ``Data Category``,
        ``Data Type``, ``Project ID``, ``Case ID``, ``Sample ID``, ``Sample Type``;
        ``File Name`` and ``Sample ID`` are required).
    data_dir
        Where the files are: ``data_dir/<File ID>/<File Name>`` (the layout of the GDC
        client) or ``data_dir/<File Name>``; gzipped or not.  Default: the sheet's
        folder.
    value_column
        STAR column to use (see :func:`read_star`); ignored for HTSeq files.

    Returns
    -------
    AnnData samples x genes; ``obs`` from the sheet (``file_id``, ``file_name``,
    ``case_id``, ``sample_id``, ``project``, ``sample_type``...) plus the barcode
    fields; obs names are the Sample IDs (made unique with a warning when a sample
    has several files); ``uns["gdc_qc"]`` the summary rows per sample.

    Raises
    ------
    OncosigInputError
        A listed file is missing, files of different gene sets or kinds, or any bad
        value (the message names the file).
    """
    sheet_path = check_file(sample_sheet)
    sheet = read_sample_sheet(sheet_path)
    root = Path(data_dir) if data_dir is not None else sheet_path.parent
    if not root.is_dir():
        raise OncosigInputError("data_dir is not a folder", path=root)
    file_ids = sheet["File ID"] if "File ID" in sheet else pd.Series("", index=sheet.index)
    tables: list[GeneCounts] = []
    kinds: set[str] = set()
    ref_ids: np.ndarray | None = None
    normalized = value_column not in STAR_COUNT_COLUMNS
    for fid, fname in zip(file_ids, sheet["File Name"], strict=True):
        fp = _locate(root, fid, fname)
        if fp is None:
            raise OncosigInputError(
                f"file listed in the sample sheet not found under {root} "
                f"(looked for {fid + '/' if fid else ''}{fname}); pass data_dir=",
                path=sheet_path,
            )
        kind = sniff_gdc_kind(fp)
        if kind is None:
            raise OncosigInputError("not a GDC STAR or HTSeq gene-count file", path=fp)
        kinds.add(kind)
        if len(kinds) > 1:
            raise OncosigInputError(
                "the sample sheet mixes STAR and HTSeq files; read them separately", path=fp
            )
        gc = read_table(fp, kind=kind, value_column=value_column)
        check_sample_values(
            gc, fp, value_column=value_column, normalized=normalized and kind == "star"
        )
        if ref_ids is None:
            ref_ids = gc.gene_ids
        elif len(gc.gene_ids) != len(ref_ids) or not np.array_equal(gc.gene_ids, ref_ids):
            raise OncosigInputError(
                "genes differ from those of the first file (another annotation release?); "
                "read the files separately and align them with oncosig.genes.align_genes",
                path=fp,
            )
        tables.append(gc)
    assert ref_ids is not None
    kind = kinds.pop()
    values = np.vstack([t.values for t in tables])
    obs = sheet.rename(columns=SHEET_COLUMNS)
    samples = pd.Index(sheet["Sample ID"].str.strip())
    if not samples.is_unique:
        n = int(samples.duplicated().sum())
        log.warning(
            "%s: %d Sample IDs occur more than once (several files per sample); "
            "suffixes -1, -2... keep them apart",
            sheet_path,
            n,
        )
        counts = samples.to_series().groupby(samples).cumcount()
        samples = pd.Index(
            [s if c == 0 else f"{s}-{c}" for s, c in zip(samples, counts, strict=True)]
        )
    src = provenance(
        sheet_path,
        fmt=f"gdc_sample_sheet_{kind}",
        reader="read_gdc",
        data_dir=str(root.resolve()),
        value_column=value_column if kind == "star" else "count",
        gene_model=tables[0].gene_model,
        n_files=len(tables),
    )
    adata = build_anndata(
        values,
        samples=list(samples),
        genes=list(ref_ids),
        path=sheet_path,
        source=src,
        allow_normalized=normalized and kind == "star",
        obs=obs.reset_index(drop=True),
        var=tables[0].var if kind == "star" else None,
        what=value_column,
    )
    adata.uns["gdc_qc"] = qc_frame(tables, list(samples))
    return adata
