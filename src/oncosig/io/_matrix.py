"""Generic expression matrices (CSV/TSV, gzipped or not, either orientation) and Xena files."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import UNS_VALUE_KIND, VAR_GENE_TYPE, VAR_SYMBOL
from oncosig._errors import OncosigInputError
from oncosig.genes._idtypes import id_type_shares
from oncosig.io._barcodes import is_tcga_barcode
from oncosig.io._build import build_anndata, provenance
from oncosig.io._tcga import project_from_filename
from oncosig.io._text import (
    PARSE_ERRORS,
    check_file,
    compression_of,
    head_lines,
    parse_message,
    sniff_sep,
)

log = logging.getLogger(__name__)

Orientation = Literal["auto", "genes_x_samples", "samples_x_genes"]
GENES_X_SAMPLES: Final = "genes_x_samples"
SAMPLES_X_GENES: Final = "samples_x_genes"
_ORIENTATIONS = ("auto", GENES_X_SAMPLES, SAMPLES_X_GENES)

#: Annotation column names mapped onto oncosig's var names.
_VAR_RENAMES = {
    "gene_name": VAR_SYMBOL,
    "symbol": VAR_SYMBOL,
    "gene_symbol": VAR_SYMBOL,
    "hgnc_symbol": VAR_SYMBOL,
    "description": VAR_SYMBOL,
    "gene_type": VAR_GENE_TYPE,
    "gene_biotype": VAR_GENE_TYPE,
    "biotype": VAR_GENE_TYPE,
}
_HEAD_ROWS = 200
#: First header cells that mark a numeric first column as (Entrez) gene IDs.
ENTREZ_HEADERS = frozenset(
    {
        "entrez",
        "entrez_id",
        "entrezid",
        "entrez_gene_id",
        "entrezgene",
        "geneid",
        "gene_id",
        "ncbi_gene_id",
    }
)


def _is_number(s: str) -> bool:
    s = s.strip().strip('"')
    if s == "":
        return True  # an empty cell is a missing value, not a label
    try:
        float(s)
    except ValueError:
        return s.lower() in {"na", "nan", "inf", "-inf", "null"}
    return True


def _split(line: str, sep: str, path: Path) -> list[str]:
    try:
        return [c.strip() for c in next(csv.reader([line], delimiter=sep))]
    except csv.Error as exc:
        raise OncosigInputError(
            f"cannot parse the matrix: {exc}; is this a text table (binary content?)", path=path
        ) from exc


def _gene_likeness(labels: list[str]) -> tuple[float, float, float]:
    """(strong gene-ID share, symbol share, TCGA-barcode share) of a list of labels."""
    if not labels:
        return 0.0, 0.0, 0.0
    sh = id_type_shares(labels)
    strong = sh["ensembl"] + sh["ensembl_versioned"] + sh["symbol|entrez"] + sh["entrez"]
    return strong, sh["symbol"], float(np.mean(is_tcga_barcode(labels)))


def _auto_orientation(
    row_labels: list[str], col_labels: list[str], n_rows_hint: int, path: Path
) -> str:
    rs, rsym, rbc = _gene_likeness(row_labels)
    cs, csym, cbc = _gene_likeness(col_labels)
    if rs >= 0.5 and rs >= cs:
        return GENES_X_SAMPLES
    if cs >= 0.5:
        return SAMPLES_X_GENES
    if rbc >= 0.5:
        return SAMPLES_X_GENES
    if cbc >= 0.5:
        return GENES_X_SAMPLES
    row_gene, col_gene = rs + rsym >= 0.5, cs + csym >= 0.5
    if row_gene and not col_gene:
        return GENES_X_SAMPLES
    if col_gene and not row_gene:
        return SAMPLES_X_GENES
    if row_gene and col_gene:
        # genes outnumber samples in any expression matrix
        return GENES_X_SAMPLES if n_rows_hint >= len(col_labels) else SAMPLES_X_GENES
    raise OncosigInputError(
        "no gene column: neither the first column nor the header holds gene IDs "
        "(Ensembl, symbols, Entrez); pass orientation='genes_x_samples' or 'samples_x_genes'",
        path=path,
    )


def _layout(path: Path, sep: str | None) -> tuple[int, str, list[str], list[list[str]]]:
    """(lines to skip before the header, separator, header cells, first data rows)."""
    lines = head_lines(path, _HEAD_ROWS + 4)
    skip = 0
    if lines and lines[0].startswith("#1."):  # GCT: version line + dimensions line
        skip = 2
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        skip += 1
    body = lines[skip:]
    if not body:
        raise OncosigInputError("empty matrix: no header line and no values", path=path)
    sep = sep or sniff_sep(body[0], path)
    header = _split(body[0], sep, path)
    rows = [_split(line, sep, path) for line in body[1:] if line.strip()]
    if len(header) < 2 or (rows and len(rows[0]) < 2):
        raise OncosigInputError(
            f"only one column found with delimiter {sep!r}: wrong delimiter? "
            "(tab-separated files need sep='\\t', CSV sep=',')",
            path=path,
        )
    if not rows:
        raise OncosigInputError("empty matrix: a header line but no values", path=path)
    if len(header) == len(rows[0]) - 1:  # R write.table: no header cell for row names
        header = ["", *header]
    return skip, sep, header, rows


def _n_label_columns(rows: list[list[str]], n_cols: int) -> int:
    n = 0
    for j in range(n_cols - 1):
        if all(j < len(r) and not _is_number(r[j]) for r in rows):
            n += 1
        else:
            break
    return n


def read_matrix(
    path: str | Path,
    *,
    orientation: Orientation = "auto",
    sep: str | None = None,
    allow_normalized: bool = False,
    project: str | None = None,
) -> AnnData:
    """Read an expression matrix from a CSV/TSV file (gzipped or not).

    Parameters
    ----------
    path
        The file.  The first line is a header; the first column(s) hold labels.
        Leading text columns after the ID column (e.g. ``gene_name``) become ``var``
        (or ``obs``) annotation.  ``#`` comment lines before the header are skipped;
        R's ``write.table`` layout (header one cell short) and GCT files are accepted.
    orientation
        ``"genes_x_samples"`` (rows are genes), ``"samples_x_genes"``, or ``"auto"``:
        the axis whose labels look like gene IDs (see
        :func:`oncosig.genes.detect_id_type`) is the gene axis; TCGA barcodes mark the
        sample axis.
    sep
        Delimiter; sniffed from the header (tab, comma, semicolon) when ``None``.
    allow_normalized
        Accept non-integer or negative values (TPM, FPKM, log); otherwise raw counts
        are required.  ``uns["value_kind"]`` records which it was.
    project
        TCGA project of every sample (e.g. ``"TCGA-KICH"``), for ``obs``.

    Returns
    -------
    AnnData, samples x genes (see :func:`oncosig.io.read`).

    Raises
    ------
    OncosigInputError
        Any of the bad inputs checked by :mod:`oncosig.io._validate`.
    """
    if orientation not in _ORIENTATIONS:
        raise OncosigInputError(f"orientation must be one of {_ORIENTATIONS}, got {orientation!r}")
    p = check_file(path)
    skip, sep, header, rows = _layout(p, sep)
    n_label = _n_label_columns(rows, len(header))
    if n_label == 0 and header[0].strip().lower().replace(" ", "_") in ENTREZ_HEADERS:
        n_label = 1  # numeric gene IDs (Entrez) named as such in the header
    if n_label == 0:
        raise OncosigInputError(
            "no gene column: the first column holds numbers; the first column must hold "
            "gene IDs (genes x samples; name it 'entrez_id' for Entrez IDs) or sample IDs",
            path=p,
        )
    label_names = [h or f"label_{i}" for i, h in enumerate(header[:n_label])]
    col_labels = header[n_label:]
    if orientation == "auto":
        orientation = _auto_orientation([r[0] for r in rows], col_labels, len(rows), p)  # type: ignore[assignment]
        log.debug("%s: orientation %s", p, orientation)
    what_cols = "sample" if orientation == GENES_X_SAMPLES else "gene"
    dup = pd.Index(col_labels)
    if not dup.is_unique:
        d = dup[dup.duplicated()].unique()
        raise OncosigInputError(
            f"{len(d)} duplicate {what_cols} IDs in the header, e.g. {', '.join(map(repr, d[:3]))}; "
            f"give every {what_cols} a unique name",
            path=p,
        )
    names = label_names + [f"v{i}" for i in range(len(col_labels))]
    dtype: dict[str, type] = dict.fromkeys(label_names, str)
    dtype.update(dict.fromkeys(names[n_label:], np.float64))
    try:
        df = pd.read_csv(
            p,
            sep=sep,
            header=None,
            skiprows=skip + 1,
            names=names,
            dtype=dtype,  # type: ignore[arg-type]
            compression=compression_of(p),
            engine="c",
            skip_blank_lines=True,
            na_values=["NA", "NaN", "nan", ""],
            keep_default_na=False,
        )
    except PARSE_ERRORS as exc:
        raise OncosigInputError(f"cannot parse the matrix: {parse_message(exc)}", path=p) from exc
    labels = df[label_names].astype(object)
    values = df[names[n_label:]].to_numpy(dtype=np.float64)
    row_ids = labels[label_names[0]].astype(str).str.strip().str.strip('"').to_numpy()
    annot = labels[label_names[1:]].rename(columns=lambda c: _VAR_RENAMES.get(c.lower(), c))
    annot = annot.loc[:, ~annot.columns.duplicated()]
    if project is None:
        project = project_from_filename(p.name)
    src = provenance(
        p, fmt="matrix", reader="read_matrix", orientation=orientation, sep=sep, project=project
    )
    if orientation == GENES_X_SAMPLES:
        return build_anndata(
            values.T,
            samples=col_labels,
            genes=list(row_ids),
            path=p,
            source=src,
            allow_normalized=allow_normalized,
            var=annot.reset_index(drop=True),
            project=project,
        )
    return build_anndata(
        values,
        samples=list(row_ids),
        genes=col_labels,
        path=p,
        source=src,
        allow_normalized=allow_normalized,
        obs=labels[label_names[1:]].reset_index(drop=True),
        project=project,
    )


def header_has_genes(line: str, sep: str = "\t") -> bool:
    """Whether most cells of a header line after the first are strong gene IDs."""
    cells = [c.strip().strip('"') for c in line.split(sep)[1:]]
    return bool(cells) and _gene_likeness(cells)[0] >= 0.5


XENA_FIRST_CELLS = frozenset({"sample", "ensembl_id", "gene", "xena_sample", "gene_id", "id"})


def read_xena(
    path: str | Path, *, allow_normalized: bool = True, project: str | None = None
) -> AnnData:
    """Read a UCSC Xena gene-expression matrix (genes x samples, TSV, often gzipped).

    Xena's first header cell is ``sample``, ``Ensembl_ID`` or ``gene``; values are
    usually ``log2(x + 1)`` transformed counts/TPM/FPKM, so they are accepted as
    ``value_kind = "normalized"`` (integer values are still recognised as counts).

    Parameters
    ----------
    path
        The Xena ``.tsv``/``.tsv.gz`` file.
    allow_normalized
        Set ``False`` to insist on raw counts.
    project
        TCGA project of every sample, for ``obs``.

    Returns
    -------
    AnnData, samples x genes; ``uns["oncosig_source"]["format"] == "xena"`` and
    ``["log_transformed_guess"]`` (all values within 0..50 and not integer).
    """
    adata = read_matrix(
        path,
        orientation=GENES_X_SAMPLES,
        sep="\t",
        allow_normalized=allow_normalized,
        project=project,
    )
    strong_cols, _, _ = _gene_likeness(list(adata.obs_names))
    strong_rows, _, _ = _gene_likeness(list(adata.var_names))
    if strong_cols >= 0.5 and strong_rows < 0.5:
        raise OncosigInputError(
            "the header holds gene IDs and the rows do not: this is a samples x genes matrix, "
            "not a Xena (genes x samples) file; read it with read_matrix(orientation="
            "'samples_x_genes') (CLI: --orientation samples_x_genes)",
            path=path,
        )
    src = dict(adata.uns["oncosig_source"])
    src.update(format="xena", reader="read_xena")
    X = np.asarray(adata.X)
    finite = X[np.isfinite(X)]
    src["log_transformed_guess"] = bool(
        adata.uns[UNS_VALUE_KIND] == "normalized"
        and finite.size
        and finite.min() >= 0
        and finite.max() <= 50
    )
    adata.uns["oncosig_source"] = src
    return adata
