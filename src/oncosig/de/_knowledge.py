"""Knowledge sources for DEGnext's "biologically validated" genes (set Q).

The DEGnext paper used the proprietary IPA knowledge base; oncosig ships a compact table
of two open sources instead (``oncosig/data/cancer_genes.tsv.gz``, built by
``scripts/build_cancer_genes.py``; licences in ``CANCER_GENES_LICENSES.md``):

* ``"cancermine"`` — CancerMine (CC0): literature-mined drivers, oncogenes and tumour
  suppressors, with Disease Ontology cancers mapped to TCGA cohorts;
* ``"bailey"`` — Bailey et al. 2018 PanCanAtlas driver genes (openvax, Apache-2.0).

A user gene list (file or iterable of Ensembl IDs / symbols) can replace them.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd

from oncosig._errors import OncosigInputError

logger = logging.getLogger(__name__)

SOURCES = ("cancermine", "bailey")
IdKind = Literal["both", "ensembl", "symbol"]


@functools.lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    raw = (resources.files("oncosig") / "data" / "cancer_genes.tsv.gz").read_bytes()
    return pd.read_csv(
        io.BytesIO(raw),
        sep="\t",
        compression="gzip",
        dtype={"source": str, "cancer": str, "ensembl": str, "symbol": str, "role": str},
        keep_default_na=False,
        na_values={"ensembl": [""]},
    )


def cancer_genes_table() -> pd.DataFrame:
    """The shipped knowledge table (one row per source, cancer type and gene).

    Returns
    -------
    DataFrame with ``source``, ``cancer`` (TCGA code without ``TCGA-``, ``PANCAN`` or
    empty for CancerMine diseases outside TCGA), ``ensembl``, ``symbol``, ``role``,
    ``citations``.
    """
    return _table().copy()


def normalize_cancer_type(cancer_type: str) -> str:
    """``"TCGA-CHOL"``, ``"tcga_chol"`` or ``"CHOL"`` -> ``"CHOL"``."""
    code = str(cancer_type).strip().upper().replace("_", "-")
    if code.startswith("TCGA-"):
        code = code[5:]
    if not code or not code.replace("-", "").isalnum():
        raise OncosigInputError(f"cannot read a TCGA cancer type from {cancer_type!r}")
    return code


def read_gene_list(path: str | Path) -> list[str]:
    """Gene IDs / symbols from a text file: one per line (first column of a TSV/CSV).

    Blank lines and lines starting with ``#`` are skipped.
    """
    p = Path(path)
    if not p.is_file():
        raise OncosigInputError("gene list file not found", path=p)
    genes: list[str] = []
    for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        first = s.replace(",", "\t").split("\t")[0].strip().strip('"')
        if first:
            genes.append(first)
    if not genes:
        raise OncosigInputError("gene list is empty", path=p)
    return genes


def _expand_ids(genes: Iterable[str]) -> set[str]:
    """Add the Ensembl ID of each symbol and the symbol of each Ensembl ID."""
    from oncosig.genes import gene_table, normalize_ensembl, to_ensembl

    genes = [str(g) for g in genes]
    out = set(genes)
    ens = {e for g in genes if (e := normalize_ensembl(g)) is not None}
    out |= ens
    symbols = [g for g in genes if normalize_ensembl(g) is None]
    if symbols:
        mapped = to_ensembl(symbols, id_type="symbol")
        ens |= {str(e) for e in mapped.dropna()}
        out |= {str(e) for e in mapped.dropna()}
    table = gene_table()
    known = table.index.intersection(sorted(ens))
    out |= {str(s) for s in table.loc[known, "symbol"].dropna()}
    return out


def knowledge_genes(
    *,
    cancer_type: str | None = None,
    sources: Sequence[str] | str = SOURCES,
    gene_list: Iterable[str] | str | Path | None = None,
    include_pancan: bool = False,
    id_kind: IdKind = "both",
) -> set[str]:
    """Genes with prior evidence of a cancer role: DEGnext's "biologically validated" set.

    Parameters
    ----------
    cancer_type
        TCGA cohort (``"TCGA-CHOL"`` or ``"CHOL"``); ``None`` = every cancer type.
    sources
        Shipped sources to combine: ``"cancermine"`` and/or ``"bailey"`` (a comma-separated
        string is accepted).  Ignored when ``gene_list`` is given.
    gene_list
        A user list instead of the shipped sources: a file path (one gene per line) or an
        iterable of Ensembl IDs / symbols.
    include_pancan
        With a cancer type, also include Bailey's pan-cancer (``PANCAN``) drivers.
    id_kind
        ``"both"`` (Ensembl IDs and symbols in one set, so either kind of gene name can be
        looked up), ``"ensembl"`` or ``"symbol"``.

    Returns
    -------
    The set of gene identifiers.

    Raises
    ------
    OncosigInputError
        For an unknown source or a cancer type no source knows.
    """
    if id_kind not in ("both", "ensembl", "symbol"):
        raise OncosigInputError(f"id_kind must be 'both', 'ensembl' or 'symbol', got {id_kind!r}")
    if gene_list is not None:
        genes = read_gene_list(gene_list) if isinstance(gene_list, str | Path) else list(gene_list)
        return _select_kind(_expand_ids(genes), id_kind)
    if isinstance(sources, str):
        sources = [s.strip() for s in sources.split(",") if s.strip()]
    unknown = [s for s in sources if s.lower() not in SOURCES]
    if unknown or not sources:
        raise OncosigInputError(
            f"unknown knowledge source(s) {unknown or sources}; use {', '.join(SOURCES)} "
            "or a gene list"
        )
    t = _table()
    t = t[t["source"].isin([s.lower() for s in sources])]
    if cancer_type is not None:
        code = normalize_cancer_type(cancer_type)
        wanted = {code, "PANCAN"} if include_pancan else {code}
        sub = t[t["cancer"].isin(wanted)]
        if sub.empty:
            known = sorted(c for c in _table()["cancer"].unique() if c and c != "PANCAN")
            raise OncosigInputError(
                f"no {'/'.join(sources)} genes for cancer type {code!r}; known TCGA codes: "
                f"{', '.join(known)} (or pass a gene list)"
            )
        t = sub
    ids: set[str] = set()
    if id_kind in ("both", "ensembl"):
        ids |= set(t["ensembl"].dropna().astype(str))
    if id_kind in ("both", "symbol"):
        ids |= set(t["symbol"].dropna().astype(str))
    logger.info(
        "knowledge genes: %d (%s%s)",
        t["symbol"].nunique(),
        ",".join(sources),
        f", {cancer_type}" if cancer_type else "",
    )
    return ids


def _select_kind(ids: set[str], id_kind: IdKind) -> set[str]:
    if id_kind == "both":
        return ids
    from oncosig.genes import normalize_ensembl

    is_ens = {g for g in ids if normalize_ensembl(g) is not None}
    return is_ens if id_kind == "ensembl" else ids - is_ens
