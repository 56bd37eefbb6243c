"""oncosig: genomic signatures of cancer from RNA-seq with deep networks.

Namespaces (scanpy style; first argument the AnnData, the rest keyword-only):

- :mod:`oncosig.io` — readers/writers (GDC STAR/HTSeq, matrices, h5ad, DEGnext layout)
- :mod:`oncosig.genes` — offline gene identifier harmonisation and alignment
- :mod:`oncosig.datasets` — small real TCGA datasets shipped with the package
- :mod:`oncosig.pp` — fit/transform preprocessing (CPM, TMM, GC-content, ...)
- :mod:`oncosig.de` — edgeR/DESeq2-grade differential expression and DEG labelling
- :mod:`oncosig.models` — registry of networks and baselines
- :mod:`oncosig.degnext`, :mod:`oncosig.genexnet` — the two published methods
- :mod:`oncosig.pl` — plots (pure functions taking ``ax=None``)
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_SUBMODULES = {
    "io",
    "genes",
    "datasets",
    "pp",
    "de",
    "models",
    "degnext",
    "genexnet",
    "interpret",
    "enrich",
    "pl",
    "report",
}


def __getattr__(name: str) -> Any:
    # Lazy namespaces keep `import oncosig` (and the CLI start-up) fast.
    if name in _SUBMODULES:
        return importlib.import_module(f"oncosig.{name}")
    raise AttributeError(f"module 'oncosig' has no attribute {name!r}")


__all__ = ["__version__", *sorted(_SUBMODULES)]
