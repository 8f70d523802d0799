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
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

import opsmath
from grader.checks import GradingFailure, check_close, check_equal, describe_call
from grader.suites.shared import test_prediction_recorded  # noqa: F401 - collected by pytest

WORKED = (5000.0, 1e6, 0.5, 0.95, 0.02)  # C, Q, V, A0, lam of the chapter's worked example
WORKED_QVAL = WORKED[1:]  # Q, V, A0, lam
REL_EXACT = 1e-3
REL_RATIO = 1e-4


def check_array_close(got, expected: np.ndarray, *, call: str, rel: float = 1e-6, abs_=0.0) -> None:
    """Element-wise check_close of an array answer (``abs_`` may be one tolerance per element)."""
    if not isinstance(got, (np.ndarray, list)):
        raise GradingFailure(f"{call} returned {type(got).__name__}; expected an array of {expected.size} values")
    values = np.asarray(got, dtype=object).reshape(-1) if isinstance(got, list) else got.reshape(-1)
    if np.shape(got) != expected.shape:
        raise GradingFailure(f"{call} returned shape {np.shape(got)}; expected shape {expected.shape}")
    tolerances = np.broadcast_to(np.asarray(abs_, dtype=float), expected.shape).reshape(-1)
    for i, (value, want, tol) in enumerate(zip(values, expected.reshape(-1), tolerances, strict=True)):
        check_close(value, float(want), call=f"{call}[{i}]", rel=rel, abs_=float(tol))


def _number(value, what: str) -> float:
    """``value`` as a float, or a GradingFailure (the student's function returned something else)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise GradingFailure(f"{what} did not return a number")
    return float(value)


REFERENCE = SimpleNamespace(staleness_cost=opsmath.staleness_cost, cost_rate=opsmath.cost_rate)
"""The reference under the students' function names: error carried forward recomputes through it too (self-check)."""


def own_cost_rate(student, T, C, Q, V, A0, lam):
    """Error carried forward for cost_rate: (S(T) + C)/T through the student's own staleness_cost."""
    S = student.staleness_cost(T, Q, V, A0, lam)
    if isinstance(S, np.ndarray) or isinstance(T, np.ndarray):
        return (np.asarray(S, dtype=float) + C) / np.asarray(T, dtype=float)
    return (_number(S, "staleness_cost") + C) / T


def own_exact_interval(student, C, Q, V, A0, lam) -> float:
    """Error carried forward for the exact optimum: the notebook's minimisation run on the student's own cost_rate.

    Same call as the notebook prescribes (``minimize_scalar`` bounded to (1e-3, 1e4), ``xatol`` 1e-9); each
    evaluation of the student's cost_rate runs in the sandbox.
    """
    def f(T: float) -> float:
        return _number(student.cost_rate(float(T), C, Q, V, A0, lam), "cost_rate")

    result = minimize_scalar(f, bounds=(1e-3, 1e4), method="bounded", options={"xatol": 1e-9})
    return float(result.x)


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
        call = describe_call("staleness_cost", (T, *WORKED_QVAL))
        check_close(student.staleness_cost(T, *WORKED_QVAL), opsmath.staleness_cost(T, *WORKED_QVAL), call=call)


@pytest.mark.question("staleness_cost", points=1)
@given(intervals, economics())
def test_staleness_matches_reference(student, T, econ):
    """Random intervals and economics (λ ≥ 0.002)"""
    args = (T, *econ[1:])
    check_close(student.staleness_cost(*args), opsmath.staleness_cost(*args),
                call=describe_call("staleness_cost", args), abs_=1e-9)


@pytest.mark.question("staleness_cost", points=0.5)
def test_staleness_array(student):
    """An array of intervals gives an array of costs"""
    T = np.array([0.0, 0.5, 1.0, 7.0, 30.0, 365.0])
    check_array_close(student.staleness_cost(T, *WORKED_QVAL), opsmath.staleness_cost(T, *WORKED_QVAL),
                      call=describe_call("staleness_cost", (T, *WORKED_QVAL)), abs_=1e-9)


