"""Build src/oncosig/data/cancer_genes.tsv.gz from ../shared/data/cancer-genes.

Sources (licences in src/oncosig/data/CANCER_GENES_LICENSES.md):

* CancerMine collated (CC0): gene - cancer (Disease Ontology name) - role, with citation
  counts.  Disease names are mapped to TCGA cohort codes with the table below; rows whose
  disease maps to no cohort are kept with an empty ``cancer`` (used when no cancer type is
  requested).
* openvax cancer-driver-genes (Bailey et al. 2018, Apache-2.0): driver genes per TCGA
  code (``PANCAN`` for pan-cancer drivers; ``COADREAD`` is expanded to COAD and READ).

Genes are mapped to unversioned Ensembl IDs with the shipped gene annotation (HGNC ID
first, then oncosig.genes.to_ensembl on the symbol); Bailey's own Ensembl ID is used when
present.

Output columns: ``source``, ``cancer`` (TCGA code without the ``TCGA-`` prefix, ``PANCAN``
or empty), ``ensembl``, ``symbol``, ``role`` (comma-joined), ``citations`` (CancerMine;
0 for Bailey).  Run: ``.venv/bin/python scripts/build_cancer_genes.py [SHARED_DATA_DIR]``.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pandas as pd

from oncosig._atomic import atomic_open
from oncosig.genes import gene_table, to_ensembl

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "oncosig" / "data" / "cancer_genes.tsv.gz"

# Disease Ontology names (CancerMine ``cancer_normalized``) -> TCGA cohort codes.
DO_TO_TCGA: dict[str, tuple[str, ...]] = {
    "adrenal cortex cancer": ("ACC",),
    "adrenal gland cancer": ("ACC", "PCPG"),
    "urinary bladder cancer": ("BLCA",),
    "bladder carcinoma": ("BLCA",),
    "bladder urothelial carcinoma": ("BLCA",),
    "superficial urinary bladder cancer": ("BLCA",),
    "bladder squamous cell carcinoma": ("BLCA",),
    "breast cancer": ("BRCA",),
    "breast carcinoma": ("BRCA",),
    "breast adenocarcinoma": ("BRCA",),
    "breast ductal carcinoma": ("BRCA",),
    "female breast cancer": ("BRCA",),
    "male breast cancer": ("BRCA",),
    "sporadic breast cancer": ("BRCA",),
    "luminal breast carcinoma": ("BRCA",),
    "inflammatory breast carcinoma": ("BRCA",),
    "cervical cancer": ("CESC",),
    "cervix carcinoma": ("CESC",),
    "cervical squamous cell carcinoma": ("CESC",),
    "cervical adenocarcinoma": ("CESC",),
    "cholangiocarcinoma": ("CHOL",),
    "intrahepatic cholangiocarcinoma": ("CHOL",),
    "bile duct carcinoma": ("CHOL",),
    "colorectal cancer": ("COAD", "READ"),
    "colorectal carcinoma": ("COAD", "READ"),
    "colorectal adenocarcinoma": ("COAD", "READ"),
    "colon cancer": ("COAD",),
    "colon carcinoma": ("COAD",),
    "colon adenocarcinoma": ("COAD",),
    "rectum cancer": ("READ",),
    "rectum adenocarcinoma": ("READ",),
    "diffuse large B-cell lymphoma": ("DLBC",),
    "esophageal cancer": ("ESCA",),
    "esophageal carcinoma": ("ESCA",),
    "esophagus adenocarcinoma": ("ESCA",),
    "esophagus squamous cell carcinoma": ("ESCA",),
    "gastroesophageal junction adenocarcinoma": ("ESCA", "STAD"),
    "glioblastoma multiforme": ("GBM",),
    "malignant glioma": ("GBM", "LGG"),
    "brain glioma": ("GBM", "LGG"),
    "astrocytoma": ("LGG",),
    "grade III astrocytoma": ("LGG",),
    "oligodendroglioma": ("LGG",),
    "mixed oligodendroglioma-astrocytoma": ("LGG",),
    "head and neck squamous cell carcinoma": ("HNSC",),
    "head and neck cancer": ("HNSC",),
    "head and neck carcinoma": ("HNSC",),
    "oral squamous cell carcinoma": ("HNSC",),
    "laryngeal squamous cell carcinoma": ("HNSC",),
    "laryngeal carcinoma": ("HNSC",),
    "larynx cancer": ("HNSC",),
    "hypopharynx cancer": ("HNSC",),
    "oropharynx cancer": ("HNSC",),
    "kidney cancer": ("KICH", "KIRC", "KIRP"),
    "renal cell carcinoma": ("KICH", "KIRC", "KIRP"),
    "renal carcinoma": ("KICH", "KIRC", "KIRP"),
    "chromophobe renal cell carcinoma": ("KICH",),
    "clear cell renal cell carcinoma": ("KIRC",),
    "papillary renal cell carcinoma": ("KIRP",),
    "familial renal papillary carcinoma": ("KIRP",),
    "acute myeloid leukemia": ("LAML",),
    "hepatocellular carcinoma": ("LIHC",),
    "liver cancer": ("LIHC",),
    "liver carcinoma": ("LIHC",),
    "lung cancer": ("LUAD", "LUSC"),
    "lung carcinoma": ("LUAD", "LUSC"),
    "non-small cell lung carcinoma": ("LUAD", "LUSC"),
    "lung adenocarcinoma": ("LUAD",),
    "mucinous lung adenocarcinoma": ("LUAD",),
    "lung papillary adenocarcinoma": ("LUAD",),
    "lung squamous cell carcinoma": ("LUSC",),
    "malignant mesothelioma": ("MESO",),
    "malignant pleural mesothelioma": ("MESO",),
    "peritoneal mesothelioma": ("MESO",),
    "ovarian cancer": ("OV",),
    "ovarian carcinoma": ("OV",),
    "ovarian serous carcinoma": ("OV",),
    "ovarian serous cystadenocarcinoma": ("OV",),
    "ovary serous adenocarcinoma": ("OV",),
    "ovary epithelial cancer": ("OV",),
    "ovary adenocarcinoma": ("OV",),
    "pancreatic cancer": ("PAAD",),
    "pancreatic carcinoma": ("PAAD",),
    "pancreatic adenocarcinoma": ("PAAD",),
    "pancreatic ductal adenocarcinoma": ("PAAD",),
    "pancreatic ductal carcinoma": ("PAAD",),
    "malignant pheochromocytoma": ("PCPG",),
    "prostate cancer": ("PRAD",),
    "prostate carcinoma": ("PRAD",),
    "prostate adenocarcinoma": ("PRAD",),
    "sarcoma": ("SARC",),
    "leiomyosarcoma": ("SARC",),
    "liposarcoma": ("SARC",),
    "fibrosarcoma": ("SARC",),
    "synovial sarcoma": ("SARC",),
    "melanoma": ("SKCM", "UVM"),
    "skin melanoma": ("SKCM",),
    "familial melanoma": ("SKCM",),
    "nodular malignant melanoma": ("SKCM",),
    "acral lentiginous melanoma": ("SKCM",),
    "stomach cancer": ("STAD",),
    "stomach carcinoma": ("STAD",),
    "gastric adenocarcinoma": ("STAD",),
    "gastric diffuse adenocarcinoma": ("STAD",),
    "gastric cardia adenocarcinoma": ("STAD",),
    "testicular germ cell cancer": ("TGCT",),
    "testicular cancer": ("TGCT",),
    "germ cell cancer": ("TGCT",),
    "thyroid cancer": ("THCA",),
    "thyroid carcinoma": ("THCA",),
    "papillary thyroid carcinoma": ("THCA",),
    "follicular thyroid carcinoma": ("THCA",),
    "thymoma": ("THYM",),
    "thymus cancer": ("THYM",),
    "endometrial cancer": ("UCEC",),
    "endometrial carcinoma": ("UCEC",),
    "endometrial adenocarcinoma": ("UCEC",),
    "uterine corpus endometrial carcinoma": ("UCEC",),
    "uterine cancer": ("UCEC", "UCS"),
    "uterine corpus cancer": ("UCEC",),
    "uterine carcinosarcoma": ("UCS",),
    "carcinosarcoma": ("UCS",),
    "uveal melanoma": ("UVM",),
    "posterior uveal melanoma": ("UVM",),
    "malignant choroid melanoma": ("UVM",),
    "ocular melanoma": ("UVM",),
}


def _ensembl_for(hgnc: pd.Series, symbols: pd.Series) -> pd.Series:
    table = gene_table()
    by_hgnc = table.reset_index().dropna(subset=["hgnc_id"])
    by_hgnc = by_hgnc[by_hgnc["gencode_v36"]].drop_duplicates("hgnc_id")
    hmap = dict(zip(by_hgnc["hgnc_id"], by_hgnc["ensembl"], strict=True))
    out = hgnc.map(hmap)
    todo = out.isna()
    if todo.any():
        mapped = to_ensembl(list(symbols[todo]), id_type="symbol")
        out.loc[todo] = mapped.to_numpy()
    return out


def build_cancermine(path: Path) -> pd.DataFrame:
    cm = pd.read_csv(path, sep="\t", dtype=str)
    cm["citation_count"] = cm["citation_count"].astype(int)
    cm["ensembl"] = _ensembl_for(cm["gene_hugo_id"], cm["gene_normalized"])
    rows = []
    for rec in cm.itertuples(index=False):
        for code in DO_TO_TCGA.get(rec.cancer_normalized, ("",)):
            rows.append((code, rec.ensembl, rec.gene_normalized, rec.role, rec.citation_count))
    df = pd.DataFrame(rows, columns=["cancer", "ensembl", "symbol", "role", "citations"])
    agg = (
        df.groupby(["cancer", "symbol"], dropna=False, sort=True)
        .agg(
            ensembl=("ensembl", "first"),
            role=("role", lambda r: ",".join(sorted(set(r)))),
            citations=("citations", "sum"),
        )
        .reset_index()
    )
    agg.insert(0, "source", "cancermine")
    return agg


def build_bailey(path: Path) -> pd.DataFrame:
    b = pd.read_csv(path, dtype=str)
    b = b[b["Symbol"].notna() & (b["Symbol"] != "Symbol")]
    ens = b["Ensembl_Gene_ID"].str.replace(r"\.\d+$", "", regex=True)
    missing = ens.isna() | ~ens.fillna("").str.startswith("ENSG")
    if missing.any():
        ens.loc[missing] = to_ensembl(list(b.loc[missing, "Symbol"]), id_type="symbol").to_numpy()
    rows = []
    for rec, e in zip(b.itertuples(index=False), ens, strict=True):
        codes = ("COAD", "READ") if rec.Cancer == "COADREAD" else (rec.Cancer,)
        role = rec.Function if isinstance(rec.Function, str) and rec.Function else "driver"
        for code in codes:
            rows.append(("bailey", code, rec.Symbol, e, role, 0))
    df = pd.DataFrame(rows, columns=["source", "cancer", "symbol", "ensembl", "role", "citations"])
    return df.drop_duplicates(["cancer", "symbol"])


def main(shared: Path) -> None:
    src = shared / "cancer-genes"
    cm = build_cancermine(src / "cancermine_collated.tsv")
    bl = build_bailey(src / "openvax_cancer-driver-genes.csv")
    cols = ["source", "cancer", "ensembl", "symbol", "role", "citations"]
    out = pd.concat([cm[cols], bl[cols]], ignore_index=True)
    out["cancer"] = out["cancer"].fillna("")
    out = out.sort_values(["source", "cancer", "symbol"], kind="stable")
    text = out.to_csv(sep="\t", index=False, lineterminator="\n")
    with atomic_open(OUT, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    n_unmapped = int(out["ensembl"].isna().sum())
    print(f"wrote {OUT} ({len(out)} rows, {n_unmapped} without Ensembl ID)")
    print(out.groupby("source")["symbol"].nunique().to_string())


if __name__ == "__main__":
    default = REPO.parent / "shared" / "data"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
