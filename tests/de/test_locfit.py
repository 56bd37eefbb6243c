"""locfit's adaptive-tree local-constant smoother (edgeR ``locfitByCol``, deg = 0).

Expected trees and values are worked out by hand from locfit's C sources
(``atree_split``: split while ``width / min(h) > 0.8``; ``kordstat``: ``h`` is the
distance to the ``floor(n * alpha)``-th nearest point; ``rectcell_interp``: linear
interpolation without derivatives).
"""

from __future__ import annotations

import numpy as np
import pytest

from oncosig.de._locfit import (
    build_tree,
    interpolate,
    locfit_by_col,
    max_vertices,
    nn_bandwidth,
    tricube,
    vertex_values,
)


def exact_local_constant(x: np.ndarray, y: np.ndarray, at: float, h: float) -> float:
    w = tricube((x - at) / h)
    return float((w * y).sum() / w.sum())


def test_tree_on_an_even_grid_matches_hand_derivation() -> None:
    # 11 points 0..10, alpha 0.5 -> k = 5.  h(0) = h(10) = 4: 10 / 4 > 0.8, split at 5
    # (h = 2); [0, 5]: 5 / 2 > 0.8, split at 2.5 (h = 2.5); [0, 2.5]: 2.5 / 2.5 = 1 > 0.8,
    # split at 1.25 (h = 2.75); [0, 1.25] and [1.25, 2.5] stop (1.25 / 2.5 < 0.8);
    # [2.5, 5]: 2.5 / 2 > 0.8, split at 3.75 (h = 2.25); both halves stop.  Mirror right.
    x = np.arange(11.0)
    tree = build_tree(x, 0.5)
    np.testing.assert_array_equal(tree.position, np.arange(0, 10.01, 1.25))
    np.testing.assert_allclose(tree.bandwidth, [4, 2.75, 2.5, 2.25, 2, 2.25, 2.5, 2.75, 4])
    # creation order: corners, then depth first with the lower half first
    created = tree.position[np.argsort(tree.creation)]
    np.testing.assert_array_equal(created, [0, 10, 5, 2.5, 1.25, 3.75, 7.5, 6.25, 8.75])


def test_bandwidth_is_the_kth_nearest_distance() -> None:
    xs = np.array([0.0, 1.0, 1.5, 4.0, 9.0])
    assert nn_bandwidth(xs, 1.2, 1) == pytest.approx(0.2)
    assert nn_bandwidth(xs, 1.2, 3) == pytest.approx(1.2)
    assert nn_bandwidth(xs, 1.2, 4) == pytest.approx(2.8)
    # k >= n: locfit extrapolates the largest distance by k / n
    assert nn_bandwidth(xs, 0.0, 10) == pytest.approx(18.0)


def test_vertex_values_are_tricube_weighted_means(rng: np.random.Generator) -> None:
    x = np.sort(rng.uniform(-2, 12, 200))
    y = np.column_stack([np.sin(x), x**2, rng.normal(size=200)])
    tree = build_tree(x, 0.3)
    vals = vertex_values(tree, x, y)
    for v, (at, h) in enumerate(zip(tree.position, tree.bandwidth, strict=True)):
        for j in range(3):
            assert vals[v, j] == pytest.approx(exact_local_constant(x, y[:, j], at, h), rel=1e-12)


def test_fitted_values_interpolate_linearly_between_vertices(rng: np.random.Generator) -> None:
    x = rng.gamma(2.0, 2.0, 500)
    y = np.exp(-x / 3) + rng.normal(scale=0.1, size=500)
    fit = locfit_by_col(y, x, 0.3)
    tree = build_tree(x, 0.3)
    vals = vertex_values(tree, x, y)[:, 0]
    np.testing.assert_allclose(fit, np.interp(x, tree.position, vals), rtol=1e-12, atol=1e-14)
    # at the data extremes (tree corners) the fit is the local fit itself
    lo = int(np.argmin(x))
    h0 = tree.bandwidth[0]
    assert fit[lo] == pytest.approx(exact_local_constant(x, y, x[lo], h0), rel=1e-12)
    # and it differs from fitting exactly at every point (what the tree approximates)
    mid = int(np.argsort(x)[250])
    k = int(500 * 0.3)
    h_mid = nn_bandwidth(np.sort(x), x[mid], k)
    exact = exact_local_constant(x, y, x[mid], h_mid)
    assert abs(fit[mid] - exact) < 0.05
    assert fit[mid] != exact


def test_columns_are_smoothed_independently_and_constants_kept() -> None:
    x = np.linspace(0, 1, 60) ** 2
    y = np.column_stack([np.full(60, 3.5), 2 * x])
    fit = locfit_by_col(y, x, 0.4)
    np.testing.assert_allclose(fit[:, 0], 3.5, rtol=1e-14)
    single = locfit_by_col(y[:, 1], x, 0.4)
    np.testing.assert_allclose(fit[:, 1], single, rtol=1e-14)


def test_tiny_span_returns_the_input_and_constant_covariate() -> None:
    x = np.arange(10.0)
    y = np.arange(10.0) ** 2
    # span * n < 2: locfitByCol returns y unchanged
    np.testing.assert_array_equal(locfit_by_col(y, x, 0.1), y)
    # a constant covariate: one cell of width 0, zero bandwidths, the plain mean
    fit = locfit_by_col(y, np.full(10, 2.0), 0.5)
    np.testing.assert_allclose(fit, y.mean())


def test_too_many_ties_exhaust_the_vertex_space_as_in_r() -> None:
    # 6 of 10 values tied with k = 5: every cell next to the tie keeps width / h = 1 > 0.8,
    # so locfit splits until its vertex space (max_vertices) runs out and R errors
    xt = np.array([0.0] * 6 + [1.0, 2.0, 3.0, 4.0])
    assert max_vertices(0.5) == 27  # (5 / 0.5 / 0.8 + 1) * 2
    with pytest.raises(ValueError, match="out of vertex space"):
        build_tree(xt, 0.5)
    # fewer ties than k are fine, and the tied vertex is the tricube mean around it
    xs = np.array([0.0] * 3 + [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    tree = build_tree(xs, 0.5)
    vals = vertex_values(tree, xs, np.arange(10.0))
    assert tree.position[0] == 0.0
    assert vals[0, 0] == pytest.approx(
        exact_local_constant(xs, np.arange(10.0), 0.0, tree.bandwidth[0]), rel=1e-12
    )
    assert np.all(np.isfinite(interpolate(tree, vals, xs)))


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="covariate"):
        locfit_by_col(np.ones((3, 2)), np.ones(4), 0.5)
    with pytest.raises(ValueError, match="finite"):
        build_tree(np.array([0.0, np.nan, 1.0]), 0.5)
