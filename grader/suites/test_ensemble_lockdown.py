"""Hidden suite: Ensemble Lockdown (lab "Operations at Scale", part 3).

Questions and points: prediction 1, schema_fingerprint 3, is_compatible 2,
contract_diff 2, psi_from_samples 3, feature_skew 2, track_answer 4
(17 auto-graded points; the reflection is graded by hand).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grader.plugin  # noqa: F401  (loads the grading Hypothesis profile before @settings below)
import opsmath
from grader.carry import compare, compare_answer
from grader.checks import GradingFailure, _short, check_equal
from grader.studentkit.ensemble_lockdown_kit import ensemble_trace, extractor_contracts, feature_table
from grader.suites.binning import admissible_psis, check_psi_any
from grader.suites.shared import test_prediction_recorded  # noqa: F401 - collected by pytest
from grader.suites.straddles import feature_frames

DEMO = {
    "extractor": "demo_extractor",
    "version": "0.1.0",
    "features": [["gain", "float32"], ["pitch", "int8"]],
    "params": {"window": 64, "mode": "fast"},
}
DIFF_KEYS = ("missing", "extra", "dtype_changed", "reordered", "version_changed")

NAMES = ["gain", "pitch", "band_0", "band_1", "band_10", "snr", "Zeta", "x", "luma mean", "edge-density"]
DTYPES = ["float32", "float16", "float64", "int8", "int64", "bool"]
PARAM_KEYS = ["window", "normalisation", "sample_rate", "clip", "Mode", "bands"]
PARAM_VALUES = [64, 16_000, -1, 0, 0.5, 1e-3, 2.5e5, -7.25, "global_zscore", "per_window_minmax", "", "Ω-mode",
                True, False, None]
EXTRACTORS = ["noise_isolator", "camera_backbone", "x", ""]
VERSIONS = ["1.0.0", "2.0.0", "1.10.0", "0.1", 2, 1.5]  # a number too: the notebook normalises it with str()
EDITS = ["drop", "add", "dtype", "swap", "version", "extractor", "param", "none", "reverse_retype"]
# Contracts are built from a drawn seed with random.Random: two draws per example instead of dozens
# keeps the properties fast enough for a ~1 s grading run.


def _shuffled(rnd: random.Random, d: dict) -> dict:
    keys = list(d)
    rnd.shuffle(keys)
    return {k: d[k] for k in keys}


def _random_contract(rnd: random.Random, size: int) -> dict:
    c: dict = {"features": [[n, rnd.choice(DTYPES)] for n in rnd.sample(NAMES, size)]}
    if rnd.random() < 0.6:
        c["extractor"] = rnd.choice(EXTRACTORS)
    if rnd.random() < 0.6:
        c["version"] = rnd.choice(VERSIONS)
    if rnd.random() < 0.6:
        c["params"] = {k: rnd.choice(PARAM_VALUES) for k in rnd.sample(PARAM_KEYS, rnd.randint(0, 4))}
    return _shuffled(rnd, c)


@st.composite
def contracts(draw):
    """A valid contract: 1-6 unique features, optional extractor/version/params, keys in random order."""
    rnd = random.Random(draw(st.integers(0, 2**32)))
    return _random_contract(rnd, draw(st.integers(1, 6)))


def _edit(rnd: random.Random, edit: str, features: list, b: dict) -> None:
    if edit == "drop" and len(features) > 1:
        features.pop(rnd.randrange(len(features)))
    elif edit == "add":
        free = [n for n in NAMES if n not in {f[0] for f in features}]
        if free:
            features.insert(rnd.randint(0, len(features)), [rnd.choice(free), rnd.choice(DTYPES)])
    elif edit == "dtype":
        features[rnd.randrange(len(features))][1] = rnd.choice(DTYPES)
    elif edit == "swap" and len(features) > 1:
        i, j = rnd.sample(range(len(features)), 2)
        features[i], features[j] = features[j], features[i]
    elif edit == "version":
        b["version"] = rnd.choice(["1.0.0", "2.0.0", "1.0.1", "2", 2])
    elif edit == "reverse_retype":  # several dtype changes in another order: each list keeps its own side's order
        features.reverse()
        for f in features:
            f[1] = rnd.choice([d for d in DTYPES if d != f[1]])
    elif edit == "extractor":
        b["extractor"] = rnd.choice(["noise_isolator", "text_detector"])
    elif edit == "param":
        b["params"][rnd.choice(PARAM_KEYS)] = rnd.choice(PARAM_VALUES)


@st.composite
def contract_pairs(draw):
    """(trained_on, serving): serving is trained_on after 0-3 random edits, keys reshuffled."""
    rnd = random.Random(draw(st.integers(0, 2**32)))
    a = _random_contract(rnd, draw(st.integers(1, 6)))
    features = [list(f) for f in a["features"]]
    b = {k: v for k, v in a.items() if k != "features"}
    b["params"] = dict(a.get("params", {}))
    for edit in draw(st.lists(st.sampled_from(EDITS), max_size=3)):
        _edit(rnd, edit, features, b)
    b["features"] = features
    if not b["params"] and rnd.random() < 0.5:
        del b["params"]
    else:
        b["params"] = _shuffled(rnd, b["params"])
    return a, _shuffled(rnd, b)


def _expected_diff(a: dict, b: dict) -> dict:
    report = opsmath.check_compatibility(a, b)
    expected = {}
    for key in DIFF_KEYS:
        value = getattr(report, key)
        expected[key] = list(value) if isinstance(value, tuple) else value
    return expected


def reference_is_compatible(trained_on: dict, serving: dict) -> bool:
    """opsmath's compatibility verdict under the notebook's function."""
    return opsmath.check_compatibility(trained_on, serving).compatible


def check_diff(got, expected: dict, *, call) -> None:
    """The contract_diff report: every key, each value as the notebook asks."""
    if not isinstance(got, dict):
        raise GradingFailure(f"{call} returned {type(got).__name__}; expected a dict with keys {list(DIFF_KEYS)}")
    absent = [k for k in DIFF_KEYS if k not in got]
    if absent:
        raise GradingFailure(f"{call} returned a dict without the key(s) {absent}")
    for key in DIFF_KEYS:
        value = got[key]
        if isinstance(value, np.ndarray):
            value = value.tolist()
        check_equal(value, expected[key], call=f"{call}[{key!r}]")


def check_skew(got, expected: dict, *, call) -> None:
    """Keys in training order, PSI per feature; an expected PSI may be every admissible value of a feature (a value
    exactly on a quantile edge may fall on either side, see :mod:`grader.suites.binning`)."""
    if not isinstance(got, dict):
        raise GradingFailure(f"{call} returned {type(got).__name__}; expected a dict feature -> PSI")
    if list(got) != list(expected):
        raise GradingFailure(f"{call} returned the features {list(got)}; expected {list(expected)} "
                             "(shared features, in training column order)")
    for name, value in expected.items():
        check_psi_any(got[name], value, call=f"{call}[{name!r}]", abs_=1e-9)


# -- prediction ---------------------------------------------------------------------------
# -- schema_fingerprint -------------------------------------------------------------------
@pytest.mark.question("schema_fingerprint", points=0.5)
def test_fingerprint_demo(student):
    """The demo contract of the prompt"""
    compare(student, "schema_fingerprint", (DEMO,), check=check_equal)


@pytest.mark.question("schema_fingerprint", points=0.5)
def test_fingerprint_defaults(student):
    """Missing extractor, version and params are normalised; a numeric version or feature name becomes a string"""
    for contract in ({"features": [["gain", "float32"]]},
                     {"features": [("pitch", "int8"), ("gain", "float32")], "version": "3.1"},
                     {"features": [["gain", "float32"], [7, "int8"]], "version": 2, "extractor": "x"},
                     {"params": {}, "extractor": "", "features": [["b", "int8"], ["a", "bool"]]}):
        compare(student, "schema_fingerprint", (contract,), check=check_equal)


@pytest.mark.question("schema_fingerprint", points=0.5)
def test_fingerprint_track_contracts(student, track):
    """Your track's extractor contracts"""
    for version, contract in extractor_contracts(track).items():
        compare(student, "schema_fingerprint", (contract,), check=check_equal,
                call=f"schema_fingerprint(extractor_contracts(track)[{version!r}]) on track {track.key}")


