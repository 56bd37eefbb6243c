"""R DESeq2 1.38 numerics that pydeseq2 computes differently (used by ``_deseq2``).

Each function ports one R/C++ routine of DESeq2 (``R/core.R``, ``R/fitNbinomGLMs.R``,
``src/DESeq2.cpp``) so that its result matches R's, including where R stops
iterating; all are vectorised over genes (rows).  Counts are genes x samples here.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

MIN_MU = 0.5  # DESeq2's minmu for the NB GLM weights
_DISP_TOL = 1e-6  # dispTol
_DISP_MAXIT = 100  # maxit of estimateDispersionsGeneEst / MAP
_KAPPA_0 = 1.0  # initial step of the line search
_ARMIJO_EPS = 1e-4  # epsilon of the Armijo rule in fitDisp
R_MAD = 1.4826  # stats::mad constant
_GRID_MIN_DISP = 1e-8  # fitDispGridWrapper: grid from log(1e-8) to log(maxDisp)
_GRID_POINTS = 20
BETA_MAXIT = 100  # maxit of nbinomWaldTest
BETA_LARGE = 30.0  # |beta| bound of fitBeta (natural log) and of the optim fallback (log2)


# --------------------------------------------------------------------------------------
# R's fitDisp / fitDispGrid (src/DESeq2.cpp), vectorised over genes
# --------------------------------------------------------------------------------------
def _cr_matrices(mu: np.ndarray, alpha: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """``w = 1 / (1/mu + alpha)``, ``b = X' W X`` and ``db = X' dW X`` per gene."""
    inv = 1.0 / (1.0 / mu + alpha[:, None])
    b = np.einsum("np,gn,nq->gpq", x, inv, x)
    db = np.einsum("np,gn,nq->gpq", x, -(inv**2), x)
    return inv, b, db


def _log_posterior(
    log_alpha: np.ndarray,
    y: np.ndarray,
    mu: np.ndarray,
    x: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: float,
    use_prior: bool,
) -> np.ndarray:
    """``log_posterior`` of DESeq2.cpp: NB log likelihood (terms in alpha) + Cox-Reid."""
    alpha = np.exp(log_alpha)
    _, b, _ = _cr_matrices(mu, alpha, x)
    cr_term = -0.5 * np.log(np.linalg.det(b))
    a = alpha[:, None]
    an1 = 1.0 / a
    ll = np.sum(
        gammaln(y + an1) - gammaln(an1) - y * np.log(mu + an1) - an1 * np.log(1.0 + mu * a),
        axis=1,
    )
    prior = -0.5 * (log_alpha - prior_mean) ** 2 / prior_var if use_prior else 0.0
    return ll + prior + cr_term


def _dlog_posterior(
    log_alpha: np.ndarray,
    y: np.ndarray,
    mu: np.ndarray,
    x: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: float,
    use_prior: bool,
) -> np.ndarray:
    """``dlog_posterior`` of DESeq2.cpp: derivative with respect to ``log(alpha)``."""
    alpha = np.exp(log_alpha)
    _, b, db = _cr_matrices(mu, alpha, x)
    cr_term = -0.5 * np.einsum("gii->g", np.linalg.solve(b, db))
    a = alpha[:, None]
    an1 = 1.0 / a
    ll = np.sum(
        digamma(an1)
        + np.log(1.0 + mu * a)
        - mu * a / (1.0 + mu * a)
        - digamma(y + an1)
        + y / (mu + an1),
        axis=1,
    ) / (alpha**2)
    prior = -(log_alpha - prior_mean) / prior_var if use_prior else 0.0
    return (ll + cr_term) * alpha + prior


def _fit_disp(
    y: np.ndarray,
    x: np.ndarray,
    mu: np.ndarray,
    log_alpha: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: float,
    use_prior: bool,
    min_log_alpha: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """R's ``fitDisp``: Armijo line search on ``log(alpha)``, one state per gene.

    Returns the final ``log(alpha)``, the number of proposals (``iter``), and the
    initial and last log posterior, exactly as the C++ loop produces them.
    """
    n_genes = y.shape[0]
    a = np.array(log_alpha, dtype=np.float64)
    lp = _log_posterior(a, y, mu, x, prior_mean, prior_var, use_prior)
    dlp = _dlog_posterior(a, y, mu, x, prior_mean, prior_var, use_prior)
    initial_lp = lp.copy()
    kappa = np.full(n_genes, _KAPPA_0)
    iters = np.zeros(n_genes, dtype=np.int64)
    accepts = np.zeros(n_genes, dtype=np.int64)
    active = np.ones(n_genes, dtype=bool)
    for _ in range(_DISP_MAXIT):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        iters[idx] += 1
        a_i, d_i, k_i = a[idx], dlp[idx], kappa[idx].copy()
        propose = a_i + k_i * d_i
        # log(alpha) is kept within [-30, 10]
        low, high = propose < -30.0, propose > 10.0
        k_i[low] = (-30.0 - a_i[low]) / d_i[low]
        k_i[high] = (10.0 - a_i[high]) / d_i[high]
        theta = -_log_posterior(
            a_i + k_i * d_i, y[idx], mu[idx], x, prior_mean[idx], prior_var, use_prior
        )
        ok = theta <= -lp[idx] - k_i * _ARMIJO_EPS * d_i**2
        kappa[idx[~ok]] = k_i[~ok] / 2.0
        acc = idx[ok]
        if acc.size == 0:
            continue
        k_acc = k_i[ok]
        accepts[acc] += 1
        a[acc] = a_i[ok] + k_acc * d_i[ok]
        lp_new = _log_posterior(a[acc], y[acc], mu[acc], x, prior_mean[acc], prior_var, use_prior)
        small = (lp_new - lp[acc]) < _DISP_TOL
        lp[acc[small]] = lp_new[small]
        active[acc[small]] = False
        # going to -infinity: stop without updating lp (as the C++ loop)
        below = ~small & (a[acc] < min_log_alpha)
        active[acc[below]] = False
        go = ~small & ~below
        cont = acc[go]
        if cont.size == 0:
            continue
        lp[cont] = lp_new[go]
        dlp[cont] = _dlog_posterior(
            a[cont], y[cont], mu[cont], x, prior_mean[cont], prior_var, use_prior
        )
        k_new = np.minimum(k_acc[go] * 1.1, _KAPPA_0)
        kappa[cont] = np.where(accepts[cont] % 5 == 0, k_new / 2.0, k_new)
    return a, iters, initial_lp, lp


def _fit_disp_grid(
    y: np.ndarray,
    x: np.ndarray,
    mu: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: float,
    use_prior: bool,
    max_disp: float,
) -> np.ndarray:
    """R's ``fitDispGrid``: 20-point grid on log(alpha), then a 20-point finer grid."""
    grid = np.linspace(np.log(_GRID_MIN_DISP), np.log(max_disp), _GRID_POINTS)
    delta = grid[1] - grid[0]
    rows = np.arange(y.shape[0])

    def best(points: np.ndarray) -> np.ndarray:
        lps = np.stack(
            [
                _log_posterior(points[:, j], y, mu, x, prior_mean, prior_var, use_prior)
                for j in range(points.shape[1])
            ],
            axis=1,
        )
        return points[rows, np.argmax(lps, axis=1)]

    coarse = best(np.broadcast_to(grid, (y.shape[0], _GRID_POINTS)))
    return best(coarse[:, None] + np.linspace(-delta, delta, _GRID_POINTS)[None, :])


