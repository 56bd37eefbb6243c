"""Vectorised negative-binomial building blocks shared by the edgeR engines.

Arrays here are **genes x samples** (edgeR's orientation), float64.  Every function
works on all genes at once; the heavy ones walk the genes in cache-sized chunks so
that the intermediate ``genes x samples`` arrays stay in the CPU cache.

The numerics follow edgeR 3.40 (C++ ``glm_one_group``, ``compute_apl``,
``compute_unit_nb_deviance``, ``ave_log_cpm``); the maximisers are in ``_optim``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.special import gammaln

LOW_VALUE = 1e-10
LOG_LOW_VALUE = math.log(LOW_VALUE)
MILDLY_LOW_VALUE = 1e-8
CHUNK_ELEMENTS = 1 << 16
N_THREADS = max(1, min(8, os.cpu_count() or 1))
"""Threads for the chunked kernels (numpy releases the GIL inside them)."""


def chunks(n_rows: int, n_cols: int) -> Iterator[slice]:
    """Row slices whose blocks hold about :data:`CHUNK_ELEMENTS` values."""
    step = max(1, CHUNK_ELEMENTS // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def as_gene_vector(value: float | np.ndarray, n_genes: int, name: str) -> np.ndarray:
    """Broadcast a scalar or per-gene value to a float vector of length ``n_genes``."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n_genes, float(arr))
    arr = arr.reshape(-1)
    if arr.shape[0] != n_genes:
        raise ValueError(f"{name} has {arr.shape[0]} values for {n_genes} genes")
    return arr


# --------------------------------------------------------------------------------------
# one-group NB fits (edgeR mglmOneGroup)
# --------------------------------------------------------------------------------------
def one_group_beta(
    y: np.ndarray,
    lib: np.ndarray,
    dispersion: np.ndarray,
    *,
    start: np.ndarray | None = None,
    maxit: int = 50,
    tol: float = 1e-10,
) -> np.ndarray:
    """Log-mean of one group of NB counts with library sizes (edgeR ``mglmOneGroup``).

    Parameters
    ----------
    y
        Counts, genes x samples of the group.
    lib
        Effective library sizes (``exp(offset)``), one per sample.
    dispersion
        One dispersion per gene.
    start
        Starting values (log scale); default the Poisson MLE ``log(sum(y) / sum(lib))``
        (edgeR starts from ``log(mean(y / lib))``; both converge to the same root).
    maxit, tol
        Newton-Raphson limits (edgeR: 50 and 1e-10 on the step).

    Returns
    -------
    ``beta`` per gene (``mu_ij = exp(beta_i) * lib_j``); ``-inf`` for all-zero genes.
    """
    out = np.empty(y.shape[0])

    def block(sl: slice) -> None:
        yc = y[sl]
        ysum = yc.sum(axis=1)
        pos = ysum > LOW_VALUE
        if start is None:
            lam0 = ysum / lib.sum()
        else:
            lam0 = np.exp(np.where(np.isfinite(start[sl]), start[sl], 0.0))
        lam, _ = newton_lam(
            yc, lib, lam0, dispersion[sl], tol=tol, maxit=maxit, y32=yc.astype(np.float32), pos=pos
        )
        with np.errstate(divide="ignore"):
            out[sl] = np.where(pos, np.log(lam), -np.inf)

    run_blocks(block, y.shape[0], y.shape[1])
    return out


def add_prior_count(lib: np.ndarray, prior_count: float) -> tuple[np.ndarray, np.ndarray]:
    """edgeR ``addPriorCount``: per-sample prior and augmented library sizes."""
    prior = prior_count * lib / lib.mean()
    return prior, lib + 2.0 * prior


def ave_log_cpm(
    y: np.ndarray,
    lib: np.ndarray,
    *,
    dispersion: float | np.ndarray = 0.05,
    prior_count: float = 2.0,
    tol: float = 1e-8,
) -> np.ndarray:
    """edgeR ``aveLogCPM``: log2 of the average counts per million, genes x samples input.

    ``tol`` is the Newton tolerance on the log-mean (edgeR uses 1e-10; 1e-8 changes the
    result by less than 1e-12 since the last step is quadratically smaller).
    """
    disp = as_gene_vector(dispersion, y.shape[0], "dispersion")
    if np.isnan(disp).all():
        disp = np.full_like(disp, 0.05)
    elif np.isnan(disp).any():
        disp = np.where(np.isnan(disp), np.nanmean(disp), disp)
    prior, lib_aug = add_prior_count(lib, prior_count)
    beta = one_group_beta(y + prior[None, :], lib_aug, disp, tol=tol)
    return np.asarray((beta + math.log(1e6)) / math.log(2))


