"""The DEGnext estimator: fit (level 1) / finetune (level 2) / predict / evaluate / save / load."""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import torch
from anndata import AnnData

from oncosig._checkpoint import load_checkpoint, save_checkpoint, split_prefix
from oncosig._constants import LABEL_NAMES
from oncosig._errors import OncosigInputError
from oncosig._repro import seed_everything
from oncosig._resume import SUFFIX, data_fingerprint, fingerprint
from oncosig.degnext._data import (
    GeneRows,
    cohort_of,
    counts_of,
    make_rows,
    select_splits,
    size_factors_for,
    split_validation,
)
from oncosig.degnext._metrics import classification_metrics
from oncosig.degnext._scaling import fit_size_factors
from oncosig.degnext._training import predict_proba_rows, train_level
from oncosig.models import create_model
from oncosig.models.networks._degnext import DEGnextNet

log = logging.getLogger(__name__)

CKPT_KIND = "degnext"
SCALING = (
    "median-of-ratios size factors (training genes), log2(count/sf + 1), per-gene centring "
    "on the midpoint of the normal and tumour group means"
)
BACKGROUND_SPLITS = ("T1", "T2")
"""Non-bio splits whose (unlabelled) rows give size factors for a cohort never trained on."""

Data: TypeAlias = AnnData | Sequence[AnnData]


def _as_list(data: Data) -> list[AnnData]:
    if isinstance(data, AnnData):
        return [data]
    out: list[Any] = list(data)
    if not out or not all(isinstance(a, AnnData) for a in out):
        raise TypeError("expected an AnnData from oncosig.io.read_degnext or a list of them")
    return out


