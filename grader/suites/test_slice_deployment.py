"""Hidden suite: Slice-Aware Deployment (lab "ML Operations", part 3).

Questions and points: prediction 1, slice_metrics 4, aggregate_accuracy 2,
worst_slice 2, rollout_gate 5, track_answer 4 (18 auto-graded points; the
reflection is graded by hand).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opsmath
from grader.carry import compare, compare_answer
from grader.checks import GradingFailure, _short, check_close, check_equal
from grader.studentkit.slice_deployment_kit import chapter_example, shadow_traffic
from grader.suites.shared import test_prediction_recorded  # noqa: F401 - collected by pytest
from grader.suites.straddles import two_copies_edge

SLICE_NAMES = ("day", "night", "snow", "rain", "tablet", "fan_noise")
TRACK_KEYS = ("cloud_titan", "edge_guardian", "mobile_nomad", "tiny_pioneer")


# -- inputs -------------------------------------------------------------------------------
@st.composite
def requests(draw, max_rows: int = 60):
    """A small shadow log: 1-60 rows over 1-4 slices, labels and predictions in {0, 1, 2}.

    Hypothesis draws the slice names, the row count and how often the model is
    right; a seeded generator fills the rows (cheaper than one draw per cell).
    """
    names = draw(st.lists(st.sampled_from(SLICE_NAMES), min_size=1, max_size=4, unique=True))
    rows = draw(st.integers(1, max_rows))
    p_correct = draw(st.sampled_from([0.0, 0.5, 0.8, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    label = rng.integers(0, 3, rows)
    wrong = rng.random(rows) >= p_correct
    prediction = np.where(wrong, (label + rng.integers(1, 3, rows)) % 3, label)
    return pd.DataFrame({"slice": rng.choice(np.array(names, dtype=object), rows), "label": label,
                         "prediction": prediction})


def metrics_table(names, n, accuracy) -> pd.DataFrame:
    """A slice_metrics-shaped table from per-slice counts and accuracies."""
    total = sum(n)
    return pd.DataFrame({"n": list(n), "accuracy": list(accuracy), "share": [k / total for k in n]},
                        index=pd.Index(list(names), name="slice"))


@st.composite
def gate_cases(draw):
    """Old/new tables of 2-5 slices, a target, a tolerance and a sample floor.

    In about half the cases no slice loses accuracy (the target gains), so the accuracy rules approve and the
    sample floor decides: a gate that forgets a rule is caught by design, not by a lucky draw. In the others every
    slice moves by up to five points either way. Accuracy changes are odd multiples of 0.0005 and tolerances
    multiples of 0.005, so no drop ever ties with the tolerance (the tie rule has its own test).
    """
    k = draw(st.integers(2, 5))
    names = sorted(draw(st.lists(st.sampled_from(SLICE_NAMES), min_size=k, max_size=k, unique=True)))
    n = draw(st.lists(st.integers(50, 400), min_size=k, max_size=k))
    old = draw(st.lists(st.integers(300, 950), min_size=k, max_size=k))
    lowest = 0 if draw(st.booleans()) else -50  # 0: nothing regresses, the target is fixed
    delta = draw(st.lists(st.integers(lowest, 49), min_size=k, max_size=k))
    target = draw(st.sampled_from(names))
    tolerance = draw(st.sampled_from([0.0, 0.005, 0.01, 0.02]))
    min_samples = draw(st.sampled_from([1, 100, 100, 200]))
    old_acc = [a / 1000 for a in old]
    new_acc = [a / 1000 + (d + 0.5) / 1000 for a, d in zip(old, delta, strict=True)]
    return metrics_table(names, n, old_acc), metrics_table(names, n, new_acc), target, tolerance, min_samples


@functools.cache
def track_data(key: str):
    """(old_df, new_df, old_metrics, new_metrics) of a track's shadow traffic."""
    old, new = shadow_traffic(opsmath.TRACKS[key])
    return old, new, opsmath.slice_metrics(old), opsmath.slice_metrics(new)