@pytest.mark.question("schema_fingerprint", points=1.5)
@given(contracts())
def test_fingerprint_matches_reference(student, contract):
    """Random contracts (key order, missing fields, feature order)"""
    compare(student, "schema_fingerprint", (contract,), check=check_equal)


# -- is_compatible ------------------------------------------------------------------------
@pytest.mark.question("is_compatible", points=1)
def test_is_compatible_equivalent_and_single_changes(student):
    """Same contract with shuffled keys is compatible; a new version, parameter, dtype or feature order is not"""
    same = {"params": {"mode": "fast", "window": 64}, "version": "0.1.0", "extractor": "demo_extractor",
            "features": [("gain", "float32"), ("pitch", "int8")]}
    compare(student, "is_compatible", (DEMO, same), expected=True, check=check_equal)
    bare = {"features": [["gain", "float32"]]}
    explicit = {"version": "", "features": [["gain", "float32"]], "params": {}, "extractor": ""}
    compare(student, "is_compatible", (bare, explicit), expected=True, check=check_equal)
    changes = (
        {**DEMO, "version": "0.2.0"},
        {**DEMO, "params": {"window": 128, "mode": "fast"}},
        {**DEMO, "features": [["gain", "float16"], ["pitch", "int8"]]},
        {**DEMO, "features": [["pitch", "int8"], ["gain", "float32"]]},
    )
    for serving in changes:
        compare(student, "is_compatible", (DEMO, serving), expected=False, check=check_equal)


