"""Synthetic DEGnext-layout folders for the DEGnext tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

# cohort -> (n_normal, n_tumour) as in the DEGnext table (read_degnext checks them)
SIZES = {"TCGA-CHOL": (9, 36), "TCGA-KICH": (24, 65), "TCGA-READ": (10, 166)}
STEMS = {"T1": "non_bio_train", "T2": "non_bio_test", "F1": "bio_fine_tune", "T3": "bio_test"}


def synth_rows(
    rng: np.random.Generator, labels: np.ndarray, n_normal: int, n_tumor: int, lfc: float = 2.0
) -> np.ndarray:
    """Negative-binomial-like counts: DR genes drop by ``lfc`` log2 units in tumours, UR rise."""
    n = len(labels)
    base = rng.uniform(3, 9, size=(n, 1))  # log2 mean expression
    shift = np.where(labels == 0, -lfc, np.where(labels == 1, lfc, 0.0))[:, None]
    depth = rng.uniform(0.7, 1.4, size=(1, n_normal + n_tumor))
    mu = 2.0 ** np.concatenate(
        [np.repeat(base, n_normal, axis=1), np.repeat(base + shift, n_tumor, axis=1)], axis=1
    )
    mu = mu * depth * rng.gamma(10.0, 0.1, size=mu.shape)
    return rng.poisson(mu).astype(np.int64)


def write_cohort(
    folder: Path, cohort: str, *, genes: dict[str, int], seed: int = 0, lfc: float = 2.0
) -> None:
    """Write a DEGnext-layout cohort (gzipped CSV matrices, label files) into ``folder``."""
    rng = np.random.default_rng(seed)
    n_normal, n_tumor = SIZES[cohort]
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in genes.items():
        classes = [0, 1] if split in ("F1", "T3") else [0, 1, 2]
        y = np.resize(np.array(classes), n)
        rng.shuffle(y)
        x = synth_rows(rng, y, n_normal, n_tumor, lfc)
        with gzip.open(folder / f"{cohort}_{STEMS[split]}.csv.gz", "wt") as fh:
            np.savetxt(fh, x, delimiter=",", fmt="%d")
        np.savetxt(folder / f"{cohort}_{STEMS[split]}_label.txt", y, fmt="%d")


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Training cohorts CHOL + KICH in ``train/``; READ alone in ``unseen/``."""
    root = tmp_path_factory.mktemp("degnext_synth")
    write_cohort(
        root / "train", "TCGA-CHOL", genes={"T1": 96, "T2": 48, "F1": 64, "T3": 32}, seed=1
    )
    write_cohort(root / "train", "TCGA-KICH", genes={"T2": 96, "F1": 64, "T3": 32}, seed=2)
    write_cohort(root / "unseen", "TCGA-READ", genes={"T2": 64, "F1": 48, "T3": 32}, seed=3)
    return root


@pytest.fixture(autouse=True)
def _one_torch_thread() -> object:
    """One intra-op thread: on a shared 2-core runner, 2 spinning threads are far slower."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
