"""Retraining economics: accuracy decay, staleness cost and the optimal interval.

Equations refer to the chapter "ML Operations": ``@eq-accuracy-decay``
(:math:`A(t) = A_0 e^{-\\lambda t}`), ``@eq-staleness-cost``,
``@eq-optimal-interval`` (the exact minimiser of the average cost rate),
``@eq-optimal-retrain`` (its square-root approximation) and
``@eq-retrain-decision``.

Units: ``T`` and ``1/lam`` in days, ``Q`` queries per day, ``V`` dollars per
query per unit of accuracy (the chapter's "value per accuracy point"), ``C``
dollars per retraining run, accuracies as fractions in (0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from opsmath._validation import check_accuracy, check_nonnegative, check_positive

__all__ = [
    "PolicyResult",
    "accuracy_at",
    "cost_rate",
    "exact_retrain_interval",
    "optimal_retrain_interval",
    "retrain_decision",
    "simulate_retraining",
    "staleness_cost",
    "time_to_threshold",
]


def _economics(C: float, Q: float, V: float, A0: float, lam: float) -> tuple[float, ...]:
    C = check_positive(C, "C (retraining cost)")
    Q = check_positive(Q, "Q (queries per day)")
    V = check_positive(V, "V (value per accuracy point)")
    A0 = check_accuracy(A0, "A0 (initial accuracy)")
    lam = check_nonnegative(lam, "lam (decay rate per day)")
    return C, Q, V, A0, lam


def accuracy_at(t: ArrayLike, A0: float, lam: float) -> NDArray[np.float64] | float:
    r"""Accuracy after ``t`` days without retraining, ``@eq-accuracy-decay``.

    .. math:: A(t) = A_0 e^{-\lambda t}
    """
    A0 = check_accuracy(A0, "A0")
    lam = check_nonnegative(lam, "lam")
    tt = np.asarray(t, dtype=float)
    if np.any(tt < 0) or not np.all(np.isfinite(tt)):
        raise ValueError("t must be finite and non-negative")
    out = A0 * np.exp(-lam * tt)
    return float(out) if out.ndim == 0 else out


def _excess(T: NDArray[np.float64], lam: float) -> NDArray[np.float64]:
    """``T - (1 - e^{-lam T})/lam``, accurate for small ``lam*T`` and ``lam = 0``."""
    x = lam * T
    small = x < 1e-3
    # Series lam*T^2/2 * (1 - x/3 + x^2/12 - x^3/60) for small x (no division by lam).
    series = 0.5 * lam * T * T * (1 - x / 3 + x * x / 12 - x**3 / 60)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = (x + np.expm1(-x)) / lam
    return np.where(small, series, direct)


def staleness_cost(
    T: ArrayLike, Q: float, V: float, A0: float, lam: float
) -> NDArray[np.float64] | float:
    r"""Business loss accumulated over ``T`` days since the last retrain, ``@eq-staleness-cost``.

    .. math:: S(T) = \int_0^T Q V (A_0 - A(t))\,dt = Q V A_0 \left(T - \frac{1 - e^{-\lambda T}}{\lambda}\right)

    The limit :math:`\lambda \to 0` (no decay) is 0 and is evaluated without
    cancellation error.

    Parameters
    ----------
    T : array_like
        Interval length(s) in days, ≥ 0.
    Q, V, A0, lam : float
        Queries per day, value per accuracy point, initial accuracy, decay rate.
    """
    Q = check_positive(Q, "Q")
    V = check_positive(V, "V")
    A0 = check_accuracy(A0, "A0")
    lam = check_nonnegative(lam, "lam")
    tt = np.asarray(T, dtype=float)
    if np.any(tt < 0) or not np.all(np.isfinite(tt)):
        raise ValueError("T must be finite and non-negative")
    out = Q * V * A0 * _excess(tt, lam)
    return float(out) if out.ndim == 0 else out


def cost_rate(
    T: ArrayLike, C: float, Q: float, V: float, A0: float, lam: float
) -> NDArray[np.float64] | float:
    r"""Average cost per day when retraining every ``T`` days, the objective of ``@eq-optimal-interval``.

    .. math:: g(T) = \frac{S(T) + C}{T}

    Parameters
    ----------
    T : array_like
        Interval(s) in days, > 0.
    """
    C, Q, V, A0, lam = _economics(C, Q, V, A0, lam)
    tt = np.asarray(T, dtype=float)
    if np.any(tt <= 0):
        raise ValueError("T must be positive")
    out = (np.asarray(staleness_cost(tt, Q, V, A0, lam)) + C) / tt
    return float(out) if out.ndim == 0 else out


def optimal_retrain_interval(C: float, Q: float, V: float, A0: float, lam: float) -> float:
    r"""Square-root law for the retraining interval, ``@eq-optimal-retrain``.

    .. math:: T^* \approx \sqrt{\frac{2C}{Q V A_0 \lambda}}

    Obtained by expanding :math:`e^{-\lambda T}` to second order in
    :func:`staleness_cost`; accurate while :math:`\lambda T^* \ll 1`.

    Returns
    -------
    float
        Interval in days; ``math.inf`` when ``lam == 0`` (a model that does not
        decay never needs retraining).

    Examples
    --------
    >>> round(optimal_retrain_interval(5000, 1e6, 0.5, 0.95, 0.02), 3)
    1.026
    """
    C, Q, V, A0, lam = _economics(C, Q, V, A0, lam)
    if lam == 0:
        return math.inf
    return math.sqrt(2 * C / (Q * V * A0 * lam))


def _solve_excess(K: float) -> float:
    """Positive root x of ``x - log1p(x) = K`` (K > 0), by Newton from a Lambert-W start."""
    k = -math.expm1(-K)  # 1 - e^{-K}
    from scipy.special import lambertw  # on first use: keeps `import opsmath` light

    x = float(np.real(-1.0 - lambertw(-(1.0 - k) / math.e, -1)))
    if not math.isfinite(x) or x <= 0:
        x = math.sqrt(2 * K)
    for _ in range(50):
        if x < 1e-2:
            # x - log1p(x) = sum_{j>=2} (-1)^j x^j / j, summed without cancellation
            h = sum((-1) ** j * x**j / j for j in range(2, 12))
        else:
            h = x - math.log1p(x)
        step = (h - K) * (1 + x) / x
        x_new = x - step
        if x_new <= 0:
            x_new = x / 2
        if abs(x_new - x) <= 1e-15 * max(x, 1e-300):
            return x_new
        x = x_new
    return x


def exact_retrain_interval(C: float, Q: float, V: float, A0: float, lam: float) -> float:
    r"""Exact minimiser of the average cost rate, ``@eq-optimal-interval``.

    Setting :math:`g'(T) = 0` for :math:`g(T) = (S(T) + C)/T` gives, with
    :math:`x = \lambda T` and :math:`k = C\lambda / (Q V A_0)`,

    .. math:: (1 + x) e^{-x} = 1 - k \quad\Longrightarrow\quad
              \lambda T^* = -1 - W_{-1}\!\left(-\frac{1-k}{e}\right)

    where :math:`W_{-1}` is the lower branch of the Lambert W function. The
    root is polished by Newton's method on :math:`x - \ln(1+x) = -\ln(1-k)`
    so it stays accurate as :math:`k \to 0`, where it tends to the
    square-root law :math:`x \approx \sqrt{2k}` from above.

    Returns
    -------
    float
        Interval in days, always ≥ :func:`optimal_retrain_interval`;
        ``math.inf`` when ``lam == 0`` or ``k >= 1`` (a retrain costs at least
        the whole value the model can ever lose, so the cost rate keeps falling
        with T and no finite optimum exists).

    Examples
    --------
    >>> round(exact_retrain_interval(5000, 1e6, 0.5, 0.95, 0.02), 4)
    1.0331
    """
    C, Q, V, A0, lam = _economics(C, Q, V, A0, lam)
    if lam == 0:
        return math.inf
    k = C * lam / (Q * V * A0)
    if k >= 1:
        return math.inf
    x = _solve_excess(-math.log1p(-k))
    return x / lam


def time_to_threshold(A0: float, lam: float, threshold: float) -> float:
    """Days until ``A0·e^(−λt)`` falls to ``threshold`` (``inf`` if it never does).

    Parameters
    ----------
    threshold : float
        Accuracy that triggers a retrain, in (0, A0].
    """
    A0 = check_accuracy(A0, "A0")
    lam = check_nonnegative(lam, "lam")
    threshold = check_positive(threshold, "threshold")
    if threshold > A0:
        raise ValueError("threshold must not exceed A0")
    if lam == 0:
        return math.inf if threshold < A0 else 0.0
    return math.log(A0 / threshold) / lam


def retrain_decision(
    accuracy_gain: float,
    value_per_point: float,
    training_cost: float,
    deployment_risk: float = 0.0,
) -> bool:
    r"""Retrain rule of ``@eq-retrain-decision``.

    .. math:: \text{retrain} \iff \Delta A \cdot V > C_{\text{train}} + C_{\text{risk}}

    Parameters
    ----------
    accuracy_gain : float
        Accuracy recovered by retraining, in the same unit ``value_per_point``
        is priced in.
    value_per_point : float
        Dollars per unit of accuracy over the decision horizon.
    training_cost, deployment_risk : float
        Dollars, ≥ 0.
    """
    gain = check_nonnegative(accuracy_gain, "accuracy_gain")
    value = check_nonnegative(value_per_point, "value_per_point")
    cost = check_nonnegative(training_cost, "training_cost")
    risk = check_nonnegative(deployment_risk, "deployment_risk")
    return gain * value > cost + risk


@dataclass(frozen=True)
class PolicyResult:
    """Outcome of :func:`simulate_retraining` for one policy over the horizon."""

    policy: str
    horizon_days: float
    retrains: int
    retraining_cost: float
    staleness_cost: float

    @property
    def total_cost(self) -> float:
        """Retraining plus staleness cost over the horizon, in dollars."""
        return self.retraining_cost + self.staleness_cost

    @property
    def cost_per_day(self) -> float:
        """Average cost per day, comparable with :func:`cost_rate`."""
        return self.total_cost / self.horizon_days


def simulate_retraining(
    C: float,
    Q: float,
    V: float,
    A0: float,
    lam: ArrayLike,
    horizon_days: float,
    *,
    interval: float | None = None,
    threshold: float | None = None,
    check_every: float = 1.0,
    steps_per_day: int = 24,
) -> PolicyResult:
    """Simulate a scheduled or a threshold-triggered retraining policy.

    The model starts fresh at ``t = 0`` and every cycle, the first included,
    is charged one retraining cost ``C``, so that each cycle of length τ costs
    ``C + S(τ) ≥ τ · min_T g(T)``: no policy can beat the analytic optimum
    :func:`exact_retrain_interval` on average. Within a step the staleness
    loss is integrated exactly.

    Parameters
    ----------
    C, Q, V, A0 : float
        As in :func:`staleness_cost`.
    lam : float or array_like
        Decay rate per day; an array gives one rate per simulated day (a drift
        speed that changes, e.g. a season), repeated cyclically.
    horizon_days : float
        Length of the simulation, > 0.
    interval : float, optional
        Scheduled policy: retrain every ``interval`` days (rounded to whole steps).
    threshold : float, optional
        Triggered policy: retrain when a check (every ``check_every`` days)
        sees accuracy below ``threshold``. Give exactly one of ``interval``
        and ``threshold``.
    steps_per_day : int, optional
        Time resolution.

    Returns
    -------
    PolicyResult
    """
    C = check_positive(C, "C")
    Q = check_positive(Q, "Q")
    V = check_positive(V, "V")
    A0 = check_accuracy(A0, "A0")
    horizon = check_positive(horizon_days, "horizon_days")
    if (interval is None) == (threshold is None):
        raise ValueError("give exactly one of interval and threshold")
    rates = np.atleast_1d(np.asarray(lam, dtype=float))
    if rates.ndim != 1 or np.any(rates < 0) or not np.all(np.isfinite(rates)):
        raise ValueError("lam must be non-negative and finite")
    if int(steps_per_day) != steps_per_day or steps_per_day < 1:
        raise ValueError("steps_per_day must be a positive integer")
    steps_per_day = int(steps_per_day)
    dt = 1.0 / steps_per_day
    n_steps = max(1, round(horizon * steps_per_day))
    if interval is not None:
        period = max(1, round(check_positive(interval, "interval") * steps_per_day))
        policy = f"every {period * dt:g} days"
    else:
        thr = check_positive(threshold, "threshold")
        if thr > A0:
            raise ValueError("threshold must not exceed A0")
        check = max(1, round(check_positive(check_every, "check_every") * steps_per_day))
        policy = f"retrain below {thr:g}"

    retrains = 1  # the model deployed at t = 0
    staleness = 0.0
    log_factor = 0.0  # ln(A/A0) since the last retrain
    age = 0
    for step in range(n_steps):
        if step > 0:
            due = (
                age >= period
                if interval is not None
                else (step % check == 0 and A0 * math.exp(log_factor) < thr)
            )
            if due:
                retrains += 1
                log_factor = 0.0
                age = 0
        rate = rates[(step // steps_per_day) % rates.size]
        a_start = A0 * math.exp(log_factor)
        if rate == 0:
            kept = a_start * dt
        else:
            kept = a_start * (-math.expm1(-rate * dt)) / rate
        staleness += Q * V * (A0 * dt - kept)
        log_factor -= rate * dt
        age += 1
    return PolicyResult(policy, n_steps * dt, retrains, retrains * C, staleness)
