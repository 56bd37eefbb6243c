"""The 33 TCGA projects (full names, organ sites) and sample annotation from barcodes."""

from __future__ import annotations

import functools
import io
import re
from importlib import resources

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import (
    OBS_BARCODE,
    OBS_ORGAN_SITE,
    OBS_PARTICIPANT,
    OBS_PROJECT,
    OBS_SAMPLE_TYPE,
    OBS_SAMPLE_TYPE_CODE,
    OBS_TISSUE,
    UNKNOWN,
)
from oncosig._errors import OncosigInputError
from oncosig.io._barcodes import parse_barcodes


@functools.lru_cache(maxsize=1)
def _projects_table() -> pd.DataFrame:
    text = resources.files("oncosig.data").joinpath("tcga_projects.tsv").read_text("utf-8")
    df = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, index_col="project")
    return df


def tcga_projects() -> pd.DataFrame:
    """The 33 TCGA projects with their full names and organ sites.

    Returns
    -------
    DataFrame indexed by project ID (``"TCGA-ACC"`` .. ``"TCGA-UVM"``) with columns
    ``name`` (full name, e.g. ``"Kidney chromophobe"``) and ``organ_site`` (one of 26
    sites, e.g. ``"Kidney"``; COAD/READ share ``"Colorectal"``, GBM/LGG ``"Brain"``).
    Shipped with the package as ``oncosig/data/tcga_projects.tsv``.
    """
    return _projects_table().copy()


def normalize_project(project: str) -> str:
    """``"kich"``, ``"KICH"`` or ``"TCGA-KICH"`` -> ``"TCGA-KICH"``.

    Raises
    ------
    OncosigInputError
        When the name is not one of the 33 TCGA projects.
    """
    p = str(project).strip().upper().replace("_", "-")
    if not p.startswith("TCGA-"):
        p = f"TCGA-{p}"
    table = _projects_table()
    if p not in table.index:
        raise OncosigInputError(
            f"unknown TCGA project {project!r}; use one of {', '.join(table.index.str[5:])}"
        )
    return p


def annotate_tcga(adata: AnnData, *, project: str | None = None) -> None:
    """Fill sample annotation in ``adata.obs`` from TCGA barcodes and a project ID.

    Sets ``barcode``, ``participant``, ``sample_type``, ``sample_type_code``, ``tissue``,
    ``project`` and ``organ_site`` (names in :mod:`oncosig._constants`).  Sample names
    that are not TCGA barcodes keep the values already in ``obs`` (e.g. from a GDC
    sample sheet); their tissue is ``"unknown"`` unless known.  Where ``project`` is
    ``None`` an existing ``obs["project"]`` column is used for the organ site.

    Parameters
    ----------
    adata
        Samples x genes; modified in place.
    project
        TCGA project, e.g. ``"TCGA-KICH"`` or ``"KICH"``; applies to every sample.
    """
    obs = adata.obs
    parsed = parse_barcodes(list(map(str, adata.obs_names)))
    parsed.index = obs.index
    ok = parsed["participant"].notna().to_numpy()
    for col in (OBS_BARCODE, OBS_PARTICIPANT, OBS_SAMPLE_TYPE_CODE, OBS_SAMPLE_TYPE, OBS_TISSUE):
        new = parsed[col].to_numpy(dtype=object)
        if col in obs.columns:
            old = obs[col].astype(object).to_numpy(dtype=object)
            new = np.where(ok & pd.notna(new), new, old)
        obs[col] = pd.Series(new, index=obs.index, dtype=object)
    obs[OBS_TISSUE] = obs[OBS_TISSUE].where(obs[OBS_TISSUE].notna(), UNKNOWN)
    if project is not None:
        obs[OBS_PROJECT] = normalize_project(project)
    elif OBS_PROJECT not in obs.columns:
        obs[OBS_PROJECT] = np.nan
    sites = _projects_table()["organ_site"]
    proj = obs[OBS_PROJECT].astype(object)
    site = proj.map(lambda p: sites.get(p, np.nan) if isinstance(p, str) else np.nan)
    if OBS_ORGAN_SITE in obs.columns:
        site = site.where(site.notna(), obs[OBS_ORGAN_SITE].astype(object))
    obs[OBS_ORGAN_SITE] = site
    for col in (OBS_SAMPLE_TYPE, OBS_TISSUE, OBS_PROJECT, OBS_ORGAN_SITE):
        if obs[col].notna().any():
            obs[col] = obs[col].astype("category")


def project_from_filename(name: str) -> str | None:
    """TCGA project named in a file name (``TCGA_KICH_Counts.exp.gz`` -> ``TCGA-KICH``).

    Returns ``None`` when the name holds no (or more than one) known project code.
    """
    codes = set(_projects_table().index.str[5:])
    found = {
        f"TCGA-{m.upper()}"
        for m in re.findall(r"(?:^|[^A-Za-z])TCGA[-_]([A-Za-z]{2,4})(?=$|[^A-Za-z])", name)
        if m.upper() in codes
    }
    return found.pop() if len(found) == 1 else None
