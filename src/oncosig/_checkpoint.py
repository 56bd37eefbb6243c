"""Self-describing, pickle-free model files.

An oncosig checkpoint is **one safetensors file**: the tensors (network weights under
``model.``, fitted preprocessing arrays under ``prep.``, anything else under its own
prefix) plus a JSON document in the safetensors header (``__metadata__["oncosig"]``) that
holds the configuration, gene list, class names, layout and versions.  Loading never
unpickles anything: a pickled, truncated or tampered file is refused with
:class:`~oncosig._errors.CheckpointError` and nothing in it is executed.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as st_save

from oncosig._atomic import atomic_open, check_can_write
from oncosig._errors import CheckpointError

FORMAT_VERSION = 1
_META_KEY = "oncosig"
_DIGEST_KEY = "oncosig_sha256"
_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"PK\x03\x04")


def _digest(meta_json: str, tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 of the metadata JSON and every tensor (name, dtype, shape, bytes).

    safetensors has no checksum of its own; this one makes a flipped byte anywhere in the
    file (weights included) a refused checkpoint instead of silently different weights.
    """
    h = hashlib.sha256(meta_json.encode("utf-8"))
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"\0{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _versions() -> dict[str, str]:
    from oncosig import __version__

    return {
        "oncosig": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def save_checkpoint(
    path: str | Path,
    *,
    tensors: Mapping[str, torch.Tensor | np.ndarray],
    meta: Mapping[str, Any],
    overwrite: bool = False,
) -> Path:
    """Write tensors and JSON metadata to one safetensors file, atomically.

    Parameters
    ----------
    path
        Destination, conventionally ``*.safetensors``.
    tensors
        Name -> tensor/array.  Arrays are stored as tensors of the same dtype.
    meta
        JSON-serialisable metadata; must contain ``"kind"`` (e.g. ``"genexnet"``).
    overwrite
        Replace an existing file.

    Returns
    -------
    The written path.
    """
    if "kind" not in meta:
        raise ValueError("checkpoint metadata needs a 'kind' entry")
    p = check_can_write(path, overwrite=overwrite)
    full_meta = {**meta, "format_version": FORMAT_VERSION, "versions": _versions()}
    try:
        meta_json = json.dumps(full_meta, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"checkpoint metadata is not plain JSON: {exc}") from exc
    out: dict[str, torch.Tensor] = {}
    for name, value in tensors.items():
        t = (
            torch.from_numpy(np.ascontiguousarray(value))
            if isinstance(value, np.ndarray)
            else value
        )
        out[name] = t.detach().cpu().contiguous()
    blob = st_save(out, metadata={_META_KEY: meta_json, _DIGEST_KEY: _digest(meta_json, out)})
    with atomic_open(p, "wb") as fh:
        fh.write(blob)
    return p


def load_checkpoint(
    path: str | Path, *, kind: str | tuple[str, ...] | None = None
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Parameters
    ----------
    path
        The ``.safetensors`` file.
    kind
        If given, refuse a checkpoint of another kind (e.g. a DEGnext file given to GeneXNet);
        a tuple accepts any of its kinds.

    Returns
    -------
    tensors, meta
        Tensors on CPU and the metadata dict.

    Raises
    ------
    CheckpointError
        Missing, pickled, truncated or tampered file, or wrong kind.
    """
    p = Path(path)
    if not p.is_file():
        raise CheckpointError("model file not found", path=p)
    with open(p, "rb") as fh:
        head = fh.read(8)
    if head.startswith(_PICKLE_MAGIC):
        raise CheckpointError(
            "this is a pickle/torch.save file; oncosig only loads its own .safetensors "
            "checkpoints and never unpickles user files",
            path=p,
        )
    try:
        with safe_open(str(p), framework="pt") as fh:
            header_meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"not a readable oncosig checkpoint (truncated or corrupted?): {exc}", path=p
        ) from exc
    if _META_KEY not in header_meta:
        raise CheckpointError("safetensors file without oncosig metadata", path=p)
    digest = header_meta.get(_DIGEST_KEY)
    if digest is not None and digest != _digest(header_meta[_META_KEY], tensors):
        raise CheckpointError(
            "checksum mismatch: the file was corrupted or modified after it was written; "
            "use an intact copy of the model",
            path=p,
        )
    try:
        meta = json.loads(header_meta[_META_KEY])
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"checkpoint metadata is not valid JSON: {exc}", path=p) from exc
    if not isinstance(meta, dict) or "kind" not in meta:
        raise CheckpointError("checkpoint metadata lacks 'kind'", path=p)
    version = meta.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"checkpoint format_version {version!r} is not an integer", path=p)
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint format {meta['format_version']} is newer than this oncosig "
            f"understands ({FORMAT_VERSION}); upgrade oncosig",
            path=p,
        )
    kinds = (kind,) if isinstance(kind, str) else kind
    if kinds is not None and meta["kind"] not in kinds:
        wanted = " or ".join(f"'{k}'" for k in kinds)
        raise CheckpointError(f"expected a {wanted} model, got a '{meta['kind']}' model", path=p)
    for name, t in tensors.items():
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise CheckpointError(f"tensor '{name}' holds NaN/inf values (tampered?)", path=p)
    return tensors, meta


def split_prefix(tensors: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """Return the tensors under ``prefix.`` with the prefix removed."""
    dot = prefix.rstrip(".") + "."
    return {k[len(dot) :]: v for k, v in tensors.items() if k.startswith(dot)}
