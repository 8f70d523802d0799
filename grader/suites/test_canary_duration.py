"""Hidden suite: Canary Duration (lab "Operations at Scale", part 2).

Questions and points: prediction 1, canary_sample_size 4, canary_duration 2,
min_traffic_fraction 2, track_answer 4, sprt 3, canary_sample_size_with_failures 2
(18 auto-graded points; the reflection is graded by hand).
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import opsmath
from grader.carry import compare, compare_answer
from grader.checks import GradingFailure, _short, check_close, check_equal
from grader.suites.shared import test_prediction_recorded  # noqa: F401 - collected by pytest
from grader.suites.straddles import (
    CEILING_TOO_HIGH,
    CEILING_TOO_LOW,
    sample_count_arrays,
    shadow_share_inputs,
    with_examples,
)


def _expected_fraction(samples: float, request_rate: float, budget: float) -> float | None:
    """Reference for min_traffic_fraction (None when even 100 % of traffic is too slow)."""
    return opsmath.min_traffic_fraction(samples, request_rate, budget)


def reference_wald(p0: float, p1: float, alpha: float, beta: float) -> float:
    """opsmath's SPRT expected sample size under the notebook's function signature."""
    return opsmath.SPRT(p0, p1, alpha, beta).expected_sample_size()


def reference_duration(samples, request_rate: float, traffic_fraction: float = 1.0):
    """opsmath's canary_duration, element by element for an array of sample counts (the notebook allows one)."""
    if isinstance(samples, np.ndarray):
        return np.array([opsmath.canary_duration(float(n), request_rate, traffic_fraction) for n in samples.tolist()])
    return opsmath.canary_duration(samples, request_rate, traffic_fraction)


def check_hours(got, expected, *, call: str) -> None:
    """Hours for a number of samples, or an array of hours (same shape) for an array of sample counts."""
    if np.ndim(expected) == 0:
        check_close(got, float(expected), call=call)
        return
    if not isinstance(got, np.ndarray) or got.shape != np.shape(expected):
        raise GradingFailure(f"{call} returned {_short(got)}; expected an array of shape {np.shape(expected)}")
    for i, (value, want) in enumerate(zip(got.tolist(), np.asarray(expected, dtype=float).tolist(), strict=True)):
        check_close(value, want, call=f"{call}[{i}]")


TIE = 1e-9
"""Relative distance from 1 - C within which P(X <= k) is a tie: floating-point binomial CDFs (SciPy's is within
about 1e-11 of the exact sum) and ``sf >= C`` for ``cdf <= 1 - C`` can put n on either side of it."""


def reference_with_failures(confidence: float, failure_rate: float, failures: int) -> tuple[int, ...]:
    """The exact bound (:func:`opsmath.canary_sample_size_with_failures`), and its neighbour when the bound is a tie.

    The notebook asks for ``stats.binom.cdf(k, n, p) <= 1 - C`` in floating point (or the equivalent ``sf >= C``):
    where the exact P(X <= k) at n - 1 or at n is within :data:`TIE` of 1 - C, rounding decides the side, so n - 1
    (or n + 1) is right too. Elsewhere the CDF moves by far more than that per request: one answer.
    """
    n = opsmath.canary_sample_size_with_failures(confidence, failure_rate, failures)
    if failures == 0:
        return (n,)
    risk = 1.0 - confidence

    def tie(m: int) -> bool:
        return m > failures and abs(opsmath.binomial_cdf(failures, m, failure_rate) / risk - 1.0) <= TIE

    return (n, *((n - 1,) if tie(n - 1) else ()), *((n + 1,) if tie(n) else ()))


def check_bound(got, expected, *, call: str) -> None:
    """``got`` equals one of the admissible bounds (the first is the reference's, shown in the hint)."""
    admissible = expected if isinstance(expected, tuple) else (expected,)
    try:
        check_equal(got, admissible[0], call=call)
    except GradingFailure as wrong:
        for other in admissible[1:]:
            with contextlib.suppress(GradingFailure):
                check_equal(got, other, call=call)
                return
        raise wrong from None