@pytest.mark.question("staleness_cost", points=1)
def test_staleness_no_decay(student):
    """No decay (lam = 0) costs nothing, for a number and an array"""
    args = (30.0, 1e6, 0.5, 0.95, 0.0)
    check_close(student.staleness_cost(*args), 0.0, call=describe_call("staleness_cost", args), abs_=1e-9)
    T = np.array([0.0, 1.0, 30.0, 365.0])
    args = (T, 1e6, 0.5, 0.95, 0.0)
    check_array_close(student.staleness_cost(*args), np.zeros(4), call=describe_call("staleness_cost", args),
                      abs_=1e-9)


@pytest.mark.question("staleness_cost", points=1)
def test_staleness_tiny_decay(student):
    """Tiny decay rates (1e-9, 1e-12): no cancellation error"""
    T = np.array([0.5, 1.0, 30.0, 365.0])
    Q, V, A0 = 1e6, 0.5, 0.95
    for lam in (1e-9, 1e-12):
        args = (T, Q, V, A0, lam)
        check_array_close(student.staleness_cost(*args), opsmath.staleness_cost(*args),
                          call=describe_call("staleness_cost", args), abs_=0.01 * Q * V * A0 * lam * T**2)
        scalar = (30.0, Q, V, A0, lam)
        check_close(student.staleness_cost(*scalar), opsmath.staleness_cost(*scalar),
                    call=describe_call("staleness_cost", scalar), abs_=0.01 * Q * V * A0 * lam * 30.0**2)


# -- cost_rate ----------------------------------------------------------------------------
@pytest.mark.question("cost_rate", points=0.5, carry_forward=("staleness_cost",))
def test_cost_rate_worked_example(student, carry):
    """Chapter example: daily retraining, and an array of intervals"""
    call = describe_call("cost_rate", (1.0, *WORKED))
    carry.check(lambda got, want: check_close(got, want, call=call), student.cost_rate(1.0, *WORKED),
                opsmath.cost_rate(1.0, *WORKED), recompute=lambda who: own_cost_rate(who, 1.0, *WORKED),
                student=student, reference=REFERENCE)
    T = np.array([0.25, 1.0, 7.0, 90.0])
    carry.check(lambda got, want: check_array_close(got, want, call=describe_call("cost_rate", (T, *WORKED))),
                student.cost_rate(T, *WORKED), opsmath.cost_rate(T, *WORKED),
                recompute=lambda who: own_cost_rate(who, T, *WORKED),
                student=student, reference=REFERENCE)


@pytest.mark.question("cost_rate", points=1, carry_forward=("staleness_cost",))
@given(positive_intervals, economics())
def test_cost_rate_matches_reference(student, carry, T, econ):
    """Random intervals and economics"""
    args = (T, *econ)
    carry.check(lambda got, want: check_close(got, want, call=describe_call("cost_rate", args)),
                student.cost_rate(*args), opsmath.cost_rate(*args), recompute=lambda who: own_cost_rate(who, *args),
                student=student, reference=REFERENCE)


@pytest.mark.question("cost_rate", points=0.5, carry_forward=("staleness_cost",))
def test_cost_rate_no_decay(student, carry):
    """Without decay only the retraining cost remains: C/T"""
    for T in (4.0, 0.5):
        args = (T, 5000.0, 1e6, 0.5, 0.95, 0.0)
        carry.check(lambda got, want, args=args: check_close(got, want, call=describe_call("cost_rate", args)),
                    student.cost_rate(*args), opsmath.cost_rate(*args),
                    recompute=lambda who, args=args: own_cost_rate(who, *args),
                    student=student, reference=REFERENCE)


# -- optimal_retrain_interval -------------------------------------------------------------
@pytest.mark.question("optimal_retrain_interval", points=1)
def test_sqrt_law_worked_example(student):
    """Chapter worked example (1.026 days)"""
    check_close(student.optimal_retrain_interval(*WORKED), opsmath.optimal_retrain_interval(*WORKED),
                call=describe_call("optimal_retrain_interval", WORKED))


@pytest.mark.question("optimal_retrain_interval", points=1.5)
@given(economics())
def test_sqrt_law_matches_reference(student, econ):
    """Random economics"""
    check_close(student.optimal_retrain_interval(*econ), opsmath.optimal_retrain_interval(*econ),
                call=describe_call("optimal_retrain_interval", econ))


