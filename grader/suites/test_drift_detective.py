"""Hidden suite: Drift Detective (lab "ML Operations", part 1).

Questions and points: prediction 1, psi 4, psi_from_samples 3, drift_status 2,
track_answer 2 (12 auto-graded points; the reflection is graded by hand).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import opsmath
from grader.checks import check_close, check_equal, describe_call
from grader.studentkit.drift_detective_kit import scenario_data
from grader.suites.shared import test_prediction_recorded  # noqa: F401 - collected by pytest

WORKED_E = [0.15, 0.25, 0.20, 0.18, 0.12, 0.10]
WORKED_A = [0.12, 0.22, 0.18, 0.20, 0.15, 0.13]


@st.composite
def histograms(draw, zeros: bool = False):
    """Two histograms (counts) over the same 2-12 bins; with ``zeros``, at least one empty bin."""
    n = draw(st.integers(2, 12))
    count = st.integers(0 if zeros else 1, 500)
    e = draw(st.lists(count, min_size=n, max_size=n))
    a = draw(st.lists(count, min_size=n, max_size=n))
    if zeros:
        side, index = draw(st.sampled_from(["e", "a"])), draw(st.integers(0, n - 1))
        (e if side == "e" else a)[index] = 0
        e[(index + 1) % n] = max(e[(index + 1) % n], 1)  # keep both totals positive
        a[(index + 1) % n] = max(a[(index + 1) % n], 1)
    return e, a


# -- prediction ---------------------------------------------------------------------------
# -- psi ----------------------------------------------------------------------------------
@pytest.mark.question("psi", points=1)
def test_psi_worked_example(student):
    """Chapter worked example (0.02931)"""
    got = student.psi(WORKED_E, WORKED_A)
    check_close(got, opsmath.psi(WORKED_E, WORKED_A), call=describe_call("psi", (WORKED_E, WORKED_A)))


@pytest.mark.question("psi", points=1.5)
@given(histograms())
def test_psi_matches_reference(student, pair):
    """Random histograms without empty bins"""
    e, a = pair
    check_close(student.psi(e, a), opsmath.psi(e, a), call=describe_call("psi", (e, a)), abs_=1e-12)


@pytest.mark.question("psi", points=0.5)
def test_psi_normalises_counts(student):
    """Counts are normalised to proportions"""
    e, a = [30, 50, 40, 36, 24, 20], [24, 44, 36, 40, 30, 26]
    check_close(student.psi(e, a), opsmath.psi(e, a), call=describe_call("psi", (e, a)))


@pytest.mark.question("psi", points=1)
@given(histograms(zeros=True))
def test_psi_smooths_empty_bins(student, pair):
    """Empty bins are smoothed with eps = 1e-4"""
    e, a = pair
    check_close(student.psi(e, a), opsmath.psi(e, a), call=describe_call("psi", (e, a)), abs_=1e-12)


# -- psi_from_samples ---------------------------------------------------------------------
samples = st.lists(st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False), min_size=10, max_size=60)


@pytest.mark.question("psi_from_samples", points=1.5)
@given(samples, samples, st.integers(2, 12))
def test_psi_from_samples_matches_reference(student, train, live, bins):
    """Quantile bins learned on the training sample"""
    call = describe_call("psi_from_samples", (train, live), {"bins": bins})
    check_close(student.psi_from_samples(train, live, bins=bins), opsmath.psi_from_samples(train, live, bins=bins),
                call=call, abs_=1e-9)


@pytest.mark.question("psi_from_samples", points=1)
def test_psi_from_samples_out_of_range(student):
    """Live values outside the training range land in the end bins"""
    rng = np.random.default_rng(7)
    train = rng.normal(0, 1, 400).tolist()
    live = (rng.normal(0, 1, 400) + np.r_[np.full(40, 50.0), np.zeros(320), np.full(40, -50.0)]).tolist()
    check_close(student.psi_from_samples(train, live), opsmath.psi_from_samples(train, live),
                call="psi_from_samples(train, live) with live values far outside the training range")


@pytest.mark.question("psi_from_samples", points=0.5)
def test_psi_from_samples_identical(student):
    """Identical samples give zero"""
    x = np.linspace(-3, 3, 500).tolist()
    check_close(student.psi_from_samples(x, x), 0.0, call="psi_from_samples(x, x)", abs_=1e-12)


# -- drift_status -------------------------------------------------------------------------
@pytest.mark.question("drift_status", points=1)
def test_drift_status_bands(student):
    """Values inside each band"""
    for value in (0.0, 0.05, 0.15, 0.25, 3.0):
        call = describe_call("drift_status", (value,))
        check_equal(student.drift_status(value), opsmath.drift_status(value), call=call)


@pytest.mark.question("drift_status", points=1)
def test_drift_status_boundaries(student):
    """Band edges: 0.1 and 0.2 are "investigate" """
    for value in (0.1, 0.2, 0.2000001, 0.0999999):
        call = describe_call("drift_status", (value,))
        check_equal(student.drift_status(value), opsmath.drift_status(value), call=call)


# -- track answer -------------------------------------------------------------------------
@pytest.mark.question("track_answer", points=1)
def test_live_psi(submission, track):
    """live_psi for your track"""
    data = scenario_data(track)
    check_close(submission.get("live_psi"), opsmath.psi_from_samples(data["train"], data["live"]),
                call=f"live_psi on track {track.key}")


@pytest.mark.question("track_answer", points=1)
def test_live_status(submission, track):
    """live_status for your track"""
    data = scenario_data(track)
    expected = opsmath.drift_status(opsmath.psi_from_samples(data["train"], data["live"]))
    check_equal(submission.get("live_status"), expected, call=f"live_status on track {track.key}")


# -- monitor_memory (hardware in the loop) ------------------------------------------------
def monitor_budget(track) -> float:
    """Bytes the track's drift monitor may use: a share of the device memory left beside the weights."""
    h, d = track.hardware, track.deployment
    weights_per_device = opsmath.model_bytes(d.parameters, d.bytes_per_parameter) / d.devices_per_replica
    return d.monitor_memory_share * (h.memory_bytes - weights_per_device)


