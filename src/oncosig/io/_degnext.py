"""Read and list DEGnext datasets (genes as observations; see :mod:`._degnext_layout`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import (
    COUNTS_LAYER,
    LABEL_NAMES,
    NORMAL,
    OBS_CONDITION,
    SPLIT_FILES,
    TUMOR,
    UNS_SOURCE,
    UNS_VALUE_KIND,
    VAR_SYMBOL,
)
from oncosig._errors import OncosigInputError
from oncosig.io._build import provenance
from oncosig.io._degnext_layout import (
    SplitFiles,
    _cohort_table,
    normalize_split,
    resolve,
    scan_folder,
    split_files,
)
from oncosig.io._text import count_lines, head_lines, read_csv_checked
from oncosig.io._validate import check_values, count_dtype

log = logging.getLogger(__name__)

OBS_SPLIT = "split"
OBS_LABEL = "label"


def _n_columns(path: Path) -> int:
    first = head_lines(path, 1)
    return len(first[0].split(",")) if first else 0


def _read_labels(path: Path, n_rows: int) -> np.ndarray:
    lab = read_csv_checked(path, what="label file", header=None, dtype=np.float64)
    y = lab.iloc[:, 0].to_numpy()
    if len(y) != n_rows:
        raise OncosigInputError(
            f"{len(y)} labels for {n_rows} genes in the count matrix; the files do not belong together",
            path=path,
        )
    return _check_labels(y, path)


def _check_labels(y: np.ndarray, path: Path) -> np.ndarray:
    """Labels as int8 after checking that every one is 0, 1 or 2 (no blanks)."""
    y = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy(dtype=np.float64)
    if not np.isin(y, list(LABEL_NAMES)).all():
        found = sorted({"missing" if np.isnan(v) else f"{v:g}" for v in y.tolist()})
        raise OncosigInputError(
            f"labels must be 0 (DR), 1 (UR) or 2 (neutral); found {', '.join(found[:5])}",
            path=path,
        )
    return y.astype(np.int8)


def _read_split(sf: SplitFiles) -> tuple[np.ndarray, np.ndarray, np.ndarray, Path]:
    """(counts genes x samples, labels, symbols or NaN, main file) of one split."""
    if sf.matrix is not None:
        path = sf.matrix
        values = read_csv_checked(
            path, what="count matrix", header=None, dtype=np.float64, engine="c"
        ).to_numpy()
        symbols = np.full(values.shape[0], np.nan, dtype=object)
        labels = None
    else:
        assert sf.data is not None
        path = sf.data
        df = read_csv_checked(path, what="DEGnext data file", header=None, engine="c")
        if df.shape[1] < 3:
            raise OncosigInputError(
                f"{df.shape[1]} columns; a DEGnext *_data file holds the gene symbol, the "
                "counts and the label",
                path=path,
            )
        symbols = df.iloc[:, 0].astype(str).to_numpy(dtype=object)
        raw = df.iloc[:, 1:-1]
        block = raw.apply(pd.to_numeric, errors="coerce")
        bad = raw.where(block.isna() & raw.notna()).stack()
        if len(bad):
            raise OncosigInputError(
                "cannot parse the DEGnext data file: non-numeric expression values "
                f"(e.g. {str(bad.iloc[0])!r})",
                path=path,
            )
        values = block.to_numpy(dtype=np.float64)
        labels = _check_labels(df.iloc[:, -1].to_numpy(), path)
    if values.size == 0:
        raise OncosigInputError("empty matrix", path=path)
    check_values(values, path=path, allow_normalized=False)
    if sf.label is not None:
        labels = _read_labels(sf.label, values.shape[0])
    assert labels is not None
    names_file = sf.genes or (sf.data if sf.matrix is not None else None)
    if names_file is not None and names_file != path:
        usecols = [0] if names_file == sf.data else None
        names = read_csv_checked(names_file, what="gene-name file", header=None, usecols=usecols)
        col = names.iloc[:, 0].astype(str).to_numpy(dtype=object)
        if len(col) == values.shape[0]:
            symbols = col
        else:
            log.warning(
                "%s: %d gene names for %d rows; names ignored",
                names_file,
                len(col),
                values.shape[0],
            )
    return values, np.asarray(labels, dtype=np.int8), symbols, path


def _bio_names(files: list[Path]) -> np.ndarray | None:
    bv = next(
        (f for f in files if f.name.split(".")[0].endswith("_biologically_validated_genes")), None
    )
    if bv is None:
        return None
    names = read_csv_checked(bv, what="gene-name file", header=None).iloc[:, 0]
    return names.astype(str).to_numpy(dtype=object)


def _fill_bio_symbols(
    files: list[Path], blocks: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]
) -> None:
    """Name F1/T3 genes from ``*_biologically_validated_genes`` (= F1 rows, then T3 rows).

    Used only where the split has no names of its own and the row counts fit exactly
    (and agree with the names the other bio split has).
    """
    by_split = {b[0]: b for b in blocks}
    if not any(s in by_split and pd.isna(by_split[s][3]).all() for s in ("F1", "T3")):
        return
    names = _bio_names(files)
    if names is None:
        return
    sizes = {}
    for split in ("F1", "T3"):
        if split in by_split:
            sizes[split] = len(by_split[split][2])
        else:
            sf = split_files(files, split)
            if sf.label is None:
                return
            sizes[split] = count_lines(sf.label)
    if len(names) != sizes["F1"] + sizes["T3"]:
        return
    parts = {"F1": names[: sizes["F1"]], "T3": names[sizes["F1"] :]}
    for split, part in parts.items():
        if split not in by_split:
            continue
        sym = by_split[split][3]
        if pd.isna(sym).all():
            sym[:] = part
        elif not np.array_equal(sym.astype(str), part.astype(str)):
            return  # the combined list is not F1 + T3 in order: leave the rest unnamed


def _normal_count(cohort: str, n_normal: int | None, n_samples: int, where: Path) -> int:
    table = _cohort_table()
    if n_normal is None:
        if cohort not in table.index:
            raise OncosigInputError(
                f"cohort {cohort} is not in the DEGnext table; pass n_normal= (CLI: --n-normal), "
                "the number of normal columns (they come first)",
                path=where,
            )
        n_normal = int(table.loc[cohort, "n_normal"])
        expected = n_normal + int(table.loc[cohort, "n_tumor"])
        if expected != n_samples:
            log.warning(
                "%s: %s has %d sample columns, the DEGnext table %d; pass n_normal= if the "
                "first %d columns are not the normal samples",
                where,
                cohort,
                n_samples,
                expected,
                n_normal,
            )
    if not 0 <= n_normal < n_samples:
        raise OncosigInputError(
            f"n_normal={n_normal} must lie in 0..{n_samples - 1} (the files have {n_samples} samples)",
            path=where,
        )
    return int(n_normal)


def read_degnext(
    path: str | Path,
    *,
    cohort: str | None = None,
    splits: Sequence[str] = ("T1", "T2", "F1", "T3"),
    n_normal: int | None = None,
) -> AnnData:
    """Read one cohort of a DEGnext dataset: **genes as observations**, samples as variables.

    This is the one documented exception to oncosig's samples x genes layout, because
    DEGnext classifies one gene's expression row across normal+tumour samples.

    Parameters
    ----------
    path
        A folder of DEGnext files (the released layout) or any file of the cohort.
    cohort
        ``"TCGA-BLCA"`` (or ``"BLCA"``); may be left out when ``path`` is a cohort file
        or the folder holds one cohort.
    splits
        Splits to read: ``"T1"`` non-bio train, ``"T2"`` non-bio test, ``"F1"`` bio
        fine-tune, ``"T3"`` bio test (file stems also accepted).
    n_normal
        Number of normal columns (they come first).  Default: the DEGnext paper's
        Table 6 (``oncosig/data/degnext_cohorts.tsv``); required for other cohorts.

    Returns
    -------
    AnnData genes x samples: ``obs["split"]``, ``obs["label"]`` (0 DR, 1 UR, 2 neutral),
    ``obs["symbol"]`` (where a ``*_genes.csv``/``*_data.csv`` names the gene);
    ``var["condition"]`` (``"normal"``/``"tumor"``); float32 ``X`` and
    ``layers["counts"]``; ``uns["cohort"]``, ``uns["n_normal"]``, ``uns["splits"]``,
    ``uns["missing_splits"]``.

    A missing split is logged as a warning and listed in ``uns["missing_splits"]``;
    it never raises unless no requested split exists.

    Raises
    ------
    OncosigInputError
        No requested split exists, splits with different sample counts, labels that do
        not fit the matrix, or a cohort with unknown normal count and no ``n_normal``.
    """
    folder, cohort_id, files = resolve(path, cohort)
    wanted = [normalize_split(s) for s in splits]
    blocks: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    missing: list[str] = []
    read_files: list[str] = []
    n_samples: int | None = None
    for split in wanted:
        sf = split_files(files, split)
        if not sf.present:
            missing.append(split)
            msg = (
                f"{cohort_id}: split {split} ({SPLIT_FILES[split]}) missing: {sf.reason_missing()}"
            )
            log.warning(msg)
            continue
        values, labels, symbols, main = _read_split(sf)
        if n_samples is None:
            n_samples = values.shape[1]
        elif values.shape[1] != n_samples:
            raise OncosigInputError(
                f"{values.shape[1]} sample columns, other splits have {n_samples}", path=main
            )
        blocks.append((split, values, labels, symbols))
        read_files.append(main.name)
    if not blocks or n_samples is None:
        raise OncosigInputError(
            f"none of the splits {', '.join(wanted)} of {cohort_id} exists (missing count matrix "
            "or label files)",
            path=folder,
        )
    _fill_bio_symbols(files, blocks)
    n_norm = _normal_count(cohort_id, n_normal, n_samples, folder)
    counts = np.vstack([b[1] for b in blocks])
    obs = pd.DataFrame(
        {
            OBS_SPLIT: pd.Categorical(
                np.concatenate([[b[0]] * len(b[2]) for b in blocks]), categories=list(SPLIT_FILES)
            ),
            OBS_LABEL: np.concatenate([b[2] for b in blocks]).astype(np.int64),
            VAR_SYMBOL: np.concatenate([b[3] for b in blocks]),
        },
        index=pd.Index([f"{b[0]}_{i}" for b in blocks for i in range(len(b[2]))], dtype=object),
    )
    n_tumor = n_samples - n_norm
    var = pd.DataFrame(
        {
            OBS_CONDITION: pd.Categorical(
                [NORMAL] * n_norm + [TUMOR] * n_tumor, categories=[NORMAL, TUMOR]
            )
        },
        index=pd.Index(
            [f"normal_{i + 1}" for i in range(n_norm)] + [f"tumor_{i + 1}" for i in range(n_tumor)],
            dtype=object,
        ),
    )
    adata = AnnData(X=counts.astype(np.float32), obs=obs, var=var)
    adata.layers[COUNTS_LAYER] = counts.astype(count_dtype(counts))
    adata.uns["cohort"] = cohort_id
    adata.uns["n_normal"] = n_norm
    adata.uns["splits"] = [b[0] for b in blocks]
    adata.uns["missing_splits"] = missing
    adata.uns[UNS_VALUE_KIND] = "counts"
    adata.uns[UNS_SOURCE] = provenance(
        folder, fmt="degnext", reader="read_degnext", cohort=cohort_id, files=read_files
    )
    return adata


def list_degnext_cohorts(path: str | Path) -> pd.DataFrame:
    """Summarise every DEGnext cohort in a folder (cheap: reads first lines and labels).

    Parameters
    ----------
    path
        A folder of DEGnext files, or one file (its folder is listed).

    Returns
    -------
    DataFrame indexed by cohort with ``n_files``, ``splits`` (present), ``missing_splits``
    (lists), ``n_samples``, ``n_normal``, ``n_tumor`` (from the DEGnext table; NaN for
    cohorts not in it) and ``genes_T1``, ``genes_T2``, ``genes_F1``, ``genes_T3``
    (NaN for missing splits).
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise OncosigInputError("file not found; check the path", path=p)
    folder = p if p.is_dir() else p.parent
    groups = scan_folder(folder)
    if not groups:
        raise OncosigInputError(
            "no DEGnext dataset files (TCGA-XXXX_<split>.csv.gz) here", path=folder
        )
    table = _cohort_table()
    rows = []
    for cohort, files in groups.items():
        row: dict[str, object] = {"cohort": cohort, "n_files": len(files)}
        present, missing = [], []
        n_samples = None
        for split in SPLIT_FILES:
            sf = split_files(files, split)
            if not sf.present:
                missing.append(split)
                row[f"genes_{split}"] = np.nan
                continue
            present.append(split)
            if sf.label is not None:
                row[f"genes_{split}"] = count_lines(sf.label)
            else:
                row[f"genes_{split}"] = count_lines(sf.data)  # type: ignore[arg-type]
            if n_samples is None:
                n_samples = _n_columns(sf.matrix) if sf.matrix else _n_columns(sf.data) - 2  # type: ignore[arg-type]
        if n_samples is None:  # no complete split: any matrix still tells the sample count
            other = next(
                (
                    f
                    for f in files
                    if f.name.endswith((".csv.gz", ".csv")) and "_genes" not in f.name
                ),
                None,
            )
            if other is not None:
                n_samples = _n_columns(other) - (2 if "_data" in other.name else 0)
        row["splits"] = present
        row["missing_splits"] = missing
        row["n_samples"] = n_samples if n_samples is not None else np.nan
        if cohort in table.index:
            n_norm = int(table.loc[cohort, "n_normal"])
            row["n_normal"] = n_norm
            row["n_tumor"] = (
                (n_samples - n_norm) if n_samples else int(table.loc[cohort, "n_tumor"])
            )
        else:
            row["n_normal"] = row["n_tumor"] = np.nan
        rows.append(row)
    cols = ["cohort", "n_files", "splits", "missing_splits", "n_samples", "n_normal", "n_tumor"]
    cols += [f"genes_{s}" for s in SPLIT_FILES]
    return pd.DataFrame(rows)[cols].set_index("cohort")