def check_fraction(got, expected: float | None, *, call: str) -> None:
    """A traffic fraction, or ``None`` when even all the traffic is too slow."""
    if expected is None:
        check_equal(got, None, call=call)
    else:
        check_close(got, expected, call=call)


# -- strategies ----------------------------------------------------------------------------
@st.composite
def log_uniform(draw, lo: float, hi: float):
    """A float spread evenly over the decades between lo and hi."""
    return 10.0 ** draw(st.floats(math.log10(lo), math.log10(hi)))


@st.composite
def bound_inputs(draw, p_lo: float = 1e-4, p_hi: float = 0.2):
    """(confidence in (0.5, 0.9999), failure rate log-uniform in [p_lo, p_hi])."""
    return draw(st.floats(0.5, 0.9999)), draw(log_uniform(p_lo, p_hi))


@st.composite
def near_integer_bounds(draw):
    """Confidence chosen so that ln(1-C)/ln(1-p) is an integer up to rounding: the ceiling's worst case."""
    p = draw(log_uniform(1e-7, 0.2))
    n = max(1, round(draw(st.floats(0.7, 9.2)) / p))
    return -math.expm1(n * math.log1p(-p)), p


@st.composite
def durations(draw):
    """(samples, request rate per hour, traffic fraction in (0, 1])."""
    samples = draw(st.one_of(st.integers(0, 10**8), st.floats(0, 1e8)))
    return samples, draw(log_uniform(1.0, 1e9)), draw(log_uniform(1e-4, 1.0))


@st.composite
def fraction_cases(draw):
    """(samples, rate, budget) whose answer lies clearly below 1 or clearly above it (never at the boundary)."""
    samples = draw(st.integers(1, 10**8))
    rate = draw(log_uniform(1.0, 1e9))
    share = draw(st.one_of(log_uniform(1e-6, 0.95), log_uniform(1.05, 1e3)))
    return samples, rate, samples / (rate * share)


@st.composite
def sprt_inputs(draw):
    """(p0, p1, alpha, beta) with p1 = ratio * p0 < 1 and small error rates."""
    p0 = draw(log_uniform(1e-7, 0.1))
    p1 = p0 * draw(st.floats(1.2, 9.0))
    return p0, p1, draw(st.floats(0.001, 0.2)), draw(st.floats(0.001, 0.2))


# -- prediction ----------------------------------------------------------------------------
# -- canary_sample_size --------------------------------------------------------------------
@pytest.mark.question("canary_sample_size", points=1)
def test_canary_sample_size_worked_example(student, track):
    """Chapter example (95 %, 1 in 1,000 -> 2995) and your track's constants"""
    s = track.scenario
    for args in ((0.95, 0.001), (s.canary_confidence, s.edge_case_rate)):
        compare(student, "canary_sample_size", args, check=check_equal)


@pytest.mark.question("canary_sample_size", points=1.5)
@given(bound_inputs())
def test_canary_sample_size_matches_reference(student, args):
    """Random confidences and failure rates from 1e-4 to 0.2"""
    compare(student, "canary_sample_size", args, check=check_equal)


@pytest.mark.question("canary_sample_size", points=1)
@given(bound_inputs(p_lo=1e-7, p_hi=1e-4))
def test_canary_sample_size_tiny_rates(student, args):
    """Rare edge cases: failure rates down to 1 in 10 million (use log1p)"""
    compare(student, "canary_sample_size", args, check=check_equal)


@pytest.mark.question("canary_sample_size", points=0.5)
@given(near_integer_bounds())
@with_examples(CEILING_TOO_HIGH + CEILING_TOO_LOW)
def test_canary_sample_size_guarded_ceiling(student, args):
    """Ratios that land on an integer up to rounding, a hair above or below it (guard the ceiling both ways)"""
    compare(student, "canary_sample_size", args, check=check_equal)


# -- canary_duration -----------------------------------------------------------------------
@pytest.mark.question("canary_duration", points=1)
def test_canary_duration_worked_example(student):
    """Chapter example: 10,000 samples at 1M requests/hour take 1 h at 1 % and 12 min at 5 %"""
    for args in ((10_000, 1_000_000, 0.01), (10_000, 1_000_000, 0.05)):
        compare(student, "canary_duration", args)


