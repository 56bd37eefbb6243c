"""Rebuild the gene annotation and the embedded datasets shipped in ``src/oncosig/data``.

Reads only ``../shared/data`` (or ``--shared``) and writes, deterministically (sorted rows,
gzip without time stamps, zlib level 9), the files under ``src/oncosig/data/genes`` and
``src/oncosig/data/datasets``.  Run from the repository root::

    .venv/bin/python scripts/build_package_data.py            # everything (~1 min)
    .venv/bin/python scripts/build_package_data.py --only genes

The rules applied here are documented for users in :mod:`oncosig.genes` and in
``src/oncosig/data/datasets/PROVENANCE.md``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from oncosig._atomic import atomic_open, write_text  # noqa: E402
from oncosig.datasets._store import encode_counts, matrix_sha256  # noqa: E402

DATA = REPO / "src" / "oncosig" / "data"
PRIMARY = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY", "chrM"]

# ---------------------------------------------------------------------------------------
# helpers


def write_gz_tsv(df: pd.DataFrame, path: Path) -> None:
    """Gzip TSV with no time stamp or file name in the header (byte-reproducible)."""
    # floats are written with repr(): they read back bit-identical (GC content parity)
    text = df.to_csv(sep="\t", index=False, lineterminator="\n")
    with atomic_open(path, "wb") as fh:
        with gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
            gz.write(text.encode("utf-8"))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def strip_version(ids: pd.Series) -> pd.Series:
    return ids.str.replace(r"\.\d+(_PAR_Y)?$", "", regex=True)


# ---------------------------------------------------------------------------------------
# gene annotation


def load_sources(ann: Path) -> dict[str, pd.DataFrame]:
    gc = pd.read_csv(ann / "gencode_v36_genes_GRCh38.tsv.gz", sep="\t", dtype=str)
    gc = gc[~gc["gene_id"].str.endswith("_PAR_Y")].copy()  # PAR_Y copies: keep the X copy
    gc["ensembl"] = strip_version(gc["gene_id"])
    assert not gc["ensembl"].duplicated().any()
    org = pd.read_csv(ann / "orgHsegdb_3.16_entrez_symbol_ensembl.tsv.gz", sep="\t", dtype=str)
    san = pd.read_csv(ann / "sanbomics_0.1.0_human_ids.csv", dtype=str)
    san["entrezgene_id"] = san["entrezgene_id"].str.replace(r"\.0$", "", regex=True)
    ht = pd.read_csv(ann / "tcgabiolinks_geneInfoHT_gc_length.tsv.gz", sep="\t")
    return {"gencode": gc, "org": org, "san": san, "ht": ht}


def _rank_frame(cand: pd.DataFrame, genes: pd.DataFrame) -> pd.DataFrame:
    """Sort (alias, ensembl, source) candidates by the documented tie rule."""
    info = genes.reindex(cand["ensembl"])
    cand = cand.assign(
        not_primary=~(
            info["gencode_v36"].fillna(False).to_numpy(bool)
            & info["chrom"].isin(PRIMARY).to_numpy()
        ),
        not_pc=(info["gene_type"] != "protein_coding").to_numpy(),
    )
    cand = cand.sort_values(["alias", "not_primary", "source", "not_pc", "ensembl"])
    return cand


def resolve(cand: pd.DataFrame, genes: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One Ensembl ID per alias: GENCODE v36 primary, source rank, protein-coding, lowest ID."""
    cand = cand.dropna().drop_duplicates(["alias", "ensembl"], keep="first")
    # keep the best source per (alias, ensembl) pair
    cand = cand.sort_values(["alias", "ensembl", "source"]).drop_duplicates(["alias", "ensembl"])
    ranked = _rank_frame(cand, genes)
    n = ranked.groupby("alias", sort=False)["ensembl"].transform("size")
    best = ranked.assign(n_candidates=n.to_numpy()).drop_duplicates("alias", keep="first")
    return pd.DataFrame(
        {
            "kind": kind,
            "alias": best["alias"].to_numpy(),
            "ensembl": best["ensembl"].to_numpy(),
            "n_candidates": best["n_candidates"].to_numpy(),
        }
    )