@functools.cache
def track_tables(key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(old_metrics, new_metrics) of a track straight from its scenario, equal to ``track_data``'s.

    The shadow traffic gets exactly ``round(n * accuracy)`` right answers per slice, so its per-slice table is known
    without building the rows (184,000 of them for Cloud Titan: a third of a second per grading process);
    ``tests/test_all_tracks.py`` checks the two agree on every track.
    """
    slices = sorted(opsmath.TRACKS[key].scenario.slices)  # (name, requests, old accuracy, new accuracy)
    names, counts = [s[0] for s in slices], [int(s[1]) for s in slices]
    old, new = ([round(count * float(s[col])) / count for count, s in zip(counts, slices, strict=True)]
                for col in (2, 3))
    return metrics_table(names, counts, old), metrics_table(names, counts, new)


# -- comparison of a student's slice table --------------------------------------------------
def _text(call) -> str:
    """Call descriptions may be given lazily (a function), built only when a check fails."""
    return call() if callable(call) else call


def check_table(got, expected: pd.DataFrame, *, call, columns=("n", "accuracy", "share")) -> None:
    """Student table vs reference: same slice names in the index (same order), columns close per slice."""
    if not isinstance(got, pd.DataFrame):
        raise GradingFailure(f"{_text(call)} returned {_short(got)} ({type(got).__name__}); "
                             "expected a pandas DataFrame indexed by slice")
    want = [str(s) for s in expected.index]
    have = list(got.index)
    if have != want:
        raise GradingFailure(f"{_text(call)}: the index is {_short(have)}; "
                             f"expected the sorted slice names {_short(want)}")
    for col in columns:
        if col not in got.columns:
            raise GradingFailure(f"{_text(call)}: no column {col!r} (columns: {_short([str(c) for c in got.columns])})")
        for name, value, ref in zip(want, list(got[col]), expected[col].tolist(), strict=True):
            try:
                _check_cell(col, value, ref, "")
            except GradingFailure:
                _check_cell(col, value, ref, f"{_text(call)}.loc[{name!r}, {col!r}]")


def _check_cell(col: str, value, ref, where: str) -> None:
    if col == "n":
        check_equal(value, int(ref), call=where)  # a DataFrame column holds NumPy integers: they pass
    else:
        check_close(value, float(ref), call=where, rel=1e-9, abs_=1e-12)


def _frame_call(name: str, df: pd.DataFrame):
    """The call as Python the student can paste (built only when a check fails)."""
    def text() -> str:
        columns = {str(c): df[c].tolist() for c in df.columns}
        return f"{name}(pd.DataFrame({_short(columns)}))"
    return text


def _table_text(m: pd.DataFrame) -> str:
    """A slice table as Python the student can paste, every number at full precision."""
    columns = {str(c): m[c].tolist() for c in m.columns}
    return f"pd.DataFrame({_short(columns)}, index=pd.Index({_short([str(s) for s in m.index])}, name='slice'))"


# -- prediction ---------------------------------------------------------------------------
# -- slice_metrics ------------------------------------------------------------------------
@pytest.mark.question("slice_metrics", points=1)
def test_slice_metrics_chapter(student):
    """Chapter example: n, accuracy and share of the four segments"""
    df = chapter_example()
    compare(student, "slice_metrics", (df,), check=check_table, call="slice_metrics(chapter_example())")


@pytest.mark.question("slice_metrics", points=1.5)
@settings(max_examples=12)
@given(requests())
def test_slice_metrics_matches_reference(student, df):
    """Random small shadow logs"""
    compare(student, "slice_metrics", (df,), check=check_table, call=_frame_call("slice_metrics", df))


@pytest.mark.question("slice_metrics", points=1)
def test_slice_metrics_sorted_counts(student):
    """Slices appear in the index sorted, with their counts and accuracies (string labels)"""
    df = pd.DataFrame({
        "slice": ["snow", "day", "night", "day", "snow", "day", "night", "day"],
        "label": ["car", "car", "person", "bike", "car", "person", "bike", "car"],
        "prediction": ["bike", "car", "person", "bike", "car", "car", "person", "car"],
    })
    compare(student, "slice_metrics", (df,), check=check_table, call=_frame_call("slice_metrics", df),
            columns=("n", "accuracy"))


@pytest.mark.question("slice_metrics", points=0.5)
def test_slice_metrics_share(student):
    """share is the slice's fraction of all requests"""
    df = pd.DataFrame({"slice": ["a"] * 2 + ["b"] * 3 + ["c"] * 5, "label": [1] * 10,
                       "prediction": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1]})
    compare(student, "slice_metrics", (df,), check=check_table, call=_frame_call("slice_metrics", df),
            columns=("share",))


# -- aggregate_accuracy -------------------------------------------------------------------
@pytest.mark.question("aggregate_accuracy", points=1)
def test_aggregate_chapter(student):
    """Chapter example: 0.906 overall, weighted by traffic"""
    df = chapter_example()
    compare(student, "aggregate_accuracy", (df,), call="aggregate_accuracy(chapter_example())")


@pytest.mark.question("aggregate_accuracy", points=1)
@settings(max_examples=10)
@given(requests())
def test_aggregate_matches_reference(student, df):
    """Random small shadow logs"""
    compare(student, "aggregate_accuracy", (df,), call=_frame_call("aggregate_accuracy", df), abs_=1e-12)


