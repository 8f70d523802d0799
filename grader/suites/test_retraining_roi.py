"""Hidden suite: Retraining ROI (lab "ML Operations", part 2).

Questions and points: prediction 1, staleness_cost 4, cost_rate 2,
optimal_retrain_interval 3, exact_optimum 2, threshold_interval 2,
track_answer 4 (18 auto-graded points; the reflection is graded by hand).

Tolerances (stated in the notebook): relative 1e-6 for the closed forms;
0 within 1e-9 for staleness_cost at lam = 0; within 0.01·Q·V·A0·λT² (about
2 % of the answer) for staleness_cost at tiny lam; relative 1e-3 for the
numerically minimised exact optimum; relative 1e-4 for current_cost_ratio.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import opsmath
from grader.carry import compare, compare_answer
from grader.checks import check_close, check_equal, require_array
from grader.suites.shared import test_prediction_recorded  # noqa: F401 - collected by pytest
from grader.suites.straddles import staleness_near_switch

WORKED = (5000.0, 1e6, 0.5, 0.95, 0.02)  # C, Q, V, A0, lam of the chapter's worked example
WORKED_QVAL = WORKED[1:]  # Q, V, A0, lam
REL_EXACT = 1e-3
REL_RATIO = 1e-4


def check_array_close(got, expected: np.ndarray, *, call: str, rel: float = 1e-6, abs_=0.0) -> None:
    """Element-wise check_close of an array answer (``abs_`` may be one tolerance per element)."""
    require_array(got, expected, call=call)  # the notebook: "an array of the same shape for an array" (not a list)
    values = got.reshape(-1)
    tolerances = np.broadcast_to(np.asarray(abs_, dtype=float), expected.shape).reshape(-1)
    for i, (value, want, tol) in enumerate(zip(values, expected.reshape(-1), tolerances, strict=True)):
        check_close(value, float(want), call=f"{call}[{i}]", rel=rel, abs_=float(tol))


def economics_of(track) -> tuple[float, float, float, float, float]:
    """C, Q, V, A0, lam of a track."""
    s = track.scenario
    return s.retrain_cost, s.daily_queries, s.value_per_point, s.accuracy0, s.decay_rate


@st.composite
def economics(draw):
    """C, Q, V, A0 and a decay rate with λ ≥ 2e-3 (ordinary, no λ→0 limit)."""
    return (
        draw(st.floats(1e2, 1e7)),
        draw(st.floats(1e3, 1e8)),
        draw(st.floats(1e-4, 1.0)),
        draw(st.floats(0.5, 1.0)),
        draw(st.floats(2e-3, 1.0)),
    )


@st.composite
def economics_with_optimum(draw):
    """C, Q, V, A0, lam whose exact optimum T* is drawn log-uniformly in [0.01, 1000] days (the notebook's promise).

    With x = λT* drawn in [0.01, 5], the optimality condition (1 + x)e^(−x) = 1 − k fixes k = Cλ/(QVA0), hence C.
    """
    Q = draw(st.floats(1e3, 1e8))
    V = draw(st.floats(1e-4, 1.0))
    A0 = draw(st.floats(0.5, 1.0))
    T_star = 10 ** draw(st.floats(-2.0, 3.0))
    x = 10 ** draw(st.floats(-2.0, math.log10(5.0)))
    lam = x / T_star
    k = -math.expm1(-x) - x * math.exp(-x)
    return k * Q * V * A0 / lam, Q, V, A0, lam


intervals = st.just(0.0) | st.floats(0.1, 400.0)
positive_intervals = st.floats(0.1, 400.0)


# -- prediction ---------------------------------------------------------------------------
# -- staleness_cost -----------------------------------------------------------------------
@pytest.mark.question("staleness_cost", points=0.5)
def test_staleness_worked_example(student):
    """Chapter example model after 1 and 7 days"""
    for T in (1.0, 7.0):
        compare(student, "staleness_cost", (T, *WORKED_QVAL))


@pytest.mark.question("staleness_cost", points=1)
@given(intervals, economics())
def test_staleness_matches_reference(student, T, econ):
    """Random intervals and economics (λ ≥ 0.002)"""
    compare(student, "staleness_cost", (T, *econ[1:]), abs_=1e-9)


@pytest.mark.question("staleness_cost", points=0.5)
def test_staleness_array(student):
    """An array of intervals gives an array of costs"""
    T = np.array([0.0, 0.5, 1.0, 7.0, 30.0, 365.0])
    compare(student, "staleness_cost", (T, *WORKED_QVAL), check=check_array_close, abs_=1e-9)


@pytest.mark.question("staleness_cost", points=1)
@given(staleness_near_switch())
@example((365.0, 1e6, 0.5, 0.95, 5e-4))  # a small lam but x = lam T = 0.18, far above the switch: the formula
@example((1000.0, 1e6, 0.5, 0.95, 2e-4))  # (the switch is on x, not on lam)
def test_staleness_near_series_switch(student, args):
    """Decay x = lam T on both sides of the series switch at 1e-3 (the series' terms matter there)"""
    compare(student, "staleness_cost", args)


@pytest.mark.question("staleness_cost", points=1)
def test_staleness_tiny_decay(student):
    """Tiny decay rates (1e-9, 1e-12): no cancellation error; no decay (lam = 0) costs nothing"""
    T = np.array([0.5, 1.0, 30.0, 365.0])
    Q, V, A0 = 1e6, 0.5, 0.95
    compare(student, "staleness_cost", (30.0, Q, V, A0, 0.0), expected=0.0, abs_=1e-9)
    compare(student, "staleness_cost", (np.array([0.0, 1.0, 30.0, 365.0]), Q, V, A0, 0.0), expected=np.zeros(4),
            check=check_array_close, abs_=1e-9)
    for lam in (1e-9, 1e-12):
        compare(student, "staleness_cost", (T, Q, V, A0, lam), check=check_array_close,
                abs_=0.01 * Q * V * A0 * lam * T**2)
        compare(student, "staleness_cost", (30.0, Q, V, A0, lam), abs_=0.01 * Q * V * A0 * lam * 30.0**2)


# -- cost_rate ----------------------------------------------------------------------------
@pytest.mark.question("cost_rate", points=0.25)
def test_cost_rate_worked_example(student):
    """Chapter example: daily and weekly retraining"""
    for T in (1.0, 7.0):
        compare(student, "cost_rate", (T, *WORKED))


@pytest.mark.question("cost_rate", points=1)
@given(positive_intervals, economics())
def test_cost_rate_matches_reference(student, T, econ):
    """Random intervals and economics"""
    compare(student, "cost_rate", (T, *econ))


# after the number tests: error carried forward probes a function on the first inputs the suite gave it, and a
# cost_rate that fails on arrays must still carry the track's (scalar) answers computed with it
@pytest.mark.question("cost_rate", points=0.25)
def test_cost_rate_array(student):
    """Chapter example over an array of intervals"""
    compare(student, "cost_rate", (np.array([0.25, 1.0, 7.0, 90.0]), *WORKED), check=check_array_close)


@pytest.mark.question("cost_rate", points=0.5)
def test_cost_rate_no_decay(student):
    """Without decay only the retraining cost remains: C/T"""
    for T in (4.0, 0.5):
        compare(student, "cost_rate", (T, 5000.0, 1e6, 0.5, 0.95, 0.0))


# -- optimal_retrain_interval -------------------------------------------------------------
@pytest.mark.question("optimal_retrain_interval", points=1)
def test_sqrt_law_worked_example(student):
    """Chapter worked example (1.026 days)"""
    compare(student, "optimal_retrain_interval", WORKED)


@pytest.mark.question("optimal_retrain_interval", points=1.5)
@given(economics())
def test_sqrt_law_matches_reference(student, econ):
    """Random economics"""
    compare(student, "optimal_retrain_interval", econ)


@pytest.mark.question("optimal_retrain_interval", points=0.5)
def test_sqrt_law_no_decay(student):
    """No decay: never retrain (math.inf)"""
    compare(student, "optimal_retrain_interval", (5000.0, 1e6, 0.5, 0.95, 0.0), expected=math.inf)


# -- exact optimum ------------------------------------------------------------------------
@pytest.mark.question("exact_optimum", points=0.5)
def test_exact_worked_example(student):
    """Chapter worked example (1.0331 days), relative tolerance 1e-3"""
    compare(student, "exact_retrain_interval", WORKED, rel=REL_EXACT)


def _econ_with_optimum(T_star: float, x: float = 0.5, Q: float = 1e6, V: float = 0.5, A0: float = 0.95):
    """C, Q, V, A0, lam whose exact optimum is ``T_star`` days (λT* = x), from (1 + x)e^(−x) = 1 − k."""
    lam = x / T_star
    k = -math.expm1(-x) - x * math.exp(-x)
    return k * Q * V * A0 / lam, Q, V, A0, lam


@pytest.mark.question("exact_optimum", points=0.5)
@given(economics_with_optimum())
@example(_econ_with_optimum(1000.0))  # the notebook promises optima up to 1,000 days...
@example(_econ_with_optimum(0.01, x=2.0))  # ... and down to 0.01
def test_exact_matches_reference(student, econ):
    """Random economics with an optimum between 0.01 and 1000 days, relative tolerance 1e-3"""
    compare(student, "exact_retrain_interval", econ, rel=REL_EXACT)


@pytest.mark.question("exact_optimum", points=1)
def test_track_t_exact(submission, track):
    """T_exact for your track, relative tolerance 1e-3"""
    compare_answer(submission, "T_exact", opsmath.exact_retrain_interval(*economics_of(track)), track=track,
                   rel=REL_EXACT)


# -- threshold_interval -------------------------------------------------------------------
@pytest.mark.question("threshold_interval", points=0.5)
def test_threshold_worked_example(student):
    """0.95 falls to 0.90 at 2 % per day"""
    compare(student, "threshold_interval", (0.95, 0.02, 0.90), reference=opsmath.time_to_threshold)


@st.composite
def decays_to_floor(draw):
    """A0, lam > 0 and a floor in [0.3·A0, A0]."""
    A0 = draw(st.floats(0.5, 1.0))
    return A0, draw(st.floats(1e-3, 1.0)), A0 * draw(st.floats(0.3, 1.0))


@pytest.mark.question("threshold_interval", points=1)
@given(decays_to_floor())
def test_threshold_matches_reference(student, args):
    """Random accuracies, decay rates and floors"""
    compare(student, "threshold_interval", args, reference=opsmath.time_to_threshold, abs_=1e-9)


@pytest.mark.question("threshold_interval", points=0.5)
def test_threshold_edges(student):
    """Edge cases: no decay (never, or at once) and a floor equal to A0"""
    for args in ((0.9, 0.0, 0.8), (0.9, 0.0, 0.9), (0.9, 0.05, 0.9)):
        compare(student, "threshold_interval", args, reference=opsmath.time_to_threshold, abs_=1e-12)


# -- track answers ------------------------------------------------------------------------
@pytest.mark.question("track_answer", points=1)
def test_track_t_sqrt(submission, track):
    """T_sqrt for your track"""
    compare_answer(submission, "T_sqrt", opsmath.optimal_retrain_interval(*economics_of(track)), track=track)


@pytest.mark.question("track_answer", points=1)
def test_track_t_threshold(submission, track):
    """T_threshold for your track"""
    s = track.scenario
    compare_answer(submission, "T_threshold", opsmath.time_to_threshold(s.accuracy0, s.decay_rate, s.accuracy_floor),
                   track=track)


@pytest.mark.question("track_answer", points=1)
def test_current_cost_ratio(submission, track):
    """current_cost_ratio for your track, relative tolerance 1e-4"""
    econ = economics_of(track)
    today = opsmath.cost_rate(track.scenario.current_interval_days, *econ)
    best = opsmath.cost_rate(opsmath.exact_retrain_interval(*econ), *econ)
    compare_answer(submission, "current_cost_ratio", today / best, track=track, rel=REL_RATIO)


@pytest.mark.question("track_answer", points=1)
def test_cheaper_policy(submission, track):
    """cheaper_policy for your track: "daily" or "threshold" """
    econ = economics_of(track)
    s = track.scenario
    threshold_cost = opsmath.cost_rate(opsmath.time_to_threshold(s.accuracy0, s.decay_rate, s.accuracy_floor), *econ)
    expected = "threshold" if threshold_cost < opsmath.cost_rate(1.0, *econ) else "daily"
    compare_answer(submission, "cheaper_policy", expected, track=track, check=check_equal)


# -- retrain_hardware (hardware in the loop) ----------------------------------------------
@st.composite
def training_hardware(draw):
    """Accelerator-hours, $/hour, watts per accelerator and $/kWh over the range of real training fleets."""
    return (draw(st.just(0.0) | st.floats(1.0, 1e7)), draw(st.floats(0.5, 12.0)), draw(st.floats(5.0, 1200.0)),
            draw(st.floats(0.02, 0.5)))


def hardware_retrain_cost(track) -> float:
    """C_hw: the track's retraining run priced from its training hardware (opsmath.training_run_cost)."""
    d = track.deployment
    return opsmath.training_run_cost(d.retrain_accelerator_hours, d.training_usd_per_hour, d.training_power_w,
                                     d.usd_per_kwh)


@pytest.mark.question("retrain_hardware", points=0.5)
def test_training_run_cost_worked_example(student):
    """Cloud Titan's run: 500,000 H100-hours at $4.00/h and 700 W, $0.12/kWh"""
    compare(student, "training_run_cost", (500_000.0, 4.0, 700.0, 0.12))


@pytest.mark.question("retrain_hardware", points=1)
@given(training_hardware())
def test_training_run_cost_matches_reference(student, args):
    """Random accelerator-hours, prices and accelerator powers"""
    compare(student, "training_run_cost", args, abs_=1e-9)


@pytest.mark.question("retrain_hardware", points=0.75)
def test_track_c_hw(submission, track):
    """C_hw for your track"""
    compare_answer(submission, "C_hw", hardware_retrain_cost(track), track=track)


@pytest.mark.question("retrain_hardware", points=0.75)
def test_track_t_sqrt_hw(submission, track):
    """T_sqrt_hw for your track (a wrong square-root law or C_hw is not charged twice)"""
    args = (hardware_retrain_cost(track), *economics_of(track)[1:])
    compare_answer(submission, "T_sqrt_hw", opsmath.optimal_retrain_interval(*args), track=track)
