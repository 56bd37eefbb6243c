"""GMT files (``name<TAB>description<TAB>gene...``) and the compact library container.

The libraries shipped in :mod:`oncosig.data.genesets` are stored *integer-coded*: one zip
of ``.npy`` members (readable with :func:`numpy.load`, never pickled) holding the gene
vocabulary, the term names and descriptions, and, per term, the sorted gene indices as
deltas (``uint16``), which compress about 3x better than the text GMT.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from oncosig._atomic import atomic_open, check_can_write
from oncosig._errors import OncosigInputError

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamp: byte-identical rebuilds


@dataclass(frozen=True)
class GeneSetLibrary:
    """A gene-set library as a sparse term x gene incidence matrix.

    Attributes
    ----------
    name
        Library name (``"go-bp"``, a file stem, ...).
    terms
        Term labels, one per row.
    descriptions
        The GMT description column, one per row (may be empty strings).
    genes
        Gene vocabulary (symbols), one per column, sorted.
    incidence
        ``scipy.sparse.csr_matrix`` (terms x genes) of ``int8`` ones.
    """

    name: str
    terms: np.ndarray
    descriptions: np.ndarray
    genes: np.ndarray
    incidence: sp.csr_matrix
    _gene_index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.incidence.shape != (len(self.terms), len(self.genes)):
            raise ValueError("incidence shape does not match terms x genes")
        self._gene_index.update({g: i for i, g in enumerate(self.genes.tolist())})

    @property
    def n_terms(self) -> int:
        """Number of gene sets."""
        return len(self.terms)

    def gene_index(self, genes: Iterable[str]) -> np.ndarray:
        """Column indices of ``genes`` in the vocabulary (genes not in it are dropped)."""
        idx = self._gene_index
        return np.fromiter((idx[g] for g in genes if g in idx), dtype=np.int64)

    def to_dict(self) -> dict[str, list[str]]:
        """``{term: [genes]}`` (the form gseapy and GMT writers take)."""
        ptr, ind, genes = self.incidence.indptr, self.incidence.indices, self.genes
        return {str(t): genes[ind[ptr[i] : ptr[i + 1]]].tolist() for i, t in enumerate(self.terms)}

    @classmethod
    def from_dict(
        cls,
        sets: Mapping[str, Iterable[str]],
        *,
        name: str = "custom",
        descriptions: Mapping[str, str] | None = None,
    ) -> GeneSetLibrary:
        """Build a library from ``{term: genes}`` (duplicate genes within a set are merged)."""
        terms = list(sets)
        members = [sorted({str(g) for g in sets[t] if str(g)}) for t in terms]
        vocab = np.array(sorted({g for m in members for g in m}), dtype=str)
        index = {g: i for i, g in enumerate(vocab.tolist())}
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(m) for m in members])
        indices = np.fromiter((index[g] for m in members for g in m), dtype=np.int64)
        mat = sp.csr_matrix(
            (np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(len(terms), len(vocab))
        )
        desc = descriptions or {}
        return cls(
            name=name,
            terms=np.array(terms, dtype=str),
            descriptions=np.array([str(desc.get(t, "")) for t in terms], dtype=str),
            genes=vocab,
            incidence=mat,
        )


def read_gmt(path: str | Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Read a (optionally gzipped) GMT file.

    Parameters
    ----------
    path
        ``.gmt`` or ``.gmt.gz``: one set per line, ``name<TAB>description<TAB>genes...``.

    Returns
    -------
    sets, descriptions
        ``{name: [genes]}`` (order kept, empty fields dropped) and ``{name: description}``.
        A name seen twice has its genes merged.
    """
    p = Path(path)
    if not p.is_file():
        raise OncosigInputError("gene-set file not found", path=p)
    opener = gzip.open if p.suffix == ".gz" else open
    sets: dict[str, list[str]] = {}
    desc: dict[str, str] = {}
    with opener(p, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) < 2:
                raise OncosigInputError(
                    f"line {lineno} is not GMT (name<TAB>description<TAB>genes...)", path=p
                )
            name = parts[0].strip()
            genes = [g.strip() for g in parts[2:] if g.strip()]
            if name in sets:
                have = set(sets[name])
                sets[name].extend(g for g in genes if g not in have)
            else:
                sets[name] = genes
                desc[name] = parts[1].strip()
    if not sets:
        raise OncosigInputError("no gene sets in file", path=p)
    return sets, desc


def write_gmt(
    path: str | Path,
    sets: Mapping[str, Iterable[str]],
    *,
    descriptions: Mapping[str, str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``{name: genes}`` as GMT (gzipped when ``path`` ends in ``.gz``), atomically."""
    p = check_can_write(path, overwrite=overwrite)
    desc = descriptions or {}
    text = "".join(
        "\t".join([str(name), str(desc.get(name, "")), *map(str, genes)]) + "\n"
        for name, genes in sets.items()
    )
    data = text.encode("utf-8")
    if p.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    with atomic_open(p, "wb") as fh:
        fh.write(data)
    return p


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def write_library(path: str | Path, lib: GeneSetLibrary, *, overwrite: bool = False) -> Path:
    """Save a library in the compact, deterministic integer-coded form (``.npz``)."""
    p = check_can_write(path, overwrite=overwrite)
    mat = lib.incidence.tocsr()
    mat.sort_indices()
    indptr = mat.indptr.astype(np.int64)
    indices = mat.indices.astype(np.int64)
    deltas = np.diff(indices, prepend=0)
    starts = indptr[:-1][np.diff(indptr) > 0]
    deltas[starts] = indices[starts]  # every term restarts from an absolute index
    dtype = np.uint16 if len(lib.genes) < 2**16 else np.uint32
    members = {
        "genes.npy": lib.genes.astype(str),
        "terms.npy": lib.terms.astype(str),
        "descriptions.npy": lib.descriptions.astype(str),
        "indptr.npy": indptr,
        "deltas.npy": deltas.astype(dtype),
        "name.npy": np.array([lib.name], dtype=str),
    }
    with atomic_open(p, "wb") as fh, zipfile.ZipFile(fh, "w") as zf:
        for member, arr in members.items():
            info = zipfile.ZipInfo(member, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, _npy_bytes(arr), compresslevel=9)
    return p


def read_library(path: str | Path) -> GeneSetLibrary:
    """Load a library written by :func:`write_library` (no pickles are read)."""
    p = Path(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            genes, terms, desc = z["genes"], z["terms"], z["descriptions"]
            indptr, deltas, name = z["indptr"], z["deltas"].astype(np.int64), str(z["name"][0])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise OncosigInputError(f"not an oncosig gene-set library: {exc}", path=p) from exc
    lengths = np.diff(indptr)
    cs = np.cumsum(deltas)
    # undo the per-term delta coding: subtract the running sum before each term's start
    before = np.concatenate([[0], cs])[indptr[:-1]]
    indices = cs - np.repeat(before, lengths)
    mat = sp.csr_matrix(
        (np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(len(terms), len(genes))
    )
    return GeneSetLibrary(name=name, terms=terms, descriptions=desc, genes=genes, incidence=mat)