@pytest.mark.question("is_compatible", points=1)
@given(contract_pairs())
def test_is_compatible_matches_reference(student, pair):
    """Random contract pairs"""
    compare(student, "is_compatible", pair, reference=reference_is_compatible, check=check_equal)


# -- contract_diff ------------------------------------------------------------------------
@pytest.mark.question("contract_diff", points=0.5)
def test_contract_diff_track(student, track):
    """Your track's upgrade, in both directions; a field missing on one side and "" on the other"""
    c = extractor_contracts(track)
    for a, b in ((c["1.0.0"], c["2.0.0"]), (c["2.0.0"], c["1.0.0"])):
        compare(student, "contract_diff", (a, b), reference=_expected_diff, check=check_diff)
    # a field missing on one side and "" on the other is the same (missing values count as "")
    bare = {"features": [["gain", "float32"]], "extractor": "x"}
    for other in ({**bare, "version": ""}, {"features": [["gain", "float32"]], "extractor": "", "version": "1"}):
        for a, b in ((bare, other), (other, bare)):
            compare(student, "contract_diff", (a, b), reference=_expected_diff, check=check_diff)
    # two names missing and two new ones, neither in alphabetical order; a dtype change; the extractor alone changes
    old = {"extractor": "noise_isolator", "version": "1.0.0", "features": [
        ["snr", "float32"], ["gain", "float32"], ["pitch", "int8"], ["band_1", "float16"], ["band_0", "float16"]]}
    new = {"extractor": "text_detector", "version": "1.0.0", "features": [
        ["x", "float32"], ["gain", "float64"], ["edge-density", "float32"], ["band_1", "float16"]]}
    for a, b in ((old, new), (new, old)):
        compare(student, "contract_diff", (a, b), reference=_expected_diff, check=check_diff)
    # reordered and every dtype changed: dtype_changed follows trained_on's order, not serving's
    old = {"features": [["snr", "float32"], ["gain", "float32"], ["pitch", "int8"]]}
    new = {"features": [["pitch", "int16"], ["gain", "float64"], ["snr", "float16"]]}
    for a, b in ((old, new), (new, old)):
        compare(student, "contract_diff", (a, b), reference=_expected_diff, check=check_diff)


@pytest.mark.question("contract_diff", points=1.5)
@given(contract_pairs())
def test_contract_diff_matches_reference(student, pair):
    """Random contract pairs"""
    compare(student, "contract_diff", pair, reference=_expected_diff, check=check_diff)


# -- psi_from_samples ---------------------------------------------------------------------
KINDS = ["normal", "uniform", "ties", "constant", "heavy"]


def _column(rng: np.random.Generator, n: int, kind: str, loc: float) -> list[float]:
    if kind == "normal":
        x = rng.normal(loc, rng.uniform(0.1, 20), n)
    elif kind == "uniform":
        x = rng.uniform(loc - 1, loc + 1, n)
    elif kind == "ties":
        x = rng.integers(0, 4, n) + loc
    elif kind == "constant":
        x = np.full(n, loc)
    else:
        x = rng.standard_cauchy(n) * 50 + loc
    return x.tolist()


@st.composite
def samples(draw):
    """A sample of 10-60 values: normal, uniform, heavy ties, constant or heavy-tailed, at one of three locations."""
    n = draw(st.integers(10, 60))
    kind = draw(st.sampled_from(KINDS))
    loc = draw(st.sampled_from([0.0, -3.5, 250.0]))
    return _column(np.random.default_rng(draw(st.integers(0, 2**20))), n, kind, loc)


@pytest.mark.question("psi_from_samples", points=1.5)
@given(samples(), samples(), st.integers(1, 12))
def test_psi_from_samples_matches_reference(student, train, live, bins):
    """Quantile bins learned on the training sample, smoothed empty bins (a value on an edge: either side)"""
    compare(student, "psi_from_samples", (train, live), {"bins": bins}, expected=admissible_psis(train, live, bins),
            check=check_psi_any)


