"""Numerical building blocks of the edgeR engines."""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from oncosig.de._exact import exact_test_double_tail
from oncosig.de._nbcore import one_group_beta
from oncosig.de._optim import brent_fmin, maximize_interpolant


def test_one_group_beta_is_the_nb_mle(rng: np.random.Generator) -> None:
    lib = rng.uniform(0.5, 2.0, size=12) * 1e6
    y = rng.negative_binomial(5, 0.05, size=(30, 12)).astype(float)
    y[0] = 0.0
    disp = np.full(30, 0.2)
    beta = one_group_beta(y, lib, disp)
    assert beta[0] == -np.inf
    for i in range(1, 30):

        def nll(b: float, i: int = i) -> float:
            mu = np.exp(b) * lib
            return -float(stats.nbinom.logpmf(y[i], 1 / 0.2, 1 / (1 + 0.2 * mu)).sum())

        best = optimize.minimize_scalar(nll, bracket=(beta[i] - 1, beta[i] + 1), tol=1e-12)
        assert abs(best.x - beta[i]) < 1e-6


def test_maximize_interpolant_exact_for_cubics() -> None:
    x = np.linspace(-6, 6, 11)
    polys = [
        np.polynomial.Polynomial([-0.09, 0.6, -1, 0.002]),  # -(x - 0.3)^2 + 0.002 x^3
        np.polynomial.Polynomial([-(2.7**2), -5.4, -1, 0.01]),
    ]
    y = np.vstack([p(x) for p in polys] + [-np.abs(x - 6)])
    got = maximize_interpolant(x, y)
    # fmm splines reproduce cubics: the argmax is the cubic's local maximum
    for i, f in enumerate(polys):
        crit = [r.real for r in f.deriv().roots() if f.deriv(2)(r.real) < 0]
        assert abs(got[i] - crit[0]) < 1e-8
    assert got[2] == 6.0  # a maximum at the end of the grid stays there


def test_brent_fmin_matches_scipy_bounded() -> None:
    def f(x: float) -> float:
        return (x - 0.7) ** 2 + math.sin(3 * x) * 0.1

    ours = brent_fmin(f, 0.0, 2.0, 1e-8)
    ref = optimize.minimize_scalar(f, bounds=(0, 2), method="bounded", options={"xatol": 1e-10})
    assert abs(ours - ref.x) < 1e-6


def test_exact_test_double_tail_small_counts_by_enumeration() -> None:
    # direct enumeration of edgeR's formula with dnbinom for a few small cases
    y1 = np.array([[3.0, 5.0], [0.0, 1.0], [20.0, 30.0]])
    y2 = np.array([[10.0, 12.0, 9.0], [4.0, 2.0, 7.0], [1.0, 0.0, 2.0]])
    disp = np.array([0.1, 0.5, 0.2])
    p = exact_test_double_tail(y1, y2, disp)
    for g in range(3):
        n1, n2 = 2, 3
        s1, s2 = y1[g].sum(), y2[g].sum()
        s = s1 + s2
        mu = s / (n1 + n2)
        r1, r2 = n1 / disp[g], n2 / disp[g]

        def d(x: np.ndarray, size: float, m: float) -> np.ndarray:
            return stats.nbinom.pmf(x, size, size / (size + m))

        bot = d(np.array(s), (n1 + n2) / disp[g], s)
        if s1 < n1 * mu:
            x = np.arange(0, s1 + 1)
        else:
            x = np.arange(s1, s + 1)
        top = d(x, r1, n1 * mu) * d(s - x, r2, n2 * mu)
        assert abs(p[g] - min(1.0, 2 * top.sum() / bot)) < 1e-10
