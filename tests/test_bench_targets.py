"""The arithmetic the benchmark prints its verdicts with (``bench/targets.py``): a ratio rounded onto its target would
misreport a figure without any test of the grader failing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import targets


@pytest.mark.parametrize(
    ("value", "target", "digits", "text"),
    [(19.96, 20, 1, "19.96"), (1.796, 1.8, 2, "1.796"), (20.7, 20, 1, "20.7"), (1.63, 1.8, 2, "1.63"),
     (20.04, 20, 1, "20.0"), (19.99996, 20, 1, "19.99996")],
)
def test_shown_never_rounds_a_figure_onto_the_other_side_of_its_target_by_example(
    value: float, target: float, digits: int, text: str
) -> None:
    assert targets.shown(value, target, digits) == text


@settings(derandomize=True, max_examples=300)
@given(value=st.floats(0.0, 1e4, allow_nan=False), target=st.floats(0.01, 1e4), digits=st.integers(0, 3))
def test_shown_keeps_each_figure_on_its_side_of_the_target(value: float, target: float, digits: int) -> None:
    assert (float(targets.shown(value, target, digits)) >= target) == (value >= target)
