"""Hidden suite: Platform ROI (lab "Operations at Scale", part 1).

Questions and points: prediction 1, manual_toil 3, platform_toil 2,
break_even_models 4, team_capacity_models 2, track_answer 3 (15 auto-graded
points; the reflection is graded by hand).

The students' functions take the toil coefficients as flat keyword
arguments; the reference takes an :class:`opsmath.ToilModel` built from the
same numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import opsmath as _opsmath
from grader.carry import compare, compare_answer
from grader.checks import GradingFailure, check_close, check_equal, require_array, self_check, self_check_close
from grader.suites.shared import remembering, test_prediction_recorded  # noqa: F401 - collected by pytest

opsmath = remembering(_opsmath, "break_even_models", "team_capacity_models")
"""The reference as this suite asks it: the same question to ``break_even_models`` (20-30 ms when no fleet size
qualifies) or ``team_capacity_models`` is answered once per worker, not once per notebook."""


def _model(**kwargs: float) -> opsmath.ToilModel:
    return opsmath.ToilModel(**kwargs)


def check_array_close(got: Any, expected: np.ndarray, *, call: str, rel: float = 1e-6, abs_: float = 1e-9) -> None:
    """Require a numeric array of the expected shape ("NumPy arrays in and out"), element-wise close to ``expected``."""
    expected = np.asarray(expected, dtype=float)
    require_array(got, expected, call=call)
    got = got.astype(float)
    bad = ~np.isclose(got, expected, rtol=rel, atol=abs_)
    if np.any(bad) or np.any(np.isnan(got)):
        i = int(np.flatnonzero(bad | np.isnan(got))[0])
        raise GradingFailure(f"{call}: element {i} is {float(got[i])!r}; expected {float(expected[i])!r}")


# -- strategies ---------------------------------------------------------------------------
@st.composite
def manual_params(draw):
    """Flat keyword arguments of manual_toil (coefficients in hours)."""
    return {
        "alert_hours": draw(st.floats(0, 60, allow_nan=False, allow_subnormal=False)),
        "deploy_hours": draw(st.floats(0, 5, allow_nan=False, allow_subnormal=False)),
        "dependency_hours": draw(st.floats(0, 2, allow_nan=False, allow_subnormal=False)),
        "heterogeneity": draw(st.floats(0, 5, allow_nan=False, allow_subnormal=False)),
    }


@st.composite
def platform_params(draw):
    """Flat keyword arguments of platform_toil (coefficients in hours)."""
    return {
        "platform_alert_hours": draw(st.floats(0, 30, allow_nan=False, allow_subnormal=False)),
        "deploy_hours": draw(st.floats(0, 5, allow_nan=False, allow_subnormal=False)),
        "platform_dependency_hours": draw(st.floats(0, 6, allow_nan=False, allow_subnormal=False)),
    }


@st.composite
def fleets(draw):
    """Model counts: a scalar or a short array of counts (0 included)."""
    if draw(st.booleans()):
        return draw(st.integers(0, 5000))
    return np.array(draw(st.lists(st.integers(0, 5000), min_size=1, max_size=20)), dtype=np.int64)


@st.composite
def platform_decisions(draw):
    """(capex $, hourly cost $/h, heterogeneity > 0): a realistic grid (N* < 1,000), and about one draw in eight a
    nearly homogeneous fleet (h = 1e-3 or 1e-4: N* from about 30,000 to 450,000; h = 1e-5: None within 1,000,000)."""
    capex = draw(st.integers(0, 3000)) * 1000.0
    hourly = float(draw(st.integers(50, 400)))
    k = draw(st.integers(1, 23))  # 20 grid values, and 3 in 23 draws a nearly homogeneous fleet
    heterogeneity = k / 4 if k <= 20 else {21: 1e-3, 22: 1e-4, 23: 1e-5}[k]
    return capex, hourly, heterogeneity


def reference_manual_toil(n, heterogeneity=1.0, **coefficients):
    """opsmath.manual_toil under the notebook's signature (flat keyword arguments)."""
    return opsmath.manual_toil(n, _model(heterogeneity=heterogeneity, **coefficients))


