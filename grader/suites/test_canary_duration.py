"""Hidden suite: Canary Duration (lab "Operations at Scale", part 2).

Questions and points: prediction 1, canary_sample_size 4, canary_duration 2,
min_traffic_fraction 2, track_answer 4, sprt 3, canary_sample_size_with_failures 2
(18 auto-graded points; the reflection is graded by hand).
"""

from __future__ import annotations

import math

import pytest
import scipy.stats  # noqa: F401 - the with_failures reference needs it: imported at collection, while the sandbox starts
from hypothesis import given, settings
from hypothesis import strategies as st

import opsmath
from grader.carry import compare, compare_answer
from grader.checks import check_close, check_equal
from grader.suites.shared import test_prediction_recorded  # noqa: F401 - collected by pytest


def _expected_fraction(samples: float, request_rate: float, budget: float) -> float | None:
    """Reference for min_traffic_fraction (None when even 100 % of traffic is too slow)."""
    return opsmath.min_traffic_fraction(samples, request_rate, budget)


def reference_wald(p0: float, p1: float, alpha: float, beta: float) -> float:
    """opsmath's SPRT expected sample size under the notebook's function signature."""
    return opsmath.SPRT(p0, p1, alpha, beta).expected_sample_size()


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
def test_canary_sample_size_guarded_ceiling(student, args):
    """Ratios that land on an integer up to rounding (guard the ceiling)"""
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
@given(durations())
def test_canary_duration_matches_reference(student, args):
    """Random sample counts, request rates and traffic fractions"""
    compare(student, "canary_duration", args)


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
    """Tolerating 1 and 3 failures at 95 %, 1 in 1,000"""
    for args in ((0.95, 0.001, 1), (0.95, 0.001, 3), (0.99, 0.01, 2)):
        compare(student, "canary_sample_size_with_failures", args, check=check_equal)


@pytest.mark.question("canary_sample_size_with_failures", points=1)
@settings(max_examples=12)  # each example runs two binomial searches
@given(bound_inputs(), st.integers(1, 5))
def test_with_failures_matches_reference(student, args, failures):
    """Random confidences, rates from 1e-4 to 0.2 and 1-5 tolerated failures"""
    compare(student, "canary_sample_size_with_failures", (*args, failures), check=check_equal)


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


@pytest.mark.question("shadow_latency", points=0.75)
def test_track_max_shadow_share(submission, track):
    """max_shadow_share for your track"""
    t = serving_time(track)
    compare_answer(submission, "max_shadow_share", opsmath.shadow_share(t, t, track.deployment.latency_budget_s),
                   track=track, abs_=1e-9)
