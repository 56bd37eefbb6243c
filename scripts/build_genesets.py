"""Rebuild the compact gene-set libraries shipped in ``src/oncosig/data/genesets``.

Deterministic: the same inputs give byte-identical files.  Reads ``../shared/data/genesets``
(or ``--source``); see ``src/oncosig/data/genesets/LICENSES.md`` for the origin and licence
of every library.

Usage::

    python scripts/build_genesets.py [--source DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from oncosig.enrich import GeneSetLibrary, read_gmt, write_library

REPO = Path(__file__).resolve().parents[1]

# name -> (file under the source folder, how term labels are formed)
SOURCES = {
    "go_bp": ("go/GO_BP_propagated_all_evidence_symbols.gmt.gz", "go"),
    "hallmark": ("h.all.v7.4.symbols.gmt", "name"),
    "reactome": ("ReactomePathways_2021-12.gmt", "name"),
    "wikipathways": ("enrichr/WikiPathway_2023_Human.gmt", "name"),
}


def build(source: Path, out: Path, only: list[str] | None = None) -> dict[str, str]:
    """Convert the source GMTs to the integer-coded form; return ``{file: sha256}``."""
    digests = {}
    for stem, (rel, label) in SOURCES.items():
        if only and stem not in only:
            continue
        sets, desc = read_gmt(source / rel)
        if label == "go":
            # GO GMT: name = GO ID, description = term name -> "term name (GO:xxxxxxx)"
            sets = {f"{desc[k]} ({k})": v for k, v in sets.items()}
            desc = {f"{desc[k]} ({k})": k for k in desc}
        lib = GeneSetLibrary.from_dict(sets, name=stem.replace("_", "-"), descriptions=desc)
        path = write_library(out / f"{stem}.npz", lib, overwrite=True)
        digests[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        print(
            f"{path.name}: {lib.n_terms} terms, {len(lib.genes)} genes, "
            f"{lib.incidence.nnz} pairs, {path.stat().st_size / 1e6:.2f} MB"
        )
    return digests


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data" / "genesets")
    ap.add_argument("--out", type=Path, default=REPO / "src" / "oncosig" / "data" / "genesets")
    ap.add_argument("--only", nargs="*", choices=sorted(SOURCES), help="rebuild these only")
    args = ap.parse_args()
    for name, digest in build(args.source, args.out, args.only).items():
        print(f"sha256 {digest}  {name}")


if __name__ == "__main__":
    main()
