"""Distribution-drift statistics: PSI, KL, Jensen–Shannon, KS, and status bands.

Equations refer to the chapter "ML Operations" (``ml_ops_chapter.qmd``):
``@eq-psi``, ``@eq-kl-divergence`` and the Statistical Drift Invariant of
lab 14 (``Accuracy_t ≈ Accuracy_0 − λ·D(P_t ‖ P_0)``).

Empty bins
----------
PSI and KL divide by, and take logarithms of, bin proportions, so an empty
bin makes them infinite. Every function here that needs it replaces an empty
bin by ``eps`` (default :data:`DEFAULT_EPS` = 1e-4, i.e. 0.01 % of the mass)
and renormalises the distribution. Non-empty bins are untouched, so the
result on inputs without empty bins is exactly the textbook value.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from opsmath._validation import as_distribution, as_sample, check_nonnegative, check_positive

__all__ = [
    "DEFAULT_EPS",
    "PSI_BANDS",
    "bin_counts",
    "bin_edges",
    "degraded_accuracy",
    "drift_status",
    "js_divergence",
    "kl_divergence",
    "ks_critical_value",
    "ks_statistic",
    "psi",
    "psi_from_samples",
]

DEFAULT_EPS: float = 1e-4
"""Proportion given to an empty bin before renormalising (see module docs)."""

PSI_BANDS: tuple[float, float] = (0.1, 0.2)
"""PSI band edges from the chapter: < 0.1 stable, 0.1–0.2 investigate, > 0.2 significant."""


def _smooth(p: NDArray[np.float64], eps: float) -> NDArray[np.float64]:
    """Replace empty bins of a normalised distribution by ``eps`` and renormalise."""
    if eps == 0 or not np.any(p == 0):
        return p
    q = np.where(p == 0, eps, p)
    return q / q.sum()


def _pair(expected: ArrayLike, actual: ArrayLike, eps: float) -> tuple[NDArray, NDArray]:
    e = as_distribution(expected, "expected")
    a = as_distribution(actual, "actual")
    if e.shape != a.shape:
        raise ValueError(
            f"expected and actual must have the same number of bins, got {e.size} and {a.size}"
        )
    eps = check_nonnegative(eps, "eps")
    if eps >= 1:
        raise ValueError(f"eps must be smaller than 1, got {eps!r}")
    return _smooth(e, eps), _smooth(a, eps)


def psi(expected: ArrayLike, actual: ArrayLike, eps: float = DEFAULT_EPS) -> float:
    r"""Population Stability Index between a training and a serving histogram.

    Implements ``@eq-psi``:

    .. math:: \mathrm{PSI} = \sum_i (a_i - e_i)\,\ln(a_i / e_i)

    Parameters
    ----------
    expected : array_like
        Training (reference) counts or proportions per bin; normalised here.
    actual : array_like
        Serving (live) counts or proportions per bin, same bins as ``expected``.
    eps : float, optional
        Proportion given to an empty bin before renormalising (module docs).
        ``eps=0`` disables smoothing, in which case an empty bin on one side
        only gives ``inf``.

    Returns
    -------
    float
        PSI ≥ 0; 0 exactly when the two histograms are proportional.

    Raises
    ------
    ValueError
        On negative or non-finite entries, a zero total, or mismatched bins.

    Examples
    --------
    >>> round(psi([.15, .25, .20, .18, .12, .10], [.12, .22, .18, .20, .15, .13]), 5)
    0.02931
    """
    e, a = _pair(expected, actual, eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (a - e) * (np.log(a) - np.log(e))
    terms = np.where(a == e, 0.0, terms)  # also covers 0·ln(0/0)
    return float(np.sum(terms))


def kl_divergence(p: ArrayLike, q: ArrayLike, eps: float = DEFAULT_EPS) -> float:
    r"""Kullback–Leibler divergence :math:`D_{KL}(P \| Q)` in nats (``@eq-kl-divergence``).

    .. math:: D_{KL}(P \| Q) = \sum_x P(x) \ln \frac{P(x)}{Q(x)}

    Parameters
    ----------
    p, q : array_like
        Counts or proportions over the same bins; normalised and smoothed as
        in :func:`psi`.
    eps : float, optional
        Empty-bin proportion (module docs).

    Returns
    -------
    float
        Non-negative divergence; not symmetric. ``psi(e, a) == kl(a, e) + kl(e, a)``.
    """
    pp, qq = _pair(p, q, eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = pp * (np.log(pp) - np.log(qq))
    terms = np.where(pp == 0, 0.0, terms)
    return float(max(np.sum(terms), 0.0))


def js_divergence(p: ArrayLike, q: ArrayLike, base: float = math.e) -> float:
    r"""Jensen–Shannon divergence (not its square root, the JS *distance*).

    .. math:: JS(P, Q) = \tfrac12 D_{KL}(P\|M) + \tfrac12 D_{KL}(Q\|M),\quad M = \tfrac12(P+Q)

    Symmetric, bounded by ``ln 2`` (1 with ``base=2``), and finite without
    smoothing because ``M > 0`` wherever ``P`` or ``Q`` is. The chapter's
    alert threshold is JS > 0.1.

    Parameters
    ----------
    p, q : array_like
        Counts or proportions over the same bins.
    base : float, optional
        Logarithm base; ``math.e`` (nats) by default.
    """
    pp, qq = _pair(p, q, 0.0)
    base = check_positive(base, "base")
    if base == 1:
        raise ValueError("base must not be 1")
    m = 0.5 * (pp + qq)

    def _kl(x: NDArray) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            t = x * (np.log(x) - np.log(m))
        return float(np.sum(np.where(x == 0, 0.0, t)))

    value = 0.5 * _kl(pp) + 0.5 * _kl(qq)
    return max(value, 0.0) / math.log(base)


def ks_statistic(reference: ArrayLike, live: ArrayLike) -> float:
    r"""Two-sample Kolmogorov–Smirnov statistic :math:`D = \sup_x |F_r(x) - F_l(x)|`.

    The chapter flags drift when ``D > 0.1`` (``@tbl-feature-distribution-thresholds``).

    Parameters
    ----------
    reference, live : array_like
        Raw observations (any lengths ≥ 1).

    Returns
    -------
    float
        D in [0, 1]; equal to ``scipy.stats.ks_2samp(reference, live).statistic``.
    """
    r = np.sort(as_sample(reference, "reference"))
    x = np.sort(as_sample(live, "live"))
    grid = np.concatenate([r, x])
    cdf_r = np.searchsorted(r, grid, side="right") / r.size
    cdf_x = np.searchsorted(x, grid, side="right") / x.size
    return float(np.max(np.abs(cdf_r - cdf_x)))


def ks_critical_value(n: int, m: int, alpha: float = 0.05) -> float:
    r"""Asymptotic two-sample KS critical value :math:`c(\alpha)\sqrt{(n+m)/(n m)}`.

    ``c(α) = sqrt(-ln(α/2)/2)``; ``c(0.05) ≈ 1.358`` (the 1.36 of the course's
    constants).
    """
    n = int(check_positive(n, "n"))
    m = int(check_positive(m, "m"))
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    c = math.sqrt(-math.log(alpha / 2) / 2)
    return c * math.sqrt((n + m) / (n * m))


def bin_edges(
    train: ArrayLike,
    bins: int = 10,
    strategy: Literal["quantile", "uniform"] = "quantile",
) -> NDArray[np.float64]:
    """Bin edges learned from the training sample only.

    Parameters
    ----------
    train : array_like
        Training observations.
    bins : int, optional
        Number of bins requested (≥ 1). Quantile bins whose edges coincide
        (heavy ties in ``train``) are merged, so fewer may be returned.
    strategy : {"quantile", "uniform"}
        Equal-mass bins (training quantiles) or equal-width bins over the
        training range.

    Returns
    -------
    ndarray
        Increasing edges ``[min(train), ..., max(train)]``; the interior edges
        decide the bins, the outer two are informative only (see
        :func:`bin_counts`).
    """
    t = as_sample(train, "train")
    if isinstance(bins, bool) or int(bins) != bins or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    bins = int(bins)
    if strategy == "quantile":
        edges = np.quantile(t, np.linspace(0.0, 1.0, bins + 1))
    elif strategy == "uniform":
        edges = np.linspace(t.min(), t.max(), bins + 1)
    else:
        raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")
    return np.unique(edges)


def bin_counts(values: ArrayLike, edges: ArrayLike) -> NDArray[np.int64]:
    """Count observations per bin, with out-of-range values in the end bins.

    Bin ``i`` holds ``edges[i] <= x < edges[i+1]`` for interior bins; values
    below ``edges[1]`` land in the first bin and values at or above
    ``edges[-2]`` in the last, so live data outside the training range is
    never dropped. With fewer than three edges there is no interior edge and
    the first edge alone splits the values: two bins, below ``edges[0]`` and
    at or above it. That covers constant training data (a single distinct
    edge: live data that moved below the constant is seen) and ``bins=1``
    (edges ``[min, max]``: live values below the training minimum are seen).
    The notebooks (drift_detective, ensemble_lockdown) state the same rule.
    """
    x = as_sample(values, "values")
    e = np.asarray(edges, dtype=float)
    inner = e[1:-1] if e.size > 2 else e[:1]
    idx = np.searchsorted(inner, x, side="right")
    return np.bincount(idx, minlength=inner.size + 1)


def psi_from_samples(
    train: ArrayLike,
    live: ArrayLike,
    bins: int = 10,
    strategy: Literal["quantile", "uniform"] = "quantile",
    eps: float = DEFAULT_EPS,
) -> float:
    """PSI between two raw samples, with bins learned from the training sample.

    Parameters
    ----------
    train, live : array_like
        Training (reference) and serving (live) observations.
    bins, strategy : see :func:`bin_edges`.
    eps : float, optional
        Empty-bin proportion passed to :func:`psi`.

    Returns
    -------
    float
        ``psi(bin_counts(train, edges), bin_counts(live, edges))``.
    """
    edges = bin_edges(train, bins, strategy)
    return psi(bin_counts(train, edges), bin_counts(live, edges), eps=eps)


def drift_status(psi_value: float, bands: tuple[float, float] = PSI_BANDS) -> str:
    """Classify a PSI value with the chapter's bands.

    Returns ``"stable"`` for PSI < 0.1, ``"investigate"`` for 0.1 ≤ PSI ≤ 0.2
    and ``"significant"`` (model review) for PSI > 0.2.

    Raises
    ------
    ValueError
        If ``psi_value`` is not a number, negative (``-inf`` included) or NaN,
        or the bands are not increasing.
    """
    try:
        value = float(psi_value)
    except (TypeError, ValueError):
        raise ValueError(f"psi_value must be a real number, got {psi_value!r}") from None
    if math.isnan(value):
        raise ValueError("psi_value must not be NaN")
    if value < 0:
        raise ValueError(f"psi_value must be non-negative (PSI is never negative), got {value!r}")
    low, high = bands
    if not 0 <= low <= high:
        raise ValueError(f"bands must satisfy 0 <= low <= high, got {bands!r}")
    if value < low:
        return "stable"
    if value <= high:
        return "investigate"
    return "significant"


def degraded_accuracy(
    accuracy0: ArrayLike, sensitivity: ArrayLike, divergence: ArrayLike
) -> NDArray[np.float64] | float:
    r"""Statistical Drift Invariant: :math:`A_t \approx A_0 - \lambda \cdot D(P_t \| P_0)`.

    Parameters
    ----------
    accuracy0 : array_like
        Accuracy on the training distribution, in [0, 1].
    sensitivity : array_like
        λ ≥ 0, accuracy lost per unit of divergence.
    divergence : array_like
        D ≥ 0, e.g. a PSI or KL value.

    Returns
    -------
    float or ndarray
        Predicted accuracy, floored at 0 (the linear law is a first-order
        approximation and cannot go below zero accuracy).
    """
    a0 = np.asarray(accuracy0, dtype=float)
    lam = np.asarray(sensitivity, dtype=float)
    d = np.asarray(divergence, dtype=float)
    for arr, name in ((a0, "accuracy0"), (lam, "sensitivity"), (d, "divergence")):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite")
    if np.any((a0 < 0) | (a0 > 1)):
        raise ValueError("accuracy0 must lie in [0, 1]")
    if np.any(lam < 0) or np.any(d < 0):
        raise ValueError("sensitivity and divergence must be non-negative")
    out = np.maximum(a0 - lam * d, 0.0)
    return float(out) if out.ndim == 0 else out
