"""Worked examples from ``shared/reference/worked-examples.md`` reproduced by :mod:`opsmath`.

One test (or a small group) per applicable row of the table. Every expected
value is computed independently here, by hand arithmetic or directly from
``math``/``scipy``, never by calling the function under test. Figures quoted
to 4-5 significant digits in the table are compared with ``rel=1e-4``;
integers are compared exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

import opsmath as om

REL = 1e-4  # tolerance for figures the table quotes to 4-5 significant digits
TIGHT = 1e-12  # tolerance for values recomputed here by hand in floating point


# Row 4/5 inputs: C, Q, V, A0, lambda.
C, Q, V, A0, LAM = 5_000.0, 1_000_000.0, 0.50, 0.95, 0.02


# --- Row 1: PSI --------------------------------------------------------------------------------


def test_row01_psi_textbook_value() -> None:
    expected = [0.15, 0.25, 0.20, 0.18, 0.12, 0.10]
    actual = [0.12, 0.22, 0.18, 0.20, 0.15, 0.13]
    by_hand = sum((a - e) * math.log(a / e) for e, a in zip(expected, actual, strict=True))
    value = om.psi(expected, actual)
    assert value == pytest.approx(by_hand, rel=TIGHT)
    assert value == pytest.approx(0.02931, rel=REL)
    assert value < 0.1
    assert om.drift_status(value) == "stable"


# --- Row 2: PSI bands --------------------------------------------------------------------------


def test_row02_psi_bands() -> None:
    assert om.PSI_BANDS == (0.1, 0.2)
    assert om.drift_status(0.0) == "stable"
    assert om.drift_status(0.05) == "stable"
    assert om.drift_status(0.15) == "investigate"
    assert om.drift_status(0.25) == "significant"


# --- Row 3: other drift alert thresholds (KS > 0.1, JS > 0.1) -----------------------------------


def test_row03_ks_statistic_hand_example() -> None:
    # Reference 1..10, live 3..12: the empirical CDFs differ by at most 2/10 (at x = 2).
    reference = list(range(1, 11))
    live = list(range(3, 13))
    d = om.ks_statistic(reference, live)
    assert d == pytest.approx(0.2, rel=TIGHT)
    assert d > 0.1  # the chapter's KS alert threshold fires
    assert om.ks_statistic(reference, reference) == 0.0


def test_row03_ks_critical_value_matches_course_coefficient() -> None:
    # hardware.md: D_crit = 1.36 * sqrt((n + m)/(n m)) at alpha = 0.05; c(alpha) = sqrt(-ln(alpha/2)/2).
    n, m = 1000, 2000
    c = math.sqrt(-math.log(0.05 / 2) / 2)
    assert om.ks_critical_value(n, m) == pytest.approx(c * math.sqrt((n + m) / (n * m)), rel=TIGHT)
    assert om.ks_critical_value(n, m) == pytest.approx(1.36 * math.sqrt((n + m) / (n * m)), rel=3e-3)


def test_row03_js_divergence_hand_example() -> None:
    p = [0.9, 0.1]
    q = [0.5, 0.5]
    m = [0.7, 0.3]
    by_hand = 0.5 * sum(pi * math.log(pi / mi) for pi, mi in zip(p, m, strict=True)) + 0.5 * sum(
        qi * math.log(qi / mi) for qi, mi in zip(q, m, strict=True)
    )
    value = om.js_divergence(p, q)
    assert value == pytest.approx(by_hand, rel=TIGHT)
    assert value == pytest.approx(0.10175, rel=REL)
    assert value > 0.1  # just above the chapter's JS alert threshold
    assert om.js_divergence([0.6, 0.4], [0.5, 0.5]) < 0.1  # a mild shift stays below it
    # Disjoint supports: the maximum ln 2 (1 bit), well above the threshold.
    assert om.js_divergence([1, 0], [0, 1]) == pytest.approx(math.log(2), rel=TIGHT)
    assert om.js_divergence([1, 0], [0, 1], base=2) == pytest.approx(1.0, rel=TIGHT)


# --- Row 4: square-root law -------------------------------------------------------------------


def test_row04_sqrt_law_interval() -> None:
    by_hand = math.sqrt(2 * C / (Q * V * A0 * LAM))
    value = om.optimal_retrain_interval(C, Q, V, A0, LAM)
    assert value == pytest.approx(by_hand, rel=TIGHT)
    assert value == pytest.approx(1.026, abs=5e-4)


# --- Row 5: exact optimum ---------------------------------------------------------------------


def test_row05_exact_interval_lambert_w() -> None:
    k = C * LAM / (Q * V * A0)
    assert k < 1
    x = -1.0 - special.lambertw(-(1.0 - k) / math.e, -1).real
    by_hand = x / LAM
    value = om.exact_retrain_interval(C, Q, V, A0, LAM)
    assert value == pytest.approx(by_hand, rel=1e-9)
    assert value == pytest.approx(1.0331, rel=REL)


def test_row05_exact_interval_is_stationary_point() -> None:
    # g(T) = (S(T) + C)/T with S(T) = QVA0 (T - (1 - e^{-lam T})/lam); g'(T*) = 0 <=> (1 + x)e^{-x} = 1 - k.
    T = om.exact_retrain_interval(C, Q, V, A0, LAM)
    x = LAM * T
    k = C * LAM / (Q * V * A0)
    assert (1 + x) * math.exp(-x) == pytest.approx(1 - k, rel=1e-12)


def test_row05_no_finite_optimum_when_k_at_least_one() -> None:
    # k = C lam / (Q V A0) = 1 exactly: C = Q V A0 / lam.
    big_c = Q * V * A0 / LAM
    assert om.exact_retrain_interval(big_c, Q, V, A0, LAM) == math.inf
    assert om.exact_retrain_interval(2 * big_c, Q, V, A0, LAM) == math.inf


# --- Row 6: sensitivity -----------------------------------------------------------------------


def test_row06_sensitivity_of_sqrt_law() -> None:
    base = om.optimal_retrain_interval(C, Q, V, A0, LAM)
    assert om.optimal_retrain_interval(4 * C, Q, V, A0, LAM) == pytest.approx(2 * base, rel=1e-12)
    assert om.optimal_retrain_interval(C, 4 * Q, V, A0, LAM) == pytest.approx(base / 2, rel=1e-12)
    assert om.optimal_retrain_interval(C, Q, V, A0, 4 * LAM) == pytest.approx(base / 2, rel=1e-12)


# --- Row 7: zero-failure canary sample size ----------------------------------------------------


def test_row07_canary_sample_size() -> None:
    by_hand = math.ceil(math.log(0.05) / math.log(0.999))
    assert by_hand == 2995
    assert om.canary_sample_size(0.95, 1 / 1000) == by_hand
    # Rule of three: approximately 3/p = 3000.
    assert om.rule_of_three_sample_size(1 / 1000) == 3000
    assert om.rule_of_three(3000) == pytest.approx(1 / 1000, rel=TIGHT)


# --- Rows 8 and 22: A/B sample size ------------------------------------------------------------


def test_row08_ab_sample_size_formula() -> None:
    sigma, delta = 2.0, 0.5
    za, zb = stats.norm.ppf(0.975), stats.norm.ppf(0.80)
    by_hand = math.ceil(2 * (za + zb) ** 2 * sigma**2 / delta**2)
    assert om.ab_sample_size(sigma, delta) == by_hand
    # With the course's rounded quantiles: 2 * 2.8^2 * 4 / 0.25 = 250.88 -> 251.
    assert om.ab_sample_size(sigma, delta, z_alpha=1.96, z_beta=0.84) == 251


def test_row22_ab_sample_size_proportions() -> None:
    # 2 * (1.96 + 0.84)^2 * 0.05 * 0.95 / 0.005^2 = 15.68 * 0.0475 / 0.000025 = 29,792 exactly.
    assert om.ab_sample_size_proportions(0.05, 0.005, z_alpha=1.96, z_beta=0.84) == 29_792


def test_row22_ab_sample_size_one_percent_baseline() -> None:
    # 15.68 * 0.0099 / 0.0005^2 = 620,928 exactly. The table's 620,800 rounds the
    # intermediate 0.155232 to 0.1552, so it agrees only to about 2e-4.
    n = om.ab_sample_size_proportions(0.01, 0.0005, z_alpha=1.96, z_beta=0.84)
    assert n == 620_928
    assert n == pytest.approx(620_800, rel=5e-4)


# --- Row 9: drift detection delay --------------------------------------------------------------


def test_row09_detection_delay() -> None:
    minutes = om.detection_delay(1000, 1.0) / 60  # 1 request/s, seconds -> minutes
    assert minutes == pytest.approx(1000 / 60, rel=TIGHT)
    assert minutes == pytest.approx(16.7, abs=0.05)
    assert om.detection_delay(1000, 100) == 10.0  # 100 requests/day -> days


# --- Row 10: automation break-even -------------------------------------------------------------


def test_row10_automation_break_even_weeks() -> None:
    assert om.automation_break_even_weeks(80, 4) == 20.0


# --- Row 11: training-serving skew cost --------------------------------------------------------


def test_row11_skew_cost() -> None:
    # 0.01 * 1,000,000 * $0.10 * 365 = $365,000.
    assert om.skew_cost(0.01, 1_000_000, 0.10, 365) == pytest.approx(365_000, rel=1e-12)
    assert om.skew_cost(0.01, 1_000_000, 0.10) == pytest.approx(1_000, rel=1e-12)


# --- Row 12: single-model MLOps ROI ------------------------------------------------------------


def test_row12_single_model_roi() -> None:
    hours = 20 * 12
    by_hand = (4 * 25_000 + hours * 150) / 30_000  # (100,000 + 36,000) / 30,000
    value = om.single_model_roi(4, 25_000, hours, 150, 30_000)
    assert value == pytest.approx(by_hand, rel=TIGHT)
    assert value == pytest.approx(4.53, abs=5e-3)


# --- Row 13: retrain decision -----------------------------------------------------------------


def test_row13_retrain_decision() -> None:
    # 2 points * $3,000/point = $6,000 against $5,000 training + $500 risk -> retrain.
    assert om.retrain_decision(2, 3_000, 5_000, 500) is True
    # Same gain, $1,500 risk: $6,000 < $6,500 -> do not retrain.
    assert om.retrain_decision(2, 3_000, 5_000, 1_500) is False
    # The inequality is strict: equality does not retrain.
    assert om.retrain_decision(2, 3_000, 5_000, 1_000) is False


# --- Row 14: degradation equation --------------------------------------------------------------


def test_row14_degraded_accuracy() -> None:
    # A_t = A_0 - lambda * D: 0.94 - 0.25 * 0.31 = 0.8625.
    assert om.degraded_accuracy(0.94, 0.25, 0.31) == pytest.approx(0.94 - 0.25 * 0.31, rel=TIGHT)
    assert om.degraded_accuracy(0.94, 0.0, 5.0) == pytest.approx(0.94, rel=TIGHT)
    assert om.degraded_accuracy(0.94, 10.0, 1.0) == 0.0  # floored at zero accuracy
    out = om.degraded_accuracy(0.9, 0.5, [0.0, 0.1, 0.2])
    np.testing.assert_allclose(out, [0.9, 0.85, 0.8], rtol=1e-12)


# --- Row 15: operations invariant and platform break-even ---------------------------------------


def _manual_hours(n: int) -> float:
    return 20 * n + (n * math.log2(n) if n > 0 else 0.0) + 0.5 * n * n


def _platform_hours(n: int) -> float:
    return 5 * n + (1 + 2) * (n * math.log2(n) if n > 0 else 0.0)


def test_row15_platform_roi_definition() -> None:
    capex, rate, n = 500_000.0, 150.0, 50
    by_hand = rate * _manual_hours(n) - (capex + rate * _platform_hours(n))
    assert om.platform_roi(n, capex, rate) == pytest.approx(by_hand, rel=1e-12)


def test_row15_platform_break_even_lab_plan_12() -> None:
    capex, rate = 500_000.0, 150.0
    n_star = next(n for n in range(1, 10_000) if rate * _manual_hours(n) >= capex + rate * _platform_hours(n))
    assert n_star == 80  # by hand: N = 79 leaves ROI < 0, N = 80 clears it
    assert om.break_even_models(capex, rate) == n_star


def test_row15_growth_orders() -> None:
    # Doubling N doubles the O(N) term, and quadruples the O(N^2) term.
    only_alerts = om.ToilModel(alert_hours=1, deploy_hours=0, dependency_hours=0)
    only_deps = om.ToilModel(alert_hours=0, deploy_hours=0, dependency_hours=1)
    only_deploy = om.ToilModel(alert_hours=0, deploy_hours=1, dependency_hours=0)
    assert om.manual_toil(200, only_alerts) == pytest.approx(2 * om.manual_toil(100, only_alerts), rel=1e-12)
    assert om.manual_toil(200, only_deps) == pytest.approx(4 * om.manual_toil(100, only_deps), rel=1e-12)
    assert om.manual_toil(64, only_deploy) == pytest.approx(64 * 6, rel=1e-12)


# --- Row 17: canary stage duration --------------------------------------------------------------


def test_row17_canary_duration() -> None:
    # t = n / (r p): 10,000 / (1,000,000 * 0.01) = 1 hour; at 5 %: 0.2 h = 12 minutes.
    assert om.canary_duration(10_000, 1_000_000, 0.01) == pytest.approx(1.0, rel=1e-12)
    assert om.canary_duration(10_000, 1_000_000, 0.05) * 60 == pytest.approx(12.0, rel=1e-12)


def test_row17_staged_rollout() -> None:
    assert om.DEFAULT_STAGES == (0.01, 0.05, 0.25, 0.50, 1.00)
    by_hand = [10_000 / (1_000_000 * f) for f in (0.01, 0.05, 0.25, 0.50, 1.00)]
    durations = om.staged_rollout(10_000, 1_000_000)
    assert durations == pytest.approx(by_hand, rel=1e-12)
    # A minimum bake time per stage floors the short stages.
    floored = om.staged_rollout(10_000, 1_000_000, min_stage_time=0.5)
    assert floored == pytest.approx([max(0.5, d) for d in by_hand], rel=1e-12)


# --- Row 18: platform ROI ratio ---------------------------------------------------------------


def test_row18_platform_roi_ratio() -> None:
    # 50 * 20 * 150 / 120,000 = 150,000 / 120,000 = 1.25.
    assert om.platform_roi_ratio(50, 20, 150, 120_000) == pytest.approx(1.25, rel=1e-12)


# --- Row 20: platform break-even from savings --------------------------------------------------


def test_row20_savings_break_even() -> None:
    assert om.savings_break_even_models(2_000_000, 100_000) == 20
    assert om.savings_break_even_models(5_000_000, 100_000) == 50
    assert om.savings_break_even_models(2_000_001, 100_000) == 21  # a partial model rounds up
    # 100 models * $100K saved / $2M platform = 5x return.
    assert om.platform_roi_ratio(100, 100_000, 1.0, 2_000_000) == pytest.approx(5.0, rel=1e-12)


# --- Row 21: team load with N models -----------------------------------------------------------


def test_row21_manual_toil_ten_models() -> None:
    # 20*10 + 10*log2(10) + 0.5*10^2 = 200 + 33.2193 + 50 = 283.2193 hours/year.
    by_hand = 200 + 10 * math.log2(10) + 50
    assert om.manual_toil(10, om.ToilModel()) == pytest.approx(by_hand, rel=1e-12)
    assert om.manual_toil(10, om.ToilModel()) == pytest.approx(283.2193, rel=REL)


def test_row21_platform_toil_ten_models() -> None:
    # With a platform the dependency term becomes 2 N log2 N: 5*10 + (1 + 2) * 10 log2 10.
    by_hand = 5 * 10 + 3 * 10 * math.log2(10)
    assert om.platform_toil(10, om.ToilModel()) == pytest.approx(by_hand, rel=1e-12)


def test_row21_team_capacity() -> None:
    n_fit = max(n for n in range(0, 1000) if _manual_hours(n) <= 4_000)
    assert n_fit == 67  # 67 models: 3,990.9 h; 68 models: 4,085.9 h
    assert om.team_capacity_models(4_000, om.ToilModel()) == n_fit
    assert om.team_capacity_models(0) == 0


# --- Row 23: false alerts per day --------------------------------------------------------------


def test_row23_false_alerts_per_day() -> None:
    # 3 sigma two-sided false-positive rate is about 0.0027.
    assert 2 * stats.norm.sf(3) == pytest.approx(0.0027, rel=1e-2)
    # 100 monitors * 0.0027 * 288 = 77.76 false alerts/day, above a human capacity of ~50.
    value = om.false_alerts_per_day(100)
    assert value == pytest.approx(100 * 0.0027 * 288, rel=1e-12)
    assert value > 50
    assert om.false_alerts_per_day(10, 0.01, 24) == pytest.approx(2.4, rel=1e-12)


# --- Row 24: PSI bands in the course library ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [(0.0999, "stable"), (0.10, "investigate"), (0.20, "investigate"), (0.25, "significant")],
)
def test_row24_course_library_bands(value: float, status: str) -> None:
    # warn at 0.10, review above 0.20; the course's "critical" 0.25 is inside the review band.
    assert om.drift_status(value) == status


def test_min_traffic_fraction_inverts_stage_duration() -> None:
    """Example 17 backwards: 10,000 samples at 1,000,000 req/h within 1 hour need 1 % of traffic."""
    assert om.min_traffic_fraction(10_000, 1_000_000, 1.0) == pytest.approx(0.01, rel=1e-12)
    assert om.min_traffic_fraction(10_000, 1_000, 1.0) is None  # would need 1000 % of traffic
    assert om.min_traffic_fraction(1_000, 1_000, 1.0) == 1.0
