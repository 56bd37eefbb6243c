"""Gene identifiers for enrichment: libraries use HGNC symbols; Ensembl IDs are translated."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable

import pandas as pd

from oncosig._errors import OncosigInputError

log = logging.getLogger(__name__)
_ENSG = re.compile(r"^ENS[A-Z]*G\d{6,}(\.\d+)?$")


def is_ensembl(gene: str) -> bool:
    """Whether ``gene`` looks like an Ensembl gene ID (versioned or not)."""
    return bool(_ENSG.match(gene))


@functools.lru_cache(maxsize=1)
def _ensembl_to_symbol() -> dict[str, str]:
    try:
        from oncosig.genes import gene_table  # type: ignore[attr-defined]
    except ImportError as exc:
        raise OncosigInputError(
            "Ensembl IDs need oncosig.genes.gene_table to be translated to symbols, which "
            "this installation lacks; give HGNC symbols instead"
        ) from exc
    table = gene_table()
    if "symbol" not in table.columns:
        raise OncosigInputError("oncosig.genes.gene_table() has no 'symbol' column")
    ens_col = next((c for c in ("ensembl", "ensembl_id", "gene_id") if c in table.columns), None)
    ids = table[ens_col] if ens_col else pd.Series(table.index, index=table.index)
    out: dict[str, str] = {}
    for ens, sym in zip(ids.astype(str), table["symbol"], strict=True):
        key = ens.split(".")[0]
        if isinstance(sym, str) and sym and key not in out:
            out[key] = sym
    return out


def to_symbols(genes: Iterable[str]) -> list[str]:
    """Translate Ensembl IDs to symbols (others are kept); unmapped IDs are dropped.

    Order is kept and duplicates removed.
    """
    seen: set[str] = set()
    out: list[str] = []
    genes = [str(g).strip() for g in genes if str(g).strip()]
    mapping: dict[str, str] | None = None
    n_unmapped = 0
    for g in genes:
        if is_ensembl(g):
            if mapping is None:
                mapping = _ensembl_to_symbol()
            sym = mapping.get(g.split(".")[0])
            if sym is None:
                n_unmapped += 1
                continue
            g = sym
        if g not in seen:
            seen.add(g)
            out.append(g)
    if n_unmapped:
        log.info("%d Ensembl IDs have no symbol and were dropped", n_unmapped)
    return out
