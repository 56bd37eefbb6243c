"""The small GeneXNet model shipped with the package (trained on the embedded 7-cohort data).

It is rebuilt deterministically by ``scripts/train_pretrained.py``; the recipe is stored in
the checkpoint's metadata (``training``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from oncosig._errors import CheckpointError
from oncosig.genexnet._estimator import GeneImageClassifier

PRETRAINED_NAME = "genexnet_tcga7.safetensors"
PRETRAINED_PATH = Path(str(resources.files("oncosig.data").joinpath("models", PRETRAINED_NAME)))
"""Path of the shipped model (7 TCGA tumour types: ACC, CHOL, DLBC, KICH, PAAD, UCS, UVM)."""


def load_pretrained() -> GeneImageClassifier:
    """Load the shipped GeneXNet model (cancer type of a tumour sample, 7 TCGA cohorts).

    Raises
    ------
    CheckpointError
        If the package was installed without its model file.
    """
    if not PRETRAINED_PATH.is_file():
        raise CheckpointError(
            "the pretrained GeneXNet model is not installed; rebuild it with "
            "`python scripts/train_pretrained.py` or pass --model",
            path=PRETRAINED_PATH,
        )
    return GeneImageClassifier.load(PRETRAINED_PATH)
