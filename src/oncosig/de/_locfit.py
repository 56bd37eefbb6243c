"""Local-constant ``locfit`` smoothing in one dimension, as R's locfit package does it.

edgeR's ``locfitByCol`` (used by ``WLEB`` in ``estimateDisp`` for the abundance
trend of the dispersion) calls ``fitted(locfit(y ~ x, alpha=span, deg=0))`` per
column.  locfit does not fit at every data point: it fits at the vertices of an
adaptive tree (``ev = rbox(cut = 0.8)``, the default evaluation structure) and
interpolates between them.  This module reproduces that evaluation structure for
one covariate:

- ``atree_start`` / ``atree_grow`` / ``atree_split`` (``ev_atree.c``): start with the
  cell ``[min(x), max(x)]`` (``set_flim``), split a cell at its midpoint while its
  width exceeds ``cut`` times the smaller bandwidth of its two vertices;
- ``nbhd`` / ``kordstat`` (``lf_nbhd.c``): the bandwidth at a vertex is the distance to
  its ``floor(n * alpha + 1e-12)``-th nearest data point;
- ``locfit`` with ``deg = 0`` and the (quasi-)Gaussian family (``locfit.c``,
  ``reginit``): the vertex value is the tricube-weighted mean of the responses
  (``W(u) = (1 - |u|^3)^3`` for ``|u| <= 1``, ``weight.c``);
- ``fitted.locfit`` -> ``fitted`` -> ``atree_int`` / ``rectcell_interp``
  (``ev_interp.c``): with ``deg = 0`` the fit carries no derivative
  (``makecfn``: one coefficient, so ``fp.hasd`` is false) and values are *linearly*
  interpolated within the leaf cell that holds the point.

The parametric component locfit subtracts before interpolation and adds back
afterwards (``pcomp.c``) is a constant for ``deg = 0`` and cancels under linear
interpolation, so it is left out.  In one dimension ``newsplit`` never makes a
pseudo-vertex: it needs ``width < cut * min(h0, h1)`` while the split needs
``width > cut * hmin`` with ``hmin = min(h0, h1)`` (or a zero bandwidth, where
``min(h0, h1) = 0``), so every vertex is a real local fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: locfit's default ``rbox(cut = 0.8)``.
DEFAULT_CUT = 0.8


@dataclass(frozen=True)
class Tree1D:
    """Vertices of locfit's adaptive tree in one dimension (sorted by position).

    Attributes
    ----------
    position
        Vertex positions, increasing; consecutive vertices bound the leaf cells.
    bandwidth
        Nearest-neighbour bandwidth ``h`` at each vertex (``fp.h``).
    creation
        Order in which the vertices were created (``0, 1`` are the corners).
    """

    position: np.ndarray
    bandwidth: np.ndarray
    creation: np.ndarray


def nn_bandwidth(x_sorted: np.ndarray, at: float, k: int) -> float:
    """Distance from ``at`` to its ``k``-th nearest value of ``x_sorted`` (``kordstat``).

    ``k >= n`` gives locfit's extrapolated ``max distance * (k / n)``
    (``compbandwid``); ``k < 1`` gives 0.
    """
    n = x_sorted.size
    if k < 1:
        return 0.0
    dist = np.abs(x_sorted - at)
    if k >= n:
        return float(dist.max() * (k / n))
    return float(np.partition(dist, k - 1)[k - 1])


def max_vertices(alpha: float, cut: float = DEFAULT_CUT, maxk: int = 100) -> int:
    """Vertex space locfit allocates for a 1-d tree (``atree_guessnv``).

    ``(5 * a0 / cut + 1) * 2`` vertices with ``a0 = 1 / alpha`` (1 for ``alpha > 1``),
    scaled by ``maxk / 100``; locfit stops with "newsplit: out of vertex space" when
    the tree needs more.
    """
    a0 = 1.0 if alpha > 1 else 1.0 / alpha
    cu = min(1.0, max(cut, 0.01))
    nvm = int((5 * a0 / cu + 1) * 2)
    return int(maxk / 100.0 * nvm)


def tricube(u: np.ndarray) -> np.ndarray:
    """locfit's ``W(u, WTCUB)``: ``(1 - |u|^3)^3`` on ``|u| <= 1``, else 0."""
    u = np.abs(u)
    t = np.where(u > 1, 0.0, 1.0 - u * u * u)
    return t * t * t


