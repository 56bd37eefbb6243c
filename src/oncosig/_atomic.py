"""Atomic file writes: write to a temporary file in the same folder, then rename.

A crash (or SIGKILL) never leaves a half-written result; readers see the old file or the
new one.  Every writer in oncosig goes through these helpers.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from oncosig._errors import OncosigInputError


def _default_mode() -> int:
    """File mode a plain ``open()`` would give (0666 minus the umask); mkstemp uses 0600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_can_write(path: str | Path, *, overwrite: bool) -> Path:
    """Refuse to replace an existing output unless ``overwrite`` is set.

    Parameters
    ----------
    path
        Output path.
    overwrite
        Allow replacing an existing file.

    Returns
    -------
    The path as :class:`~pathlib.Path`.
    """
    p = Path(path)
    if p.exists() and not overwrite:
        raise OncosigInputError(
            "output exists; pass overwrite=True (CLI: --overwrite) to replace it", path=p
        )
    return p


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` on success.

    Parameters
    ----------
    path
        Final destination.
    mode
        ``"w"`` (text) or ``"wb"`` (binary).
    **kwargs
        Passed to :func:`open` (e.g. ``encoding``, ``newline``).
    """
    if "r" in mode or "a" in mode:
        raise ValueError("atomic_open only supports write modes 'w'/'wb'")
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.chmod(tmp, _default_mode())
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path for a writer that insists on a filename (h5ad, savefig).

    The temporary file keeps ``path``'s suffix so format detection still works, and is
    renamed over ``path`` when the block exits without error.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    os.chmod(tmp, _default_mode())
    try:
        yield Path(tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | Path, text: str, *, overwrite: bool = True) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    p = check_can_write(path, overwrite=overwrite)
    with atomic_open(p, "w", encoding="utf-8") as fh:
        fh.write(text)
    return p


def write_table(df: Any, path: str | Path, *, overwrite: bool = True, **kwargs: Any) -> Path:
    """Write a DataFrame atomically; ``.tsv``/``.txt`` are tab-separated, otherwise CSV."""
    p = check_can_write(path, overwrite=overwrite)
    sep = "\t" if p.suffix.lower() in {".tsv", ".txt"} else ","
    kwargs.setdefault("sep", sep)
    with atomic_open(p, "w", encoding="utf-8", newline="") as fh:
        df.to_csv(fh, **kwargs)
    return p
