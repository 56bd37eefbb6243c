"""Exceptions that carry a user-facing message.

The CLI turns :class:`OncosigInputError` (and any ``ValueError``/``TypeError``/``OSError``)
into a one-line message and exit code 2; library users catch them as ordinary
``ValueError`` subclasses.
"""

from __future__ import annotations

from pathlib import Path


class OncosigInputError(ValueError):
    """Bad user input: a file or an argument oncosig cannot use.

    Parameters
    ----------
    message
        What is wrong and what to do about it.
    path
        The offending file, if any; it is prefixed to the message.
    """

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class CheckpointError(OncosigInputError):
    """A model file that is missing, truncated, tampered with or not an oncosig checkpoint."""
