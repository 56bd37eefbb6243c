"""Real TCGA datasets embedded in the package (no ``../shared`` needed).

- :func:`tcga7` — 384 tumours of 7 TCGA cohorts (ACC, CHOL, DLBC, KICH, UCS, UVM, PAAD),
  raw counts, the main job's classification data set
- :func:`chol_kich` — TCGA-CHOL / TCGA-KICH normal + tumour counts with DEGnext gene labels
- :func:`list_datasets` — what is embedded, with sizes, sources and licences

Provenance and licences: ``oncosig/data/datasets/PROVENANCE.md`` and ``LICENSES.md``.
"""

from oncosig.datasets._embedded import chol_kich, list_datasets, tcga7

__all__ = ["chol_kich", "list_datasets", "tcga7"]
