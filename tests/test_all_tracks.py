"""Every track-specific graded answer differs across the four tracks.

A track answer that is the same on all four tracks can be typed in without
computing anything. This test takes each hidden suite's track-answer tests
(those with the ``track`` fixture that read a notebook variable), runs them on
every track with a stand-in submission, and records the *expected* value each
one checks against (the suite's own reference computation, through
``opsmath`` and the student kits): no test is re-implemented here. It then
requires every answer to take at least two different values over the four
tracks. Answers that are the same everywhere by definition are graded without
the ``track`` fixture (see ``test_compatible_after_upgrade`` in the
ensemble_lockdown suite) and are therefore not collected here.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import math
import types
from collections.abc import Iterator
from typing import Any

import pytest

import opsmath
from grader.build import source_assignments

NAMES = source_assignments()
TRACK_KEYS = sorted(opsmath.TRACKS)


def _track_tests(module: Any) -> Iterator[tuple[str, Any]]:
    """(name, function) of each test that takes ``track`` and grades a notebook variable."""
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if not name.startswith("test_") or fn.__module__ != module.__name__:
            continue
        params = inspect.signature(fn).parameters
        if "track" in params and "submission" in params and "compare_answer(" in inspect.getsource(fn):
            yield name, fn


def _variables_read(fn: Any) -> set[str]:
    """Names graded by ``compare_answer(submission, "...", ...)`` in the test's source."""
    tree = ast.parse(inspect.getsource(fn).lstrip())
    return {
        node.args[1].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "compare_answer"
        and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
    }


def _suite(assignment: str) -> Any:
    """The hidden suite module (its ``question`` marks are registered by the grading plugin, not here)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        return importlib.import_module(f"grader.suites.test_{assignment}")


NO_SUBMISSION = types.SimpleNamespace(cells=[])
"""Stands in for the submission while compare_answer is recorded: no cells, so no answer in it is typed in."""


def expected_track_answers(assignment: str) -> dict[str, dict[str, Any]]:
    """Variable → {track: the value the hidden suite expects on that track}."""
    module = _suite(assignment)
    answers: dict[str, dict[str, Any]] = {}
    recorded: dict[str, Any] = {}

    def record(submission: Any, name: str, expected: Any, **kwargs: Any) -> None:
        recorded[name] = expected

    saved = module.compare_answer
    try:
        module.compare_answer = record
        for test_name, fn in _track_tests(module):
            wanted = _variables_read(fn)
            for key in TRACK_KEYS:
                recorded.clear()
                fn(submission=NO_SUBMISSION, track=opsmath.TRACKS[key])
                assert recorded, f"{test_name} on {key}: compared nothing"
                assert set(recorded) <= wanted, f"{test_name} on {key}: recorded {sorted(recorded)}, grades {wanted}"
                for variable, value in recorded.items():
                    answers.setdefault(variable, {})[key] = value
    finally:
        module.compare_answer = saved
    return answers


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@functools.cache
def reference_answers(assignment: str) -> dict[str, dict[str, Any]]:
    """:func:`expected_track_answers` with the tracks as shipped, computed once per session."""
    return expected_track_answers(assignment)


@pytest.mark.parametrize("assignment", NAMES)
def test_every_track_answer_differs_across_tracks(assignment):
    answers = reference_answers(assignment)
    assert answers, f"{assignment}: no track-specific answer found"
    same = {}
    for variable, by_track in answers.items():
        assert sorted(by_track) == TRACK_KEYS, variable
        values = [by_track[k] for k in TRACK_KEYS]
        if all(_same(values[0], v) for v in values[1:]):
            same[variable] = values[0]
    assert not same, f"{assignment}: the same answer on all four tracks: {same}"


@pytest.mark.parametrize("assignment", NAMES)
def test_every_assignment_grades_a_hardware_answer(assignment):
    """At least one track answer's expected value changes when only the track's hardware changes."""
    import dataclasses

    answers = reference_answers(assignment)
    base = opsmath.TRACKS["edge_guardian"]
    other = opsmath.TRACKS["cloud_titan"]
    swapped = dataclasses.replace(base, hardware=other.hardware, deployment=other.deployment)
    saved = dict(opsmath.tracks._TRACKS)
    try:
        opsmath.tracks._TRACKS["edge_guardian"] = swapped
        changed = expected_track_answers(assignment)
    finally:
        opsmath.tracks._TRACKS.clear()
        opsmath.tracks._TRACKS.update(saved)
    moved = [v for v in answers if not _same(answers[v]["edge_guardian"], changed[v]["edge_guardian"])]
    assert moved, f"{assignment}: no graded answer depends on the track's hardware"


def test_known_answers_per_track():
    """Spot values written out by hand (hardware.md figures), so the recorder cannot drift from the suites."""
    # Tiny: 1 % of (262,144 - 200,000) B = 621.44 B; / (2 x 10 x 4 B) -> 7 features. Edge: 1 % x (16e9 - 3.2e6).
    drift = reference_answers("drift_detective")
    assert drift["max_features"]["tiny_pioneer"] == 7
    assert drift["monitor_budget_bytes"]["edge_guardian"] == pytest.approx(0.01 * (16e9 - 3.2e6))
    # Llama-3-70B FP16 on an 8 x 80 GiB node: 687.19e9 / 141.2e9 -> 4 copies; DS-CNN in 256 KiB: 1 copy.
    slices = reference_answers("slice_deployment")
    assert slices["model_copies"] == {"cloud_titan": 4, "edge_guardian": 5000, "mobile_nomad": 2454, "tiny_pioneer": 1}
    assert slices["shadow_fits"]["tiny_pioneer"] is False and slices["shadow_fits"]["cloud_titan"] is True
    # 20e6 ops / 1e9 ops/s = 20 ms > 10 ms: the DS-CNN cannot be shadowed on the MCU.
    canary = reference_answers("canary_duration")
    assert canary["t_infer_ms"]["tiny_pioneer"] == pytest.approx(20.0)
    assert canary["max_shadow_share"]["tiny_pioneer"] == 0.0
    # 500,000 x 3.2e6 B x 8 / 10e9 b/s = 1,280 s.
    platform = reference_answers("platform_roi")
    assert platform["update_hours"]["edge_guardian"] == pytest.approx(1280 / 3600)
    # $2M run: 500,000 h x ($4 + 0.7 kW x $0.12) = $2,042,000.
    retraining = reference_answers("retraining_roi")
    assert retraining["C_hw"]["cloud_titan"] == pytest.approx(2_042_000)
    assert retraining["cheaper_policy"]["mobile_nomad"] == "daily"
    assert retraining["cheaper_policy"]["edge_guardian"] == "threshold"


@pytest.mark.parametrize("key", sorted(opsmath.TRACKS))
def test_slice_track_tables_equal_the_metrics_of_the_shadow_traffic(key):
    """The gate test's tables come from the scenario's counts; they must be exactly slice_metrics of the rows."""
    import pandas as pd

    from grader.suites.test_slice_deployment import track_data, track_tables

    _, _, old, new = track_data(key)
    fast_old, fast_new = track_tables(key)
    pd.testing.assert_frame_equal(fast_old, old, check_exact=True)
    pd.testing.assert_frame_equal(fast_new, new, check_exact=True)