def build_tree(x: np.ndarray, alpha: float, *, cut: float = DEFAULT_CUT) -> Tree1D:
    """Grow locfit's adaptive tree (``atree_start`` / ``atree_grow``) for covariate ``x``.

    Parameters
    ----------
    x
        Covariate values (any order, finite).
    alpha
        Nearest-neighbour fraction (locfit's ``alpha``; edgeR's ``span``).
    cut
        locfit's ``cut`` (a cell is split while ``width / h_min > cut``).

    Raises
    ------
    ValueError
        Where the tree needs more vertices than locfit allocates
        (:func:`max_vertices`); R's locfit fails there too.  This happens when more
        than ``alpha * n`` covariate values are tied.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("locfit needs at least one finite covariate value (got none or NaN)")
    xs = np.sort(x)
    n = xs.size
    k = int(n * alpha + 1e-12)
    lo, hi = float(xs[0]), float(xs[-1])
    span_box = hi - lo

    pos: list[float] = []
    band: list[float] = []
    made: dict[tuple[int, int], int] = {}
    limit = max_vertices(alpha, cut)

    def add_vertex(at: float) -> int:
        if len(pos) >= limit:
            raise ValueError(
                f"locfit's evaluation tree needs more than {limit} vertices (R's locfit "
                "stops with 'newsplit: out of vertex space'): more than "
                f"{alpha:.3g} of the covariate values are tied; remove duplicated rows "
                "or use a larger span"
            )
        pos.append(at)
        band.append(nn_bandwidth(xs, at, k))
        return len(pos) - 1

    add_vertex(lo)
    add_vertex(hi)

    def split_needed(i0: int, i1: int, width: float) -> bool:
        # atree_split: hmin is the smallest positive vertex bandwidth (0 if none)
        hmin = 0.0
        for h in (band[i0], band[i1]):
            if h > 0 and (hmin == 0 or h < hmin):
                hmin = h
        if hmin == 0:
            score = 2 * width / span_box if span_box > 0 else math.nan
        else:
            score = width / hmin
        return bool(cut < score)

    # explicit stack instead of recursion: (left vertex, right vertex, ll, ur);
    # the lower half is processed first, as atree_grow does
    stack: list[tuple[int, int, float, float]] = [(0, 1, lo, hi)]
    while stack:
        i0, i1, ll, ur = stack.pop()
        width = ur - ll
        if not split_needed(i0, i1, width):
            continue
        key = (min(i0, i1), max(i0, i1))
        if key in made:
            mid = made[key]
        else:
            mid = add_vertex((pos[key[0]] + pos[key[1]]) / 2)
            made[key] = mid
        half = (ur + ll) / 2
        stack.append((mid, i1, half, ur))
        stack.append((i0, mid, ll, half))

    position = np.asarray(pos)
    order = np.argsort(position, kind="stable")
    return Tree1D(position=position[order], bandwidth=np.asarray(band)[order], creation=order)


def vertex_values(tree: Tree1D, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Local-constant fits at the tree's vertices: tricube-weighted means of ``y``.

    ``y`` is ``n`` or ``n x m``; the result has one row per vertex.
    """
    x = np.asarray(x, dtype=np.float64)
    y2 = np.asarray(y, dtype=np.float64).reshape(x.size, -1)
    h = tree.bandwidth
    dist = np.abs(x[None, :] - tree.position[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(
            (h > 0)[:, None], tricube(dist / np.where(h > 0, h, 1.0)[:, None]), dist == 0
        ).astype(np.float64)
    wsum = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        vals = (w @ y2) / wsum[:, None]
    return np.asarray(vals)


def interpolate(tree: Tree1D, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Linear interpolation within the leaf cells (``rectcell_interp`` with ``nc = 1``)."""
    at = np.asarray(at, dtype=np.float64)
    pos = tree.position
    if pos.size == 1:
        return np.repeat(values[:1], at.size, axis=0)
    cell = np.clip(np.searchsorted(pos, at, side="right") - 1, 0, pos.size - 2)
    ll = pos[cell]
    d = pos[cell + 1] - ll
    h = (at - ll)[:, None]
    f0 = values[cell]
    f1 = values[cell + 1]
    d2 = d[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(d2 == 0, f0, ((d2 - h) * f0 + h * f1) / np.where(d2 == 0, 1.0, d2))
    return out


def locfit_by_col(
    y: np.ndarray, x: np.ndarray, span: float, *, cut: float = DEFAULT_CUT
) -> np.ndarray:
    """edgeR ``locfitByCol(y, x, span=span, degree=0)``: locfit-smoothed columns of ``y``.

    Parameters
    ----------
    y
        Responses, ``n`` or ``n x m`` (each column smoothed against ``x``).
    x
        Covariate, length ``n``.
    span
        locfit's ``alpha`` (nearest-neighbour fraction).
    cut
        Tree refinement parameter (locfit default 0.8).

    Returns
    -------
    Fitted values at the data points, same shape as ``y``.
    """
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    if y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} rows for {n} covariate values")
    if span * n < 2 or n <= 1:
        return y.copy()
    tree = build_tree(x, span, cut=cut)
    vals = vertex_values(tree, x, y)
    fitted = interpolate(tree, vals, x)
    return fitted.reshape(y.shape)
