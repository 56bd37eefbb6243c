from __future__ import annotations

import numpy as np
import pandas as pd

from oncosig.enrich import gsea_prerank


def test_prerank_finds_planted_set_at_the_top() -> None:
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(400)]
    scores = pd.Series(rng.normal(size=400), index=genes)
    planted = genes[:25]
    scores[planted] += 3.0
    sets = {"PLANTED": planted}
    for k in range(6):
        sets[f"RANDOM_{k}"] = rng.choice(genes[25:], 25, replace=False).tolist()
    res = gsea_prerank(scores, library=sets, min_size=10, permutations=200, seed=1)
    assert list(res.columns) == [
        "term",
        "es",
        "nes",
        "pvalue",
        "fdr",
        "fwer",
        "set_size",
        "lead_genes",
    ]
    top = res.iloc[0]
    assert top["term"] == "PLANTED"
    assert top["nes"] > 0
    assert top["fdr"] < 0.05
    assert top["set_size"] == 25
    again = gsea_prerank(scores, library=sets, min_size=10, permutations=200, seed=1)
    pd.testing.assert_frame_equal(res, again)
