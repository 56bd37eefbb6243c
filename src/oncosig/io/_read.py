"""``oncosig.io.read``: detect what a path holds and call the matching reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anndata import AnnData

from oncosig._errors import OncosigInputError
from oncosig.io._degnext import read_degnext
from oncosig.io._degnext_layout import FILE_RE, is_degnext_path
from oncosig.io._gdc import read_htseq, read_star, sniff_gdc_kind
from oncosig.io._gdc_sheet import is_sample_sheet, read_gdc
from oncosig.io._h5ad import is_h5ad, read_h5ad
from oncosig.io._matrix import XENA_FIRST_CELLS, header_has_genes, read_matrix, read_xena
from oncosig.io._text import check_file, head_lines

FORMATS: tuple[str, ...] = (
    "h5ad",
    "degnext",
    "star",
    "htseq",
    "gdc_sample_sheet",
    "xena",
    "matrix",
)


def detect_format(path: str | Path) -> str:
    """Which kind of file (or folder) ``path`` is.

    Returns
    -------
    One of ``"h5ad"``, ``"degnext"`` (a DEGnext folder or cohort file), ``"star"``,
    ``"htseq"``, ``"gdc_sample_sheet"``, ``"xena"`` or ``"matrix"`` (any other table).

    Raises
    ------
    OncosigInputError
        Missing file, empty file, or a folder that is not a DEGnext dataset.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        if is_degnext_path(p):
            return "degnext"
        raise OncosigInputError(
            "is a folder but not a DEGnext dataset; give an expression file", path=p
        )
    if FILE_RE.match(p.name):
        return "degnext"
    p = check_file(p)
    if is_h5ad(p):
        return "h5ad"
    kind = sniff_gdc_kind(p)
    if kind is not None:
        return kind
    if is_sample_sheet(p):
        return "gdc_sample_sheet"
    lines = [ln for ln in head_lines(p, 3) if ln.strip() and not ln.startswith("#")]
    if lines and "\t" in lines[0]:
        first = lines[0].split("\t", 1)[0].strip().strip('"').lower()
        if first in XENA_FIRST_CELLS and not header_has_genes(lines[0]):
            return "xena"
    return "matrix"


def read(path: str | Path, *, allow_normalized: bool | None = None, **kwargs: Any) -> AnnData:
    """Read any supported expression input into AnnData.

    Parameters
    ----------
    path
        An ``.h5ad`` file; a GDC STAR or HTSeq gene-count file; a GDC sample sheet
        (with its files beside it or in ``data_dir=``); a UCSC Xena matrix; any
        CSV/TSV matrix (gzipped or not, either orientation); or a DEGnext folder /
        cohort file (then the result is genes x samples, see :func:`read_degnext`).
    allow_normalized
        For matrices: accept non-count values (``None``: the reader's default, which
        is ``False`` for generic matrices and ``True`` for Xena files).
    **kwargs
        Passed to the reader (e.g. ``orientation=``, ``sep=``, ``project=`` for
        matrices, ``value_column=`` for STAR files and sample sheets, ``data_dir=``,
        ``cohort=``/``splits=``/``n_normal=`` for DEGnext).

    Returns
    -------
    AnnData, samples x genes (DEGnext: genes x samples);
    ``uns["oncosig_source"]["format"]`` says what was read.
    """
    fmt = detect_format(path)
    if fmt == "h5ad":
        return read_h5ad(path, **kwargs)
    if fmt == "degnext":
        return read_degnext(path, **kwargs)
    if fmt == "star":
        return read_star(path, **kwargs)
    if fmt == "htseq":
        return read_htseq(path, **kwargs)
    if fmt == "gdc_sample_sheet":
        return read_gdc(path, **kwargs)
    if allow_normalized is not None:
        kwargs["allow_normalized"] = allow_normalized
    if fmt == "xena":
        return read_xena(path, **kwargs)
    return read_matrix(path, **kwargs)
