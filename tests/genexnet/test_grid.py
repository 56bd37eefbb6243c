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


# -- co-expression layout -----------------------------------------------------------------
def _modules(rng: np.random.Generator, n_samples: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """64 genes in 4 co-expressed modules of 16, columns shuffled; returns (x, module)."""
    factors = rng.normal(size=(n_samples, 4))
    module = np.repeat(np.arange(4), 16)
    x = factors[:, module] + 0.3 * rng.normal(size=(n_samples, 64))
    perm = rng.permutation(64)
    return x[:, perm], module[perm]


def test_hilbert_curve_visits_every_pixel_by_unit_steps() -> None:
    from oncosig.genexnet._grid import _hilbert_index

    for side in (1, 2, 4, 8, 32):
        h = _hilbert_index(side)
        assert np.array_equal(np.sort(h), np.arange(side * side))
        r, c = np.divmod(h, side)
        if side > 1:
            assert (np.abs(np.diff(r)) + np.abs(np.diff(c)) == 1).all()


def test_snake_keeps_padding_at_the_end() -> None:
    from oncosig.genexnet._grid import _curve

    c = _curve(23, 5)  # 4 full rows (alternating direction) + 3 genes in the last row
    assert np.array_equal(np.sort(c), np.arange(23))
    assert c[5:10].tolist() == [9, 8, 7, 6, 5] and c[20:].tolist() == [20, 21, 22]
    r, col = np.divmod(c, 5)
    assert (np.abs(np.diff(r)) + np.abs(np.diff(col)) == 1)[:20].all()


@pytest.mark.parametrize("n_genes", [64, 60])  # full power-of-two grid (Hilbert) and a snake
def test_coexpression_layout_puts_modules_together(rng: np.random.Generator, n_genes: int) -> None:
    x, module = _modules(rng)
    x, module = x[:, :n_genes], module[:n_genes]
    genes = [f"g{i}" for i in range(n_genes)]
    grid = GeneGrid.from_genes(genes, order="coexpression", data=x)
    assert grid.ordering == "coexpression" and grid.side == 8
    pix = grid.pixel_genes().reshape(8, 8)

    def same_module_neighbours(p: np.ndarray) -> float:
        pairs = [(p[i, j], p[i, j + 1]) for i in range(8) for j in range(7)]
        pairs += [(p[i, j], p[i + 1, j]) for i in range(7) for j in range(8)]
        pairs = [(a, b) for a, b in pairs if a >= 0 and b >= 0]
        return float(np.mean([module[a] == module[b] for a, b in pairs]))

    given = GeneGrid.from_genes(genes, order="given").pixel_genes().reshape(8, 8)
    # modules are contiguous blocks: most grid neighbours share a module (chance: ~1/4)
    assert same_module_neighbours(pix) > 0.65 > 0.4 > same_module_neighbours(given)
    # padding stays at the end and the layout survives serialisation
    assert (grid.pixel_genes()[n_genes:] == -1).all()
    assert GeneGrid.from_dict(json.loads(json.dumps(grid.to_dict()))) == grid


def test_coexpression_layout_needs_training_data(rng: np.random.Generator) -> None:
    genes = [f"g{i}" for i in range(10)]
    with pytest.raises(ValueError, match="needs data"):
        GeneGrid.from_genes(genes, order="coexpression")
    with pytest.raises(ValueError, match="needs data"):
        GeneGrid.from_genes(genes, order="coexpression", data=rng.normal(size=(5, 9)))
    with pytest.raises(ValueError, match="order must be one of"):
        GeneGrid.from_genes(genes, order="random")  # type: ignore[arg-type]
    # constant genes are allowed (treated as uncorrelated)
    x = rng.normal(size=(6, 10))
    x[:, 3] = 1.0
    grid = GeneGrid.from_genes(genes, order="coexpression", data=x)
    assert np.array_equal(np.sort(grid.order), np.arange(10))
