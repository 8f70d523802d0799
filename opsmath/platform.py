"""Operations at scale: toil models, platform break-even and ROI figures.

The Operations Invariant of lab 12: with N models, alert handling grows as
O(N), deployment coordination as O(N log N) and dependency management as
O(N²). The lab's team-load model (worked example 21) is

.. math:: \\text{Toil}_{manual}(N) = a N + d\\,N\\log_2 N + h\\,c\\,N^2 \\quad\\text{hours/year}

with a = 20, d = 1, c = 0.5 and heterogeneity h = 1; a platform automates
most per-model work and turns the dependency term into
:math:`c_p\\,N\\log_2 N` (c_p = 2):

.. math:: \\text{Toil}_{platform}(N) = a_p N + d\\,N\\log_2 N + c_p\\,N\\log_2 N

Costs are annual: hours × engineer hourly cost, plus the platform capex
amortised over ``amortisation_years``. ROI formulas follow ``@eq-mlops-roi``
and ``@eq-skew-cost`` of the chapter "ML Operations" and the platform
examples of "Operations at Scale".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from opsmath._validation import check_nonnegative, check_positive

__all__ = [
    "ToilModel",
    "automation_break_even_weeks",
    "break_even_models",
    "false_alerts_per_day",
    "manual_toil",
    "platform_cost",
    "platform_roi",
    "platform_roi_ratio",
    "platform_toil",
    "savings_break_even_models",
    "single_model_roi",
    "skew_cost",
    "team_capacity_models",
]


@dataclass(frozen=True)
class ToilModel:
    """Coefficients of the toil model, in engineer-hours per year.

    Attributes
    ----------
    alert_hours : float
        a, manual alert handling per model (O(N) term).
    deploy_hours : float
        d, deployment coordination coefficient (O(N log N) term).
    dependency_hours : float
        c, manual dependency management per model pair (O(N²) term).
    heterogeneity : float
        h ≥ 0, multiplies the dependency term (1 = the lab's baseline mix of
        model types; 2 = twice as entangled).
    platform_alert_hours : float
        a_p, per-model alert handling left with a platform.
    platform_dependency_hours : float
        c_p, the platform's N log N dependency coefficient.
    """

    alert_hours: float = 20.0
    deploy_hours: float = 1.0
    dependency_hours: float = 0.5
    heterogeneity: float = 1.0
    platform_alert_hours: float = 5.0
    platform_dependency_hours: float = 2.0

    def __post_init__(self) -> None:
        for name in (
            "alert_hours",
            "deploy_hours",
            "dependency_hours",
            "heterogeneity",
            "platform_alert_hours",
            "platform_dependency_hours",
        ):
            check_nonnegative(getattr(self, name), name)


DEFAULT_TOIL = ToilModel()


def _models(n: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(n, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("number of models must be finite and non-negative")
    return arr


def _nlog2n(n: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, n * np.log2(np.where(n > 0, n, 1.0)), 0.0)


def _out(arr: NDArray[np.float64]) -> NDArray[np.float64] | float:
    return float(arr) if arr.ndim == 0 else arr


def manual_toil(n_models: ArrayLike, model: ToilModel = DEFAULT_TOIL) -> NDArray[np.float64] | float:
    """Engineer-hours per year to run ``n_models`` by hand: ``aN + dN·log₂N + h·c·N²``."""
    n = _models(n_models)
    out = model.alert_hours * n + model.deploy_hours * _nlog2n(n)
    out = out + model.heterogeneity * model.dependency_hours * n * n
    return _out(out)


def platform_toil(n_models: ArrayLike, model: ToilModel = DEFAULT_TOIL) -> NDArray[np.float64] | float:
    """Engineer-hours per year with a platform: ``a_p·N + (d + c_p)·N·log₂N``."""
    n = _models(n_models)
    out = model.platform_alert_hours * n + (model.deploy_hours + model.platform_dependency_hours) * _nlog2n(n)
    return _out(out)


def platform_cost(
    n_models: ArrayLike,
    capex: float,
    hourly_cost: float,
    model: ToilModel = DEFAULT_TOIL,
    amortisation_years: float = 1.0,
) -> NDArray[np.float64] | float:
    """Annual platform cost: ``capex / amortisation_years + hourly_cost · Toil_platform(N)``."""
    capex = check_nonnegative(capex, "capex")
    rate = check_positive(hourly_cost, "hourly_cost")
    years = check_positive(amortisation_years, "amortisation_years")
    return _out(capex / years + rate * np.asarray(platform_toil(n_models, model)))


def platform_roi(
    n_models: ArrayLike,
    capex: float,
    hourly_cost: float,
    model: ToilModel = DEFAULT_TOIL,
    amortisation_years: float = 1.0,
) -> NDArray[np.float64] | float:
    r"""Lab 12's platform ROI in dollars per year.

    .. math:: ROI_{platform} = \text{Toil}_{manual} - (\text{Capex}_{platform} + \text{Toil}_{platform})

    with both toils priced at ``hourly_cost``. Positive means the platform pays.
    """
    rate = check_positive(hourly_cost, "hourly_cost")
    manual = rate * np.asarray(manual_toil(n_models, model))
    return _out(manual - np.asarray(platform_cost(n_models, capex, rate, model, amortisation_years)))


def break_even_models(
    capex: float,
    hourly_cost: float,
    model: ToilModel = DEFAULT_TOIL,
    amortisation_years: float = 1.0,
    max_models: int = 1_000_000,
) -> int | None:
    """Smallest N ≥ 1 at which manual toil costs at least the platform.

    N* = min{N ∈ ℕ, N ≥ 1 : hourly_cost·Toil_manual(N) ≥ Capex + hourly_cost·Toil_platform(N)}.

    Returns
    -------
    int or None
        N*, or ``None`` when no N up to ``max_models`` qualifies (the platform
        never pays off, e.g. with ``heterogeneity = 0`` and a platform whose
        per-model toil is not lower than the manual one).
    """
    start = 1
    chunk = 1024
    while start <= max_models:
        stop = min(max_models, start + chunk - 1)
        n = np.arange(start, stop + 1, dtype=float)
        roi = np.asarray(platform_roi(n, capex, hourly_cost, model, amortisation_years))
        hits = np.flatnonzero(roi >= 0)
        if hits.size:
            return int(start + hits[0])
        start = stop + 1
        chunk *= 2
    return None


def team_capacity_models(capacity_hours: float, model: ToilModel = DEFAULT_TOIL) -> int:
    """Largest N whose manual toil fits in ``capacity_hours`` per year (0 if none)."""
    cap = check_nonnegative(capacity_hours, "capacity_hours")
    if manual_toil(10**9, model) <= cap:
        raise ValueError("this toil model never exhausts the capacity (all coefficients are zero?)")
    n = 0
    step = 1
    while manual_toil(n + step, model) <= cap:  # gallop, then bisect
        n += step
        step *= 2
    while step > 1:
        step //= 2
        if manual_toil(n + step, model) <= cap:
            n += step
    return n


def platform_roi_ratio(
    n_models: float, hours_saved_per_model: float, hourly_cost: float, platform_cost_: float
) -> float:
    """Platform ROI ratio N × T_saved × C_engineer / C_platform (worked example 18: 1.25)."""
    n = check_nonnegative(n_models, "n_models")
    saved = check_nonnegative(hours_saved_per_model, "hours_saved_per_model")
    rate = check_nonnegative(hourly_cost, "hourly_cost")
    cost = check_positive(platform_cost_, "platform_cost")
    return n * saved * rate / cost


def savings_break_even_models(platform_investment: float, savings_per_model: float) -> int:
    """Models needed for per-model savings to repay a platform: ⌈investment / savings⌉."""
    inv = check_nonnegative(platform_investment, "platform_investment")
    save = check_positive(savings_per_model, "savings_per_model")
    ratio = inv / save
    r = round(ratio)
    return int(r) if math.isclose(ratio, r, rel_tol=1e-12) else math.ceil(ratio)


def automation_break_even_weeks(one_time_hours: float, weekly_manual_hours: float) -> float:
    """Weeks until automating pays for itself: one-time hours / manual hours saved per week."""
    once = check_nonnegative(one_time_hours, "one_time_hours")
    weekly = check_positive(weekly_manual_hours, "weekly_manual_hours")
    return once / weekly


def single_model_roi(
    incidents_avoided: float,
    incident_cost: float,
    hours_saved: float,
    hourly_cost: float,
    investment: float,
) -> float:
    """Annual MLOps ROI, ``@eq-mlops-roi``: (incidents × cost + hours × rate) / investment."""
    incidents = check_nonnegative(incidents_avoided, "incidents_avoided")
    cost = check_nonnegative(incident_cost, "incident_cost")
    hours = check_nonnegative(hours_saved, "hours_saved")
    rate = check_nonnegative(hourly_cost, "hourly_cost")
    inv = check_positive(investment, "investment")
    return (incidents * cost + hours * rate) / inv


def skew_cost(error_rate: float, query_volume: float, error_impact: float, days: float = 1.0) -> float:
    """Training-serving skew cost, ``@eq-skew-cost``: error rate × queries × impact (× days)."""
    rate = check_nonnegative(error_rate, "error_rate")
    if rate > 1:
        raise ValueError("error_rate must be a fraction in [0, 1]")
    q = check_nonnegative(query_volume, "query_volume")
    impact = check_nonnegative(error_impact, "error_impact")
    d = check_nonnegative(days, "days")
    return rate * q * impact * d


def false_alerts_per_day(monitors: float, false_positive_rate: float = 0.0027, checks_per_day: float = 288) -> float:
    """Expected false alerts per day: monitors × FPR × checks (3σ → 0.27 %, every 5 min → 288)."""
    m = check_nonnegative(monitors, "monitors")
    fpr = check_nonnegative(false_positive_rate, "false_positive_rate")
    if fpr > 1:
        raise ValueError("false_positive_rate must be at most 1")
    checks = check_nonnegative(checks_per_day, "checks_per_day")
    return m * fpr * checks