# -- worst_slice --------------------------------------------------------------------------
def check_worst(got, expected: tuple[str, float], *, call) -> None:
    """The (name, accuracy) tuple of the worst slice."""
    if not isinstance(got, tuple) or len(got) != 2:
        kind = f"a {type(got).__name__}" if not isinstance(got, tuple) else f"a tuple of {len(got)}"
        raise GradingFailure(f"{_text(call)} returned {_short(got)} ({kind}); the notebook asks for the tuple "
                             "(name, accuracy)")
    try:
        check_equal(got[0], expected[0], call="")
        check_close(got[1], expected[1], call="", rel=1e-9, abs_=1e-12)
    except GradingFailure:
        check_equal(got[0], expected[0], call=f"{_text(call)}[0] (the slice name)")
        check_close(got[1], expected[1], call=f"{_text(call)}[1] (its accuracy)", rel=1e-9, abs_=1e-12)


@pytest.mark.question("worst_slice", points=1)
def test_worst_slice_chapter(student):
    """Chapter example: the tablet slice at 62 %"""
    m = opsmath.slice_metrics(chapter_example())
    compare(student, "worst_slice", (m,), check=check_worst, call="worst_slice(slice_metrics(chapter_example()))")


@pytest.mark.question("worst_slice", points=1)
@settings(max_examples=12)
@given(requests(max_rows=24))
def test_worst_slice_matches_reference(student, df):
    """Random slice tables, ties going to the first slice"""
    m = opsmath.slice_metrics(df)
    compare(student, "worst_slice", (m,), check=check_worst, call=lambda: f"worst_slice({_table_text(m)})")


# -- rollout_gate -------------------------------------------------------------------------
def _check_gate(student, old, new, target, **kwargs) -> None:
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    compare(student, "rollout_gate", (old, new, target), kwargs,
            expected=opsmath.rollout_gate(old, new, target, **kwargs).approved, check=check_equal,
            call=lambda: f"rollout_gate({_table_text(old)}, {_table_text(new)}, {target!r}{extra})")


@pytest.mark.question("rollout_gate", points=1)
def test_gate_track_tables(student):
    """The four tracks' shadow deployments (some approve, some must be rejected)"""
    for key in TRACK_KEYS:
        old, new = track_tables(key)
        _check_gate(student, old, new, opsmath.TRACKS[key].scenario.target_slice)


@pytest.mark.question("rollout_gate", points=1)
def test_gate_rules(student):
    """Target fixed or not, other slices regressed or not"""
    names = ["majority", "minority", "target"]
    n = [800, 150, 100]
    old = metrics_table(names, n, [0.95, 0.90, 0.60])
    for new_acc in ([0.955, 0.90, 0.80],   # fixes the target, nothing else moves: approve
                    [0.95, 0.90, 0.60],    # nothing changed: the target is not fixed
                    [0.96, 0.92, 0.55],    # target worse
                    [0.95, 0.87, 0.85],    # minority slice loses 3 points
                    [0.93, 0.90, 0.85],    # majority loses 2 points
                    [0.95, 0.99, 0.61]):   # small target gain, big gain elsewhere: approve
        _check_gate(student, old, metrics_table(names, n, new_acc), "target")


@pytest.mark.question("rollout_gate", points=0.5)
def test_gate_tolerance_boundary(student):
    """A drop equal to the tolerance passes, a larger one fails"""
    names = ["other", "target"]
    n = [500, 200]
    for old_other, new_other, tolerance in ((0.95, 0.94, 0.01), (0.95, 0.9399, 0.01), (0.9, 0.85, 0.05),
                                            (0.9, 0.849, 0.05), (0.8, 0.8, 0.0), (0.8, 0.7999, 0.0)):
        old = metrics_table(names, n, [old_other, 0.5])
        new = metrics_table(names, n, [new_other, 0.7])
        _check_gate(student, old, new, "target", tolerance=tolerance)


@pytest.mark.question("rollout_gate", points=1)
def test_gate_min_samples(student):
    """Every slice needs min_samples requests in both tables (a shortfall in either one alone rejects)"""
    names = ["big", "small", "target"]
    cases = (([5000, 99, 400], [5000, 99, 400], {}),
             ([5000, 100, 400], [5000, 100, 400], {}),
             ([5000, 150, 400], [5000, 150, 99], {}),
             ([5000, 150, 99], [5000, 150, 400], {}),   # the target short in the old table only
             ([5000, 99, 400], [5000, 150, 400], {}),   # another slice short in the old table only
             ([5000, 150, 400], [5000, 99, 400], {}),   # another slice short in the new table only
             ([5000, 150, 400], [5000, 150, 400], {"min_samples": 200}),
             ([5000, 40, 30], [5000, 40, 30], {"min_samples": 30}))
    for n_old, n_new, kwargs in cases:
        old = metrics_table(names, n_old, [0.95, 0.90, 0.60])
        new = metrics_table(names, n_new, [0.95, 0.905, 0.80])
        _check_gate(student, old, new, "target", **kwargs)