@pytest.mark.question("psi_from_samples", points=1)
def test_psi_from_samples_out_of_range_and_constant(student):
    """Live values outside the training range; constant training data; a value on an exact edge goes right"""
    rng = np.random.default_rng(12)
    train = rng.normal(0, 1, 400).tolist()
    live = (rng.normal(0, 1, 400) + np.r_[np.full(40, 50.0), np.zeros(320), np.full(40, -50.0)]).tolist()
    compare(student, "psi_from_samples", (train, live),
            call="rng = np.random.default_rng(12); train = rng.normal(0, 1, 400).tolist(); "
                     "live = (rng.normal(0, 1, 400) + np.r_[np.full(40, 50.0), np.zeros(320), np.full(40, -50.0)])"
                     ".tolist(); psi_from_samples(train, live)")
    const, other = [2.5] * 30, [1.0] * 10 + [2.5] * 10 + [4.0] * 10
    compare(student, "psi_from_samples", (const, other))
    # edges 0, 1, ..., 8 that every spelling of the quantiles computes exactly (no rounding to fall on either side
    # of, unlike the ties admissible_psis allows): the notebook's side="right" puts a value on an edge above it
    exact, on_edges = [float(i) for i in range(9)], [1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 5.0, 7.0, 8.0, 8.0, 4.0, 6.0]
    compare(student, "psi_from_samples", (exact, on_edges), {"bins": 8})


@pytest.mark.question("psi_from_samples", points=0.5)
def test_psi_from_samples_identical(student):
    """Identical samples give zero, and the same sample shifted does not (no constant passes)"""
    x = np.linspace(-3, 3, 500).tolist()
    compare(student, "psi_from_samples", (x, x), expected=0.0, abs_=1e-12,
            call="x = np.linspace(-3, 3, 500).tolist(); psi_from_samples(x, x)")
    shifted = (np.linspace(-3, 3, 500) + 0.5).tolist()
    compare(student, "psi_from_samples", (x, shifted), expected=admissible_psis(x, shifted, 10), check=check_psi_any,
            call="x = np.linspace(-3, 3, 500).tolist(); shifted = (np.linspace(-3, 3, 500) + 0.5).tolist(); "
                 "psi_from_samples(x, shifted)")


# -- feature_skew -------------------------------------------------------------------------
@st.composite
def table_pairs(draw):
    """(train, serving) dicts of 10-30 values per column; serving shares 1+ features, in another order, plus extras."""
    rnd = random.Random(draw(st.integers(0, 2**32)))
    rng = np.random.default_rng(rnd.getrandbits(32))
    names = rnd.sample(NAMES, draw(st.integers(1, 4)))
    shared = rnd.sample(names, rnd.randint(1, len(names)))
    serving_names = shared + rnd.sample([n for n in NAMES if n not in names], rnd.randint(0, 2))
    rnd.shuffle(serving_names)

    def column() -> list[float]:
        return _column(rng, rnd.randint(10, 30), rnd.choice(KINDS), rnd.choice([0.0, -3.5, 250.0]))

    return {n: column() for n in names}, {n: column() for n in serving_names}


@pytest.mark.question("feature_skew", points=1)
@settings(max_examples=15)  # PSI itself is covered by the psi_from_samples property; this checks keys and order
@given(table_pairs(), st.integers(2, 10), st.booleans())
def test_feature_skew_matches_reference(student, pair, bins, frames):
    """Random tables (dicts of columns or DataFrames): shared features only, training order, PSI per feature"""
    train, serving = feature_frames(*pair) if frames else pair
    call = None
    if frames:
        columns = [{str(c): table[c].tolist() for c in table.columns} for table in (train, serving)]
        call = f"feature_skew(pd.DataFrame({_short(columns[0])}), pd.DataFrame({_short(columns[1])}), bins={bins})"
    expected = {name: admissible_psis(train[name], serving[name], bins)
                for name in opsmath.feature_skew(train, serving, bins=bins)}
    compare(student, "feature_skew", (train, serving), {"bins": bins}, expected=expected, check=check_skew, call=call)


@pytest.mark.question("feature_skew", points=0.5)
def test_feature_skew_dataframes(student):
    """pandas DataFrames as tables"""
    rng = np.random.default_rng(3)
    train = pd.DataFrame({"b": rng.normal(0, 1, 200), "a": rng.normal(5, 2, 200), "c": rng.uniform(0, 1, 200)})
    serving = pd.DataFrame({"c": rng.uniform(0.3, 1.3, 150), "a": rng.normal(5, 2, 150), "z": np.zeros(150)})
    compare(student, "feature_skew", (train, serving), check=check_skew,
            call='rng = np.random.default_rng(3); train = pd.DataFrame({"b": rng.normal(0, 1, 200), '
                     '"a": rng.normal(5, 2, 200), "c": rng.uniform(0, 1, 200)}); serving = pd.DataFrame({"c": '
                     'rng.uniform(0.3, 1.3, 150), "a": rng.normal(5, 2, 150), "z": np.zeros(150)}); '
                     'feature_skew(train, serving)')


