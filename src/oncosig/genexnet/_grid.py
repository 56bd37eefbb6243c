"""Gene-to-grid layout: one gene per pixel of a square, zero-padded, one-channel image."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

GeneOrder = Literal["genomic", "given", "coexpression"]
GENE_ORDERS: tuple[str, ...] = get_args(GeneOrder)


def check_gene_order(order: str) -> None:
    """Raise ``ValueError`` unless ``order`` is one of :data:`GENE_ORDERS`."""
    if order not in GENE_ORDERS:
        raise ValueError(f"gene_order must be one of {GENE_ORDERS}, got {order!r}")


def _genomic_permutation(genes: Sequence[str]) -> np.ndarray:
    """Permutation putting ``genes`` in chromosome-position order (unknown positions last)."""
    from oncosig.genes import genomic_order

    index = {g: i for i, g in enumerate(genes)}
    return np.asarray([index[g] for g in genomic_order(list(genes))], dtype=np.int64)


def _hilbert_index(side: int) -> np.ndarray:
    """Row-major pixel index of each step along a Hilbert curve over a ``side``² grid."""
    n = side * side
    t = np.arange(n, dtype=np.int64)  # position along the curve, consumed 2 bits a level
    x = np.zeros(n, dtype=np.int64)
    y = np.zeros(n, dtype=np.int64)
    s = 1
    while s < side:  # the classic d -> (x, y) conversion, vectorised over d
        rx = 1 & (t // 2)
        ry = 1 & (t ^ rx)
        flip = ry == 0
        swap_x = np.where(flip & (rx == 1), s - 1 - x, x)
        swap_y = np.where(flip & (rx == 1), s - 1 - y, y)
        x, y = np.where(flip, swap_y, swap_x), np.where(flip, swap_x, swap_y)
        x += s * rx
        y += s * ry
        t //= 4
        s *= 2
    return y * side + x


def _curve(n: int, side: int) -> np.ndarray:
    """Row-major pixels for genes 0..n-1 so that consecutive genes are 2-D neighbours.

    A Hilbert curve when the grid is full and its side a power of two (clusters stay
    compact); otherwise a snake (rows alternately left-to-right and right-to-left) whose
    last, partial row runs left to right so that padding stays at the end.
    """
    if n == side * side and side & (side - 1) == 0:
        return _hilbert_index(side)
    pixels = np.arange(n, dtype=np.int64)
    row, col = pixels // side, pixels % side
    full_rows = n // side
    odd = (row % 2 == 1) & (row < full_rows)
    return np.where(odd, row * side + side - 1 - col, pixels)


def coexpression_order(x: np.ndarray) -> np.ndarray:
    """Genes ordered so that co-expressed genes are adjacent (leaf order of a clustering).

    Average-linkage hierarchical clustering of the genes with distance 1 - Pearson
    correlation across the samples of ``x`` (samples x genes; constant genes count as
    uncorrelated).  Returns a permutation of ``range(x.shape[1])``.
    """
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 3:
        raise ValueError("a co-expression layout needs a samples x genes matrix of >= 3 samples")
    if x.shape[1] < 3:
        return np.arange(x.shape[1], dtype=np.int64)
    xc = x - x.mean(axis=0)
    norm = np.linalg.norm(xc, axis=0)
    norm[norm == 0] = np.inf
    z = xc / norm
    dist = np.clip(1.0 - z.T @ z, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average")
    return np.asarray(leaves_list(tree), dtype=np.int64)


@dataclass(frozen=True)
class GeneGrid:
    """Where each gene of a model's gene list sits in the gene image.

    Parameters
    ----------
    genes
        The model's genes, in the column order of the matrices given to :meth:`to_image`.
    order
        Permutation of ``range(len(genes))``: pixel ``p`` (row-major) shows gene
        ``genes[order[p]]``; pixels from ``len(genes)`` on are zero padding.
    side
        Height and width of the square image (``side**2 >= len(genes)``).
    ordering
        How ``order`` was made: ``"genomic"`` (chromosome position), ``"given"`` or
        ``"coexpression"`` (clustered training-sample correlation).

    Examples
    --------
    >>> grid = GeneGrid.from_genes(["g1", "g2", "g3"], order="given")
    >>> grid.to_image(np.ones((2, 3))).shape
    (2, 1, 2, 2)
    >>> grid.pixel_genes().tolist()
    [0, 1, 2, -1]
    """

    genes: tuple[str, ...]
    order: np.ndarray
    side: int
    ordering: str = "given"

    def __post_init__(self) -> None:
        n = len(self.genes)
        if n == 0:
            raise ValueError("a gene grid needs at least one gene")
        order = np.asarray(self.order, dtype=np.int64)
        if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
            raise ValueError("order must be a permutation of range(len(genes))")
        if self.side < 1 or self.side * self.side < n:
            raise ValueError(f"side {self.side} is too small for {n} genes")
        object.__setattr__(self, "order", order)

    @classmethod
    def from_genes(
        cls,
        genes: Sequence[str],
        *,
        order: GeneOrder = "genomic",
        side: int | None = None,
        data: np.ndarray | None = None,
    ) -> GeneGrid:
        """Lay out ``genes`` on the smallest square grid (or a ``side`` x ``side`` one).

        Parameters
        ----------
        genes
            Gene identifiers (unversioned Ensembl after harmonisation).
        order
            ``"genomic"``: chromosome and start position (genes without a known position
            go last, in the given order); ``"given"``: as listed; ``"coexpression"``:
            co-expressed genes side by side (:func:`coexpression_order` of ``data``, laid
            along a Hilbert curve on full power-of-two grids, else a snake), so that the
            convolutions see gene modules rather than chromosome neighbours.
        side
            Grid side; default ``ceil(sqrt(len(genes)))``.
        data
            Training samples x ``genes`` (scaled values), needed by ``"coexpression"``.
        """
        genes = tuple(str(g) for g in genes)
        if len(set(genes)) != len(genes):
            raise ValueError("gene identifiers must be unique to build a gene grid")
        check_gene_order(order)
        side = side if side is not None else math.ceil(math.sqrt(len(genes)))
        if order == "genomic":
            perm = _genomic_permutation(genes)
        elif order == "coexpression":
            if data is None or np.shape(data)[1:] != (len(genes),):
                raise ValueError(
                    "order='coexpression' needs data: the training samples x genes matrix"
                )
            leaves = coexpression_order(data)
            perm = np.empty(len(genes), dtype=np.int64)
            perm[_curve(len(genes), int(side))] = leaves  # pixel -> gene, row-major
        else:
            perm = np.arange(len(genes), dtype=np.int64)
        return cls(genes, perm, int(side), order)

    @property
    def n_genes(self) -> int:
        """Number of genes (non-padding pixels)."""
        return len(self.genes)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Image shape ``(channels, height, width)``."""
        return (1, self.side, self.side)

    def pixel_genes(self) -> np.ndarray:
        """Gene index (into :attr:`genes`) of every pixel, row-major; ``-1`` for padding."""
        out = np.full(self.side * self.side, -1, dtype=np.int64)
        out[: self.n_genes] = self.order
        return out

    def to_image(self, x: np.ndarray) -> np.ndarray:
        """Arrange a samples x genes matrix as images ``(n, 1, side, side)`` (float32).

        Parameters
        ----------
        x
            Values in :attr:`genes` column order (already scaled; padding pixels are 0).
        """
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.n_genes:
            raise ValueError(
                f"expected a samples x {self.n_genes} genes matrix, got shape {x.shape}; "
                "align the data to the model's genes first"
            )
        flat = np.zeros((x.shape[0], self.side * self.side), dtype=np.float32)
        flat[:, : self.n_genes] = x[:, self.order]
        return flat.reshape(x.shape[0], 1, self.side, self.side)

    def from_image(self, img: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_image`: ``(n, 1, side, side)`` (or ``(n, side, side)``) -> genes."""
        img = np.asarray(img)
        flat = img.reshape(img.shape[0], -1)
        if flat.shape[1] != self.side * self.side:
            raise ValueError(f"expected images of {self.side}x{self.side} pixels")
        out = np.empty((img.shape[0], self.n_genes), dtype=flat.dtype)
        out[:, self.order] = flat[:, : self.n_genes]
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (stored in checkpoints)."""
        return {
            "genes": list(self.genes),
            "order": self.order.tolist(),
            "side": self.side,
            "ordering": self.ordering,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GeneGrid:
        """Rebuild a grid written by :meth:`to_dict`."""
        try:
            return cls(
                tuple(str(g) for g in d["genes"]),
                np.asarray(d["order"], dtype=np.int64),
                int(d["side"]),
                str(d.get("ordering", "given")),
            )
        except KeyError as exc:
            raise ValueError(f"gene grid description lacks {exc}") from exc

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GeneGrid):
            return NotImplemented
        return (
            self.genes == other.genes
            and self.side == other.side
            and np.array_equal(self.order, other.order)
        )

    def __hash__(self) -> int:
        return hash((self.genes, self.side, self.order.tobytes()))
