"""Read what a GeneXNet or DEGnext run directory holds and sort its tables by content."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from oncosig.pl._de import de_columns

log = logging.getLogger(__name__)

DEG_LABELS = {"DR", "UR", "neutral"}
TRUTH_COLUMNS = ("true", "y_true", "truth", "target", "true_label", "label", "class", "project")
_MAX_DEPTH = 3
_MAX_TABLE_BYTES = 200_000_000


@dataclass
class RunContents:
    """Files found in a run directory, grouped by what they hold."""

    root: Path
    records: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    tables: dict[str, list[tuple[Path, pd.DataFrame]]] = field(default_factory=dict)
    images: list[Path] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    other_files: list[Path] = field(default_factory=list)
    duplicates: list[tuple[Path, Path]] = field(default_factory=list)

    def of(self, kind: str) -> list[tuple[Path, pd.DataFrame]]:
        """Tables of one kind (see :func:`table_kind`)."""
        return self.tables.get(kind, [])

    def rel(self, path: Path) -> str:
        """Path relative to the run directory."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def truth_column(df: pd.DataFrame) -> str | None:
    """The true-label column of a predictions table, if any."""
    return next((c for c in TRUTH_COLUMNS if c in df.columns and c != "prediction"), None)


def table_kind(df: pd.DataFrame) -> str:
    """Classify a table by its columns.

    Returns one of ``enrichment``, ``ranking``, ``common_genes``, ``de``, ``noise``,
    ``training``, ``predictions``, ``cv_predictions`` (per-fold predictions of a
    cross-validation: ``model``, ``fold``, ``prediction``), ``splits`` (a CV split
    manifest), ``cv_summary`` (one row per model, ``*_mean``/``*_std`` columns),
    ``cv_folds`` (per-fold metrics of several models), ``degnext_predictions``,
    ``metrics``.
    """
    cols = set(map(str, df.columns))
    if {"term", "fdr"} <= cols or {"term", "pvalue"} <= cols:
        return "enrichment"
    if {"class", "rank", "gene"} <= cols:
        return "ranking"
    if {"gene", "n_classes"} <= cols:
        return "common_genes"
    found = de_columns(df)
    if "logfc" in found and "pvalue" in found:
        return "de"
    if {"noise_pct", "accuracy"} <= cols:
        return "noise"
    if "epoch" in cols and any("loss" in c.lower() or "acc" in c.lower() for c in cols):
        return "training"
    if "prediction" in cols:
        return "cv_predictions" if {"model", "fold"} <= cols else "predictions"
    if {"sample", "fold", "label"} <= cols:
        return "splits"
    if "model" in cols and any(c.endswith("_mean") for c in cols):
        return "cv_summary"
    if {"model", "fold"} <= cols:
        return "cv_folds"
    if "label" in cols and set(df["label"].dropna().astype(str)) <= DEG_LABELS and len(df):
        return "degnext_predictions"
    return "metrics"


def _read_table(path: Path) -> pd.DataFrame:
    sep = "\t" if path.suffix.lower() in {".tsv", ".txt"} else ","
    df = pd.read_csv(path, sep=sep)
    first = str(df.columns[0]) if len(df.columns) else ""
    if first.startswith("Unnamed") or first == "":
        df = df.set_index(df.columns[0])
        df.index.name = None
    return df


def scan_run(run_dir: str | Path) -> RunContents:
    """Read the run records, CSV/TSV tables and PNG figures of ``run_dir``.

    Files that cannot be read are listed (``unreadable``), never fatal.  A table equal to
    one read before it is listed in ``duplicates`` (``(path, same_as)``) and not repeated.
    """
    root = Path(run_dir)
    out = RunContents(root=root)
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and len(p.relative_to(root).parts) <= _MAX_DEPTH
    )
    for p in files:
        suffix = p.suffix.lower()
        try:
            if suffix == ".json":
                data = json.loads(p.read_text(encoding="utf-8"))
                if isinstance(data, dict):
                    out.records.append((p, data))
                else:
                    out.other_files.append(p)
            elif suffix in {".csv", ".tsv"}:
                if p.stat().st_size > _MAX_TABLE_BYTES:
                    out.unreadable.append((p, "too large to include"))
                    continue
                df = _read_table(p)
                kind = table_kind(df)
                same = next((q for q, d in out.of(kind) if d.equals(df)), None)
                if same is not None:
                    out.duplicates.append((p, same))
                    continue
                out.tables.setdefault(kind, []).append((p, df))
            elif suffix == ".png":
                out.images.append(p)
            else:
                out.other_files.append(p)
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            log.warning("cannot read %s: %s", p, exc)
            out.unreadable.append((p, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
    return out
