"""DESeq2's Wald test through the pydeseq2 library, configured to reproduce R's DESeq2.

pydeseq2 (0.5) runs the pipeline: median-of-ratios size factors, method-of-moments
starting dispersions, gene-wise / trended / MAP dispersions, the dispersion-outlier
rule, Cook's distances, outlier replacement and refit for groups of >= 7 samples,
Cook's filtering, independent filtering and BH.  The settings are R's ``DESeq(dds)``
+ ``results(dds, contrast=...)`` defaults: ``fitType="parametric"``,
``betaPrior=FALSE``, ``minReplicatesForReplace=7``, Cook's cutoff
``qf(0.99, p, m - p)``, ``independentFiltering=TRUE`` at ``alpha=0.1`` (pydeseq2's
default is 0.05).

Where pydeseq2 differs from R's DESeq2 1.38 in a numerical detail, R's behaviour is
put back through pydeseq2's own extension points (its ``Inference`` interface and
the per-step methods of ``DeseqDataSet``); the ports live in ``_deseq2_r``:

1. **Dispersion optimiser** (``fitDisp``, ``src/DESeq2.cpp``, as called by
   ``estimateDispersionsGeneEst`` / ``estimateDispersionsMAP``).  R maximises the
   Cox-Reid log posterior of ``log(alpha)`` with an Armijo line search that stops
   once an accepted step gains less than ``dispTol = 1e-6``; pydeseq2 runs L-BFGS-B
   to the optimum.  R's stopping point lies a few 1e-4 (relative) from the optimum,
   enough to move the Wald p-values of strongly changed genes by more than 2 %
   (404 CHOL / 259 KICH genes with plain pydeseq2).  ``alpha_mle`` runs R's line
   search with R's starting points (gene-wise: the moments estimate; MAP: the
   gene-wise estimate unless below a tenth of the trend), R's "no increase" rule
   and R's grid search (``fitDispGrid``) for genes that did not converge.
2. **Dispersion trend** (``parametricDispersionFit``): R fits a Gamma GLM with
   identity link by IRLS on genes with dispersion > ``100 * minDisp``, re-selecting
   genes with residual ratio in (1e-4, 15) from all of them at each iteration;
   pydeseq2 minimises the Gamma deviance with L-BFGS-B on all genes and drops genes
   cumulatively.  The prior variance uses R's ``mad`` constant 1.4826.
3. **Coefficients** (``fitBeta`` and ``fitNbinomGLMsOptim``).  R's IRLS uses the
   ridge ``1e-6`` on the log2 scale (``1e-6 / log(2)^2`` in natural-log units;
   pydeseq2: ``1e-6``); where it diverges (|beta| > 30) R falls back to ``optim``
   on the likelihood with *unbounded* means, while pydeseq2's fallback bounds the
   means at ``minmu = 0.5``, which leaves the log fold change of a gene whose group
   mean is below 0.5 wherever the optimiser stops (CHOL ENSG00000122585: 11.81 vs
   R's 8.25).  R's hat diagonals (Cook's distances) of a diverged gene are those
   of its last IRLS step.
4. **Wald covariance** (``fitBeta``): R's weights ``mu / (1 + alpha mu)`` use means
   bounded below by ``minmu = 0.5`` and the log2-scale ridge; pydeseq2 uses the
   unbounded means (standard errors up to 0.5 % apart for genes with a group
   mean near zero).
5. ``lin_reg_mu`` is R's ``linearModelMuNormalized`` in one matrix product
   (pydeseq2 fits one scikit-learn model per gene; same values, 80 % of its time).

Measured against R on TCGA-CHOL / TCGA-KICH (tests/de/test_deseq2_r.py): size factors
and baseMean to 5e-15, lfcSE to 3e-6, log2FoldChange to 2e-5 and p-values to 3e-4
(relative), identical NA patterns and calls.  What remains is R's own iteration
noise: the line search is sensitive to the last bits of its inputs (R's means come
from LINPACK QR and R's BLAS), which moves an Armijo step for a few genes (KICH
ENSG00000074201: MAP dispersion 1e-4 off, p-value 3e-4 off), and scipy's L-BFGS-B
stops ~1e-5 from where R's ``optim`` stops.  Independent filtering keeps pydeseq2's
port of ``lowess`` (its bandwidth differs slightly from R's ``clowess``: fitted
curves within 0.4 rejections of each other here, same filter threshold).
"""

