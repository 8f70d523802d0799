"""Property tests for :mod:`opsmath` (Hypothesis, derandomized, no example database).

Each property is a mathematical fact about the quantity, checked against an
independent computation (``math``, ``scipy``, hand formulas) where one exists:
drift statistics, retraining economics and the policy simulator, rollout
sample sizes and the SPRT, platform break-even, slices, feature contracts and
the four course tracks.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

import opsmath as om

SETTINGS = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FEW = settings(SETTINGS, max_examples=15)

# --- strategies ----------------------------------------------------------------------------------

_bin = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=10_000).map(float),
)


def _histogram(n: int) -> st.SearchStrategy[list[float]]:
    return st.lists(_bin, min_size=n, max_size=n).filter(lambda xs: sum(xs) > 0)


histogram_pairs = st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.tuples(_histogram(n), _histogram(n), st.permutations(list(range(n))))
)
histograms = st.integers(min_value=1, max_value=12).flatmap(_histogram)

samples = st.lists(
    st.one_of(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
        st.integers(min_value=-5, max_value=5).map(float),  # ties
    ),
    min_size=1,
    max_size=60,
)


def _log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=math.log10(lo), max_value=math.log10(hi)).map(lambda e: 10.0**e)


costs = _log_uniform(1.0, 1e7)
queries = _log_uniform(1.0, 1e9)
values = _log_uniform(1e-4, 10.0)
accuracies = st.floats(min_value=0.01, max_value=1.0)
rates = _log_uniform(1e-6, 10.0)
economics = st.tuples(costs, queries, values, accuracies, rates)


def _excess_by_hand(x: float) -> float:
    """x - (1 - e^-x) = sum_{j>=2} (-1)^j x^j / j!, summed directly for small x (no cancellation)."""
    if x >= 0.5:
        return x + math.expm1(-x)
    return math.fsum((-1) ** j * x**j / math.factorial(j) for j in range(2, 30))


def _k(C: float, Q: float, V: float, A0: float, lam: float) -> float:
    return C * lam / (Q * V * A0)


# --- drift: PSI, KL, JS, KS --------------------------------------------------------------------


@SETTINGS
@given(histogram_pairs)
def test_psi_nonnegative_symmetric_and_sum_of_kls(pair: tuple[list[float], list[float], list[int]]) -> None:
    e, a, _ = pair
    value = om.psi(e, a)
    assert value >= 0
    assert value == pytest.approx(om.psi(a, e), rel=1e-12, abs=1e-15)
    assert value == pytest.approx(om.kl_divergence(a, e) + om.kl_divergence(e, a), rel=1e-9, abs=1e-12)


@SETTINGS
@given(histograms)
def test_psi_zero_on_identical_inputs(h: list[float]) -> None:
    assert om.psi(h, h) == 0.0
    assert om.kl_divergence(h, h) == 0.0


@SETTINGS
@given(histogram_pairs, _log_uniform(1e-6, 1e6))
def test_psi_invariant_to_bin_permutation_and_scaling(
    pair: tuple[list[float], list[float], list[int]], scale: float
) -> None:
    e, a, perm = pair
    value = om.psi(e, a)
    e_perm = [e[i] for i in perm]
    a_perm = [a[i] for i in perm]
    assert om.psi(e_perm, a_perm) == pytest.approx(value, rel=1e-9, abs=1e-12)
    assert om.psi([scale * x for x in e], [scale * x for x in a]) == pytest.approx(value, rel=1e-9, abs=1e-12)


@SETTINGS
@given(histogram_pairs)
def test_kl_nonnegative(pair: tuple[list[float], list[float], list[int]]) -> None:
    e, a, _ = pair
    assert om.kl_divergence(e, a) >= 0
    assert om.kl_divergence(a, e) >= 0


@SETTINGS
@given(histogram_pairs)
def test_js_symmetric_and_bounded(pair: tuple[list[float], list[float], list[int]]) -> None:
    p, q, _ = pair
    value = om.js_divergence(p, q)
    assert 0 <= value <= math.log(2) * (1 + 1e-12)
    assert value == pytest.approx(om.js_divergence(q, p), rel=1e-12, abs=1e-15)
    assert om.js_divergence(p, q, base=2) <= 1 + 1e-12


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy's p-value for tiny samples; only D is compared
@SETTINGS
@given(samples, samples)
def test_ks_statistic_matches_scipy(reference: list[float], live: list[float]) -> None:
    expected = stats.ks_2samp(reference, live, method="asymp").statistic
    assert om.ks_statistic(reference, live) == pytest.approx(expected, abs=1e-12)


@SETTINGS
@given(
    st.lists(st.floats(min_value=-100, max_value=100), min_size=1, max_size=80),
    st.integers(min_value=1, max_value=12),
    st.sampled_from(["quantile", "uniform"]),
)
def test_psi_from_samples_zero_for_identical_samples(train: list[float], bins: int, strategy: str) -> None:
    assert om.psi_from_samples(train, list(train), bins=bins, strategy=strategy) == 0.0


@SETTINGS
@given(
    st.lists(st.floats(min_value=-100, max_value=100), min_size=2, max_size=80),
    st.lists(st.floats(min_value=-1e4, max_value=1e4), min_size=1, max_size=80),
    st.integers(min_value=1, max_value=12),
    st.sampled_from(["quantile", "uniform"]),
)
def test_psi_from_samples_keeps_out_of_range_live_values(
    train: list[float], live: list[float], bins: int, strategy: str
) -> None:
    far = [*live, max(train) + 1e5, min(train) - 1e5]  # certainly outside the training range
    edges = om.bin_edges(train, bins, strategy)
    counts = om.bin_counts(far, edges)
    assert int(counts.sum()) == len(far)
    assert int(om.bin_counts(train, edges).sum()) == len(train)
    assert counts[0] >= 1 and counts[-1] >= 1  # the two far values land in the end bins
    value = om.psi_from_samples(train, far, bins=bins, strategy=strategy)
    assert math.isfinite(value) and value >= 0


def test_psi_from_samples_out_of_range_end_bins_by_hand() -> None:
    train = np.arange(100, dtype=float)  # 0..99, uniform 4 bins -> interior edges 24.75, 49.5, 74.25
    edges = om.bin_edges(train, 4, "uniform")
    counts = om.bin_counts([-1000.0, -1.0, 30.0, 60.0, 99.0, 100.0, 5000.0], edges)
    assert counts.tolist() == [2, 1, 1, 3]


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (0.0, "stable"),
        (0.1 - 1e-12, "stable"),
        (0.1, "investigate"),
        (0.15, "investigate"),
        (0.2, "investigate"),
        (0.2 + 1e-12, "significant"),
        (math.nextafter(0.2, 1.0), "significant"),
        (math.inf, "significant"),
    ],
)
def test_drift_status_band_boundaries(value: float, status: str) -> None:
    assert om.drift_status(value) == status


@SETTINGS
@given(st.floats(min_value=0, max_value=10), st.floats(min_value=0, max_value=10))
def test_drift_status_monotone(x: float, y: float) -> None:
    order = {"stable": 0, "investigate": 1, "significant": 2}
    lo, hi = sorted((x, y))
    assert order[om.drift_status(lo)] <= order[om.drift_status(hi)]


# --- retraining economics ------------------------------------------------------------------------


@SETTINGS
@given(economics)
def test_sqrt_law_scaling(params: tuple[float, ...]) -> None:
    C, Q, V, A0, lam = params
    base = om.optimal_retrain_interval(C, Q, V, A0, lam)
    assert base == pytest.approx(math.sqrt(2 * C / (Q * V * A0 * lam)), rel=1e-12)
    assert om.optimal_retrain_interval(4 * C, Q, V, A0, lam) == pytest.approx(2 * base, rel=1e-9)
    assert om.optimal_retrain_interval(C, 4 * Q, V, A0, lam) == pytest.approx(base / 2, rel=1e-9)
    assert om.optimal_retrain_interval(C, Q, V, A0, 4 * lam) == pytest.approx(base / 2, rel=1e-9)


@SETTINGS
@given(economics)
def test_exact_interval_at_least_sqrt_law(params: tuple[float, ...]) -> None:
    C, Q, V, A0, lam = params
    exact = om.exact_retrain_interval(C, Q, V, A0, lam)
    sqrt_law = om.optimal_retrain_interval(C, Q, V, A0, lam)
    assert exact >= sqrt_law
    assert (exact == math.inf) == (_k(C, Q, V, A0, lam) >= 1)


@pytest.mark.parametrize("k", [10.0**-j for j in range(1, 16)])
def test_exact_over_sqrt_tends_to_one(k: float) -> None:
    # With Q = V = A0 = lam = 1, k = C. Series: lam T* = sqrt(2k) (1 + sqrt(2k)/3 + ...).
    ratio = om.exact_retrain_interval(k, 1.0, 1.0, 1.0, 1.0) / om.optimal_retrain_interval(k, 1.0, 1.0, 1.0, 1.0)
    assert 1.0 <= ratio <= 1.0 + math.sqrt(2 * k)
    assert ratio - 1 == pytest.approx(math.sqrt(2 * k) / 3, rel=0.6)


@SETTINGS
@given(economics)
def test_exact_interval_is_the_minimiser(params: tuple[float, ...]) -> None:
    C, Q, V, A0, lam = params
    assume(_k(C, Q, V, A0, lam) < 0.95)
    T = om.exact_retrain_interval(C, Q, V, A0, lam)
    g = om.cost_rate(T, C, Q, V, A0, lam)
    assert g <= om.cost_rate(T * (1 + 1e-3), C, Q, V, A0, lam) * (1 + 1e-12)
    assert g <= om.cost_rate(T * (1 - 1e-3), C, Q, V, A0, lam) * (1 + 1e-12)

    # Independent cross-check on the hand-written objective with scipy's bounded minimiser.
    def objective(t: float) -> float:
        stale = Q * V * A0 * _excess_by_hand(lam * t) / lam
        return (stale + C) / t

    res = optimize.minimize_scalar(objective, bounds=(T / 20, T * 20), method="bounded", options={"xatol": T * 1e-10})
    assert res.x == pytest.approx(T, rel=1e-3)
    assert g <= res.fun * (1 + 1e-9)


@SETTINGS
@given(costs, queries, values, accuracies, rates, _log_uniform(1.0 + 1e-9, 1e3))
def test_exact_interval_infinite_when_k_at_least_one(
    _c: float, Q: float, V: float, A0: float, lam: float, k: float
) -> None:
    C = k * Q * V * A0 / lam
    assume(_k(C, Q, V, A0, lam) >= 1)
    assert om.exact_retrain_interval(C, Q, V, A0, lam) == math.inf


@SETTINGS
@given(costs, queries, values, accuracies)
def test_intervals_infinite_without_decay(C: float, Q: float, V: float, A0: float) -> None:
    assert om.exact_retrain_interval(C, Q, V, A0, 0.0) == math.inf
    assert om.optimal_retrain_interval(C, Q, V, A0, 0.0) == math.inf
    assert om.staleness_cost(10.0, Q, V, A0, 0.0) == 0.0


@SETTINGS
@given(queries, values, accuracies, _log_uniform(1e-12, 1e-7), _log_uniform(1e-2, 1e3))
def test_staleness_cost_series_for_tiny_decay(Q: float, V: float, A0: float, lam: float, T: float) -> None:
    series = lam * T * T / 2 * Q * V * A0
    assert om.staleness_cost(T, Q, V, A0, lam) == pytest.approx(series, rel=max(1e-9, lam * T))


@SETTINGS
@given(queries, values, accuracies, _log_uniform(1e-2, 1e3))
def test_staleness_cost_continuous_across_series_switch(Q: float, V: float, A0: float, T: float) -> None:
    lam_switch = 1e-3 / T  # the implementation switches formulas at lam*T = 1e-3
    below = om.staleness_cost(T, Q, V, A0, lam_switch * (1 - 1e-9))
    above = om.staleness_cost(T, Q, V, A0, lam_switch * (1 + 1e-9))
    assert below == pytest.approx(above, rel=1e-7)


@FEW
@given(queries, values, accuracies, _log_uniform(1e-3, 1.0), _log_uniform(0.1, 50.0))
def test_staleness_cost_matches_quadrature(Q: float, V: float, A0: float, lam: float, T: float) -> None:
    integral, _ = integrate.quad(lambda t: Q * V * (A0 - A0 * math.exp(-lam * t)), 0.0, T, epsabs=0, epsrel=1e-12)
    assert om.staleness_cost(T, Q, V, A0, lam) == pytest.approx(integral, rel=1e-8)


# --- retraining simulator -------------------------------------------------------------------------

sim_economics = st.tuples(
    _log_uniform(100.0, 1e6),  # C
    _log_uniform(1e3, 1e8),  # Q
    _log_uniform(1e-3, 1.0),  # V
    st.floats(min_value=0.5, max_value=1.0),  # A0
    _log_uniform(1e-3, 0.5),  # lam
)


@SETTINGS
@given(
    sim_economics,
    st.one_of(
        st.tuples(st.just("interval"), st.floats(min_value=0.05, max_value=40.0)),
        st.tuples(st.just("threshold"), st.floats(min_value=0.3, max_value=1.0)),
    ),
    st.floats(min_value=1.0, max_value=60.0),
)
def test_simulation_never_beats_analytic_optimum(
    params: tuple[float, ...], policy: tuple[str, float], horizon: float
) -> None:
    C, Q, V, A0, lam = params
    assume(_k(C, Q, V, A0, lam) < 1)
    best = om.cost_rate(om.exact_retrain_interval(C, Q, V, A0, lam), C, Q, V, A0, lam)
    kind, x = policy
    if kind == "interval":
        result = om.simulate_retraining(C, Q, V, A0, lam, horizon, interval=x)
    else:
        result = om.simulate_retraining(C, Q, V, A0, lam, horizon, threshold=x * A0, check_every=0.5)
    assert result.retrains >= 1
    assert result.cost_per_day >= best * (1 - 1e-6)


_SCENARIOS = [("worked_example", (5_000.0, 1e6, 0.5, 0.95, 0.02))] + [
    (
        key,
        (
            t.scenario.retrain_cost,
            t.scenario.daily_queries,
            t.scenario.value_per_point,
            t.scenario.accuracy0,
            t.scenario.decay_rate,
        ),
    )
    for key, t in om.TRACKS.items()
]


@pytest.mark.parametrize(("name", "params"), _SCENARIOS, ids=[n for n, _ in _SCENARIOS])
def test_scheduled_policy_at_exact_interval_matches_analytic_rate(name: str, params: tuple[float, ...]) -> None:
    C, Q, V, A0, lam = params
    T = om.exact_retrain_interval(C, Q, V, A0, lam)
    steps_per_day = max(1, math.ceil(100 / T))  # about 100 steps per cycle
    result = om.simulate_retraining(C, Q, V, A0, lam, 200 * T, interval=T, steps_per_day=steps_per_day)
    assert result.cost_per_day == pytest.approx(om.cost_rate(T, C, Q, V, A0, lam), rel=1e-2)
    assert 190 <= result.retrains <= 210


@pytest.mark.parametrize(
    "steps_per_day",
    [
        1,
        24,
        48,
        49,
    ],
)
def test_simulation_daily_rate_schedule(steps_per_day: int) -> None:
    # Day 0 has no decay, day 1 decays at rate 1: the loss is integral_0^1 (1 - e^-s) ds = e^-1 (Q = V = A0 = 1).
    result = om.simulate_retraining(1.0, 1.0, 1.0, 1.0, [0.0, 1.0], 2.0, interval=100, steps_per_day=steps_per_day)
    assert result.staleness_cost == pytest.approx(math.exp(-1), rel=1e-9)
    assert result.retrains == 1


# --- rollout: canary sample sizes ---------------------------------------------------------------

confidences = st.floats(min_value=0.01, max_value=0.9999)
failure_rates = _log_uniform(1e-7, 0.5)


@SETTINGS
@given(confidences, failure_rates)
def test_canary_sample_size_is_minimal(C: float, p: float) -> None:
    n = om.canary_sample_size(C, p)
    target, step = math.log1p(-C), math.log1p(-p)
    assert n >= 1
    assert n * step <= target
    assert n == 1 or (n - 1) * step > target


@SETTINGS
@given(confidences, confidences, failure_rates, failure_rates)
def test_canary_sample_size_monotone(c1: float, c2: float, p1: float, p2: float) -> None:
    lo_c, hi_c = sorted((c1, c2))
    small_p, big_p = sorted((p1, p2))
    assert om.canary_sample_size(lo_c, big_p) <= om.canary_sample_size(hi_c, big_p)
    assert om.canary_sample_size(lo_c, big_p) <= om.canary_sample_size(lo_c, small_p)


@SETTINGS
@given(_log_uniform(1e-7, 1e-3))
def test_canary_sample_size_rule_of_three(p: float) -> None:
    n = om.canary_sample_size(0.95, p)
    assert n == pytest.approx(3 / p, rel=3e-3)
    assert n == pytest.approx(-math.log(0.05) / p, rel=1e-3)


@SETTINGS
@given(st.floats(min_value=0.5, max_value=0.999), _log_uniform(1e-4, 0.2))
def test_canary_with_zero_failures_equals_zero_failure_bound(C: float, p: float) -> None:
    assert om.canary_sample_size_with_failures(C, p, 0) == om.canary_sample_size(C, p)


@FEW
@given(st.floats(min_value=0.5, max_value=0.999), _log_uniform(1e-4, 0.2), st.integers(min_value=1, max_value=15))
def test_canary_with_failures_is_minimal_and_increasing(C: float, p: float, k: int) -> None:
    n = om.canary_sample_size_with_failures(C, p, k)
    # SciPy's binomial CDF is within about 1e-11 (relative) of the exact sum: a tie at n - 1 or n is either side
    assert stats.binom.cdf(k, n, p) <= (1 - C) * (1 + 1e-9)
    assert stats.binom.cdf(k, n - 1, p) > (1 - C) * (1 - 1e-9)
    assert om.canary_sample_size_with_failures(C, p, k + 1) > n
    assert n > om.canary_sample_size_with_failures(C, p, k - 1)


@FEW
@given(st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=80), _log_uniform(1e-4, 0.9))
def test_binomial_cdf_is_the_exact_sum(k: int, n: int, p: float) -> None:
    from fractions import Fraction

    q = Fraction(p)  # the float's exact value, as binomial_cdf takes it
    exact = sum(math.comb(n, i) * q**i * (1 - q) ** (n - i) for i in range(min(k, n) + 1))
    assert om.binomial_cdf(k, n, p) == float(exact)  # correctly rounded: the float nearest the exact sum


@SETTINGS
@given(st.integers(min_value=0, max_value=15), st.integers(min_value=1, max_value=50_000_000), _log_uniform(1e-7, 0.5))
def test_binomial_cdf_agrees_with_scipy(k: int, n: int, p: float) -> None:
    want = stats.binom.cdf(k, n, p)
    assume(want > 1e-250)  # both far below any canary's 1 - C; SciPy's own relative error grows there
    assert om.binomial_cdf(k, n, p) == pytest.approx(want, rel=1e-9)


def test_binomial_cdf_edges() -> None:
    assert om.binomial_cdf(3, 3, 0.5) == 1.0  # k >= n: certain
    assert om.binomial_cdf(0, 10, 0.5) == 0.5**10
    assert om.binomial_cdf(2, 100_000_000, 0.2) == 0.0  # below the smallest float
    from decimal import Decimal

    from opsmath.rollout import _binomial_cdf

    assert 0 < _binomial_cdf(2, 100_000_000, 0.2) < Decimal("1e-9000000")  # the search: no underflow to 0
    for bad in ((-1, 5, 0.1), (1, 5, 0.0), (1, 5, 1.0), (1.5, 5, 0.1)):
        with pytest.raises(ValueError):
            om.binomial_cdf(*bad)


@SETTINGS
@given(_log_uniform(1e-3, 1e3), _log_uniform(1e-3, 1e3), st.floats(0.001, 0.2), st.floats(0.5, 0.99))
def test_ab_sample_size_is_ceiling_of_formula(sigma: float, delta: float, alpha: float, power: float) -> None:
    n_formula = 2 * (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) ** 2 * sigma**2 / delta**2
    n = om.ab_sample_size(sigma, delta, alpha, power)
    assert n >= 1
    assert n <= max(1, math.ceil(n_formula))
    assert n >= n_formula * (1 - 1e-12)  # the documented allowance for rounded z values


def test_ab_sample_size_large_n_not_truncated() -> None:
    # sigma = 1, delta = 1e-5, alpha = 0.05, power = 0.8: n = 2 (z_.975 + z_.8)^2 / 1e-10 = 156,977,594,686.98...
    n_formula = 2 * (stats.norm.ppf(0.975) + stats.norm.ppf(0.80)) ** 2 / 1e-10
    assert om.ab_sample_size(1.0, 1e-5) >= math.ceil(n_formula * (1 - 1e-15))


# --- rollout: SPRT ------------------------------------------------------------------------------

sprt_params = st.tuples(
    _log_uniform(1e-4, 0.3),  # p0
    st.floats(min_value=1.1, max_value=5.0),  # p1 / p0
    st.floats(min_value=0.001, max_value=0.45),  # alpha
    st.floats(min_value=0.001, max_value=0.45),  # beta
)


@SETTINGS
@given(sprt_params)
def test_sprt_thresholds_and_expected_sample_size(params: tuple[float, float, float, float]) -> None:
    p0, ratio, alpha, beta = params
    test = om.SPRT(p0, min(p0 * ratio, 0.99), alpha, beta)
    assert test.upper == pytest.approx(math.log((1 - beta) / alpha), rel=1e-12)
    assert test.lower == pytest.approx(math.log(beta / (1 - alpha)), rel=1e-12)
    assert test.upper > 0 > test.lower
    assert test.expected_sample_size() > 0
    assert test.expected_sample_size(test.p0) > 0
    assert test.expected_sample_size(test.p1) > 0


@SETTINGS
@given(sprt_params)
def test_sprt_decisions(params: tuple[float, float, float, float]) -> None:
    p0, ratio, alpha, beta = params
    p1 = min(p0 * ratio, 0.99)
    test = om.SPRT(p0, p1, alpha, beta)
    # All failures: each adds ln(p1/p0) > 0 to the LLR.
    n_fail = math.ceil(test.upper / math.log(p1 / p0)) + 1
    assert test.decision(n_fail, n_fail) == "regressed"
    # A long failure-free run: each pass adds ln((1-p1)/(1-p0)) < 0.
    n_pass = math.ceil(test.lower / math.log((1 - p1) / (1 - p0))) + 1
    assert test.decision(0, n_pass) == "safe"
    assert test.decision(0, 0) == "continue"


# --- platform break-even -------------------------------------------------------------------------

toil_models = st.builds(
    om.ToilModel,
    alert_hours=st.floats(min_value=0, max_value=50),
    deploy_hours=st.floats(min_value=0, max_value=5),
    dependency_hours=st.floats(min_value=0.1, max_value=2),
    heterogeneity=st.floats(min_value=0.1, max_value=5),
    platform_alert_hours=st.floats(min_value=0, max_value=50),
    platform_dependency_hours=st.floats(min_value=0, max_value=5),
)


def _roi_by_hand(n: int, capex: float, rate: float, m: om.ToilModel) -> float:
    nlog = n * math.log2(n) if n > 0 else 0.0
    manual = m.alert_hours * n + m.deploy_hours * nlog + m.heterogeneity * m.dependency_hours * n * n
    platform = m.platform_alert_hours * n + (m.deploy_hours + m.platform_dependency_hours) * nlog
    return rate * manual - (capex + rate * platform)


@SETTINGS
@given(toil_models, st.floats(min_value=0, max_value=1e7), st.floats(min_value=50, max_value=300))
def test_break_even_models_is_minimal(model: om.ToilModel, capex: float, rate: float) -> None:
    n = om.break_even_models(capex, rate, model)
    assert n is not None  # the quadratic manual term always wins eventually here
    assert om.platform_roi(n, capex, rate, model) >= 0
    assert _roi_by_hand(n, capex, rate, model) >= -1e-6 * max(1.0, capex)
    if n > 1:
        assert om.platform_roi(n - 1, capex, rate, model) < 0
        earlier = np.asarray(om.platform_roi(np.arange(1, n), capex, rate, model))
        assert np.all(earlier < 0)


@FEW
@given(
    st.floats(min_value=0, max_value=50),
    st.floats(min_value=0, max_value=5),
    st.floats(min_value=0, max_value=5),
    st.floats(min_value=1.0, max_value=1e7),
    st.floats(min_value=50, max_value=300),
)
def test_break_even_models_none_when_platform_never_pays(
    alert: float, deploy: float, platform_dep: float, capex: float, rate: float
) -> None:
    model = om.ToilModel(
        alert_hours=alert,
        deploy_hours=deploy,
        heterogeneity=0.0,
        platform_alert_hours=alert,
        platform_dependency_hours=platform_dep,
    )
    assert om.break_even_models(capex, rate, model) is None


# --- slices and the rollout gate -----------------------------------------------------------------


def _hand_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "slice": ["day", "day", "day", "day", "night", "night"],
            "label": [1, 0, 1, 1, 0, 1],
            "prediction": [1, 0, 1, 0, 1, 1],
        }
    )


def test_slice_metrics_by_hand() -> None:
    m = om.slice_metrics(_hand_frame())
    assert list(m.index) == ["day", "night"]
    assert m.loc["day", "n"] == 4 and m.loc["night", "n"] == 2
    assert m.loc["day", "accuracy"] == pytest.approx(3 / 4)
    assert m.loc["night", "accuracy"] == pytest.approx(1 / 2)
    assert m.loc["day", "share"] == pytest.approx(4 / 6)
    assert m.loc["night", "share"] == pytest.approx(2 / 6)
    assert om.aggregate_accuracy(_hand_frame()) == pytest.approx(4 / 6)
    assert om.worst_slice(m) == ("night", pytest.approx(0.5))
    assert om.slice_gap(m) == pytest.approx(4 / 6 - 1 / 2)


@SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 2), st.integers(0, 2)),
        min_size=1,
        max_size=40,
    )
)
def test_slice_gap_nonnegative_and_aggregate_consistent(rows: list[tuple[str, int, int]]) -> None:
    df = pd.DataFrame(rows, columns=["slice", "label", "prediction"])
    m = om.slice_metrics(df)
    assert om.slice_gap(m) >= -1e-12
    assert m["share"].sum() == pytest.approx(1.0)
    weighted = float((m["accuracy"] * m["n"]).sum() / m["n"].sum())
    assert weighted == pytest.approx(om.aggregate_accuracy(df))


def _metrics(rows: dict[str, tuple[int, float]]) -> pd.DataFrame:
    out = pd.DataFrame(
        {"n": [r[0] for r in rows.values()], "accuracy": [r[1] for r in rows.values()]},
        index=pd.Index(list(rows), name="slice"),
    )
    out["share"] = out["n"] / out["n"].sum()
    return out


OLD = _metrics({"day": (5_000, 0.95), "night": (1_000, 0.90), "snow": (300, 0.60)})


def test_rollout_gate_approves_fix_without_regression() -> None:
    new = _metrics({"day": (5_000, 0.945), "night": (1_000, 0.91), "snow": (300, 0.85)})
    decision = om.rollout_gate(OLD, new, "snow", tolerance=0.01)
    assert decision.approved
    assert decision.reasons == ()
    assert decision.regressed_slices == ()


def test_rollout_gate_rejects_regression_of_another_slice() -> None:
    new = _metrics({"day": (5_000, 0.95), "night": (1_000, 0.85), "snow": (300, 0.85)})
    decision = om.rollout_gate(OLD, new, "snow", tolerance=0.01)
    assert not decision.approved
    assert decision.regressed_slices == ("night",)
    assert any("night" in r for r in decision.reasons)


def test_rollout_gate_rejects_unfixed_target() -> None:
    new = _metrics({"day": (5_000, 0.95), "night": (1_000, 0.90), "snow": (300, 0.60)})
    decision = om.rollout_gate(OLD, new, "snow")
    assert not decision.approved
    assert any("snow" in r for r in decision.reasons)


def test_rollout_gate_rejects_too_few_samples() -> None:
    old = _metrics({"day": (5_000, 0.95), "snow": (40, 0.60)})
    new = _metrics({"day": (5_000, 0.95), "snow": (40, 0.90)})
    decision = om.rollout_gate(old, new, "snow", min_samples=100)
    assert not decision.approved
    assert decision.regressed_slices == ()
    assert any("40" in r and "snow" in r for r in decision.reasons)


# --- feature contracts ---------------------------------------------------------------------------

CONTRACT = {
    "extractor": "noise_isolator",
    "version": "1.2.0",
    "features": [["band_energy_0", "float32"], ["band_energy_1", "float32"], ["band_energy_2", "int8"]],
    "params": {"sample_rate": 16000, "normalisation": "per-utterance"},
}


def _variant(**changes: object) -> dict[str, object]:
    out = {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v) for k, v in CONTRACT.items()}
    out.update(changes)
    return out


def test_schema_fingerprint_stable_under_key_order() -> None:
    fp = om.schema_fingerprint(CONTRACT)
    assert len(fp) == 64 and all(c in "0123456789abcdef" for c in fp)
    reordered = {k: CONTRACT[k] for k in reversed(list(CONTRACT))}
    reordered["params"] = {"normalisation": "per-utterance", "sample_rate": 16000}
    assert om.schema_fingerprint(reordered) == fp
    assert om.schema_fingerprint(_variant(features=[tuple(f) for f in CONTRACT["features"]])) == fp


@pytest.mark.parametrize(
    "changed",
    [
        _variant(features=[["band_energy_1", "float32"], ["band_energy_0", "float32"], ["band_energy_2", "int8"]]),
        _variant(features=[["band_energy_0", "float64"], ["band_energy_1", "float32"], ["band_energy_2", "int8"]]),
        _variant(version="1.3.0"),
        _variant(params={"sample_rate": 8000, "normalisation": "per-utterance"}),
    ],
    ids=["feature_order", "dtype", "version", "params"],
)
def test_schema_fingerprint_changes(changed: dict[str, object]) -> None:
    assert om.schema_fingerprint(changed) != om.schema_fingerprint(CONTRACT)
    assert not om.check_compatibility(CONTRACT, changed).compatible


def test_check_compatibility_identical() -> None:
    report = om.check_compatibility(CONTRACT, _variant())
    assert report.compatible
    assert report.missing == () and report.extra == () and report.dtype_changed == ()
    assert not report.reordered and not report.version_changed and report.params_changed == ()


def test_check_compatibility_reports_every_difference() -> None:
    serving = _variant(
        version="2.0.0",
        features=[["band_energy_2", "float32"], ["band_energy_0", "float32"], ["band_energy_9", "float32"]],
        params={"sample_rate": 8000, "normalisation": "per-utterance"},
    )
    report = om.check_compatibility(CONTRACT, serving)
    assert not report.compatible
    assert report.missing == ("band_energy_1",)
    assert report.extra == ("band_energy_9",)
    assert report.dtype_changed == ("band_energy_2",)
    assert report.reordered  # common features: [0, 2] trained vs [2, 0] serving
    assert report.version_changed
    assert report.params_changed == ("sample_rate",)


def test_check_compatibility_order_only() -> None:
    serving = _variant(features=list(reversed(CONTRACT["features"])))
    report = om.check_compatibility(CONTRACT, serving)
    assert not report.compatible and report.reordered
    assert report.missing == () and report.extra == () and report.dtype_changed == ()
    assert not report.version_changed


def test_feature_skew_keys_and_zero_on_identical_data() -> None:
    rng = np.random.default_rng(7)
    train = {"a": rng.normal(size=500), "b": rng.uniform(size=500), "c": rng.exponential(size=500)}
    serving = {"c": train["c"].copy(), "a": train["a"].copy(), "b": train["b"].copy(), "z": rng.normal(size=10)}
    skew = om.feature_skew(train, serving)
    assert list(skew) == ["a", "b", "c"]  # training column order, shared features only
    assert all(v == 0.0 for v in skew.values())
    shifted = dict(serving, b=train["b"] + 0.5)
    skew2 = om.feature_skew(train, shifted)
    assert skew2["b"] > 0.2 and skew2["a"] == 0.0
    assert om.skewed_features(skew2) == ["b"]


# --- tracks --------------------------------------------------------------------------------------

TRACK_KEYS = ("cloud_titan", "edge_guardian", "mobile_nomad", "tiny_pioneer")


def test_tracks_keys() -> None:
    assert sorted(om.TRACKS) == list(TRACK_KEYS)
    for key in TRACK_KEYS:
        assert om.get_track(key).key == key


def test_tracks_are_read_only() -> None:
    track = om.get_track("cloud_titan")
    with pytest.raises(dataclasses.FrozenInstanceError):
        track.name = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        track.scenario.retrain_cost = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        track.hardware.peak_flops = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        om.TRACKS["cloud_titan"] = track  # type: ignore[index]
    with pytest.raises(TypeError):
        del om.TRACKS["cloud_titan"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", TRACK_KEYS)
def test_track_scenario_makes_each_question_meaningful(key: str) -> None:
    s = om.get_track(key).scenario
    econ = (s.retrain_cost, s.daily_queries, s.value_per_point, s.accuracy0, s.decay_rate)
    t_sqrt = math.sqrt(2 * econ[0] / (econ[1] * econ[2] * econ[3] * econ[4]))
    assert om.optimal_retrain_interval(*econ) == pytest.approx(t_sqrt, rel=1e-12)
    assert 0.04 <= t_sqrt <= 120
    assert _k(*econ) < 1
    assert math.isfinite(om.exact_retrain_interval(*econ))
    n_star = om.break_even_models(s.platform_capex, s.engineer_hourly_cost, om.ToilModel(heterogeneity=s.heterogeneity))
    assert n_star is not None and 2 <= n_star <= 1000
    assert om.canary_sample_size(s.canary_confidence, s.edge_case_rate) >= 1
    assert s.target_slice in {name for name, *_ in s.slices}
    json.dumps(om.track_constants(key))
    assert om.track_constants(key)["scenario"]["seed"] == s.seed


# -- degenerate bins, as the drift_detective notebook states them (issue 12) ---------------------------
def test_psi_from_samples_one_bin_splits_at_the_training_minimum() -> None:
    """``bins=1``: edges [min, max], fewer than three, so the first edge splits: below min | at or above min."""
    train = [0.0, 1.0, 2.0, 3.0]
    assert om.bin_edges(train, 1).tolist() == [0.0, 3.0]
    assert om.bin_counts([-50.0, 1.5, 99.0], om.bin_edges(train, 1)).tolist() == [1, 2]
    assert om.psi_from_samples(train, [1.5, 99.0, 0.0], bins=1) == 0.0  # nothing below the minimum
    # train (0, 4) vs live (1, 2), eps = 1e-4: p = [1e-4, 1]/1.0001, q = [1/3, 2/3]
    p = np.array([1e-4, 1.0]) / 1.0001
    q = np.array([1 / 3, 2 / 3])
    by_hand = float(np.sum((q - p) * np.log(q / p)))
    assert om.psi_from_samples(train, [-50.0, 1.5, 99.0], bins=1) == pytest.approx(by_hand, rel=1e-12)


def test_psi_from_samples_constant_training_data_two_bins_by_hand() -> None:
    """Constant training data: one distinct edge c, bins "below c" and "at or above c"."""
    edges = om.bin_edges([2.0] * 5, 10)
    assert edges.tolist() == [2.0]
    assert om.bin_counts([1.0, 2.0, 3.0, 1.5], edges).tolist() == [2, 2]
    # train (0, 5) vs live (3, 1), eps = 1e-4: p = [1e-4, 1]/1.0001, q = [0.75, 0.25]
    p = np.array([1e-4, 1.0]) / 1.0001
    q = np.array([0.75, 0.25])
    by_hand = float(np.sum((q - p) * np.log(q / p)))
    assert om.psi_from_samples([2.0] * 5, [1.0, 1.5, 0.5, 2.0], bins=10) == pytest.approx(by_hand, rel=1e-12)


def test_psi_from_samples_tied_interior_edges_merge() -> None:
    """Quantile edges that coincide (heavy ties) merge: [0, 0, 0, 0, 1] in 4 bins gives edges [0, 1], one bin."""
    edges = om.bin_edges([0.0, 0.0, 0.0, 0.0, 1.0], 4)
    assert edges.tolist() == [0.0, 1.0]
    edges = om.bin_edges([0.0, 0.0, 0.0, 1.0, 2.0, 3.0], 4)  # quantiles 0, 0, 0.5, 1.75, 3
    assert edges.tolist() == [0.0, 0.5, 1.75, 3.0]
    assert om.bin_counts([0.0, 0.0, 0.0, 1.0, 2.0, 3.0], edges).tolist() == [3, 1, 2]