def genewise_dispersions(
    y: np.ndarray,
    x: np.ndarray,
    mu: np.ndarray,
    alpha_init: np.ndarray,
    max_disp: float,
    min_disp: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Gene-wise estimates as ``estimateDispersionsGeneEst`` (niter = 1) makes them."""
    log_init = np.log(alpha_init)
    a, iters, initial_lp, last_lp = _fit_disp(
        y, x, mu, log_init, log_init, 1.0, False, np.log(min_disp / 10)
    )
    est = np.minimum(np.exp(a), max_disp)
    # moves that did not raise the log posterior by a millionth are not accepted
    no_increase = last_lp < initial_lp + np.abs(initial_lp) / 1e6
    est = np.where(no_increase, alpha_init, est)
    converged = (iters < _DISP_MAXIT) & (iters != 1)
    refit = ~converged & (est > min_disp * 10)
    if refit.any():
        zeros = np.zeros(int(refit.sum()))
        est[refit] = np.exp(_fit_disp_grid(y[refit], x, mu[refit], zeros, 1.0, False, max_disp))
    return np.clip(est, min_disp, max_disp), converged


def map_dispersions(
    y: np.ndarray,
    x: np.ndarray,
    mu: np.ndarray,
    init: np.ndarray,
    trend: np.ndarray,
    prior_var: float,
    max_disp: float,
    min_disp: float,
) -> tuple[np.ndarray, np.ndarray]:
    """MAP estimates as ``estimateDispersionsMAP`` makes them (before the outlier rule)."""
    log_trend = np.log(trend)
    a, iters, _, _ = _fit_disp(
        y, x, mu, np.log(init), log_trend, prior_var, True, np.log(min_disp / 10)
    )
    est = np.exp(a)
    refit = iters >= _DISP_MAXIT
    if refit.any():
        est[refit] = np.exp(
            _fit_disp_grid(y[refit], x, mu[refit], log_trend[refit], prior_var, True, max_disp)
        )
    return np.clip(est, min_disp, max_disp), ~refit


def _nb_loglik(y: np.ndarray, size: np.ndarray | float, mu: np.ndarray) -> np.ndarray:
    """``dnbinom(y, size=size, mu=mu, log=TRUE)`` (elementwise)."""
    return (
        gammaln(y + size)
        - gammaln(size)
        - gammaln(y + 1.0)
        + size * np.log(size / (size + mu))
        + y * np.log(mu / (size + mu))
    )


def fit_beta(
    y: np.ndarray, x: np.ndarray, sf: np.ndarray, alpha: np.ndarray, min_mu: float, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """R's ``fitBeta`` (DESeq2.cpp) IRLS, vectorised over genes.

    Starts at the least-squares fit of ``log(normalized + 0.1)`` (``fitNbinomGLMs``),
    bounds the means at ``min_mu`` in the weights, ridge ``1e-6 / log(2)^2``, stops
    when the relative deviance change is below ``tol`` (from the second iteration).
    Returns beta (natural log; for a diverged gene the diverged step, as the C++
    code stores it), the starting beta, the iteration count (``BETA_MAXIT`` =
    failed) and the hat-matrix diagonals at the last accepted means.
    """
    n_genes, p = y.shape[0], x.shape[1]
    q, r = np.linalg.qr(x)
    beta = np.linalg.solve(r, q.T @ np.log(y / sf + 0.1).T).T
    start = beta.copy()
    ridge = np.eye(p) * (1e-6 / np.log(2) ** 2)
    size = (1.0 / alpha)[:, None]
    mu = np.maximum(sf * np.exp(beta @ x.T), min_mu)
    dev_old = np.zeros(n_genes)
    iters = np.zeros(n_genes, dtype=np.int64)
    active = np.ones(n_genes, dtype=bool)
    for t in range(BETA_MAXIT):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        iters[idx] += 1
        m = mu[idx]
        w = m / (1.0 + alpha[idx, None] * m)
        z = np.log(m / sf) + (y[idx] - m) / m
        lhs = np.einsum("np,gn,nq->gpq", x, w, x) + ridge
        new = np.linalg.solve(lhs, np.einsum("np,gn->gp", x, w * z)[..., None])[..., 0]
        diverged = np.any(np.abs(new) > BETA_LARGE, axis=1) | ~np.isfinite(new).all(axis=1)
        iters[idx[diverged]] = BETA_MAXIT
        active[idx[diverged]] = False
        beta[idx[diverged]] = new[diverged]
        keep = idx[~diverged]
        beta[keep] = new[~diverged]
        mu[keep] = np.maximum(sf * np.exp(beta[keep] @ x.T), min_mu)
        dev = -2.0 * np.sum(_nb_loglik(y[keep], size[keep], mu[keep]), axis=1)
        conv = np.abs(dev - dev_old[keep]) / (np.abs(dev) + 0.1)
        bad = np.isnan(conv)
        iters[keep[bad]] = BETA_MAXIT
        done = bad | ((t > 0) & (conv < tol))
        active[keep[done]] = False
        dev_old[keep] = dev
    w = mu / (1.0 + alpha[:, None] * mu)
    inv = np.linalg.inv(np.einsum("np,gn,nq->gpq", x, w, x) + ridge)
    hat = w * np.einsum("np,gpq,nq->gn", x, inv, x)
    return beta, start, iters, hat


def fit_beta_optim(
    y: np.ndarray, x: np.ndarray, sf: np.ndarray, alpha: float, start: np.ndarray
) -> tuple[np.ndarray, bool]:
    """R's ``fitNbinomGLMsOptim`` for one gene: L-BFGS-B on the log2 scale.

    Objective: minus the NB log likelihood (unbounded means) minus a
    ``N(0, 1e6)`` log prior; bounds +-30; R's ``optim`` central-difference gradient
    (``ndeps = 1e-3``), ``lmm = 5``, ``factr = 1e7``, ``pgtol = 0``, ``maxit = 100``.
    Returns beta on the natural-log scale.
    """
    from scipy.optimize import minimize

    size = 1.0 / alpha
    lam = 1e-6
    large = BETA_LARGE

    def objective(b: np.ndarray) -> float:
        mu = sf * 2.0 ** (x @ b)
        log_prior = np.sum(-0.5 * np.log(2 * np.pi / lam) - 0.5 * lam * b**2)
        value = -(np.sum(_nb_loglik(y, size, mu)) + log_prior)
        return float(value) if np.isfinite(value) else 1e300

    def gradient(b: np.ndarray) -> np.ndarray:
        grad = np.empty_like(b)
        for i in range(b.size):
            up, down = b.copy(), b.copy()
            up[i] = min(b[i] + 1e-3, large)
            down[i] = max(b[i] - 1e-3, -large)
            grad[i] = (objective(up) - objective(down)) / (up[i] - down[i])
        return grad

    res = minimize(
        objective,
        np.clip(start, -large, large),
        jac=gradient,
        method="L-BFGS-B",
        bounds=[(-large, large)] * x.shape[1],
        options={"maxcor": 5, "ftol": 1e7 * np.finfo(float).eps, "gtol": 0.0, "maxiter": 100},
    )
    return np.asarray(res.x) * np.log(2), bool(res.success)


def _gamma_identity_glm(x: np.ndarray, y: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, bool]:
    """``glm(y ~ x, family=Gamma(link="identity"), start=start)``: IRLS, glm.control()."""
    design = np.column_stack([np.ones_like(x), x])
    beta = np.asarray(start, dtype=np.float64)
    fitted = design @ beta
    dev = 2.0 * np.sum(-np.log(y / fitted) + (y - fitted) / fitted)
    for _ in range(25):  # glm.control(maxit = 25, epsilon = 1e-8)
        weighted = design.T / fitted**2
        beta = np.linalg.solve(weighted @ design, weighted @ y)
        fitted = design @ beta
        if np.any(fitted <= 0):
            return beta, False
        new_dev = 2.0 * np.sum(-np.log(y / fitted) + (y - fitted) / fitted)
        if abs(new_dev - dev) / (abs(new_dev) + 0.1) < 1e-8:
            return beta, True
        dev = new_dev
    return beta, False


def parametric_dispersion_fit(means: np.ndarray, disps: np.ndarray) -> np.ndarray | None:
    """R's ``parametricDispersionFit``: ``disp = a0 + a1 / mean``; None where R fails."""
    coefs = np.array([0.1, 1.0])
    for _ in range(11):
        ratio = disps / (coefs[0] + coefs[1] / means)
        good = (ratio > 1e-4) & (ratio < 15)
        old = coefs
        coefs, converged = _gamma_identity_glm(1.0 / means[good], disps[good], coefs)
        if not np.all(coefs > 0):
            return None
        if np.sum(np.log(coefs / old) ** 2) < 1e-6 and converged:
            return coefs
    return None