# --------------------------------------------------------------------------------------
# two-group (one-way) fits, deviance, adjusted profile likelihood
# --------------------------------------------------------------------------------------
def unit_deviance(y: np.ndarray, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """edgeR ``compute_unit_nb_deviance`` (elementwise; ``phi`` broadcasts)."""
    y = y + MILDLY_LOW_VALUE
    mu = mu + MILDLY_LOW_VALUE
    phi = np.broadcast_to(phi, y.shape)
    product = mu * phi
    out = np.empty_like(y)
    pois = phi < 1e-4
    gam = ~pois & (product > 1e6)
    nb = ~pois & ~gam
    if nb.all():
        inv = 1.0 / phi
        return np.asarray(2.0 * (y * np.log(y / mu) + (y + inv) * np.log((mu + inv) / (y + inv))))
    if pois.any():
        yp, mp, pp = y[pois], mu[pois], phi[pois]
        resid = yp - mp
        # edgeR's C++ writes 2/3*resid, an integer division that evaluates to 0.
        out[pois] = 2.0 * (yp * np.log(yp / mp) - resid - 0.5 * resid * resid * pp * (1 - pp * yp))
    if gam.any():
        yg, mg, prod = y[gam], mu[gam], product[gam]
        out[gam] = 2.0 * ((yg - mg) / mg - np.log(yg / mg)) * mg / (1 + prod)
    if nb.any():
        yn, mn, inv = y[nb], mu[nb], 1.0 / phi[nb]
        out[nb] = 2.0 * (yn * np.log(yn / mn) + (yn + inv) * np.log((mn + inv) / (yn + inv)))
    return out


class SplitCounts:
    """Counts split by group into contiguous blocks, with what the APL needs precomputed.

    Parameters
    ----------
    y
        Counts, genes x samples.
    lib
        Effective library sizes.
    group
        Group code per sample (the one-way layout ``~group``).
    integer
        Whether the counts are whole numbers (checked when not given).
    """

    TABLE_CAP = 1 << 16

    def __init__(
        self, y: np.ndarray, lib: np.ndarray, group: np.ndarray, *, integer: bool | None = None
    ) -> None:
        self.levels = np.unique(group)
        self.cols = [np.flatnonzero(group == lev) for lev in self.levels]
        self.y = [np.ascontiguousarray(y[:, c]) for c in self.cols]
        self.y32 = [yg.astype(np.float32) for yg in self.y]
        self.lib = [np.ascontiguousarray(lib[c]) for c in self.cols]
        self.ysum = [yg.sum(axis=1) for yg in self.y]
        self.n_genes = y.shape[0]
        self.n_samples = y.shape[1]
        self.table_index: list[np.ndarray] | None = None
        self.table_values: np.ndarray | None = None
        if integer is None:
            integer = y.size > 0 and float(y.min()) >= 0 and bool(np.all(y == np.round(y)))
        if integer and y.size > 0 and float(y.max()) < 2**31:
            self._build_table()

    def _build_table(self) -> None:
        """Map every count to an index into a table of distinct values (small ones direct)."""
        cap = self.TABLE_CAP
        ints = [yg.astype(np.int32) for yg in self.y]
        big_vals = [yi[yi >= cap] for yi in ints]
        big = np.unique(np.concatenate(big_vals)) if any(v.size for v in big_vals) else None
        index = []
        for yi in ints:
            if big is not None:
                mask = yi >= cap
                yi[mask] = cap + np.searchsorted(big, yi[mask])
            index.append(yi)
        self.table_index = index
        small = np.arange(cap, dtype=np.float64)
        self.table_values = small if big is None else np.concatenate([small, big.astype(float)])

    def subset(self, rows: np.ndarray) -> SplitCounts:
        """The same structure for a subset of genes."""
        new = object.__new__(SplitCounts)
        new.levels = self.levels
        new.cols = self.cols
        new.y = [yk[rows] for yk in self.y]
        new.y32 = [yk[rows] for yk in self.y32]
        new.lib = self.lib
        new.ysum = [ys[rows] for ys in self.ysum]
        new.n_genes = (
            int(np.asarray(rows).size)
            if np.asarray(rows).dtype != bool
            else int(np.asarray(rows).sum())
        )
        new.n_samples = self.n_samples
        new.table_values = self.table_values
        new.table_index = (
            None if self.table_index is None else [tk[rows] for tk in self.table_index]
        )
        return new

    def lgamma_table(self, r: float) -> np.ndarray | None:
        """``lgamma(v + r)`` for every tabulated count value (None for non-integers)."""
        if self.table_values is None:
            return None
        return np.asarray(gammaln(self.table_values + r))


def _newton_steps(
    y: np.ndarray, lib: np.ndarray, lam: np.ndarray, phi: np.ndarray | float, tol: float, maxit: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Newton iterations in the dtype of ``y`` (float32 for speed or float64 to polish)."""
    dt = y.dtype
    lib_t = lib.astype(dt)
    wsum = np.zeros(lam.shape[0])
    it = 0
    for it in range(1, maxit + 1):  # noqa: B007
        w = np.multiply.outer((lam * phi).astype(dt), lib_t)
        w += 1
        np.reciprocal(w, out=w)
        a = np.einsum("ij,ij->i", y, w).astype(np.float64)
        wsum = (w @ lib_t).astype(np.float64)
        # score and information in the log-mean: dl = sum y w - lam sum lib w and
        # info = lam sum lib w, so the Newton step dl / info is:
        step = a / (lam * wsum) - 1.0
        lam = lam * np.exp(step)
        if np.max(np.abs(step), initial=0.0) < tol:
            break
    return lam, wsum, it


def newton_lam(
    y: np.ndarray,
    lib: np.ndarray,
    lam: np.ndarray,
    phi: np.ndarray | float,
    *,
    tol: float = 1e-7,
    maxit: int = 50,
    y32: np.ndarray | None = None,
    pos: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Newton iterations for one group's NB mean ``lam * lib_j`` (edgeR ``glm_one_group``).

    With ``y32`` (a float32 copy of ``y``) the iterations run in single precision down
    to a relative step of 1e-5 and are then polished in double precision while ``tol``
    asks for more.  Rows without any count get ``lam = 0``.  Returns the mean per gene
    and ``sum_j lib_j / (1 + lam lib_j phi)`` at the last iterate (for the Cox-Reid
    working weights).
    """
    if pos is None:
        pos = np.asarray((y > LOW_VALUE).any(axis=1))
    assert pos is not None
    if not pos.all():
        lam_full = np.zeros(y.shape[0])
        wsum_full = np.zeros(y.shape[0])
        if pos.any():
            ph = phi[pos] if isinstance(phi, np.ndarray) else phi
            lam_full[pos], wsum_full[pos] = newton_lam(
                y[pos],
                lib,
                lam[pos],
                ph,
                tol=tol,
                maxit=maxit,
                y32=None if y32 is None else y32[pos],
            )
        return lam_full, wsum_full
    lam = np.where(lam > 0, lam, y.sum(axis=1) / lib.sum())
    if y32 is not None:
        lam, wsum, _ = _newton_steps(y32, lib, lam, phi, max(tol, 1e-5), maxit)
        if tol >= 1e-5:
            return lam, wsum
    lam, wsum, _ = _newton_steps(y, lib, lam, phi, tol, maxit)
    return lam, wsum


def oneway_apl_grid(
    sc: SplitCounts,
    dispersions: np.ndarray,
    *,
    start: list[np.ndarray] | None = None,
    tol: float = 1e-5,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Cox-Reid APL of the one-way NB GLM at scalar dispersions, for all genes of ``sc``.

    Gene-constant terms (``-lgamma(y + 1)`` and ``y log(lib)``) are left out: they shift
    the values at every dispersion equally, so maximisation over the dispersion (common
    or genewise) is unchanged.  Genes are processed chunk by chunk through all the
    dispersions (warm-started Newton fits, in single precision: the profile likelihood
    is flat in the means at the MLE, so 1e-5 relative error in a mean changes the
    likelihood by ~1e-10 relative), which keeps the work in the CPU cache; the chunks
    are spread over :data:`N_THREADS` threads.

    Returns
    -------
    APL (genes x dispersions) and the group means ``lam`` at the last dispersion.
    """
    disps = np.atleast_1d(np.asarray(dispersions, dtype=np.float64))
    ng = sc.n_genes
    out = np.zeros((ng, disps.size))
    lam_out = [np.zeros(ng) for _ in sc.levels]
    tables = [sc.lgamma_table(1.0 / d) for d in disps]

    def block(sl: slice) -> None:
        _apl_block(sc, sl, disps, tables, start, tol, out, lam_out)

    run_blocks(block, ng, sc.n_samples)
    return out, lam_out


def run_blocks(fn: Callable[[slice], None], n_rows: int, n_cols: int) -> None:
    """Call ``fn`` on every chunk of rows, spread over :data:`N_THREADS` threads."""
    slices = list(chunks(n_rows, n_cols))
    if N_THREADS <= 1 or len(slices) < 4:
        for sl in slices:
            fn(sl)
        return
    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        list(pool.map(fn, slices))


def _apl_block(
    sc: SplitCounts,
    sl: slice,
    disps: np.ndarray,
    tables: list[np.ndarray | None],
    start: list[np.ndarray] | None,
    tol: float,
    out: np.ndarray,
    lam_out: list[np.ndarray],
) -> None:
    tindex = sc.table_index if sc.table_index is not None else [None] * len(sc.y)
    ldet = np.zeros((sl.stop - sl.start, disps.size))
    for k in range(len(sc.levels)):
        yc = sc.y[k][sl]
        y32 = sc.y32[k][sl]
        tk = tindex[k]
        lib = sc.lib[k]
        nk = lib.size
        ysum = sc.ysum[k][sl]
        pos = ysum > LOW_VALUE
        if start is not None:
            lam = np.array(start[k][sl], dtype=np.float64)
            lam = np.where(pos & (lam > 0), lam, ysum / lib.sum())
        else:
            lam = ysum / lib.sum()
        for i, disp in enumerate(disps):
            r = 1.0 / disp
            lam, wsum = newton_lam(yc, lib, lam, float(disp), tol=tol, y32=y32, pos=pos)
            lmr = np.multiply.outer(lam, lib)
            lmr += r
            np.log(lmr, out=lmr)
            part = -np.einsum("ij,ij->i", yc, lmr) - r * (lmr @ np.ones(nk))
            with np.errstate(divide="ignore", invalid="ignore"):
                part += ysum * np.log(lam)
            part += nk * (r * math.log(r) - math.lgamma(r))
            table = tables[i]
            if table is not None and tk is not None:
                part += table[tk[sl]].sum(axis=1)
            else:
                part += gammaln(yc + r).sum(axis=1)
            work = lam * wsum
            # samples whose fitted mean is zero (an all-zero group) add nothing
            part[~pos] = 0.0
            work[~pos] = 0.0
            out[sl, i] += part
            ldet[:, i] += np.where(
                work < LOW_VALUE, LOG_LOW_VALUE, np.log(np.maximum(work, LOW_VALUE))
            )
        lam_out[k][sl] = np.where(pos, lam, 0.0)
    out[sl] -= 0.5 * ldet


def oneway_fit(
    sc: SplitCounts,
    dispersion: np.ndarray,
    *,
    prior: list[np.ndarray] | None = None,
    lib: list[np.ndarray] | None = None,
    tol: float = 1e-9,
) -> np.ndarray:
    """Per-group MLE log-means of the one-way NB GLM with genewise dispersions.

    ``prior`` adds a per-sample prior count to every gene (edgeR ``addPriorCount``) and
    ``lib`` then gives the augmented library sizes.  Returns genes x groups log-means,
    ``-1e8`` for all-zero groups (edgeR clamps there).
    """
    beta = np.full((sc.n_genes, len(sc.levels)), -1e8)

    def block(sl: slice) -> None:
        for k in range(len(sc.levels)):
            libk = sc.lib[k] if lib is None else lib[k]
            yc = sc.y[k][sl]
            y32 = sc.y32[k][sl]
            if prior is not None:
                yc = yc + prior[k][None, :]
                y32 = yc.astype(np.float32)
            ysum = yc.sum(axis=1)
            pos = ysum > LOW_VALUE
            lam0 = np.where(pos, ysum, 1.0) / libk.sum()
            lam, _ = newton_lam(yc, libk, lam0, dispersion[sl], tol=tol, y32=y32, pos=pos)
            with np.errstate(divide="ignore"):
                beta[sl, k] = np.where(pos, np.log(lam), -1e8)

    run_blocks(block, sc.n_genes, sc.n_samples)
    return beta


def oneway_deviance(sc: SplitCounts, beta: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """Deviance per gene of a one-way fit (``beta`` genes x groups)."""
    out = np.zeros(sc.n_genes)
    for k in range(len(sc.levels)):
        for sl in chunks(sc.n_genes, sc.n_samples):
            mu = np.exp(beta[sl, k])[:, None] * sc.lib[k][None, :]
            out[sl] += unit_deviance(sc.y[k][sl], mu, dispersion[sl, None]).sum(axis=1)
    return out
