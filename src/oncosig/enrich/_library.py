"""The gene-set libraries shipped with oncosig, and loading a user's GMT."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from oncosig._errors import OncosigInputError
from oncosig.enrich._gmt import GeneSetLibrary, read_gmt, read_library

BUILTIN_LIBRARIES: dict[str, str] = {
    "go-bp": "go_bp.npz",
    "hallmark": "hallmark.npz",
    "reactome": "reactome.npz",
    "wikipathways": "wikipathways.npz",
}
"""Library name -> file in :mod:`oncosig.data.genesets` (see its ``LICENSES.md``)."""


def list_libraries() -> list[str]:
    """Names of the built-in libraries (``go-bp``, ``hallmark``, ``reactome``, ``wikipathways``)."""
    return sorted(BUILTIN_LIBRARIES)


@functools.lru_cache(maxsize=8)
def _builtin(name: str) -> GeneSetLibrary:
    ref = resources.files("oncosig.data") / "genesets" / BUILTIN_LIBRARIES[name]
    with resources.as_file(ref) as path:
        if not Path(path).is_file():
            raise OncosigInputError(
                f"built-in library '{name}' is missing from the installation; rebuild it with "
                "`python scripts/build_genesets.py` or reinstall oncosig",
                path=path,
            )
        return read_library(path)


@functools.lru_cache(maxsize=8)
def _from_file(path: str, mtime_ns: int) -> GeneSetLibrary:
    p = Path(path)
    if p.suffix == ".npz":
        return read_library(p)
    sets, desc = read_gmt(p)
    stem = p.name.split(".")[0]
    return GeneSetLibrary.from_dict(sets, name=stem, descriptions=desc)


def load_library(library: str | Path | GeneSetLibrary | dict[str, list[str]]) -> GeneSetLibrary:
    """Return a :class:`GeneSetLibrary`.

    Parameters
    ----------
    library
        A built-in name (:func:`list_libraries`), a path to a ``.gmt``/``.gmt.gz`` file (or an
        ``.npz`` written by :func:`oncosig.enrich.write_library`), a ``{term: genes}`` dict,
        or a library object (returned as is).  Loaded libraries are cached.
    """
    if isinstance(library, GeneSetLibrary):
        return library
    if isinstance(library, dict):
        return GeneSetLibrary.from_dict(library)
    key = str(library)
    if key in BUILTIN_LIBRARIES:
        return _builtin(key)
    p = Path(key)
    if p.is_file():
        return _from_file(str(p.resolve()), p.stat().st_mtime_ns)
    raise OncosigInputError(
        f"unknown gene-set library '{key}': give one of {', '.join(list_libraries())} "
        "or the path of a GMT file"
    )