def reference_platform_toil(n, **coefficients):
    """opsmath.platform_toil under the notebook's signature (flat keyword arguments)."""
    return opsmath.platform_toil(n, _model(**coefficients))


def check_toil(got: Any, expected: Any, *, call: str) -> None:
    """A toil: a number for a number, an array for an array."""
    if np.ndim(expected) == 0:
        check_close(got, float(expected), call=call, abs_=1e-9)
    else:
        check_array_close(got, expected, call=call)


# -- prediction ---------------------------------------------------------------------------
# -- manual_toil --------------------------------------------------------------------------
@pytest.mark.question("manual_toil", points=1)
def test_manual_toil_lab_model(student):
    """Lab model 20N + N log2 N + 0.5 N² at N = 80 and N = 50"""
    for n in (80, 50):
        by_hand = 20 * n + n * math.log2(n) + 0.5 * n * n
        self_check_close(by_hand, opsmath.manual_toil(n), f"manual_toil({n}) by hand vs opsmath")
        compare(student, "manual_toil", (n,), expected=by_hand)


@pytest.mark.question("manual_toil", points=0.5)
def test_manual_toil_vectorised(student):
    """Arrays in, arrays out; N = 0 gives 0"""
    n = np.array([0, 1, 2, 10, 64, 500])
    compare(student, "manual_toil", (n,), reference=reference_manual_toil, check=check_array_close,
            call="manual_toil(np.array([0, 1, 2, 10, 64, 500]))")


@pytest.mark.question("manual_toil", points=1.5)
@given(fleets(), manual_params())
def test_manual_toil_matches_reference(student, n, params):
    """Random fleets and coefficients (heterogeneity scales only the N² term)"""
    compare(student, "manual_toil", (n,), params, reference=reference_manual_toil, check=check_toil)


# -- platform_toil ------------------------------------------------------------------------
@pytest.mark.question("platform_toil", points=0.5)
def test_platform_toil_lab_model(student):
    """Lab platform 5N + 3N log2 N at N = 80"""
    by_hand = 5 * 80 + 3 * 80 * math.log2(80)
    self_check_close(by_hand, opsmath.platform_toil(80), "platform_toil(80) by hand vs opsmath")
    compare(student, "platform_toil", (80,), expected=by_hand)


@pytest.mark.question("platform_toil", points=0.5)
def test_platform_toil_vectorised(student):
    """Arrays in, arrays out; N = 0 gives 0"""
    n = np.array([0, 1, 3, 64, 1000])
    compare(student, "platform_toil", (n,), reference=reference_platform_toil, check=check_array_close,
            call="platform_toil(np.array([0, 1, 3, 64, 1000]))")


@pytest.mark.question("platform_toil", points=1)
@given(fleets(), platform_params())
def test_platform_toil_matches_reference(student, n, params):
    """Random fleets and platform coefficients"""
    compare(student, "platform_toil", (n,), params, reference=reference_platform_toil, check=check_toil)


# -- break_even_models --------------------------------------------------------------------
def check_break_even(student, capex: float, hourly: float, expected: int | None,
                     heterogeneity: float | None = None) -> None:
    """The student's ``break_even_models`` against ``expected`` (error carried forward from their toils).

    ``heterogeneity=None`` calls the function with its default (1.0), as the notebook's examples do.
    """
    kwargs = {} if heterogeneity is None else {"heterogeneity": heterogeneity}
    compare(student, "break_even_models", (capex, hourly), kwargs, expected=expected, check=check_equal)


