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
from grader.carry import compare, compare_answer
from grader.checks import check_equal
from grader.studentkit.drift_detective_kit import scenario_data
from grader.suites.binning import admissible_psis, check_psi_any
from grader.suites.shared import test_prediction_recorded  # noqa: F401 - collected by pytest
from grader.suites.straddles import histograms_under_eps

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
    compare(student, "psi", (WORKED_E, WORKED_A))


@pytest.mark.question("psi", points=1.5)
@given(histograms())
def test_psi_matches_reference(student, pair):
    """Random histograms without empty bins"""
    compare(student, "psi", pair, abs_=1e-12)


@pytest.mark.question("psi", points=0.5)
def test_psi_normalises_counts(student):
    """Counts are normalised to proportions"""
    compare(student, "psi", ([30, 50, 40, 36, 24, 20], [24, 44, 36, 40, 30, 26]))


@pytest.mark.question("psi", points=1)
@given(st.one_of(histograms(zeros=True), histograms_under_eps()))
def test_psi_smooths_empty_bins(student, pair):
    """Empty bins are smoothed with eps (1e-4 by default, or the eps given), and only they (a non-empty bin under
    eps stays as it is)"""
    compare(student, "psi", pair, abs_=1e-12)
    compare(student, "psi", pair, {"eps": 1e-2}, abs_=1e-12)


# -- psi_from_samples ---------------------------------------------------------------------
# values on a 0.001 grid in [-1000, 1000]: a value is either exactly on a quantile edge (a tie, accepted on either
# side: np.quantile and np.percentile differ in the last bit) or far from every edge
samples = st.lists(st.integers(-10**6, 10**6).map(lambda k: k / 1000), min_size=10, max_size=60)


def check_from_samples(student, train, live, bins: int, call: str | None = None) -> None:
    """psi_from_samples vs every admissible value (error carried forward from the student's psi is automatic)."""
    compare(student, "psi_from_samples", (train, live), {"bins": bins}, expected=admissible_psis(train, live, bins),
            check=check_psi_any, call=call)


@pytest.mark.question("psi_from_samples", points=1.5)
@given(samples, samples, st.integers(1, 12))
def test_psi_from_samples_matches_reference(student, train, live, bins):
    """Quantile bins learned on the training sample (a value exactly on an edge may fall on either side)"""
    check_from_samples(student, train, live, bins)


@pytest.mark.question("psi_from_samples", points=1)
def test_psi_from_samples_out_of_range(student):
    """Live values outside the training range land in the end bins; constant data, tied edges and one bin"""
    rng = np.random.default_rng(7)
    train = rng.normal(0, 1, 400).tolist()
    live = (rng.normal(0, 1, 400) + np.r_[np.full(40, 50.0), np.zeros(320), np.full(40, -50.0)]).tolist()
    check_from_samples(student, train, live, 10,
                       "rng = np.random.default_rng(7); train = rng.normal(0, 1, 400).tolist(); "
                       "live = (rng.normal(0, 1, 400) + np.r_[np.full(40, 50.0), np.zeros(320), np.full(40, -50.0)])"
                       ".tolist(); psi_from_samples(train, live)")
    # constant training data: two bins, below c | at or above c. The edge is c exactly in every spelling of the
    # quantiles, so the notebook's side="right" decides the tie (no rounding ambiguity to accept)
    compare(student, "psi_from_samples", ([2.5] * 30, [1.0] * 10 + [2.5] * 10 + [4.0] * 10), {"bins": 10})
    cases = (
        (np.linspace(0, 10, 101).tolist(), [0.25, 0.75, 1.25, 1.75] * 5, 10),  # live only in the lowest bins
        ([0.0] * 12 + [1.0, 2.0, 3.0, 4.0], [0.0, 0.5, 1.5, 2.5, 3.5, 4.5] * 3, 4),  # tied interior quantile edges
        ([0.0, 1.0, 2.0, 3.0], [-5.0, 1.5, 9.0], 1),  # one bin: edges [min, max], split at the minimum
    )
    for train, live, bins in cases:
        check_from_samples(student, train, live, bins)


@pytest.mark.question("psi_from_samples", points=0.5)
def test_psi_from_samples_identical(student):
    """Identical samples give zero, and the same sample shifted does not (no constant passes)"""
    x = np.linspace(-3, 3, 500).tolist()
    compare(student, "psi_from_samples", (x, x), expected=0.0, abs_=1e-12,
            call="x = np.linspace(-3, 3, 500).tolist(); psi_from_samples(x, x)")
    shifted = (np.linspace(-3, 3, 500) + 0.5).tolist()
    check_from_samples(student, x, shifted, 10, "x = np.linspace(-3, 3, 500).tolist(); "
                       "shifted = (np.linspace(-3, 3, 500) + 0.5).tolist(); psi_from_samples(x, shifted)")


# -- drift_status -------------------------------------------------------------------------
@pytest.mark.question("drift_status", points=1)
def test_drift_status_bands(student):
    """Values inside each band"""
    for value in (25.0, 0.05, 0.15, 0.0, 0.25, 3.0):  # 25 first: extreme drift (and a probe for error carried
        # forward through live_status: bands written in percent are not constant on these inputs)
        compare(student, "drift_status", (value,), check=check_equal)


@pytest.mark.question("drift_status", points=1)
def test_drift_status_boundaries(student):
    """Band edges: 0.1 and 0.2 are "investigate" """
    for value in (0.1, 0.2, 0.2000001, 0.0999999):
        compare(student, "drift_status", (value,), check=check_equal)


# -- track answer -------------------------------------------------------------------------
@pytest.mark.question("track_answer", points=1)
def test_live_psi(submission, track):
    """live_psi for your track"""
    data = scenario_data(track)
    compare_answer(submission, "live_psi", opsmath.psi_from_samples(data["train"], data["live"]), track=track)


@pytest.mark.question("track_answer", points=1)
def test_live_status(submission, track):
    """live_status for your track"""
    data = scenario_data(track)
    expected = opsmath.drift_status(opsmath.psi_from_samples(data["train"], data["live"]))
    compare_answer(submission, "live_status", expected, track=track, check=check_equal)


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
        compare(student, "max_monitored_features", args, check=check_equal)


@pytest.mark.question("monitor_memory", points=1)
@given(monitor_hardware())
def test_monitored_features_matches_reference(student, args):
    """Random budgets, bin counts and counter sizes (bytes)"""
    compare(student, "max_monitored_features", args, check=check_equal)


@pytest.mark.question("monitor_memory", points=0.75)
def test_track_monitor_budget(submission, track):
    """monitor_budget_bytes for your track, relative tolerance 1e-9"""
    compare_answer(submission, "monitor_budget_bytes", monitor_budget(track), track=track, rel=1e-9)


@pytest.mark.question("monitor_memory", points=0.75)
def test_track_max_features(submission, track):
    """max_features for your track"""
    d = track.deployment
    expected = opsmath.max_monitored_features(monitor_budget(track), d.histogram_bins, d.counter_bytes)
    compare_answer(submission, "max_features", expected, track=track, check=check_equal)