@pytest.mark.question("optimal_retrain_interval", points=0.5)
def test_sqrt_law_no_decay(student):
    """No decay: never retrain (math.inf)"""
    args = (5000.0, 1e6, 0.5, 0.95, 0.0)
    check_close(student.optimal_retrain_interval(*args), math.inf,
                call=describe_call("optimal_retrain_interval", args))


# -- exact optimum ------------------------------------------------------------------------
@pytest.mark.question("exact_optimum", points=0.5, carry_forward=("cost_rate",))
def test_exact_worked_example(student, carry):
    """Chapter worked example (1.0331 days), relative tolerance 1e-3"""
    carry.check(lambda got, want: check_close(got, want, call=describe_call("exact_retrain_interval", WORKED),
                                              rel=REL_EXACT),
                student.exact_retrain_interval(*WORKED), opsmath.exact_retrain_interval(*WORKED),
                recompute=lambda who: own_exact_interval(who, *WORKED),
                student=student, reference=REFERENCE)


def _econ_with_optimum(T_star: float, x: float = 0.5, Q: float = 1e6, V: float = 0.5, A0: float = 0.95):
    """C, Q, V, A0, lam whose exact optimum is ``T_star`` days (λT* = x), from (1 + x)e^(−x) = 1 − k."""
    lam = x / T_star
    k = -math.expm1(-x) - x * math.exp(-x)
    return k * Q * V * A0 / lam, Q, V, A0, lam


@pytest.mark.question("exact_optimum", points=0.5, carry_forward=("cost_rate",))
@given(economics_with_optimum())
@example(_econ_with_optimum(1000.0))  # the notebook promises optima up to 1,000 days...
@example(_econ_with_optimum(0.01, x=2.0))  # ... and down to 0.01
def test_exact_matches_reference(student, carry, econ):
    """Random economics with an optimum between 0.01 and 1000 days, relative tolerance 1e-3"""
    carry.check(lambda got, want: check_close(got, want, call=describe_call("exact_retrain_interval", econ),
                                              rel=REL_EXACT),
                student.exact_retrain_interval(*econ), opsmath.exact_retrain_interval(*econ),
                recompute=lambda who: own_exact_interval(who, *econ),
                student=student, reference=REFERENCE)


@pytest.mark.question("exact_optimum", points=1, carry_forward=("cost_rate",))
def test_track_t_exact(submission, student, carry, track):
    """T_exact for your track, relative tolerance 1e-3"""
    econ = economics_of(track)
    carry.check(lambda got, want: check_close(got, want, call=f"T_exact on track {track.key}", rel=REL_EXACT),
                submission.get("T_exact"), opsmath.exact_retrain_interval(*econ),
                recompute=lambda who: own_exact_interval(who, *econ),
                student=student, reference=REFERENCE)


# -- threshold_interval -------------------------------------------------------------------
@pytest.mark.question("threshold_interval", points=0.5)
def test_threshold_worked_example(student):
    """0.95 falls to 0.90 at 2 % per day"""
    args = (0.95, 0.02, 0.90)
    check_close(student.threshold_interval(*args), opsmath.time_to_threshold(*args),
                call=describe_call("threshold_interval", args))


@st.composite
def decays_to_floor(draw):
    """A0, lam > 0 and a floor in [0.3·A0, A0]."""
    A0 = draw(st.floats(0.5, 1.0))
    return A0, draw(st.floats(1e-3, 1.0)), A0 * draw(st.floats(0.3, 1.0))


@pytest.mark.question("threshold_interval", points=1)
@given(decays_to_floor())
def test_threshold_matches_reference(student, args):
    """Random accuracies, decay rates and floors"""
    check_close(student.threshold_interval(*args), opsmath.time_to_threshold(*args),
                call=describe_call("threshold_interval", args), abs_=1e-9)


@pytest.mark.question("threshold_interval", points=0.5)
def test_threshold_edges(student):
    """Edge cases: no decay (never, or at once) and a floor equal to A0"""
    for args in ((0.9, 0.0, 0.8), (0.9, 0.0, 0.9), (0.9, 0.05, 0.9)):
        check_close(student.threshold_interval(*args), opsmath.time_to_threshold(*args),
                    call=describe_call("threshold_interval", args), abs_=1e-12)