@pytest.mark.question("break_even_models", points=1)
def test_break_even_lab_example(student):
    """$500k platform at $150/h on the lab model: N* = 80; a tie counts; N* near 450,000"""
    def cost_gap(n: int) -> float:  # manual - platform, by hand
        manual = 20 * n + n * math.log2(n) + 0.5 * n * n
        platform = 5 * n + 3 * n * math.log2(n)
        return 150 * manual - (500_000 + 150 * platform)

    self_check(cost_gap(79) < 0 <= cost_gap(80) and opsmath.break_even_models(500_000, 150) == 80,
               "N* = 80 for $500k at $150/h, by hand and in opsmath")
    check_break_even(student, 500_000, 150, 80)
    # a tie counts ("at least"): at N = 64 both sides are exactly $224,000 + $100·1472 h = $100·3712 h
    self_check(100 * (20 * 64 + 64 * 6 + 0.5 * 64**2) == 224_000 + 100 * (5 * 64 + 3 * 64 * 6)
               and opsmath.break_even_models(224_000, 100) == 64, "tie at N = 64 for $224k at $100/h")
    check_break_even(student, 224_000, 100, 64)
    # a nearly homogeneous fleet breaks even only at about 450,000 models (the search must reach 1,000,000)
    far = opsmath.break_even_models(1_000_000, 150, _model(heterogeneity=1e-4))
    self_check(far is not None and far > 400_000, "N* > 400,000 for $1M at $150/h, h = 1e-4")
    check_break_even(student, 1_000_000, 150, far, heterogeneity=1e-4)


@pytest.mark.question("break_even_models", points=0.5)
def test_break_even_heterogeneous_fleet(student):
    """A more entangled fleet (h = 2.5) breaks even sooner"""
    expected = opsmath.break_even_models(750_000, 180, _model(heterogeneity=2.5))
    check_break_even(student, 750_000, 180, expected, heterogeneity=2.5)


@pytest.mark.question("break_even_models", points=0.5)
def test_break_even_without_dependencies_small_capex(student):
    """No N² term but a cheap platform ($10k): still a finite N*"""
    expected = opsmath.break_even_models(10_000, 150, _model(heterogeneity=0.0))
    self_check(expected is not None, "a finite N* for $10k at $150/h, h = 0")
    check_break_even(student, 10_000, 150, expected, heterogeneity=0.0)


@pytest.mark.question("break_even_models", points=0.5)
def test_break_even_never_pays_off(student):
    """None when no N up to 1,000,000 breaks even, a number when one does"""
    # h = 0: the platform saves at most ~192 h/yr (at N = 67), worth $57.6k at $300/h < $60k capex
    self_check(opsmath.break_even_models(60_000, 300, _model(heterogeneity=0.0)) is None,
               "no N* for $60k at $300/h, h = 0")
    check_break_even(student, 60_000, 300, None, heterogeneity=0.0)

    def pays_off(got, want, *, call: str) -> None:
        if (got is None) != (want is None):
            raise GradingFailure(f"{call} returned {got!r}; with the N² term the platform does pay off, so expected "
                                 "a fleet size")

    compare(student, "break_even_models", (60_000, 300), {"heterogeneity": 1.0},
            expected=opsmath.break_even_models(60_000, 300, _model(heterogeneity=1.0)), check=pays_off)


@pytest.mark.question("break_even_models", points=1.5)
@given(platform_decisions())
def test_break_even_matches_reference(student, decision):
    """Random capex, hourly cost and heterogeneity"""
    capex, hourly, h = decision
    expected = opsmath.break_even_models(capex, hourly, _model(heterogeneity=h))
    check_break_even(student, capex, hourly, expected, heterogeneity=h)


# -- team_capacity_models -----------------------------------------------------------------
@pytest.mark.question("team_capacity_models", points=0.5)
def test_team_capacity_lab_example(student):
    """4,000 h/yr on the lab model: 67 models"""
    by_hand = 20 * 67 + 67 * math.log2(67) + 0.5 * 67**2, 20 * 68 + 68 * math.log2(68) + 0.5 * 68**2
    self_check(by_hand[0] <= 4000 < by_hand[1] and opsmath.team_capacity_models(4000) == 67,
               "67 models fit in 4,000 h, by hand and in opsmath")
    compare(student, "team_capacity_models", (4000,), expected=67, check=check_equal)


@pytest.mark.question("team_capacity_models", points=0.5)
def test_team_capacity_edges(student):
    """Exact fit counts (3,712 h → 64 models at h = 1) and tiny teams get 0"""
    for cap, h in ((3712.0, 1.0), (3711.5, 1.0), (10.0, 1.0), (0.0, 2.0), (20.5, 1.0)):
        compare(student, "team_capacity_models", (cap,), {"heterogeneity": h},
                expected=opsmath.team_capacity_models(cap, _model(heterogeneity=h)), check=check_equal)


