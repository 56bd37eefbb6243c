"""Fixtures of the GeneXNet tests (synthetic data in genexnet_synth.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import anndata as ad
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from genexnet_synth import FAST, make_cohort

torch.set_num_threads(1)


@pytest.fixture
def cohort() -> ad.AnnData:
    return make_cohort()


@pytest.fixture(scope="module")
def fitted_model():
    from oncosig.genexnet import GeneXNet

    a = make_cohort()
    return GeneXNet(**FAST).fit(a, label_key="project"), a
