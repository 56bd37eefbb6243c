"""Resumable Lightning training: an epoch-end checkpoint that a killed run continues from.

A training run given a checkpoint path writes, at the end of every epoch (after the
learning-rate schedule, early stopping and the best-weights tracker have seen the epoch),
one Lightning checkpoint: weights, optimizer, scheduler, loop counters, callback states
and the random-number generators.  The write is atomic (temporary file, then rename), so
a SIGKILL leaves the previous epoch's checkpoint intact.  Resuming loads it with
``weights_only=True`` (plain tensors and containers; nothing is unpickled) and refuses a
checkpoint written for other data or settings (a fingerprint is stored in it).

Exact resumption also needs a shuffle that depends only on ``(seed, epoch)`` (the samplers
of :mod:`oncosig.stream` and :mod:`oncosig.degnext` do that).  The final, user-facing model
is still written by the estimators as one safetensors file (:mod:`oncosig._checkpoint`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, Checkpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO

from oncosig._atomic import atomic_open
from oncosig._errors import OncosigInputError

logger = logging.getLogger(__name__)

#: Suffix of the resumable checkpoints (Lightning format, loaded with ``weights_only=True``).
SUFFIX = ".ckpt"


def fingerprint(obj: Any) -> str:
    """SHA-256 of a JSON-serialisable description of a run (settings, data, classes)."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def data_fingerprint(names: Any, values: np.ndarray | None = None) -> str:
    """SHA-256 of row names (and optionally a matrix): identifies the training data."""
    h = hashlib.sha256()
    h.update("\n".join(map(str, names)).encode("utf-8"))
    if values is not None:
        h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint I/O: atomic writes, ``weights_only=True`` reads (never unpickles)."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        """Write ``checkpoint`` to a temporary sibling of ``path``, then rename it."""
        if storage_options is not None:
            raise TypeError("storage_options are not supported by oncosig's checkpoint writer")
        with atomic_open(Path(path), "wb") as fh:
            torch.save(checkpoint, fh)

    def load_checkpoint(
        self,
        path: Any,
        map_location: Callable[..., Any] | None = lambda storage, loc: storage,
        weights_only: bool | None = None,
    ) -> dict[str, Any]:
        """Read a checkpoint: tensors and plain containers only (``weights_only=True``)."""
        p = Path(path)
        if not p.is_file():
            raise OncosigInputError("resume checkpoint not found", path=p)
        try:
            ckpt = torch.load(p, map_location=map_location, weights_only=True)
        except Exception as exc:  # truncated file, foreign pickle, ...
            raise OncosigInputError(
                f"cannot read the resume checkpoint ({type(exc).__name__}); delete it to "
                "start the training over",
                path=p,
            ) from exc
        if not isinstance(ckpt, dict):
            raise OncosigInputError("not a Lightning checkpoint; delete it", path=p)
        return ckpt


class RngState(Callback):
    """Save and restore the global random generators (torch, CUDA, numpy, ``random``).

    Dropout and data-loader seeds draw from them, so a resumed epoch needs the state the
    uninterrupted run had at the same point.  Stored as tensors and plain numbers.
    """

    def state_dict(self) -> dict[str, Any]:
        """The generators' states as tensors, lists and numbers."""
        kind, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)  # type: ignore[misc]  # noqa: NPY002
        state: dict[str, Any] = {
            "torch": torch.get_rng_state(),
            "numpy_kind": str(kind),
            "numpy_keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "numpy_pos": int(pos),
            "numpy_has_gauss": int(has_gauss),
            "numpy_gauss": float(gauss),
            "python": [list(x) if isinstance(x, tuple) else x for x in random.getstate()],
        }
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Put the saved states back into the generators."""
        torch.set_rng_state(state_dict["torch"])
        keys = state_dict["numpy_keys"].numpy().astype(np.uint32)
        np.random.set_state(  # noqa: NPY002  (the global generator seed_everything seeds)
            (
                state_dict["numpy_kind"],
                keys,
                int(state_dict["numpy_pos"]),
                int(state_dict["numpy_has_gauss"]),
                float(state_dict["numpy_gauss"]),
            )
        )
        version, internal, gauss_next = state_dict["python"]
        random.setstate((version, tuple(internal), gauss_next))
        if "cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])


class EpochCheckpoint(Checkpoint):
    """Write a resumable checkpoint to ``path`` at the end of every training epoch.

    Being a :class:`~lightning.pytorch.callbacks.Checkpoint`, it runs after the module's
    and the other callbacks' ``on_train_epoch_end`` (early stopping included), so the file
    holds the complete state of the finished epoch.  It also stores ``fingerprint`` and
    refuses, on resume, a checkpoint written for another run; and whether early stopping
    had ended the run, so a resumed finished run does not train further.

    Parameters
    ----------
    path
        The checkpoint file (replaced atomically every epoch).
    fingerprint
        Identifies the run (settings and data); see :func:`fingerprint`.
    """

    def __init__(self, path: str | Path, fingerprint: str) -> None:
        self.path = Path(path)
        self.fingerprint = fingerprint
        self._stopped = False

    @property
    def state_key(self) -> str:
        """One key per class: a run has one epoch checkpoint."""
        return "oncosig.EpochCheckpoint"

    def state_dict(self) -> dict[str, Any]:
        """The run's fingerprint and whether training had stopped early."""
        return {"fingerprint": self.fingerprint, "stopped": bool(self._stopped)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Check that the checkpoint belongs to this run."""
        if state_dict.get("fingerprint") != self.fingerprint:
            raise OncosigInputError(
                "the resume checkpoint was written for other data or settings; resume with "
                "the same data and options, or delete it to start over",
                path=self.path,
            )
        self._stopped = bool(state_dict.get("stopped", False))

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._stopped:  # the checkpointed run had stopped early: nothing left to train
            trainer.should_stop = True

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._stopped = bool(trainer.should_stop)
        trainer.save_checkpoint(self.path)
        logger.debug("epoch %d: resume checkpoint %s", trainer.current_epoch, self.path)


def resume_setup(
    path: str | Path | None, *, resume: bool, fingerprint: str
) -> tuple[list[Callback], list[Any], Path | None]:
    """Callbacks, Trainer plugins and ``ckpt_path`` of a (resumable) training run.

    Parameters
    ----------
    path
        Checkpoint file; None trains without checkpoints (nothing is written).
    resume
        Continue from ``path`` when it exists (a missing file starts a fresh run, with a
        log message).  Without ``resume``, an existing checkpoint is refused so that a
        killed run's state is never replaced by mistake.
    fingerprint
        Identifies the run; a checkpoint of another run is refused on resume.

    Returns
    -------
    ``(callbacks, plugins, ckpt_path)``: pass ``ckpt_path`` and ``weights_only=True`` to
    ``Trainer.fit``.
    """
    if path is None:
        if resume:
            raise OncosigInputError(
                "resume=True needs a checkpoint directory (CLI: --checkpoint-dir)"
            )
        return [], [], None
    p = Path(path)
    ckpt: Path | None = None
    if p.exists():
        if not resume:
            raise OncosigInputError(
                "a resume checkpoint of an earlier run exists; pass resume=True (CLI: "
                "--resume) to continue it, or delete it to start over",
                path=p,
            )
        ckpt = p
        logger.info("resuming from %s", p)
    elif resume:
        logger.info("no checkpoint at %s: starting a fresh run", p)
    callbacks: list[Callback] = [RngState(), EpochCheckpoint(p, fingerprint)]
    return callbacks, [AtomicCheckpointIO()], ckpt


def default_checkpoint_dir(out: str | Path) -> Path:
    """Where the CLI keeps the resume checkpoints of a run writing ``out``: ``<out>.resume/``."""
    return Path(f"{out}.resume")


def prepare_checkpoint_dir(
    folder: str | Path, names: tuple[str, ...], *, resume: bool, overwrite: bool
) -> Path:
    """Check a run's checkpoint folder before any work (CLI).

    Without ``resume``, checkpoints of an earlier run are deleted when ``overwrite`` is
    set and refused otherwise, so a killed run's state is never lost by mistake.

    Parameters
    ----------
    folder
        The checkpoint folder.
    names
        The run's checkpoint files (e.g. ``("fit.ckpt",)``).
    resume, overwrite
        The CLI's ``--resume`` and ``--overwrite``.
    """
    d = Path(folder)
    if d.exists() and not d.is_dir():
        raise OncosigInputError("the checkpoint folder is a file; give a folder", path=d)
    found = [d / n for n in names if (d / n).exists()]
    if found and not resume:
        if not overwrite:
            raise OncosigInputError(
                "an interrupted run left a resume checkpoint here; pass --resume to continue "
                "it, or --overwrite to start over",
                path=found[0],
            )
        for f in found:
            f.unlink()
            logger.info("removed the checkpoint of an earlier run: %s", f)
    return d


def remove_checkpoints(folder: str | Path, names: tuple[str, ...]) -> None:
    """Delete a finished run's checkpoints and the folders they leave empty.

    ``names`` are relative to ``folder`` and may lie in subfolders (``"seed0/fit.ckpt"``);
    every folder from a checkpoint's up to ``folder`` is removed once it is empty.
    """
    d = Path(folder)
    for n in names:
        (d / n).unlink(missing_ok=True)
    parents = {p for n in names for p in (d / n).parents if p == d or d in p.parents}
    for sub in sorted(parents, key=lambda p: len(p.parts), reverse=True):  # deepest first
        if sub.is_dir() and not any(sub.iterdir()):
            sub.rmdir()
