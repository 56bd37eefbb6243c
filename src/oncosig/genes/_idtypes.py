"""Detect which kind of gene identifier a list holds (Ensembl, symbol, Entrez, legacy).

Rule: each ID is matched against the patterns below; the type that at least 90 % of the
(non-empty) IDs match wins.  When none reaches 90 % but most IDs match one of the known
patterns the list is ``"mixed"``; when most match none it is ``"unknown"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ID_TYPES: tuple[str, ...] = (
    "ensembl",
    "ensembl_versioned",
    "symbol",
    "entrez",
    "symbol|entrez",
    "mixed",
    "unknown",
)
"""Every value :func:`detect_id_type` can return."""

#: Share of IDs that must match one pattern for the list to get that type.
MIN_SHARE = 0.9

_ENSEMBL = r"^ENSGR?\d{10,11}(?:_PAR_Y)?$"
_ENSEMBL_VERSIONED = r"^ENSGR?\d{10,11}\.\d+(?:_PAR_Y)?$"
_ENTREZ = r"^\d+$"
_SYMBOL_ENTREZ = r"^[^|\s]+\|\d+$"
# HGNC-like symbols: letters/digits with - . _ @ / inside; at least one letter.
_SYMBOL = r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9._@/\-]*$"
# things that look like symbols but are not genes
_NOT_SYMBOL = r"^(?:ENS[A-Z]*\d|TCGA[-.][A-Z0-9]{2}[-.])"

_PATTERNS: dict[str, str] = {
    "ensembl": _ENSEMBL,
    "ensembl_versioned": _ENSEMBL_VERSIONED,
    "entrez": _ENTREZ,
    "symbol|entrez": _SYMBOL_ENTREZ,
}
_GROUPS = {
    "ensembl": "ensembl",
    "ensembl_versioned": "ensembl_versioned",
    "entrez": "entrez",
    "symbol|entrez": "symbol_entrez",
}


_COMBINED = re.compile(
    "^(?:"
    + "|".join(f"(?P<{_GROUPS[k]}>{pat[1:-1]})" for k, pat in _PATTERNS.items())
    + f"|(?P<symbol>(?!{_NOT_SYMBOL[1:]}){_SYMBOL[1:-1]})"
    + ")$"
)


def id_type_shares(ids: Iterable[object]) -> dict[str, float]:
    """Share of IDs that match each identifier pattern.

    Parameters
    ----------
    ids
        Gene identifiers; empty strings and missing values are ignored.

    Returns
    -------
    ``{"ensembl": f, "ensembl_versioned": f, "entrez": f, "symbol|entrez": f,
    "symbol": f, "none": f}``; the patterns are exclusive (first match in this order
    wins), so the shares add up to 1 (all 0 for an empty list).
    """
    keys = [*_PATTERNS, "symbol", "none"]
    counts = dict.fromkeys(keys, 0)
    names = {v: k for k, v in _GROUPS.items()}
    names["symbol"] = "symbol"
    match = _COMBINED.match
    n = 0
    for x in ids:
        if x is None or (isinstance(x, float) and x != x):
            continue
        s = str(x).strip()
        if not s:
            continue
        n += 1
        m = match(s)
        counts[names[m.lastgroup] if m and m.lastgroup else "none"] += 1
    if n == 0:
        return dict.fromkeys(keys, 0.0)
    return {k: v / n for k, v in counts.items()}


def detect_id_type(ids: Iterable[object]) -> str:
    """Which kind of gene identifier ``ids`` holds.

    Parameters
    ----------
    ids
        Gene identifiers (e.g. ``adata.var_names``).

    Returns
    -------
    One of ``"ensembl"`` (``ENSG00000000003``, also ``ENSGR…`` and ``…_PAR_Y``),
    ``"ensembl_versioned"`` (``ENSG00000000003.15``), ``"symbol"`` (``TP53``),
    ``"entrez"`` (``7157``), ``"symbol|entrez"`` (legacy ``TP53|7157``), ``"mixed"``
    (no type reaches 90 % of the IDs but most are gene IDs) or ``"unknown"``
    (empty, or most IDs match no pattern).

    Examples
    --------
    >>> detect_id_type(["ENSG00000000003.15", "ENSG00000000005.6"])
    'ensembl_versioned'
    >>> detect_id_type(["TP53|7157", "?|100130426"])
    'symbol|entrez'
    """
    shares = id_type_shares(ids)
    best = max((k for k in shares if k != "none"), key=lambda k: shares[k])
    if shares[best] >= MIN_SHARE:
        return best
    if shares["none"] >= 0.5 or sum(shares.values()) == 0.0:
        return "unknown"
    return "mixed"
