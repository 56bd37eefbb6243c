"""GeneGrid: layout, round trip, serialisation, genomic order."""

from __future__ import annotations

import json

import numpy as np
import pytest

from oncosig.genexnet import GeneGrid


def test_square_padding_and_pixel_genes() -> None:
    grid = GeneGrid.from_genes([f"g{i}" for i in range(10)], order="given")
    assert grid.side == 4 and grid.shape == (1, 4, 4)
    pix = grid.pixel_genes()
    assert pix.shape == (16,)
    assert pix[:10].tolist() == list(range(10)) and (pix[10:] == -1).all()


def test_round_trip(rng: np.random.Generator) -> None:
    genes = [f"g{i}" for i in range(23)]
    grid = GeneGrid(tuple(genes), rng.permutation(23), 5, "given")
    x = rng.normal(size=(4, 23)).astype(np.float32)
    img = grid.to_image(x)
    assert img.shape == (4, 1, 5, 5)
    np.testing.assert_array_equal(grid.from_image(img), x)
    # each pixel shows exactly the gene pixel_genes names; padding is zero
    flat = img.reshape(4, -1)
    pix = grid.pixel_genes()
    for p, gi in enumerate(pix):
        if gi >= 0:
            np.testing.assert_array_equal(flat[:, p], x[:, gi])
        else:
            assert (flat[:, p] == 0).all()
    again = GeneGrid.from_dict(json.loads(json.dumps(grid.to_dict())))
    assert again == grid
    np.testing.assert_array_equal(again.to_image(x), img)


def test_wrong_width_is_refused() -> None:
    grid = GeneGrid.from_genes(["a", "b", "c"], order="given")
    with pytest.raises(ValueError, match="align"):
        grid.to_image(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="unique"):
        GeneGrid.from_genes(["a", "a"], order="given")


def test_genomic_order_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import oncosig.genes

    monkeypatch.setattr(
        oncosig.genes, "genomic_order", lambda genes: sorted(genes, reverse=True), raising=False
    )
    grid = GeneGrid.from_genes(["a", "c", "b"], order="genomic")
    assert grid.ordering == "genomic"
    assert [grid.genes[i] for i in grid.pixel_genes()[:3]] == ["c", "b", "a"]
