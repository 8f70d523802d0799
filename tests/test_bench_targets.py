"""The arithmetic the benchmark prints its verdicts with (``bench/targets.py``): a wrong bound or a ratio rounded
onto its target would misreport a figure without any test of the grader failing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import targets


def test_attainable_is_the_ceiling_without_start_ups_and_one_when_everything_is_start_up() -> None:
    assert targets.attainable(50.0, 6, 0.0, 1.82) == pytest.approx(1.82)
    assert targets.attainable(6.0, 6, 1.0, 1.82) == pytest.approx(1.0)
    assert targets.attainable(6.0, 6, 2.0, 1.82) == pytest.approx(1.0)  # start-ups longer than the run: all serial


def test_attainable_by_hand() -> None:
    # 50 s at one worker, 6 start-ups of 0.75 s: 4.5 s serial, 45.5 s over 1.82
    assert targets.attainable(50.0, 6, 0.75, 1.82) == pytest.approx(50.0 / (4.5 + 45.5 / 1.82))
    # one start-up (one `opsgrade course`)
    assert targets.attainable(47.27, 1, 0.75, 1.818) == pytest.approx(47.27 / (0.75 + 46.52 / 1.818))


@settings(derandomize=True, max_examples=200)
@given(
    one=st.floats(1.0, 1e4),
    k=st.integers(0, 12),
    s=st.floats(0.0, 5.0),
    ceiling=st.floats(1.0, 2.0),
)
def test_attainable_lies_between_one_and_the_ceiling_and_falls_with_more_start_ups(
    one: float, k: int, s: float, ceiling: float
) -> None:
    bound = targets.attainable(one, k, s, ceiling)
    assert 1.0 - 1e-12 <= bound <= ceiling + 1e-12
    assert targets.attainable(one, k + 1, s, ceiling) <= bound + 1e-12


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