@pytest.mark.question("feature_skew", points=0.5)
def test_feature_skew_track(student, track):
    """Your track: 1.0.0 snapshot vs 2.0.0 serving"""
    train, serving = feature_table(track, "train", "1.0.0"), feature_table(track, "serving", "2.0.0")
    compare(student, "feature_skew", (train, serving), check=check_skew,
            call=f"feature_skew(feature_table(track, 'train', '1.0.0'), feature_table(track, 'serving', '2.0.0')) "
                     f"on track {track.key}")


# -- track answer -------------------------------------------------------------------------
@pytest.mark.question("track_answer", points=1)
def test_fingerprint_v1(submission, track):
    """fingerprint_v1 for your track"""
    expected = opsmath.schema_fingerprint(extractor_contracts(track)["1.0.0"])
    compare_answer(submission, "fingerprint_v1", expected, track=track, check=check_equal)


@pytest.mark.question("track_answer", points=1)
def test_compatible_after_upgrade(submission):
    """compatible_after_upgrade (not a track answer: the fingerprint hashes the version, so an upgrade never matches)"""
    answers = set()
    for key in sorted(opsmath.TRACKS):
        c = extractor_contracts(opsmath.TRACKS[key])
        answers.add(opsmath.check_compatibility(c["1.0.0"], c["2.0.0"]).compatible)
    assert len(answers) == 1, "compatible_after_upgrade became track-specific: grade it with the track fixture"
    compare_answer(submission, "compatible_after_upgrade", answers.pop(), track=None, check=check_equal,
                   call="compatible_after_upgrade")


@pytest.mark.question("track_answer", points=1)
def test_skewed(submission, track):
    """skewed for your track (PSI > 0.2, worst first)"""
    skew = opsmath.feature_skew(feature_table(track, "train", "1.0.0"), feature_table(track, "serving", "2.0.0"))
    compare_answer(submission, "skewed", opsmath.skewed_features(skew), track=track, check=check_names)


def check_names(got, expected: list, *, call) -> None:
    """A list of feature names (a tuple or an array of them is the same answer)."""
    check_equal(list(got) if isinstance(got, (tuple, np.ndarray)) else got, expected, call=call)


@pytest.mark.question("track_answer", points=1)
def test_accuracy_drop(submission, track):
    """accuracy_drop for your track"""
    trace = ensemble_trace(track)
    expected = trace["1.0.0"]["frozen"] - trace["2.0.0"]["frozen"]
    assert math.isfinite(expected)
    compare_answer(submission, "accuracy_drop", expected, track=track)


# -- precision_skew (hardware in the loop) ------------------------------------------------
def precision_skew_reference(track) -> float:
    """Worst-case rounding error on the first extractor feature at the track's precision, in standard deviations."""
    column = np.asarray(feature_table(track, "train", "1.0.0")[track.scenario.features[0]], dtype=float)
    return opsmath.quantization_error(column.min(), column.max(), track.deployment.precision) / column.std()


@st.composite
def quantization_inputs(draw):
    """A range and a precision: integers of 2 to 16 bits, FP16 or FP32."""
    low = draw(st.floats(-1e4, 1e4))
    precision = draw(st.sampled_from(["fp32", "fp16"]) | st.integers(2, 16).map(lambda b: f"int{b}"))
    return low, low + draw(st.floats(1e-3, 1e4)), precision


@pytest.mark.question("precision_skew", points=0.5)
def test_quantization_worked_example(student):
    """INT8 and FP16 over [-4, 4]; INT8 over [0, 255]"""
    for args in ((-4.0, 4.0, "int8"), (-4.0, 4.0, "fp16"), (0.0, 255.0, "int8")):
        compare(student, "quantization_error", args)


@pytest.mark.question("precision_skew", points=1)
@given(quantization_inputs())
def test_quantization_matches_reference(student, args):
    """Random ranges at 2-16 bit integer, FP16 and FP32 precision"""
    compare(student, "quantization_error", args)


@pytest.mark.question("precision_skew", points=1.5)
def test_track_precision_skew(submission, track):
    """precision_skew for your track"""
    compare_answer(submission, "precision_skew", precision_skew_reference(track), track=track)