@pytest.mark.question("canary_duration", points=0.5)
def test_canary_duration_default_fraction(student):
    """Without a traffic fraction the stage sees all traffic"""
    args = (2995, 400_000)
    compare(student, "canary_duration", args)


@pytest.mark.question("canary_duration", points=0.5)
@settings(max_examples=12)  # a wrong closed form shows at once
@given(st.one_of(durations(), sample_count_arrays()))
def test_canary_duration_matches_reference(student, args):
    """Random sample counts (a number or a NumPy array of them), request rates and traffic fractions"""
    compare(student, "canary_duration", args, check=check_hours, reference=reference_duration)


# -- min_traffic_fraction ------------------------------------------------------------------
@pytest.mark.question("min_traffic_fraction", points=1)
def test_min_traffic_fraction_examples(student):
    """Worked numbers: 10,000 samples at 1M requests/hour in 1 hour need 1 % of traffic"""
    for args in ((10_000, 1_000_000, 1.0), (2995, 100_000, 24.0)):
        compare(student, "min_traffic_fraction", args, check=check_fraction)


@pytest.mark.question("min_traffic_fraction", points=0.5)
def test_min_traffic_fraction_impossible(student):
    """Exactly 100 % of traffic still fits (1.0); beyond that nothing does (None)"""
    for args in ((168_000, 1_000, 168.0), (10_000, 1_000, 1.0), (5_000_000, 10_000, 168.0)):
        compare(student, "min_traffic_fraction", args, check=check_fraction)


@pytest.mark.question("min_traffic_fraction", points=0.5)
@settings(max_examples=12)  # a wrong closed form shows at once
@given(fraction_cases())
def test_min_traffic_fraction_matches_reference(student, args):
    """Random samples, rates and budgets"""
    compare(student, "min_traffic_fraction", args, check=check_fraction)


# -- track answer --------------------------------------------------------------------------
def _track_numbers(track) -> dict:
    s = track.scenario
    n = opsmath.canary_sample_size(s.canary_confidence, s.edge_case_rate)
    hours = opsmath.canary_duration(n, s.request_rate_per_hour, s.canary_fraction)
    return {
        "n_required": n,
        "shadow_hours": hours,
        "fits_release_cycle": hours <= s.release_cycle_hours,
        "needed_fraction": _expected_fraction(n, s.request_rate_per_hour, s.release_cycle_hours),
    }


@pytest.mark.question("track_answer", points=1)
def test_n_required(submission, track):
    """n_required for your track"""
    compare_answer(submission, "n_required", _track_numbers(track)["n_required"], track=track, check=check_equal)


@pytest.mark.question("track_answer", points=1)
def test_shadow_hours(submission, track):
    """shadow_hours for your track"""
    compare_answer(submission, "shadow_hours", _track_numbers(track)["shadow_hours"], track=track)


@pytest.mark.question("track_answer", points=1)
def test_fits_release_cycle(submission, track):
    """fits_release_cycle for your track (a bool)"""
    compare_answer(submission, "fits_release_cycle", _track_numbers(track)["fits_release_cycle"], track=track,
                   check=check_equal)


@pytest.mark.question("track_answer", points=1)
def test_needed_fraction(submission, track):
    """needed_fraction for your track"""
    compare_answer(submission, "needed_fraction", _track_numbers(track)["needed_fraction"], track=track,
                   check=check_fraction)


# -- sprt ----------------------------------------------------------------------------------
@pytest.mark.question("sprt", points=1)
def test_wald_expected_n_example(student):
    """Worked numbers: p0 = 1 %, p1 = 2 %, alpha = beta = 5 % (and a 1-in-1,000 variant)"""
    for args in ((0.01, 0.02, 0.05, 0.05), (0.001, 0.003, 0.01, 0.1)):
        compare(student, "wald_expected_n", args, reference=reference_wald)


@pytest.mark.question("sprt", points=1)
@settings(max_examples=12)  # a wrong closed form shows at once
@given(sprt_inputs())
def test_wald_expected_n_matches_reference(student, args):
    """Random rates (down to 1e-7) and error probabilities"""
    compare(student, "wald_expected_n", args, reference=reference_wald)