from __future__ import annotations

import functools
import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import polygamma
from scipy.stats import norm

from oncosig.de._deseq2_r import (
    BETA_LARGE,
    BETA_MAXIT,
    MIN_MU,
    R_MAD,
    fit_beta,
    fit_beta_optim,
    genewise_dispersions,
    map_dispersions,
    parametric_dispersion_fit,
)

logger = logging.getLogger(__name__)

DESEQ2_COLUMNS = ["baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]


@functools.cache
def _r_inference_class() -> type:
    """``DefaultInference`` subclass (built on first use: pydeseq2 is imported lazily)."""
    from pydeseq2.default_inference import DefaultInference

    class RInference(DefaultInference):  # type: ignore[misc]
        """pydeseq2 inference with R DESeq2's dispersion line search and Wald covariance.

        pydeseq2 calls ``alpha_mle`` once for the gene-wise estimates and then, with
        the same counts and means, for the MAP estimates; the gene-wise result is kept
        so that the MAP search starts where R starts it (``dispInit``).
        """

        def __init__(self, min_mu: float = MIN_MU) -> None:
            super().__init__(n_cpus=1)
            self._min_mu = min_mu
            self._genewise: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

        def lin_reg_mu(
            self,
            counts: np.ndarray,
            size_factors: np.ndarray,
            design_matrix: np.ndarray,
            min_mu: float,
        ) -> np.ndarray:
            # R's linearModelMuNormalized, (y %*% Q) %*% t(x %*% Rinv) in R's order,
            # times the size factors (pydeseq2 fits one sklearn model per gene)
            x = np.asarray(design_matrix, dtype=np.float64)
            sf = np.asarray(size_factors, dtype=np.float64)[:, None]
            q, r = np.linalg.qr(x)
            normed = np.asarray(counts, dtype=np.float64) / sf
            mu = (normed.T @ q) @ (x @ np.linalg.inv(r)).T
            return np.maximum(mu.T * sf, min_mu)

        def alpha_mle(
            self,
            counts: np.ndarray,
            design_matrix: np.ndarray,
            mu: np.ndarray,
            alpha_hat: np.ndarray,
            min_disp: float,
            max_disp: float,
            prior_disp_var: float | None = None,
            cr_reg: bool = True,
            prior_reg: bool = False,
            optimizer: str = "L-BFGS-B",
        ) -> tuple[np.ndarray, np.ndarray]:
            if not cr_reg:  # not part of the DESeq2 pipeline
                return super().alpha_mle(  # type: ignore[no-any-return]
                    counts,
                    design_matrix,
                    mu,
                    alpha_hat,
                    min_disp,
                    max_disp,
                    prior_disp_var,
                    cr_reg,
                    prior_reg,
                    optimizer,
                )
            y = np.asarray(counts, dtype=np.float64).T
            m = np.asarray(mu, dtype=np.float64).T
            x = np.asarray(design_matrix, dtype=np.float64)
            alpha_hat = np.asarray(alpha_hat, dtype=np.float64)
            if not prior_reg:
                est, conv = genewise_dispersions(y, x, m, alpha_hat, max_disp, min_disp)
                self._genewise = (y.copy(), m.copy(), est)
                return est, conv
            if prior_disp_var is None:
                raise ValueError("prior_disp_var is required for MAP dispersions")
            init = alpha_hat
            cached = self._genewise
            if (
                cached is not None
                and cached[0].shape == y.shape
                and np.array_equal(cached[0], y)
                and np.array_equal(cached[1], m)
            ):
                gene = cached[2]
                init = np.where(gene > 0.1 * alpha_hat, gene, alpha_hat)
                init = np.where(np.isnan(init), alpha_hat, init)
            else:
                logger.debug("MAP dispersions start at the trend (no matching gene-wise fit)")
            return map_dispersions(
                y, x, m, init, alpha_hat, float(prior_disp_var), max_disp, min_disp
            )

        def irls(
            self,
            counts: np.ndarray,
            size_factors: np.ndarray,
            design_matrix: np.ndarray,
            disp: np.ndarray,
            min_mu: float,
            beta_tol: float,
            min_beta: float = -30,
            max_beta: float = 30,
            optimizer: str = "L-BFGS-B",
            maxiter: int = 250,
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            y = np.asarray(counts, dtype=np.float64).T
            x = np.asarray(design_matrix, dtype=np.float64)
            sf = np.asarray(size_factors, dtype=np.float64)
            alpha = np.asarray(disp, dtype=np.float64)
            beta, start, iters, hat = fit_beta(y, x, sf, alpha, min_mu, beta_tol)
            converged = iters < BETA_MAXIT
            for i in np.flatnonzero(~converged):
                log2_beta = beta[i] / np.log(2)
                stable = np.isfinite(log2_beta).all() and np.all(np.abs(log2_beta) < BETA_LARGE)
                # R starts optim at the IRLS result, or else at the natural-log start
                # values read as log2 (fitNbinomGLMsOptim's betaRow)
                beta[i], converged[i] = fit_beta_optim(
                    y[i], x, sf, alpha[i], log2_beta if stable else start[i]
                )
            mu = sf[:, None] * np.exp(x @ beta.T)
            return beta, mu, hat.T, converged

        def wald_test(
            self,
            design_matrix: np.ndarray,
            disp: np.ndarray,
            lfc: np.ndarray,
            mu: np.ndarray,
            ridge_factor: np.ndarray,
            contrast: np.ndarray,
            lfc_null: Any,
            alt_hypothesis: Any = None,
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            if alt_hypothesis is not None:
                return super().wald_test(  # type: ignore[no-any-return]
                    design_matrix, disp, lfc, mu, ridge_factor, contrast, lfc_null, alt_hypothesis
                )
            x = np.asarray(design_matrix, dtype=np.float64)
            lfc = np.asarray(lfc, dtype=np.float64)
            contrast = np.asarray(contrast, dtype=np.float64)
            n_genes = lfc.shape[0]
            pvals, stats, se = (np.full(n_genes, np.nan) for _ in range(3))
            ok = np.isfinite(lfc).all(axis=1) & np.isfinite(disp) & np.isfinite(mu).all(axis=0)
            mu_b = np.maximum(np.asarray(mu, dtype=np.float64)[:, ok], self._min_mu)
            w = mu_b / (1.0 + mu_b * np.asarray(disp, dtype=np.float64)[ok][None, :])
            xtwx = np.einsum("np,ng,nq->gpq", x, w, x)
            # R's ridge is 1e-6 on the log2 scale: lambda / log(2)^2 in natural-log units
            h = np.linalg.inv(xtwx + np.asarray(ridge_factor) / np.log(2) ** 2)
            hc = h @ contrast
            se[ok] = np.sqrt(np.einsum("gp,gpq,gq->g", hc, xtwx, hc))
            stats[ok] = (lfc[ok] - lfc_null) @ contrast / se[ok]
            pvals[ok] = 2.0 * norm.sf(np.abs(stats[ok]))
            return pvals, stats, se

    return RInference


def _fit_trend_and_prior(dds: Any) -> bool:
    """R's ``estimateDispersionsFit`` (parametric) + ``estimateDispersionsPriorVar``.

    Returns False where R's parametric fit fails (R then fits a local regression).
    """
    var = dds.var
    nonzero = var["non_zero"].to_numpy(bool)
    gene = var["genewise_dispersions"].to_numpy(np.float64)
    means = var["_normed_means"].to_numpy(np.float64)
    use = nonzero & (gene > 100 * dds.min_disp)
    above = nonzero & (gene >= 100 * dds.min_disp)
    coefs = parametric_dispersion_fit(means[use], gene[use])
    if coefs is None:
        # R substitutes a local (locfit) fit here, which pydeseq2 does not have:
        # pydeseq2's own parametric fit, or its mean trend where that fails too
        parametric = False
        dds.fit_dispersion_trend()
    else:
        parametric = True
        dds.uns["trend_coeffs"] = pd.Series(coefs, index=["a0", "a1"])
        dds.uns["disp_function_type"] = "parametric"
        fitted = np.full(dds.n_vars, np.nan)
        fitted[nonzero] = coefs[0] + coefs[1] / means[nonzero]
        dds.var["fitted_dispersions"] = fitted
    dds.fit_dispersion_prior()
    fitted = dds.var["fitted_dispersions"].to_numpy(np.float64)
    resid = np.log(gene[above]) - np.log(fitted[above])
    sq = (R_MAD * np.median(np.abs(resid - np.median(resid)))) ** 2
    n, p = dds.obsm["design_matrix"].shape
    dds.uns["_squared_logres"] = np.float64(sq)
    dds.uns["prior_disp_var"] = np.float64(max(sq - polygamma(1, (n - p) / 2), 0.25))
    return parametric


def deseq2_wald(
    counts: np.ndarray,
    group: np.ndarray,
    *,
    genes: pd.Index,
    samples: pd.Index,
    alpha: float = 0.1,
    n_cpus: int | None = None,
    r_parity: bool = True,
) -> tuple[pd.DataFrame, np.ndarray]:
    """DESeq2 Wald test of level 1 vs level 0 via pydeseq2, as R's ``DESeq`` + ``results``.

    Parameters
    ----------
    counts
        Integer counts, samples x genes.
    group
        0 (reference) / 1 per sample.
    genes, samples
        Labels for the result and for pydeseq2's frames.
    alpha
        Independent-filtering target FDR (R's ``results(alpha=0.1)`` default).
    n_cpus
        Accepted for API compatibility and ignored: pydeseq2 runs in this process
        with single-threaded BLAS (the R-parity steps are vectorised over genes).
    r_parity
        True (default): the R corrections of the module docstring.  False: plain
        pydeseq2 with the same settings (``DeseqDataSet.deseq2()``).

    Returns
    -------
    The results table (R's column names) and the size factors.

    Notes
    -----
    Not reproduced: R's local (locfit) trend where the parametric fit fails
    (pydeseq2's own trend is used, with a warning); R's Monte-Carlo prior variance
    for designs with <= 3 residual degrees of freedom.
    """
    from pydeseq2.dds import DeseqDataSet
    from pydeseq2.default_inference import DefaultInference
    from pydeseq2.ds import DeseqStats
    from threadpoolctl import threadpool_limits

    if n_cpus not in (None, 1):
        logger.debug("n_cpus=%s ignored: pydeseq2 runs single-process here", n_cpus)
    inference = _r_inference_class()() if r_parity else DefaultInference(n_cpus=1)
    gene_names = [f"g{i}" for i in range(counts.shape[1])]  # pydeseq2 wants unique str names
    sample_names = [f"s{i}" for i in range(counts.shape[0])]
    df = pd.DataFrame(np.asarray(counts, dtype=np.int64), index=sample_names, columns=gene_names)
    meta = pd.DataFrame(
        {"condition": np.where(np.asarray(group) == 1, "B", "A")}, index=sample_names
    )
    parametric = True
    # pydeseq2's per-gene fits are tiny: multi-threaded BLAS only adds thread hand-offs
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dds = DeseqDataSet(
            counts=df,
            metadata=meta,
            design="~condition",
            fit_type="parametric",
            refit_cooks=True,
            min_replicates=7,
            inference=inference,
            quiet=True,
        )
        if r_parity:  # DeseqDataSet.deseq2(), step by step, with R's trend and prior
            dds.fit_size_factors()
            dds.fit_genewise_dispersions()
            parametric = _fit_trend_and_prior(dds)
            dds.fit_MAP_dispersions()
            dds.fit_LFC()
            dds.calculate_cooks()
            dds.refit()
            dds.cooks_outlier()
            # R's results() gives genes left all-zero by the replacement pvalue 1 after
            # the Cook's filter ("nowZero"); pydeseq2's filter would make them NA
            now_zero = getattr(dds, "new_all_zeroes_genes", pd.Index([]))
            dds.var.loc[now_zero, "_pvalue_cooks_outlier"] = False
        else:
            dds.deseq2()
        stat = DeseqStats(
            dds,
            contrast=["condition", "B", "A"],
            alpha=alpha,
            cooks_filter=True,
            independent_filter=True,
            inference=inference,
            quiet=True,
        )
        stat.summary()
    if not parametric:
        warnings.warn(
            "DESeq2's parametric dispersion trend did not converge; R would switch to a "
            f"local regression fit, pydeseq2 used its {dds.uns['disp_function_type']} "
            "trend instead, so results can differ from R's",
            UserWarning,
            stacklevel=3,
        )
    res = stat.results_df.reindex(gene_names)[DESEQ2_COLUMNS].copy()
    res.index = genes
    size_factors = np.asarray(dds.obs["size_factors"], dtype=np.float64)
    logger.debug("pydeseq2 done: %d genes, %d samples", res.shape[0], len(samples))
    return res, size_factors