@st.composite
def monitor_hardware(draw):
    """A budget in whole bytes (MCU SRAM to a GPU's gigabytes), bins and counter sizes in bytes."""
    return (draw(st.integers(0, 10**11)), draw(st.integers(1, 64)), draw(st.sampled_from([1, 2, 4, 8])))


@pytest.mark.question("monitor_memory", points=0.5)
def test_monitored_features_worked_example(student):
    """1 MB at 10 bins of 4-byte counters, and Tiny Pioneer's 621 bytes"""
    for args in ((1e6, 10, 4), (621.44, 10, 4)):
        check_equal(student.max_monitored_features(*args), opsmath.max_monitored_features(*args),
                    call=describe_call("max_monitored_features", args))


@pytest.mark.question("monitor_memory", points=1)
@given(monitor_hardware())
def test_monitored_features_matches_reference(student, args):
    """Random budgets, bin counts and counter sizes (bytes)"""
    check_equal(student.max_monitored_features(*args), opsmath.max_monitored_features(*args),
                call=describe_call("max_monitored_features", args))


@pytest.mark.question("monitor_memory", points=0.75)
def test_track_monitor_budget(submission, track):
    """monitor_budget_bytes for your track, relative tolerance 1e-9"""
    check_close(submission.get("monitor_budget_bytes"), monitor_budget(track),
                call=f"monitor_budget_bytes on track {track.key}", rel=1e-9)


@pytest.mark.question("monitor_memory", points=0.75)
def test_track_max_features(submission, track):
    """max_features for your track"""
    d = track.deployment
    expected = opsmath.max_monitored_features(monitor_budget(track), d.histogram_bins, d.counter_bytes)
    check_equal(submission.get("max_features"), expected, call=f"max_features on track {track.key}")