@pytest.mark.question("sprt", points=1)
def test_sprt_expected_n(submission, track):
    """sprt_expected_n for your track (p1 = 2 p0, alpha = beta = 1 - confidence)"""
    s = track.scenario
    risk = 1 - s.canary_confidence
    expected = opsmath.SPRT(s.edge_case_rate, 2 * s.edge_case_rate, risk, risk).expected_sample_size()
    compare_answer(submission, "sprt_expected_n", expected, track=track)


# -- canary_sample_size_with_failures --------------------------------------------------------
@pytest.mark.question("canary_sample_size_with_failures", points=1)
def test_with_failures_examples(student):
    """Tolerating 1 and 3 failures at 95 %, 1 in 1,000; 2 failures at 99.9 %, 1 in a million (n above 11 million:
    scanning n one by one exceeds the call time limit, as the notebook warns)"""
    for args in ((0.95, 0.001, 1), (0.95, 0.001, 3), (0.99, 0.01, 2), (0.999, 1e-6, 2)):
        compare(student, "canary_sample_size_with_failures", args, check=check_bound,
                reference=reference_with_failures)


@pytest.mark.question("canary_sample_size_with_failures", points=1)
@settings(max_examples=12)  # each example runs two binomial searches
@given(bound_inputs(), st.integers(1, 5))
def test_with_failures_matches_reference(student, args, failures):
    """Random confidences, rates from 1e-4 to 0.2 and 1-5 tolerated failures"""
    compare(student, "canary_sample_size_with_failures", (*args, failures), check=check_bound,
            reference=reference_with_failures)


# -- shadow_latency (hardware in the loop) ------------------------------------------------
def serving_time(track) -> float:
    """Roofline seconds of one inference of the track's model, work split evenly over the replica's devices."""
    h, d = track.hardware, track.deployment
    n = d.devices_per_replica
    return opsmath.roofline_time(d.ops_per_inference / n, opsmath.model_bytes(d.parameters, d.bytes_per_parameter) / n,
                                 h.peak_flops, h.memory_bandwidth)


@st.composite
def roofline_inputs(draw):
    """Ops and bytes of models from a keyword spotter to an LLM token, on devices from an MCU to a GPU."""
    return (draw(st.floats(1e6, 1e12)), draw(st.floats(1e4, 2e11)), draw(st.floats(1e8, 2e15)),
            draw(st.floats(1e7, 8e12)))


@pytest.mark.question("shadow_latency", points=0.5)
def test_roofline_worked_example(student):
    """YOLOv8-nano on the Orin NX (compute-bound), a Llama-3-70B token on one node (memory-bound)"""
    for args in ((8.7e9, 3.2e6, 100e12, 102e9), (141.2e9 / 8, 141.2e9 / 8, 989e12, 3.35e12)):
        compare(student, "roofline_time", args)


@pytest.mark.question("shadow_latency", points=1)
@given(roofline_inputs())
def test_roofline_matches_reference(student, args):
    """Random work and hardware (bandwidth in bytes per second)"""
    compare(student, "roofline_time", args)


@pytest.mark.question("shadow_latency", points=0.75)
def test_track_t_infer_ms(submission, track):
    """t_infer_ms for your track"""
    compare_answer(submission, "t_infer_ms", 1000 * serving_time(track), track=track)


@pytest.mark.question("shadow_latency", points=0.5)
@given(shadow_share_inputs())
@example((0.008, 0.004, 0.010))  # the notebook's check: 2 ms of slack pay for half the 4 ms shadows
def test_shadow_share_matches_reference(student, args):
    """Serving alone misses the deadline (0), the slack covers part of the shadows, or all of them (1)"""
    compare(student, "shadow_share", args, abs_=1e-12)


@pytest.mark.question("shadow_latency", points=0.25)
def test_track_max_shadow_share(submission, track):
    """max_shadow_share for your track"""
    t = serving_time(track)
    compare_answer(submission, "max_shadow_share", opsmath.shadow_share(t, t, track.deployment.latency_budget_s),
                   track=track, abs_=1e-9)