@st.composite
def capacities(draw):
    """(capacity hours, heterogeneity): teams of up to ~50 engineers."""
    cap = draw(st.floats(0, 100_000, allow_nan=False, allow_subnormal=False))
    return cap, draw(st.floats(0, 5, allow_nan=False, allow_subnormal=False))


@pytest.mark.question("team_capacity_models", points=1)
@given(capacities())
def test_team_capacity_matches_reference(student, case):
    """Random capacities and heterogeneity"""
    cap, h = case
    compare(student, "team_capacity_models", (cap,), {"heterogeneity": h},
            expected=opsmath.team_capacity_models(cap, _model(heterogeneity=h)), check=check_equal)


# -- track answer -------------------------------------------------------------------------
def _track_model(track) -> opsmath.ToilModel:
    return _model(heterogeneity=track.scenario.heterogeneity)


@pytest.mark.question("track_answer", points=1)
def test_n_star(submission, track):
    """n_star for your track"""
    s = track.scenario
    expected = opsmath.break_even_models(s.platform_capex, s.engineer_hourly_cost, _track_model(track))
    compare_answer(submission, "n_star", expected, track=track, check=check_equal)


@pytest.mark.question("track_answer", points=1)
def test_roi_now(submission, track):
    """roi_now ($/year at today's fleet) for your track"""
    s = track.scenario
    expected = opsmath.platform_roi(s.models_in_fleet, s.platform_capex, s.engineer_hourly_cost, _track_model(track))
    compare_answer(submission, "roi_now", expected, track=track)


@pytest.mark.question("track_answer", points=1)
def test_max_manual_models(submission, track):
    """max_manual_models for your track"""
    s = track.scenario
    expected = opsmath.team_capacity_models(s.team_capacity_hours, _track_model(track))
    compare_answer(submission, "max_manual_models", expected, track=track, check=check_equal)


# -- fleet_update (hardware in the loop) --------------------------------------------------
def fleet_update_reference(track) -> tuple[float, float]:
    """(terabytes sent, hours) of one model update to the track's fleet."""
    d = track.deployment
    size = opsmath.model_bytes(d.parameters, d.bytes_per_parameter)
    hours = opsmath.fleet_update_seconds(size, d.fleet_devices, d.update_link_bits_per_s) / 3600
    return opsmath.fleet_update_bytes(size, d.fleet_devices) / 1e12, hours


def _fleet_hours(update_bytes: float, devices: int, link: float) -> float:
    return opsmath.fleet_update_seconds(update_bytes, devices, link) / 3600


@st.composite
def fleet_hardware(draw):
    """Update size (100 KB to 200 GB), fleet size (1 to 10 million) and link speed (1 Mb/s to 400 Gb/s)."""
    return draw(st.floats(1e5, 2e11)), draw(st.integers(1, 10_000_000)), draw(st.floats(1e6, 4e11))


@pytest.mark.question("fleet_update", points=0.5)
def test_fleet_update_worked_example(student):
    """1 GB to 1,000 devices over 1 Gb/s; YOLOv8-nano to 500,000 vehicles over 10 Gb/s"""
    for args in ((1e9, 1000, 1e9), (3.2e6, 500_000, 10e9)):
        compare(student, "fleet_update_hours", args, reference=_fleet_hours)


@pytest.mark.question("fleet_update", points=1)
@given(fleet_hardware())
def test_fleet_update_matches_reference(student, args):
    """Random update sizes, fleets and link speeds (bits per second)"""
    compare(student, "fleet_update_hours", args, reference=_fleet_hours)


@pytest.mark.question("fleet_update", points=0.75)
def test_track_update_terabytes(submission, track):
    """update_terabytes for your track"""
    compare_answer(submission, "update_terabytes", fleet_update_reference(track)[0], track=track)


@pytest.mark.question("fleet_update", points=0.75)
def test_track_update_hours(submission, track):
    """update_hours for your track"""
    compare_answer(submission, "update_hours", fleet_update_reference(track)[1], track=track)
