"""The compact gene annotation shipped with oncosig and identifier look-ups.

Two tables live in ``oncosig/data/genes`` (built by ``scripts/build_package_data.py``
from ``../shared/data/annotation``):

- ``genes.tsv.gz``: one row per unversioned Ensembl gene ID (GENCODE v36, plus the IDs of
  TCGAbiolinks geneInfoHT, org.Hs.eg.db and sanbomics that GENCODE v36 lacks) with symbol,
  Entrez ID, HGNC ID, gene type, chromosome, start, end, strand, GC content and length;
- ``aliases.tsv.gz``: ``(kind, alias, ensembl, n_candidates)`` rows that resolve a symbol
  (``kind="symbol"``, exact; ``"symbol_upper"``, upper-cased fallback) or an Entrez ID
  (``"entrez"``) to exactly one Ensembl ID, by the rule in :func:`to_ensembl`.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Sequence
from importlib import resources

import numpy as np
import pandas as pd

from oncosig._errors import OncosigInputError
from oncosig.genes._idtypes import detect_id_type

ID_KINDS = ("ensembl", "ensembl_versioned", "symbol", "entrez", "symbol|entrez")
"""Identifier kinds :func:`to_ensembl` accepts for ``id_type`` (besides ``"auto"``)."""

_ENSEMBL_RE = re.compile(r"^ENSG(R?)(\d{10,11})(?:\.\d+)?(_PAR_Y)?$")
_ENTREZ_RE = re.compile(r"^(\d+)(?:\.0+)?$")


def _data_bytes(name: str) -> bytes:
    return (resources.files("oncosig") / "data" / "genes" / name).read_bytes()


@functools.lru_cache(maxsize=1)
def _gene_table() -> pd.DataFrame:
    df = pd.read_csv(
        io.BytesIO(_data_bytes("genes.tsv.gz")),
        sep="\t",
        compression="gzip",
        index_col="ensembl",
        dtype={
            "symbol": str,
            "entrez": "Int64",
            "hgnc_id": str,
            "gene_type": str,
            "chrom": str,
            "start": "Int64",
            "end": "Int64",
            "strand": str,
            "gc_content": float,
            "length": "Int64",
            "gencode_v36": int,
        },
        keep_default_na=False,
        na_values=[""],
    )
    df["gencode_v36"] = df["gencode_v36"].astype(bool)
    return df


@functools.lru_cache(maxsize=1)
def _aliases() -> dict[str, dict[str, str]]:
    df = pd.read_csv(
        io.BytesIO(_data_bytes("aliases.tsv.gz")),
        sep="\t",
        compression="gzip",
        dtype=str,
        keep_default_na=False,
        na_values=[""],
    )
    return {
        kind: dict(zip(sub["alias"], sub["ensembl"], strict=True))
        for kind, sub in df.groupby("kind", sort=False)
    }


def gene_table() -> pd.DataFrame:
    """The gene annotation shipped with oncosig, one row per unversioned Ensembl ID.

    Returns
    -------
    DataFrame indexed by ``ensembl`` (e.g. ``ENSG00000141510``) with columns ``symbol``
    (GENCODE v36 gene name, else org.Hs.eg.db/sanbomics symbol), ``entrez`` (Int64),
    ``hgnc_id``, ``gene_type`` (GENCODE biotype), ``chrom`` (``chr1`` .. ``chrM``),
    ``start``, ``end``, ``strand`` (GRCh38, GENCODE v36), ``gc_content`` and ``length``
    (TCGAbiolinks geneInfoHT, used for GC-content normalisation) and ``gencode_v36``
    (bool: the gene is in GENCODE v36, the GDC's current annotation).  The table is read
    once and cached; each call returns a copy.
    """
    return _gene_table().copy()


def normalize_ensembl(gene_id: str) -> str | None:
    """Unversioned Ensembl ID of ``gene_id`` or None when it is not an Ensembl gene ID.

    ``ENSG00000141510.17`` -> ``ENSG00000141510``; the PAR_Y copies
    ``ENSG00000182378.14_PAR_Y`` and GDC's ``ENSGR0000182378`` map to the X copy
    ``ENSG00000182378``.
    """
    m = _ENSEMBL_RE.match(str(gene_id).strip())
    if m is None:
        return None
    digits = m.group(2)
    if m.group(1):  # ENSGR + 10 digits = PAR_Y copy of ENSG0 + same digits
        digits = "0" + digits
    return f"ENSG{digits}"


def is_par_y(gene_id: str) -> bool:
    """Whether ``gene_id`` names the chrY pseudo-autosomal copy of a gene."""
    s = str(gene_id).strip()
    return s.endswith("_PAR_Y") or s.startswith("ENSGR")


def _lookup_symbol(sym: str) -> str | None:
    aliases = _aliases()
    hit = aliases["symbol"].get(sym)
    if hit is None:
        hit = aliases["symbol_upper"].get(sym.upper()) or aliases["symbol"].get(sym.upper())
    return hit


def _lookup_entrez(value: str) -> str | None:
    m = _ENTREZ_RE.match(value)
    return _aliases()["entrez"].get(m.group(1)) if m else None


def _map_one(value: object, kind: str) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = str(value).strip()
    if not s:
        return None
    if kind in ("ensembl", "ensembl_versioned"):
        return normalize_ensembl(s)
    if kind == "symbol":
        return _lookup_symbol(s)
    if kind == "entrez":
        return _lookup_entrez(s)
    if kind == "symbol|entrez":
        sym, _, ent = s.rpartition("|")
        hit = _lookup_entrez(ent) if ent else None
        if hit is None and sym and sym != "?":
            hit = _lookup_symbol(sym)
        return hit
    raise ValueError(f"unknown identifier kind {kind!r}")


def resolve_id_type(ids: Sequence[object], id_type: str) -> str:
    """Check ``id_type`` or detect it; ``"mixed"`` is returned as such for per-ID mapping."""
    if id_type == "auto":
        detected = detect_id_type(ids)
        if detected == "unknown":
            examples = ", ".join(map(str, ids[:3]))
            raise OncosigInputError(
                f"could not recognise the gene identifiers (e.g. {examples}); give Ensembl "
                "IDs, HGNC symbols, Entrez IDs or SYMBOL|ENTREZ names, or pass id_type="
            )
        return detected
    if id_type not in (*ID_KINDS, "mixed"):
        raise OncosigInputError(
            f"id_type must be 'auto', 'mixed' or one of {', '.join(ID_KINDS)}; got {id_type!r}"
        )
    return id_type


def to_ensembl(ids: Iterable[object], *, id_type: str = "auto") -> pd.Series:
    """Map gene identifiers to unversioned Ensembl gene IDs (offline).

    Rules:

    - Ensembl IDs: the version is stripped (``ENSG00000141510.17`` -> ``ENSG00000141510``);
      PAR_Y copies (``…_PAR_Y``, GDC's ``ENSGR…``) map to the X copy.  Any well-formed
      Ensembl gene ID maps to itself, also when retired from GENCODE v36.
    - Symbols: an exact GENCODE v36 gene name first, else an org.Hs.eg.db or sanbomics
      symbol-Ensembl link; upper-cased symbols are tried last.  When several Ensembl IDs
      qualify, the GENCODE v36 gene on a primary chromosome wins, protein-coding first,
      then the lowest ID.
    - Entrez IDs: the org.Hs.eg.db Entrez-Ensembl link, else sanbomics, else the GENCODE
      v36 gene named like the Entrez gene's symbol; ties broken by the same rule.
    - Legacy ``SYMBOL|ENTREZ`` (TCGA RNASeqV2, e.g. ``TP53|7157``, ``?|100130426``): the
      Entrez part first, then the symbol.

    Parameters
    ----------
    ids
        Gene identifiers.
    id_type
        ``"auto"`` (detect with :func:`oncosig.genes.detect_id_type`; a list detected as
        ``"mixed"`` is mapped ID by ID), ``"mixed"`` (each ID by its own detected kind) or
        one of ``"ensembl"``, ``"ensembl_versioned"``, ``"symbol"``, ``"entrez"``,
        ``"symbol|entrez"``.

    Returns
    -------
    Series named ``"ensembl"`` indexed by the input IDs (in order), NaN where unmapped.

    Raises
    ------
    OncosigInputError
        When ``id_type="auto"`` and the IDs are not recognisable, or ``id_type`` is invalid.

    Examples
    --------
    >>> to_ensembl(["TP53", "7157", "ENSG00000141510.17"]).tolist()
    ['ENSG00000141510', 'ENSG00000141510', 'ENSG00000141510']
    """
    values = list(ids)
    out: list[str | None]
    if not values:
        return pd.Series([], index=pd.Index([], dtype=object), dtype=object, name="ensembl")
    kind = resolve_id_type(values, id_type)
    if kind == "mixed":
        out = []
        for v in values:
            one = detect_id_type([v])
            out.append(_map_one(v, one) if one in ID_KINDS else None)
    else:
        out = [_map_one(v, kind) for v in values]
    return pd.Series(
        np.array([np.nan if o is None else o for o in out], dtype=object),
        index=pd.Index(values, dtype=object),
        name="ensembl",
    )


_CHROM_RANK = {f"chr{i}": i for i in range(1, 23)} | {"chrX": 23, "chrY": 24, "chrM": 25}


def genomic_order(genes: Iterable[object]) -> list[str]:
    """Sort genes by genomic position: chromosome 1..22, X, Y, MT, then start (GRCh38).

    Parameters
    ----------
    genes
        Gene identifiers of any supported kind (see :func:`to_ensembl`).

    Returns
    -------
    The input identifiers (as ``str``), ordered by chromosome and start coordinate of
    their GENCODE v36 gene; genes without a known position come last in their input
    order (the sort is stable).  Used for GeneXNet's gene-to-grid layout.
    """
    names = [str(g) for g in genes]
    if not names:
        return []
    try:
        keys = to_ensembl(names).to_numpy()
    except OncosigInputError:
        return names
    table = _gene_table()
    pos = table.reindex(pd.Index(keys, dtype=object))
    rank = pos["chrom"].map(_CHROM_RANK).to_numpy(dtype=float)
    start = pos["start"].astype("float64").to_numpy()
    known = ~(np.isnan(rank) | np.isnan(start))
    rank = np.where(known, rank, np.inf)
    start = np.where(known, start, np.inf)
    order = np.lexsort((np.arange(len(names)), start, rank))
    return [names[i] for i in order]
