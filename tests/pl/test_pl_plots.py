from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection

from oncosig import pl


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _edger(rng: np.random.Generator, n: int = 200) -> pd.DataFrame:
    lfc = rng.normal(0, 2, n)
    p = np.clip(np.exp(-np.abs(lfc) * 3) * rng.uniform(0.1, 1, n), 1e-50, 1)
    return pd.DataFrame(
        {"logFC": lfc, "logCPM": rng.uniform(0, 10, n), "PValue": p, "FDR": np.minimum(p * 5, 1)},
        index=[f"g{i}" for i in range(n)],
    )


def test_heatmap_labels_and_sample_draw(rng: np.random.Generator, tmp_path) -> None:
    expr = pd.DataFrame(
        rng.normal(size=(30, 25)),
        columns=[f"ENSG{i}" for i in range(25)],
        index=[f"s{i}" for i in range(30)],
    )
    genes = list(expr.columns[:20])
    ax = pl.genecam_heatmap(
        expr, genes, shares={genes[0]: 0.85}, symbols={genes[0]: "TP53"}, n_samples=20, title="ACC"
    )
    assert isinstance(ax, Axes)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "TP53 (85%)" and labels[1] == genes[1] and len(labels) == 20
    assert len(ax.get_xticklabels()) == 20
    assert ax.images[0].get_array().shape == (20, 20)
    assert ax.yaxis.get_ticks_position() == "right"
    again = pl.genecam_heatmap(expr, genes, n_samples=20)
    assert [t.get_text() for t in again.get_xticklabels()] == [
        t.get_text() for t in ax.get_xticklabels()
    ]  # same seed, same samples
    out = pl.savefig(ax, tmp_path / "heat.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary left behind
    with pytest.raises(ValueError, match="not in the expression"):
        pl.genecam_heatmap(expr, ["nope"])
    with pytest.raises(ValueError, match="exists"):
        pl.savefig(again, tmp_path / "heat.png", overwrite=False)


def test_confusion_matrix_counts() -> None:
    ax = pl.confusion_matrix(["a", "a", "b", "c"], ["a", "b", "b", "c"])
    texts = sorted(t.get_text() for t in ax.texts)
    assert len(ax.texts) == 9 and texts.count("1") == 4 and texts.count("0") == 5
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    ax = pl.confusion_matrix(["a", "a"], ["a", "b"], labels=["a", "b"], normalize=True)
    assert "0.50" in [t.get_text() for t in ax.texts]


def test_roc_one_line_per_class_plus_diagonal(rng: np.random.Generator) -> None:
    y = np.repeat(["A", "B", "C"], 10)
    proba = pd.DataFrame(rng.dirichlet([1, 1, 1], 30), columns=["A", "B", "C"])
    proba.loc[y == "A", "A"] += 1
    ax = pl.roc_curves(y, proba)
    assert len(ax.lines) == 4
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("A (AUC 1.000")
    binary = pl.roc_curves(y == "A", proba["A"].to_numpy(), classes=["True"])
    assert len(binary.lines) == 2
    with pytest.raises(ValueError, match="do not match"):
        pl.roc_curves(y, proba.iloc[:5])


def test_training_curves_merge_lightning_rows() -> None:
    m = pd.DataFrame(
        {
            "epoch": [0, 0, 1, 1, 2, 2],
            "step": [1, 1, 2, 2, 3, 3],
            "train_loss": [1.0, np.nan, 0.8, np.nan, 0.5, np.nan],
            "val_loss": [np.nan, 1.1, np.nan, 0.9, np.nan, 0.7],
            "val_acc": [np.nan, 0.5, np.nan, 0.7, np.nan, 0.8],
        }
    )
    ax = pl.training_curves(m)
    assert len(ax.lines) == 3
    assert ax.lines[0].get_ydata().tolist() == [1.0, 0.8, 0.5]
    assert ax.lines[2].get_linestyle() == "--"
    with pytest.raises(ValueError, match="epoch"):
        pl.training_curves(m.drop(columns="epoch"))


@pytest.mark.parametrize("flavour", ["edger", "deseq2"])
def test_volcano_and_ma(rng: np.random.Generator, flavour: str) -> None:
    de = _edger(rng)
    if flavour == "deseq2":
        de = de.rename(
            columns={
                "logFC": "log2FoldChange",
                "PValue": "pvalue",
                "FDR": "padj",
                "logCPM": "baseMean",
            }
        )
        de["baseMean"] = 2 ** de["baseMean"]
    ax = pl.volcano(de, n_labels=5)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 3
    assert sum(len(c.get_offsets()) for c in scatters) == len(de)
    assert 0 < len(ax.texts) <= 5
    ax = pl.ma_plot(de)
    assert len([c for c in ax.collections if isinstance(c, PathCollection)]) == 3
    assert ax.get_xlabel() in {"logCPM", "log2(baseMean + 1)"}
    with pytest.raises(ValueError, match="DESeq2"):
        pl.volcano(pd.DataFrame({"x": [1.0]}))


def test_noise_robustness_one_series_per_model() -> None:
    res = pd.DataFrame(
        {
            "model": ["degnext"] * 6 + ["svm"] * 6,
            "noise_pct": [0, 0, 10, 10, 20, 20] * 2,
            "accuracy": [0.95, 0.94, 0.9, 0.91, 0.85, 0.86, 0.9, 0.9, 0.8, 0.8, 0.6, 0.62],
        }
    )
    ax = pl.noise_robustness(res)
    assert len(ax.containers) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["degnext", "svm"]


def test_enrichment_dotplot() -> None:
    res = pd.DataFrame(
        {
            "term": [f"term {i}" for i in range(20)],
            "overlap": np.arange(20) + 1,
            "set_size": np.full(20, 50),
            "pvalue": np.linspace(1e-6, 0.5, 20),
            "fdr": np.linspace(1e-5, 0.9, 20),
            "genes": ["A;B"] * 20,
        }
    )
    ax = pl.enrichment_dotplot(res, n_terms=10)
    assert len(ax.collections[0].get_offsets()) == 10
    assert ax.get_yticklabels()[-1].get_text() == "term 0"  # most significant on top
    empty = pl.enrichment_dotplot(res.iloc[:0])
    assert empty.texts[0].get_text() == "no enriched terms"
