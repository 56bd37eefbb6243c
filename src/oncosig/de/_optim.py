"""Maximisation helpers as edgeR and R do them.

``maximize_interpolant`` is edgeR's C++ ``maximize_interpolant`` (fmm spline through a
grid, maximum solved on the segments beside the best grid point); ``brent_fmin`` is
R's ``optimize`` (Brent's ``fmin``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def _fmm_coefficients(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear maps giving R's ``fmm`` spline coefficients b, c, d from the y values."""
    n = x.size
    eye = np.eye(n)
    b = np.zeros((n, n))
    c = np.zeros((n, n))
    d = np.zeros((n, n))
    for col in range(n):
        bb, cc, dd = _fmm_spline(x, eye[:, col])
        b[:, col], c[:, col], d[:, col] = bb, cc, dd
    return b, c, d


def _fmm_spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R's ``spline_coef`` method ``fmm`` (Forsythe, Malcolm and Moler)."""
    n = x.size
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    if n < 3:
        t = (y[1] - y[0]) / (x[1] - x[0])
        b[0] = t
        b[1] = t
        return b, c, d
    nm1 = n - 1
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, nm1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[nm1] = -d[n - 2]
    c[0] = 0.0
    c[nm1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[nm1] = -c[nm1] * d[n - 2] * d[n - 2] / (x[nm1] - x[n - 4])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[nm1] = c[nm1] / b[nm1]
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[nm1] = (y[nm1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1])
    for i in range(nm1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[nm1] = 3.0 * c[nm1]
    d[nm1] = d[n - 2]
    return b, c, d


def maximize_interpolant(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """edgeR ``maximizeInterpolant``: argmax of the fmm spline through each row of ``y``.

    Parameters
    ----------
    x
        Increasing grid (length k).
    y
        Values, rows x k.

    Returns
    -------
    One abscissa per row.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    k = x.size
    mb, mc, md = _fmm_coefficients(x)
    b = y @ mb.T
    c = y @ mc.T
    d = y @ md.T
    rows = np.arange(y.shape[0])
    at = np.argmax(y, axis=1)
    best = y[rows, at].copy()
    x_max = x[at].copy()
    for side in (-1, 0):
        seg = at + side  # left segment starts at at-1, right segment at at
        ok = (seg >= 0) & (seg <= k - 2)
        segc = np.clip(seg, 0, k - 2)
        dd, cc, bb = d[rows, segc], c[rows, segc], b[rows, segc]
        a2, b2, c2 = 3 * dd, 2 * cc, bb
        with np.errstate(divide="ignore", invalid="ignore"):
            disc = b2 * b2 - 4 * a2 * c2
            sol = -b2 / (2 * a2) - np.sqrt(disc) / (2 * a2)
            width = x[segc + 1] - x[segc]
            good = ok & (disc >= 0) & (sol > 0) & (sol < width)
            val = ((dd * sol + cc) * sol + bb) * sol + y[rows, segc]
        better = good & (val > best)
        best = np.where(better, val, best)
        x_max = np.where(better, sol + x[segc], x_max)
    return x_max


def brent_fmin(f: Callable[[float], float], lower: float, upper: float, tol: float) -> float:
    """R's ``optimize`` minimiser (Brent's ``fmin``, as in R's ``Brent_fmin``)."""
    c = (3.0 - math.sqrt(5.0)) * 0.5
    eps = math.sqrt(np.finfo(float).eps)
    a, b = lower, upper
    v = a + c * (b - a)
    w = x = v
    d = e = 0.0
    fx = f(x)
    fv = fw = fx
    tol3 = tol / 3.0
    while True:
        xm = (a + b) * 0.5
        tol1 = eps * abs(x) + tol3
        t2 = tol1 * 2.0
        if abs(x - xm) <= t2 - (b - a) * 0.5:
            break
        p = q = r = 0.0
        if abs(e) > tol1:
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = (q - r) * 2.0
            if q > 0.0:
                p = -p
            else:
                q = -q
            r = e
            e = d
        if abs(p) >= abs(q * 0.5 * r) or p <= q * (a - x) or p >= q * (b - x):
            e = (b - x) if x < xm else (a - x)
            d = c * e
        else:
            d = p / q
            u = x + d
            if u - a < t2 or b - u < t2:
                d = tol1 if x < xm else -tol1
        if abs(d) >= tol1:
            u = x + d
        elif d > 0.0:
            u = x + tol1
        else:
            u = x - tol1
        fu = f(u)
        if fu <= fx:
            if u < x:
                b = x
            else:
                a = x
            v, w, x = w, x, u
            fv, fw, fx = fw, fx, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv = w, fw
                w, fw = u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
    return x
