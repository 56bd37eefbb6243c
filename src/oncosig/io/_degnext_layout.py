"""Where the files of a DEGnext dataset live and what the shipped cohort table says.

Layout of the released DEGnext datasets (one folder, many cohorts), per cohort and split
stem (:data:`oncosig._constants.SPLIT_FILES`):

- ``<cohort>_<stem>.csv[.gz]``: genes x samples raw counts, comma-separated, no header;
  all Solid Tissue Normal columns first, then all Primary Tumor columns;
- ``<cohort>_<stem>_label.txt``: one label per gene (0 DR, 1 UR, 2 neutral);
- ``<cohort>_<stem>_data.csv[.gz]``: gene symbol, the counts, then the label;
- ``<cohort>_<stem>_genes.csv[.gz]``: gene symbols, one per line (bio splits only).
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from oncosig._constants import SPLIT_FILES
from oncosig._errors import OncosigInputError

FILE_RE = re.compile(
    r"^(?P<cohort>TCGA-[A-Z]+)_(?P<stem>non_bio_train|non_bio_test|bio_fine_tune|bio_test|"
    r"biologically_validated)(?P<kind>_data|_genes|_label|_labels)?\.(?:csv|txt)(?:\.gz)?$"
)
STEM_TO_SPLIT = {v: k for k, v in SPLIT_FILES.items()}


@functools.lru_cache(maxsize=1)
def _cohort_table() -> pd.DataFrame:
    text = resources.files("oncosig.data").joinpath("degnext_cohorts.tsv").read_text("utf-8")
    return pd.read_csv(io.StringIO(text), sep="\t", index_col="cohort")


def degnext_cohort_table() -> pd.DataFrame:
    """Normal/tumour sample counts of the DEGnext paper's 17 cohorts (its Table 6).

    Returns
    -------
    DataFrame indexed by cohort (``"TCGA-BLCA"``) with ``n_normal``, ``n_tumor`` and
    ``in_shared_data`` (whether the released dataset holds the cohort; the two that
    do not, HNSC and STAD, were not checked against data).
    """
    return _cohort_table().copy()


def normalize_cohort(cohort: str) -> str:
    """``"blca"`` / ``"BLCA"`` / ``"TCGA-BLCA"`` -> ``"TCGA-BLCA"``."""
    c = str(cohort).strip().upper().replace("_", "-")
    return c if c.startswith("TCGA-") else f"TCGA-{c}"


def normalize_split(split: str) -> str:
    """``"T1"`` or ``"non_bio_train"`` -> ``"T1"``."""
    if split in SPLIT_FILES:
        return split
    if split in STEM_TO_SPLIT:
        return STEM_TO_SPLIT[split]
    raise OncosigInputError(
        f"unknown DEGnext split {split!r}; use {', '.join(SPLIT_FILES)} "
        f"or {', '.join(SPLIT_FILES.values())}"
    )


@dataclass
class SplitFiles:
    """The files of one split of one cohort (``None`` where absent)."""

    split: str
    matrix: Path | None = None
    data: Path | None = None
    label: Path | None = None
    genes: Path | None = None

    @property
    def present(self) -> bool:
        """A split is usable when it has counts and labels (a ``_data`` file has both)."""
        return self.data is not None or (self.matrix is not None and self.label is not None)

    def reason_missing(self) -> str:
        """Which file is missing, for the warning."""
        if self.matrix is None and self.data is None:
            return "no count matrix"
        return "no label file"


def scan_folder(folder: Path) -> dict[str, list[Path]]:
    """DEGnext files of a folder grouped by cohort."""
    out: dict[str, list[Path]] = {}
    for f in sorted(folder.iterdir()):
        m = FILE_RE.match(f.name)
        if m and f.is_file():
            out.setdefault(m["cohort"], []).append(f)
    return out


def split_files(files: list[Path], split: str) -> SplitFiles:
    """Pick the files of ``split`` (``"T1"``..``"T3"``) from one cohort's files."""
    stem = SPLIT_FILES[split]
    sf = SplitFiles(split)
    for f in files:
        m = FILE_RE.match(f.name)
        if not m or m["stem"] != stem:
            continue
        kind = m["kind"] or ""
        if kind == "":
            sf.matrix = f
        elif kind == "_data":
            sf.data = f
        elif kind in ("_label", "_labels"):
            sf.label = f
        elif kind == "_genes":
            sf.genes = f
    return sf


def is_degnext_path(path: str | Path) -> bool:
    """Whether ``path`` is a DEGnext file or a folder holding DEGnext files."""
    p = Path(path)
    if p.is_dir():
        return any(FILE_RE.match(f.name) for f in p.iterdir())
    return bool(FILE_RE.match(p.name))


def resolve(path: str | Path, cohort: str | None) -> tuple[Path, str, list[Path]]:
    """(folder, cohort, the cohort's files) for a folder or a cohort file."""
    p = Path(path).expanduser()
    if not p.exists():
        raise OncosigInputError("file not found; check the path", path=p)
    folder = p if p.is_dir() else p.parent
    if not p.is_dir():
        m = FILE_RE.match(p.name)
        if not m:
            raise OncosigInputError("not a DEGnext dataset file (TCGA-XXXX_<split>...)", path=p)
        if cohort is None:
            cohort = m["cohort"]
    groups = scan_folder(folder)
    if not groups:
        raise OncosigInputError(
            "no DEGnext dataset files (TCGA-XXXX_<split>.csv.gz) here", path=folder
        )
    if cohort is None:
        if len(groups) > 1:
            raise OncosigInputError(
                f"the folder holds {len(groups)} DEGnext cohorts ({', '.join(groups)}); choose one "
                "with cohort= (CLI: --cohort)",
                path=folder,
            )
        cohort = next(iter(groups))
    cohort = normalize_cohort(cohort)
    if cohort not in groups:
        raise OncosigInputError(
            f"no files of cohort {cohort} here; found {', '.join(groups)}", path=folder
        )
    return folder, cohort, groups[cohort]