@pytest.mark.question("rollout_gate", points=1.5)
@settings(max_examples=16)
@given(gate_cases())
def test_gate_matches_reference(student, case):
    """Random old/new slice tables, targets, tolerances and sample floors"""
    old, new, target, tolerance, min_samples = case
    _check_gate(student, old, new, target, tolerance=tolerance, min_samples=min_samples)


# -- track answer -------------------------------------------------------------------------
@pytest.mark.question("track_answer", points=1)
def test_old_aggregate(submission, track):
    """old_aggregate for your track"""
    old, _, _, _ = track_data(track.key)
    compare_answer(submission, "old_aggregate", opsmath.aggregate_accuracy(old), track=track)


@pytest.mark.question("track_answer", points=1)
def test_new_aggregate(submission, track):
    """new_aggregate for your track"""
    _, new, _, _ = track_data(track.key)
    compare_answer(submission, "new_aggregate", opsmath.aggregate_accuracy(new), track=track)


@pytest.mark.question("track_answer", points=1)
def test_worst_old(submission, track):
    """worst_old (the old model's worst slice) for your track"""
    _, _, old_m, _ = track_data(track.key)
    compare_answer(submission, "worst_old", opsmath.worst_slice(old_m)[0], track=track, check=check_equal)


@pytest.mark.question("track_answer", points=1)
def test_gate_approved(submission, track):
    """gate_approved for your track"""
    _, _, old_m, new_m = track_data(track.key)
    expected = opsmath.rollout_gate(old_m, new_m, track.scenario.target_slice).approved
    compare_answer(submission, "gate_approved", expected, track=track, check=check_equal)



# -- shadow_memory (hardware in the loop) -------------------------------------------------
def replica_copies(track) -> int:
    """How many copies of the track's model fit in one serving replica's memory."""
    h, d = track.hardware, track.deployment
    return opsmath.max_model_copies(opsmath.model_bytes(d.parameters, d.bytes_per_parameter),
                                    h.memory_bytes * d.devices_per_replica)


@st.composite
def model_and_memory(draw):
    """Parameters (a keyword spotter to a 400B LLM), bytes per parameter, memory in bytes from 64 KiB to 1 TiB."""
    return (draw(st.integers(10**4, 4 * 10**11)), draw(st.sampled_from([0.5, 1.0, 2.0, 4.0])),
            draw(st.integers(2**16, 2**40)))


def reference_copies(parameters: float, bytes_per_parameter: float, memory_bytes: float) -> int:
    """opsmath's max_model_copies under the notebook's signature (parameters and bytes per parameter)."""
    return opsmath.max_model_copies(opsmath.model_bytes(parameters, bytes_per_parameter), memory_bytes)


@pytest.mark.question("shadow_memory", points=0.5)
def test_copies_worked_example(student):
    """Llama-3-70B in FP16 on one H100 and on an 8-GPU node; the DS-CNN in 256 KiB"""
    for args in ((70.6e9, 2.0, 80 * 2**30), (70.6e9, 2.0, 8 * 80 * 2**30), (200e3, 1.0, 256 * 2**10)):
        compare(student, "max_model_copies", args, reference=reference_copies, check=check_equal)


@pytest.mark.question("shadow_memory", points=1)
@given(model_and_memory())
def test_copies_matches_reference(student, args):
    """Random model sizes, precisions and memories"""
    compare(student, "max_model_copies", args, reference=reference_copies, check=check_equal)


@pytest.mark.question("shadow_memory", points=0.75)
def test_track_model_copies(submission, track):
    """model_copies for your track"""
    compare_answer(submission, "model_copies", replica_copies(track), track=track, check=check_equal)


def reference_fits_with_shadow(parameters: float, bytes_per_parameter: float, memory_bytes: float) -> bool:
    """opsmath's fits_in_memory for two copies under the notebook's signature."""
    return opsmath.fits_in_memory(opsmath.model_bytes(parameters, bytes_per_parameter), memory_bytes, copies=2)


@pytest.mark.question("shadow_memory", points=0.5)
@given(two_copies_edge())
def test_fits_with_shadow_matches_reference(student, args):
    """Memory exactly two copies (fits), a byte less or more, three copies, one copy"""
    compare(student, "fits_with_shadow", args, reference=reference_fits_with_shadow, check=check_equal)


@pytest.mark.question("shadow_memory", points=0.25)
def test_track_shadow_fits(submission, track):
    """shadow_fits for your track"""
    h, d = track.hardware, track.deployment
    expected = opsmath.fits_in_memory(opsmath.model_bytes(d.parameters, d.bytes_per_parameter),
                                      h.memory_bytes * d.devices_per_replica, copies=2)
    compare_answer(submission, "shadow_fits", expected, track=track, check=check_equal)
