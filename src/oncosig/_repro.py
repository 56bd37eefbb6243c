"""Reproducibility: seeding and the run record written next to every output."""

from __future__ import annotations

import json
import os
import platform
import random
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from oncosig._atomic import write_text

RUN_RECORD = "run.json"


def seed_everything(seed: int, *, deterministic: bool = True) -> int:
    """Seed Python, NumPy and torch; make CPU kernels deterministic.

    Parameters
    ----------
    seed
        The seed.
    deterministic
        Ask torch for deterministic algorithms where they exist (``warn_only``: GPU
        kernels without a deterministic version warn instead of failing; see the
        README's note on GPU nondeterminism).

    Returns
    -------
    The seed, for logging.
    """
    import torch

    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002  (legacy global state used by third-party code)
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return seed


def versions() -> dict[str, str]:
    """Versions of oncosig and the libraries that shape its numbers."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in (
        "oncosig",
        "torch",
        "lightning",
        "numpy",
        "scipy",
        "pandas",
        "anndata",
        "scikit-learn",
        "pydeseq2",
        "xgboost-cpu",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            continue
    return out


def write_run_record(
    out_dir: str | Path,
    *,
    command: str,
    config: Mapping[str, Any],
    seed: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``run.json`` (resolved config, seed, versions, argv, time) into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder of the run's outputs; a file path puts the record beside that file as
        ``<name>.run.json``.
    command
        The API function or CLI subcommand that ran.
    config
        Resolved configuration (JSON-serialisable; paths are turned into strings).
    seed
        The seed used, if any.
    extra
        Anything else worth keeping (metrics summary, input files).
    """
    target = Path(out_dir)
    record_path = (
        target / RUN_RECORD
        if target.is_dir() or not target.suffix
        else (target.with_name(target.name + ".run.json"))
    )
    record = {
        "command": command,
        "config": dict(config),
        "seed": seed,
        "argv": sys.argv,
        "time_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        **(dict(extra) if extra else {}),
    }
    write_text(record_path, json.dumps(record, indent=2, default=str) + "\n")
    return record_path
