"""Low-level text access: gzip detection, first lines, delimiter sniffing."""

from __future__ import annotations

import csv
import gzip
import io
import os
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

from oncosig._errors import OncosigInputError

#: What can go wrong while parsing a damaged text file (bad bytes, truncated gzip,
#: ragged rows); every reader turns these into a one-line :class:`OncosigInputError`.
PARSE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    pd.errors.ParserError,
    EOFError,
    OSError,
    csv.Error,
    zlib.error,
)

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: str | Path) -> bool:
    """Whether ``path`` starts with the gzip magic bytes (whatever its suffix)."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def compression_of(path: str | Path) -> str | None:
    """``"gzip"`` for gzipped files, else ``None`` (for :func:`pandas.read_csv`)."""
    return "gzip" if is_gzip(path) else None


def check_file(path: str | Path) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path`; raise a clear error if it is unusable.

    Raises
    ------
    OncosigInputError
        Missing file, a folder where a file was expected, unreadable or empty file.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise OncosigInputError("file not found; check the path", path=p)
    if p.is_dir():
        raise OncosigInputError("is a folder, expected a file", path=p)
    if not os.access(p, os.R_OK):
        raise OncosigInputError("file is not readable (permissions)", path=p)
    if p.stat().st_size == 0:
        raise OncosigInputError("empty file: no expression matrix in it", path=p)
    return p


def head_lines(path: str | Path, n: int = 5, *, max_bytes: int = 1 << 20) -> list[str]:
    """First ``n`` lines (without line ends) of a text file, gzipped or not.

    Lines are cut at ``max_bytes`` so that a file without line breaks cannot exhaust
    memory.
    """
    p = Path(path)
    try:
        raw: io.BufferedIOBase
        raw = gzip.open(p, "rb") if is_gzip(p) else open(p, "rb")  # type: ignore[assignment]
        with raw:
            lines = []
            for _ in range(n):
                line = raw.readline(max_bytes)
                if not line:
                    break
                lines.append(line.decode("utf-8", errors="replace").rstrip("\r\n"))
    except (OSError, EOFError, zlib.error) as exc:
        raise OncosigInputError(f"cannot read the file ({exc})", path=p) from exc
    return lines


def sniff_sep(line: str, path: str | Path) -> str:
    """Delimiter of a header or data line: tab, comma or semicolon.

    Raises
    ------
    OncosigInputError
        When the line holds none of them (a single column: wrong delimiter or not a
        matrix).
    """
    counts = {sep: line.count(sep) for sep in ("\t", ",", ";")}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    if n == 0:
        raise OncosigInputError(
            "only one column found: the file must be tab- or comma-separated "
            "(genes x samples or samples x genes with a header line)",
            path=path,
        )
    return sep


def count_lines(path: str | Path) -> int:
    """Number of lines of a (gzipped) text file (a last line without newline counts)."""
    p = Path(path)
    opener = gzip.open if is_gzip(p) else open
    n = 0
    last = b"\n"
    with opener(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        n += 1
    return n


def read_csv_checked(path: str | Path, *, what: str, **kwargs: Any) -> pd.DataFrame:
    """:func:`pandas.read_csv` whose failures become a one-line error naming the file.

    Parameters
    ----------
    path
        The file (gzip is detected from its first bytes unless ``compression`` is given).
    what
        What the file should be (``"count matrix"``), for the message.
    **kwargs
        Passed to :func:`pandas.read_csv`.

    Raises
    ------
    OncosigInputError
        Unparseable text, non-numeric values where numbers are required, ragged rows,
        undecodable bytes or a truncated gzip stream.
    """
    p = Path(path)
    kwargs.setdefault("compression", compression_of(p))
    try:
        return pd.read_csv(p, **kwargs)
    except PARSE_ERRORS as exc:
        raise OncosigInputError(f"cannot parse the {what}: {parse_message(exc)}", path=p) from exc


def parse_message(exc: BaseException) -> str:
    """First line of a parser error, reworded where pandas' wording is obscure."""
    msg = (str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__
    if "could not convert" in msg or "Unable to parse" in msg or "cannot safely convert" in msg:
        return f"non-numeric expression values ({msg})"
    if isinstance(exc, EOFError | zlib.error) or "Compressed file ended" in msg:
        return f"the gzip stream is truncated or corrupted ({msg})"
    if isinstance(exc, UnicodeDecodeError):
        return f"binary or non-UTF-8 content ({msg}); is this a text table?"
    return msg