class DEGnext:
    """DEGnext gene classifier (down-regulated / up-regulated / neutral).

    Two-level training as published: :meth:`fit` trains the 3-class network on the
    non-bio training genes (T1); :meth:`finetune` replaces the head by one logit and
    fine-tunes on the biologically validated genes (F1, DR vs UR).  Inputs are
    :func:`oncosig.io.read_degnext` AnnData objects (genes as observations, normal
    samples first); every method takes the splits to use.

    Parameters
    ----------
    arch
        Registered network: ``"degnext"`` (published widths) or ``"degnext_fast"``.
    lr
        Adam learning rate (paper 1e-4).
    batch_size, max_epochs
        Level 1 (paper 256, 50).
    finetune_batch_size, finetune_epochs
        Level 2 (paper 64, 31).
    patience
        Early stopping on validation accuracy after ``patience`` epochs without
        improvement (0 = off, the paper's fixed epochs).  It holds out ``val_fraction`` of
        each cohort's training genes (stratified) and restores the best epoch.
    val_fraction
        Hold-out share used only when ``patience > 0``.
    precision
        Lightning precision: ``"bf16-mixed"`` (default; AMX/AVX-512-bf16 on modern CPUs)
        or ``"32-true"``.
    channels_last
        Channels-last memory format for the convolutions.
    seed
        Seed for weights, shuffling and the hold-out.
    num_threads
        ``torch.set_num_threads`` during training/prediction (``None`` = leave as is).
    progress
        Lightning progress bars.
    net_kwargs
        Extra network configuration (``widths``, ``hidden``).

    Notes
    -----
    Input scaling (see :mod:`oncosig.degnext._scaling`): median-of-ratios size factors
    fitted on each cohort's training genes, ``log2(count / sf + 1)``, then per-gene
    centring (``centring="balanced"``: on the midpoint of the normal and tumour group means,
    so a fold change sits at the same place whatever the share of normal samples; ``"mean"``:
    on the row mean, the session-1 behaviour kept for older checkpoints).  With
    ``row_quantiles=q`` each scaled row is resampled to ``q`` quantiles of its normal and
    ``q`` of its tumour samples, so every cohort gives rows of the same length and layout
    whatever its sample counts (transfer to cohorts with few normals; see BENCHMARKS.md).
    A cohort never trained on takes its size factors from its unlabelled non-bio genes
    (T1/T2) when present, else from the genes being scored.
    """

    def __init__(
        self,
        *,
        arch: str = "degnext",
        lr: float = 1e-4,
        batch_size: int = 256,
        max_epochs: int = 50,
        finetune_batch_size: int = 64,
        finetune_epochs: int = 31,
        patience: int = 0,
        val_fraction: float = 0.1,
        precision: str = "bf16-mixed",
        channels_last: bool = True,
        seed: int = 0,
        num_threads: int | None = None,
        progress: bool = True,
        net_kwargs: dict[str, Any] | None = None,
        centring: str = "balanced",
        row_quantiles: int | None = None,
    ) -> None:
        if centring not in ("balanced", "mean"):
            raise ValueError(f"centring must be 'balanced' or 'mean', got {centring!r}")
        if row_quantiles is not None and int(row_quantiles) < 2:
            raise ValueError(f"row_quantiles must be None or >= 2, got {row_quantiles}")
        if precision not in {"bf16-mixed", "32-true", "32"}:
            raise ValueError(f"precision must be 'bf16-mixed' or '32-true', got {precision!r}")
        if min(batch_size, finetune_batch_size, max_epochs, finetune_epochs) < 1:
            raise ValueError("batch sizes and epoch counts must be >= 1")
        if not 0 <= val_fraction < 1:
            raise ValueError("val_fraction must lie in [0, 1)")
        self.config: dict[str, Any] = {
            "arch": arch,
            "lr": lr,
            "batch_size": batch_size,
            "max_epochs": max_epochs,
            "finetune_batch_size": finetune_batch_size,
            "finetune_epochs": finetune_epochs,
            "patience": patience,
            "val_fraction": val_fraction,
            "precision": precision,
            "channels_last": channels_last,
            "seed": seed,
            "num_threads": num_threads,
            "progress": progress,
            "net_kwargs": dict(net_kwargs or {}),
            "centring": centring,
            "row_quantiles": None if row_quantiles is None else int(row_quantiles),
        }
        self.net: DEGnextNet | None = None
        self.level1_net: DEGnextNet | None = None
        self.size_factors: dict[str, np.ndarray] = {}
        self.history: dict[str, Any] = {}

    # ------------------------------------------------------------------ helpers
    @property
    def is_finetuned(self) -> bool:
        """True once :meth:`finetune` replaced the head by the binary one."""
        return self.net is not None and int(self.net.config["num_classes"]) == 1

    def _threads(self) -> None:
        n = self.config["num_threads"]
        if n:
            torch.set_num_threads(int(n))

    def _rows(self, adata: AnnData, size_factors: np.ndarray) -> GeneRows:
        """Scaled rows of ``adata`` with this model's input settings."""
        return make_rows(
            adata,
            size_factors,
            centring=self.config["centring"],
            quantiles=self.config["row_quantiles"],
        )

    def _train_parts(
        self, data: Data, splits: Sequence[str] | None, *, binary: bool
    ) -> list[GeneRows]:
        parts = []
        for adata in _as_list(data):
            sub = select_splits(adata, splits)
            cohort = cohort_of(adata)
            sf = self.size_factors.get(cohort)
            if sf is None or sf.shape[0] != sub.n_vars:
                sf = fit_size_factors(counts_of(sub))
                self.size_factors[cohort] = sf
            rows = self._rows(sub, sf)
            if binary:
                keep = np.isin(rows.y, [0, 1])
                if not keep.all():
                    warnings.warn(
                        f"{cohort}: {int((~keep).sum())} neutral/unlabelled genes left out of "
                        "the binary fine-tuning",
                        stacklevel=3,
                    )
                rows = rows.take(keep)
            elif (rows.y < 0).any() or (rows.y > 2).any():
                raise OncosigInputError(f"{cohort}: training labels must be 0, 1 or 2")
            if len(rows.y):
                parts.append(rows)
        if not parts:
            raise OncosigInputError("no labelled genes to train on in the given splits")
        return parts

    def _run_id(self, parts: list[GeneRows], level: int) -> str:
        """Fingerprint of a training level: settings, level, genes, labels, size factors."""
        cfg = {k: v for k, v in self.config.items() if k not in ("progress", "num_threads")}
        data = [
            [p.cohort, data_fingerprint(p.genes, p.y), data_fingerprint([], p.x)] for p in parts
        ]
        return fingerprint({"level": level, "config": cfg, "data": data})

    def _run(
        self,
        net: DEGnextNet,
        parts: list[GeneRows],
        *,
        level: int,
        checkpoint_dir: str | Path | None = None,
        resume: bool = False,
    ) -> None:
        """Train ``net`` for one level and record its summary in ``history[f"level{level}"]``."""
        c = self.config
        train, val = [], []
        for i, p in enumerate(parts):
            frac = c["val_fraction"] if c["patience"] > 0 else 0.0
            tr, va = split_validation(p, frac, seed=c["seed"] + i)
            train.append(tr)
            if va is not None:
                val.append(va)
        summary = train_level(
            net,
            train,
            val=val,
            lr=c["lr"],
            batch_size=c["batch_size"] if level == 1 else c["finetune_batch_size"],
            max_epochs=c["max_epochs"] if level == 1 else c["finetune_epochs"],
            patience=c["patience"],
            precision=c["precision"],
            channels_last=c["channels_last"],
            progress=c["progress"],
            seed=c["seed"],
            checkpoint=None
            if checkpoint_dir is None
            else Path(checkpoint_dir) / f"level{level}{SUFFIX}",
            resume=resume,
            fingerprint=self._run_id(parts, level),
        )
        summary["cohorts"] = [p.cohort for p in parts]
        summary["n_genes"] = int(sum(len(p.y) for p in parts))
        self.history[f"level{level}"] = summary

    # ---------------------------------------------------------------- training
    def fit(
        self,
        data: Data,
        *,
        splits: Sequence[str] | None = ("T1",),
        checkpoint_dir: str | Path | None = None,
        resume: bool = False,
    ) -> DEGnext:
        """Level 1: train the 3-class network from scratch on ``splits`` of every cohort.

        Parameters
        ----------
        data
            One cohort or several (mini-batches never mix cohorts).
        splits
            Training splits (paper: T1).  ``None`` = every row.
        checkpoint_dir
            Folder for a resumable checkpoint of this level, ``level{n}.ckpt``, replaced
            atomically at the end of every epoch (weights, optimizer, early stopping, best
            weights, random generators; read back with ``weights_only=True``).  None
            writes none.
        resume
            Continue this level's run from ``checkpoint_dir`` (a missing checkpoint starts
            afresh); the result equals an uninterrupted run's (bit-identical on CPU).
            Without it, an existing checkpoint is refused.

        Returns
        -------
        self
        """
        self._threads()
        seed_everything(self.config["seed"])
        self.size_factors = {}
        parts = self._train_parts(data, splits, binary=False)
        net = create_model(self.config["arch"], num_classes=3, **self.config["net_kwargs"])
        self._run(net, parts, level=1, checkpoint_dir=checkpoint_dir, resume=resume)
        self.net = net
        self.level1_net = copy.deepcopy(net)
        return self

    def finetune(
        self,
        data: Data,
        *,
        splits: Sequence[str] | None = ("F1",),
        checkpoint_dir: str | Path | None = None,
        resume: bool = False,
    ) -> DEGnext:
        """Level 2: one-logit head, ``BCEWithLogitsLoss``, fine-tune every layer on DR/UR genes.

        Parameters
        ----------
        data
            One cohort or several.
        splits
            Fine-tuning splits (paper: F1).  Neutral genes are left out.
        checkpoint_dir
            Folder for a resumable checkpoint of this level, ``level{n}.ckpt``, replaced
            atomically at the end of every epoch (weights, optimizer, early stopping, best
            weights, random generators; read back with ``weights_only=True``).  None
            writes none.
        resume
            Continue this level's run from ``checkpoint_dir`` (a missing checkpoint starts
            afresh); the result equals an uninterrupted run's (bit-identical on CPU).
            Without it, an existing checkpoint is refused.

        Returns
        -------
        self
        """
        if self.level1_net is None:
            raise OncosigInputError(
                "call fit() (level 1) before finetune(), or load a trained model"
            )
        self._threads()
        seed_everything(self.config["seed"] + 1)
        parts = self._train_parts(data, splits, binary=True)
        net = copy.deepcopy(self.level1_net)
        net.reset_classifier(1)
        self._run(net, parts, level=2, checkpoint_dir=checkpoint_dir, resume=resume)
        self.net = net
        return self

    # -------------------------------------------------------------- prediction
    def _scoring_rows(self, adata: AnnData, splits: Sequence[str] | None) -> GeneRows:
        sub = select_splits(adata, splits)
        sf = self.size_factors.get(cohort_of(adata))
        if sf is None or sf.shape[0] != adata.n_vars:
            sf = size_factors_for(adata, BACKGROUND_SPLITS)
        return self._rows(sub, sf)

    def predict_proba(
        self, adata: AnnData, *, splits: Sequence[str] | None = None, task: str | None = None
    ) -> np.ndarray:
        """Class probabilities of the genes in ``splits``.

        Parameters
        ----------
        adata
            A DEGnext AnnData (genes as observations).  Pass the whole cohort: rows outside
            ``splits`` may supply size factors (see the class notes) but are not scored.
        splits
            Splits to score (``None`` = every row).
        task
            ``"binary"``: columns P(DR), P(UR) (fine-tuned head; default once fine-tuned);
            ``"ternary"``: columns P(DR), P(UR), P(neutral) (level-1 network; after
            fine-tuning, P(neutral) comes from the level-1 network and the rest is shared
            between DR and UR by the fine-tuned head).
        """
        if self.net is None or self.level1_net is None:
            raise OncosigInputError("the model is not trained; call fit() or DEGnext.load()")
        task = task or ("binary" if self.is_finetuned else "ternary")
        if task not in {"binary", "ternary"}:
            raise ValueError(f"task must be 'binary' or 'ternary', got {task!r}")
        self._threads()
        rows = self._scoring_rows(adata, splits)
        kw = {
            "bf16": self.config["precision"] == "bf16-mixed",
            "channels_last": self.config["channels_last"],
        }
        if self.is_finetuned:
            p_up = predict_proba_rows(self.net, rows.x, **kw)[:, 1]
            if task == "binary":
                return np.column_stack([1 - p_up, p_up])
            p_neutral = predict_proba_rows(self.level1_net, rows.x, **kw)[:, 2]
            return np.column_stack(
                [(1 - p_neutral) * (1 - p_up), (1 - p_neutral) * p_up, p_neutral]
            )
        p3 = predict_proba_rows(self.level1_net, rows.x, **kw)
        if task == "ternary":
            return p3
        de = np.clip(p3[:, 0] + p3[:, 1], 1e-12, None)
        return np.column_stack([p3[:, 0] / de, p3[:, 1] / de])

    def predict(
        self, adata: AnnData, *, splits: Sequence[str] | None = None, task: str | None = None
    ) -> np.ndarray:
        """Labels (0 DR, 1 UR, 2 neutral) = the most probable class (0.5 for the binary head)."""
        return np.argmax(self.predict_proba(adata, splits=splits, task=task), axis=1)

    def evaluate(
        self, adata: AnnData, *, splits: Sequence[str] | None = ("T3",), task: str | None = None
    ) -> dict[str, Any]:
        """Metrics over every gene of ``splits`` (see :func:`classification_metrics`)."""
        proba = self.predict_proba(adata, splits=splits, task=task)
        y = select_splits(adata, splits).obs["label"].to_numpy().astype(int)
        binary = proba.shape[1] == 2
        if binary and (y > 1).any():
            raise OncosigInputError(
                "these genes include neutral labels (2); use task='ternary' or the bio splits F1/T3"
            )
        pred = np.argmax(proba, axis=1)
        return classification_metrics(y, pred, proba[:, 1] if binary else proba)

    # ----------------------------------------------------------------- storage
    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write one safetensors checkpoint (weights, size factors, configuration)."""
        if self.net is None or self.level1_net is None:
            raise OncosigInputError("nothing to save: the model is not trained")
        tensors: dict[str, torch.Tensor | np.ndarray] = {}
        for k, v in self.net.state_dict().items():
            tensors[f"model.{k}"] = v
        for k, v in self.level1_net.state_dict().items():
            tensors[f"level1.{k}"] = v
        cohorts = sorted(self.size_factors)
        for i, c in enumerate(cohorts):
            tensors[f"prep.sf.{i}"] = np.asarray(self.size_factors[c], dtype=np.float64)
        meta = {
            "kind": CKPT_KIND,
            "config": self.config,
            "net_config": self.net.config,
            "level1_config": self.level1_net.config,
            "classes": [LABEL_NAMES[k] for k in sorted(LABEL_NAMES)],
            "scaling": {"method": SCALING, "cohorts": cohorts},
            "history": self.history,
        }
        return save_checkpoint(path, tensors=tensors, meta=meta, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path) -> DEGnext:
        """Read a checkpoint written by :meth:`save` (never unpickles)."""
        tensors, meta = load_checkpoint(path, kind=CKPT_KIND)
        cfg = dict(meta["config"])
        cfg.setdefault("centring", "mean")  # checkpoints from before the balanced centring
        model = cls(**cfg)
        arch = cfg["arch"]
        model.net = create_model(arch, **meta["net_config"])
        model.level1_net = create_model(arch, **meta["level1_config"])
        model.net.load_state_dict(split_prefix(tensors, "model"))
        model.level1_net.load_state_dict(split_prefix(tensors, "level1"))
        for i, c in enumerate(meta["scaling"]["cohorts"]):
            model.size_factors[c] = tensors[f"prep.sf.{i}"].numpy().astype(np.float64)
        model.history = meta.get("history", {})
        return model