def build_gene_tables(ann: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    src = load_sources(ann)
    gc, org, san, ht = src["gencode"], src["org"], src["san"], src["ht"]

    # --- base rows: GENCODE v36 + TCGAbiolinks geneInfoHT + every linked Ensembl ID ----
    genes = pd.DataFrame(
        {
            "symbol": gc["gene_name"].to_numpy(),
            "hgnc_id": gc["hgnc_id"].to_numpy(),
            "gene_type": gc["gene_type"].to_numpy(),
            "chrom": gc["seqnames"].to_numpy(),
            "start": gc["start"].astype(int).to_numpy(),
            "end": gc["end"].astype(int).to_numpy(),
            "strand": gc["strand"].to_numpy(),
            "gencode_v36": True,
        },
        index=pd.Index(gc["ensembl"].to_numpy(), name="ensembl"),
    )
    org_links = org.dropna(subset=["ensembl_id"])
    san_links = san.dropna(subset=["ensembl_gene_id"])
    extra = (
        pd.Index(ht["ensembl_gene_id"])
        .union(pd.Index(org_links["ensembl_id"]))
        .union(pd.Index(san_links["ensembl_gene_id"]))
        .difference(genes.index)
    )
    genes = pd.concat([genes, pd.DataFrame(index=pd.Index(extra, name="ensembl"))])
    genes["gencode_v36"] = genes["gencode_v36"].astype("boolean").fillna(False).astype(bool)
    genes = genes.sort_index()

    # symbols of non-GENCODE rows: org.Hs.eg.db link first, then sanbomics
    org_sym = org_links.sort_values(["ensembl_id", "entrez"], key=_entrez_key).drop_duplicates(
        "ensembl_id"
    )
    san_sym = san_links.dropna(subset=["hgnc_symbol"]).drop_duplicates("ensembl_gene_id")
    fill = (
        org_sym.set_index("ensembl_id")["symbol"]
        .combine_first(san_sym.set_index("ensembl_gene_id")["hgnc_symbol"])
        .reindex(genes.index)
    )
    genes["symbol"] = genes["symbol"].where(genes["symbol"].notna(), fill)

    # --- Entrez ID of each Ensembl gene -----------------------------------------------
    org_sym_of = org.drop_duplicates("entrez").set_index("entrez")["symbol"]
    e_cand = pd.concat(
        [
            pd.DataFrame(
                {"ensembl": org_links["ensembl_id"], "entrez": org_links["entrez"], "source": 0}
            ),
            pd.DataFrame(
                {
                    "ensembl": san_links["ensembl_gene_id"],
                    "entrez": san_links["entrezgene_id"],
                    "source": 1,
                }
            ).dropna(),
        ]
    )
    # last resort: the GENCODE v36 gene named like the Entrez gene's symbol
    by_name = gc[["ensembl", "gene_name"]].merge(
        org.drop_duplicates("entrez")[["entrez", "symbol"]], left_on="gene_name", right_on="symbol"
    )
    e_cand = pd.concat(
        [
            e_cand,
            pd.DataFrame({"ensembl": by_name["ensembl"], "entrez": by_name["entrez"], "source": 2}),
        ]
    )
    e_cand["sym_mismatch"] = (
        e_cand["entrez"].map(org_sym_of).to_numpy()
        != genes["symbol"].reindex(e_cand["ensembl"]).to_numpy()
    )
    e_cand["entrez_int"] = pd.to_numeric(e_cand["entrez"])
    best_entrez = (
        e_cand.sort_values(["ensembl", "source", "sym_mismatch", "entrez_int"])
        .drop_duplicates("ensembl")
        .set_index("ensembl")["entrez_int"]
    )
    genes["entrez"] = best_entrez.reindex(genes.index).astype("Int64")

    # --- GC content and length (TCGAbiolinks geneInfoHT) ----------------------------
    hti = ht.set_index("ensembl_gene_id")
    genes["gc_content"] = hti["gcContent"].reindex(genes.index)
    genes["length"] = hti["geneLength"].reindex(genes.index).astype("Int64")
    genes["start"] = genes["start"].astype("Int64")
    genes["end"] = genes["end"].astype("Int64")

    # --- aliases ----------------------------------------------------------------------
    s_cand = pd.concat(
        [
            pd.DataFrame({"alias": gc["gene_name"], "ensembl": gc["ensembl"], "source": 0}),
            pd.DataFrame(
                {"alias": org_links["symbol"], "ensembl": org_links["ensembl_id"], "source": 1}
            ),
            pd.DataFrame(
                {
                    "alias": san_links["hgnc_symbol"],
                    "ensembl": san_links["ensembl_gene_id"],
                    "source": 2,
                }
            ),
        ]
    ).dropna()
    sym = resolve(s_cand, genes, "symbol")
    up = s_cand.assign(alias=s_cand["alias"].str.upper())
    up = up[~up["alias"].isin(set(sym["alias"]))]
    sym_up = resolve(up, genes, "symbol_upper")
    ent = resolve(
        e_cand.rename(columns={"entrez": "alias"})[["alias", "ensembl", "source"]], genes, "entrez"
    )
    aliases = pd.concat([sym, sym_up, ent], ignore_index=True)
    return genes, aliases


def _entrez_key(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce") if s.name == "entrez" else s


def build_genes(shared: Path) -> dict[str, object]:
    genes, aliases = build_gene_tables(shared / "annotation")
    out = DATA / "genes"
    cols = [
        "symbol",
        "entrez",
        "hgnc_id",
        "gene_type",
        "chrom",
        "start",
        "end",
        "strand",
        "gc_content",
        "length",
        "gencode_v36",
    ]
    table = genes[cols].reset_index()
    table["gencode_v36"] = table["gencode_v36"].astype(int)
    write_gz_tsv(table, out / "genes.tsv.gz")
    write_gz_tsv(aliases, out / "aliases.tsv.gz")
    info = {
        "n_genes": len(genes),
        "n_gencode_v36": int(genes["gencode_v36"].sum()),
        "n_aliases": aliases["kind"].value_counts().sort_index().to_dict(),
        "sources": {
            p.name: sha256_file(p)
            for p in sorted((shared / "annotation").iterdir())
            if p.suffix in {".gz", ".csv"}
        },
    }
    write_text(out / "genes.json", json.dumps(info, indent=2, sort_keys=True) + "\n")
    return info


# ---------------------------------------------------------------------------------------
# embedded datasets

TCGA7 = ["ACC", "CHOL", "DLBC", "KICH", "UCS", "UVM", "TEST"]
MIN_SAMPLES = 20
GENE_RULE = (
    "GENCODE v36 protein_coding or lncRNA genes (unversioned Ensembl ID) present in both "
    "source gene spaces (the 56,537-gene RNAsum files and the 60,483-gene TCGA_TEST file), "
    f"with CPM >= 1 in at least {MIN_SAMPLES} of the 384 samples (CPM over each sample's "
    "total of all 56,537 genes). Label-free: no class labels are used."
)


def write_dataset(
    name: str,
    counts: np.ndarray,
    obs: pd.DataFrame,
    var: pd.DataFrame,
    meta: dict[str, object],
) -> dict[str, object]:
    """genes x samples uint32 matrix + obs/var TSVs + JSON metadata."""
    out = DATA / "datasets"
    t0 = time.time()
    blob = encode_counts(counts)
    with atomic_open(out / f"{name}.counts.u32.zlib", "wb") as fh:
        fh.write(blob)
    write_gz_tsv(obs.reset_index(), out / f"{name}.obs.tsv.gz")
    write_gz_tsv(var.reset_index(), out / f"{name}.var.tsv.gz")
    meta = {
        **meta,
        "name": name,
        "matrix": {
            "file": f"{name}.counts.u32.zlib",
            "layout": "genes x samples, uint32, C order, byte-shuffled, zlib level 9",
            "shape": list(counts.shape),
            "sha256": matrix_sha256(counts),
        },
    }
    write_text(out / f"{name}.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
    print(f"{name}: {counts.shape} -> {len(blob) / 1e6:.2f} MB ({time.time() - t0:.0f} s)")
    return meta


def build_tcga7(shared: Path, genes: pd.DataFrame) -> dict[str, object]:
    tc = shared / "tcga-counts"
    frames = {c: pd.read_csv(tc / f"TCGA_{c}_Counts.exp.gz", sep="\t", index_col=0) for c in TCGA7}
    space = frames["ACC"].index
    for c in TCGA7[:-1]:
        assert frames[c].index.equals(space), c
    assert space.isin(frames["TEST"].index).all()
    mat = pd.concat([frames[c] for c in TCGA7[:-1]] + [frames["TEST"].loc[space]], axis=1)
    assert mat.shape == (56537, 384) and not mat.columns.duplicated().any()
    lib = mat.sum(axis=0)
    v36 = genes[genes["gencode_v36"]]
    keep = mat.index.isin(v36.index)
    keep &= mat.index.isin(v36.index[v36["gene_type"].isin(["protein_coding", "lncRNA"])])
    cpm = mat.to_numpy() / lib.to_numpy() * 1e6
    keep &= (cpm >= 1).sum(axis=1) >= MIN_SAMPLES
    sub = mat.loc[keep].sort_index()
    project = {c: f"TCGA-{c}" for c in TCGA7}
    project["TEST"] = "TCGA-PAAD"
    obs = pd.DataFrame(
        {
            "project": [project[c] for c in TCGA7 for _ in frames[c].columns],
            "source_file": [f"TCGA_{c}_Counts.exp.gz" for c in TCGA7 for _ in frames[c].columns],
            "total_counts_all_genes": lib.to_numpy(),
        },
        index=pd.Index(mat.columns, name="barcode"),
    )
    var = genes.loc[sub.index, ["symbol", "gene_type", "chrom", "start"]]
    var.index.name = "ensembl"
    meta = {
        "title": "TCGA tumours of 7 cohorts (ACC, CHOL, DLBC, KICH, UCS, UVM, PAAD)",
        "label": "project",
        "gene_selection": GENE_RULE,
        "n_genes_source": int(mat.shape[0]),
        "source": "umccr/RNAsum.data inst/extdata/ref_data "
        + (tc / "SOURCE_COMMIT.txt").read_text().split()[0],
        "licence": "MIT (RNAsum.data); TCGA open-access data",
        "source_files": {
            f"TCGA_{c}_Counts.exp.gz": sha256_file(tc / f"TCGA_{c}_Counts.exp.gz") for c in TCGA7
        },
        "gene_types": var["gene_type"].value_counts().sort_index().to_dict(),
    }
    return write_dataset("tcga7", sub.to_numpy(), obs, var, meta)


def build_chol_kich(shared: Path) -> dict[str, object]:
    ck = shared / "tcga-counts" / "chol-kich"
    metas = {}
    for cohort in ("TCGA-CHOL", "TCGA-KICH"):
        counts = pd.read_csv(ck / f"{cohort}_degnext_genes_counts.tsv.gz", sep="\t", index_col=0)
        labels = pd.read_csv(ck / f"{cohort}_degnext_gene_labels.tsv", sep="\t", index_col=0)
        samples = pd.read_csv(ck / f"{cohort}_samples.tsv", sep="\t", index_col=0)
        assert labels.index.equals(counts.index), cohort
        assert samples.index.equals(counts.columns), cohort
        obs = pd.DataFrame(
            {"sample_type": samples["sample_type"]}, index=pd.Index(samples.index, name="sample")
        )
        var = labels.rename(
            columns={
                "degnext_split": "split",
                "degnext_label": "label",
                "gene_name": "symbol",
            }
        )
        var.index.name = "ensembl"
        name = cohort.lower().replace("-", "_")
        meta = {
            "title": f"{cohort} normal + tumour counts with DEGnext gene labels",
            "cohort": cohort,
            "source": "tulikakakati/DEGnext datasets matched to umccr/RNAsum.data counts",
            "licence": "GPL-3.0 (DEGnext); MIT (RNAsum.data); TCGA open-access data",
            "source_files": {
                p.name: sha256_file(p) for p in sorted(ck.iterdir()) if p.name.startswith(cohort)
            },
            "n_normal": int((samples["sample_type"] == "Solid Tissue Normal").sum()),
            "n_tumor": int((samples["sample_type"] == "Primary Tumor").sum()),
        }
        metas[cohort] = write_dataset(name, counts.to_numpy(), obs, var, meta)
    return metas


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--only", choices=["genes", "datasets"], default=None)
    args = ap.parse_args(argv)
    if args.only in (None, "genes"):
        print(json.dumps(build_genes(args.shared), indent=1)[:2000])
    if args.only in (None, "datasets"):
        genes, _ = build_gene_tables(args.shared / "annotation")
        build_chol_kich(args.shared)
        build_tcga7(args.shared, genes)
    for folder in (DATA / "genes", DATA / "datasets"):
        for path in folder.glob("*"):
            path.chmod(0o644)  # mkstemp creates 0600 files
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