# -- track answers ------------------------------------------------------------------------
@pytest.mark.question("track_answer", points=1)
def test_track_t_sqrt(submission, track):
    """T_sqrt for your track"""
    check_close(submission.get("T_sqrt"), opsmath.optimal_retrain_interval(*economics_of(track)),
                call=f"T_sqrt on track {track.key}")


@pytest.mark.question("track_answer", points=1)
def test_track_t_threshold(submission, track):
    """T_threshold for your track"""
    s = track.scenario
    check_close(submission.get("T_threshold"), opsmath.time_to_threshold(s.accuracy0, s.decay_rate, s.accuracy_floor),
                call=f"T_threshold on track {track.key}")


@pytest.mark.question("track_answer", points=1, carry_forward=("cost_rate", "T_exact"))
def test_current_cost_ratio(submission, student, carry, track):
    """current_cost_ratio for your track, relative tolerance 1e-4"""
    econ = economics_of(track)
    today = opsmath.cost_rate(track.scenario.current_interval_days, *econ)
    best = opsmath.cost_rate(opsmath.exact_retrain_interval(*econ), *econ)

    def own() -> float:
        mine = _number(student.cost_rate(track.scenario.current_interval_days, *econ), "cost_rate")
        return mine / _number(student.cost_rate(_number(submission.get("T_exact"), "T_exact"), *econ), "cost_rate")

    carry.check(lambda got, want: check_close(got, want, call=f"current_cost_ratio on track {track.key}",
                                              rel=REL_RATIO),
                submission.get("current_cost_ratio"), today / best, recompute=own)


@pytest.mark.question("track_answer", points=1, carry_forward=("cost_rate", "T_threshold"))
def test_cheaper_policy(submission, student, carry, track):
    """cheaper_policy for your track: "daily" or "threshold" """
    econ = economics_of(track)
    s = track.scenario
    threshold_cost = opsmath.cost_rate(opsmath.time_to_threshold(s.accuracy0, s.decay_rate, s.accuracy_floor), *econ)
    expected = "threshold" if threshold_cost < opsmath.cost_rate(1.0, *econ) else "daily"

    def own() -> str:
        mine = _number(student.cost_rate(_number(submission.get("T_threshold"), "T_threshold"), *econ), "cost_rate")
        return "threshold" if mine < _number(student.cost_rate(1.0, *econ), "cost_rate") else "daily"

    carry.check(lambda got, want: check_equal(got, want, call=f"cheaper_policy on track {track.key}"),
                submission.get("cheaper_policy"), expected, recompute=own)


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
    args = (500_000.0, 4.0, 700.0, 0.12)
    check_close(student.training_run_cost(*args), opsmath.training_run_cost(*args),
                call=describe_call("training_run_cost", args))


@pytest.mark.question("retrain_hardware", points=1)
@given(training_hardware())
def test_training_run_cost_matches_reference(student, args):
    """Random accelerator-hours, prices and accelerator powers"""
    check_close(student.training_run_cost(*args), opsmath.training_run_cost(*args),
                call=describe_call("training_run_cost", args), abs_=1e-9)


@pytest.mark.question("retrain_hardware", points=0.75)
def test_track_c_hw(submission, track):
    """C_hw for your track"""
    check_close(submission.get("C_hw"), hardware_retrain_cost(track), call=f"C_hw on track {track.key}")


@pytest.mark.question("retrain_hardware", points=0.75, carry_forward=("optimal_retrain_interval",))
def test_track_t_sqrt_hw(student, submission, track, carry):
    """T_sqrt_hw for your track (a wrong square-root law is not charged twice)"""
    args = (hardware_retrain_cost(track), *economics_of(track)[1:])
    call = f"T_sqrt_hw on track {track.key}"
    carry.check(lambda got, want: check_close(got, want, call=call),
                submission.get("T_sqrt_hw"), opsmath.optimal_retrain_interval(*args),
                recompute=lambda: student.optimal_retrain_interval(*args))
