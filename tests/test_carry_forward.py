"""Error carried forward: derived from the source notebook, credited only for real attempts.

The rules run against a stand-in submission whose "sandbox" is a dict of Python functions and values, so each rule
is checked in isolation; tests/test_ecf_coverage.py grades generated mutants end to end.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

import opsmath
from grader import carry
from grader.carry import carry_forward, compare, compare_answer
from grader.checks import GraderError, GradingFailure, WrongType, check_close, check_equal
from grader.dependencies import graded_names, program
from grader.outcomes import StudentCallFailed

WORKED = (5000.0, 1e6, 0.5, 0.95, 0.02)


class FakeSubmission:
    """What carry_forward needs of a submission: ``assignment``, ``call`` and ``get``."""

    def __init__(self, assignment: str, functions: dict, values: dict | None = None) -> None:
        self.assignment = assignment
        self.functions = functions
        self.values = values or {}
        self.calls: list[str] = []

    def call(self, name, *args, **kwargs):
        self.calls.append(name)
        try:
            return self.functions[name](*args, **kwargs)
        except Exception as exc:
            raise StudentCallFailed(f"{name} raised {type(exc).__name__}: {exc}") from None

    def get(self, name):
        if name not in self.values:
            raise StudentCallFailed(f"{name} is not defined")
        return self.values[name]


@pytest.fixture(autouse=True)
def node():
    item = SimpleNamespace(user_properties=[])
    carry._CURRENT[:] = [item]
    yield item
    carry._CURRENT.clear()


def retraining(staleness_cost, **more) -> FakeSubmission:
    functions = {"staleness_cost": staleness_cost, "optimal_retrain_interval": opsmath.optimal_retrain_interval,
                 **more}
    return FakeSubmission("retraining_roi", functions)


def grade_cost_rate(sub: FakeSubmission, got, T: float = 1.0, check=check_close) -> None:
    args = (T, *WORKED)
    carry_forward(sub, "cost_rate", got, opsmath.cost_rate(*args), lambda g, w: check(g, w, call="cost_rate()"),
                  call_args=(args, {}), track="cloud_titan")


def twice(T, Q, V, A0, lam):
    return 2 * opsmath.staleness_cost(T, Q, V, A0, lam)


def test_dependencies_come_from_the_solution_cells():
    retraining_map = program("retraining_roi")
    graded = graded_names("retraining_roi")
    assert retraining_map.upstream("cost_rate", graded) == ("staleness_cost",)
    assert retraining_map.upstream("current_cost_ratio", graded) == ("T_exact", "cost_rate")
    assert retraining_map.upstream("T_sqrt_hw", graded) == ("C_hw", "optimal_retrain_interval")
    assert program("drift_detective").upstream("max_features", graded_names("drift_detective")) == (
        "max_monitored_features", "monitor_budget_bytes")
    assert retraining_map.upstream("staleness_cost", graded) == ()  # parameters named like notebook variables


def test_an_answer_right_given_the_students_own_upstream_passes_with_a_note(node):
    got = (twice(1.0, *WORKED[1:]) + WORKED[0]) / 1.0
    grade_cost_rate(retraining(twice), got)
    assert "error carried forward" in node.user_properties[0][1] and "staleness_cost" in node.user_properties[0][1]


def test_right_answers_need_no_recomputation(node):
    sub = retraining(twice)
    grade_cost_rate(sub, opsmath.cost_rate(1.0, *WORKED))
    assert node.user_properties == [] and sub.calls == []


@pytest.mark.parametrize("upstream", [
    lambda *a: 5.0,  # constant: no real attempt
    lambda *a: float("nan"),
    lambda *a: None,
    lambda *a: 1 / 0,
])
def test_no_credit_through_a_constant_blank_nan_or_raising_upstream(upstream):
    sub = retraining(upstream)
    for T in (7.0, 30.0):  # the suite has used it on inputs where the reference differs
        sub.__dict__.setdefault("_suite_inputs", {}).setdefault("staleness_cost", []).append(((T, *WORKED[1:]), {}))
    try:
        value = upstream(1.0, *WORKED[1:])
        got = (value + WORKED[0]) / 1.0
    except Exception:
        got = 123.0
    with pytest.raises(GradingFailure):
        grade_cost_rate(sub, got)


def test_no_credit_when_the_answer_is_wrong_given_the_upstream_too_or_the_upstream_is_right_here():
    with pytest.raises(GradingFailure):
        grade_cost_rate(retraining(twice), 1.0)
    with pytest.raises(GradingFailure):  # the student's upstream agrees with the reference: the mistake is here
        grade_cost_rate(retraining(opsmath.staleness_cost), 2 * opsmath.cost_rate(1.0, *WORKED))


def test_a_wrong_type_is_never_carried_forward():
    sub = FakeSubmission("platform_roi", {"break_even_models": lambda *a, **k: 81})
    with pytest.raises(WrongType):
        carry_forward(sub, "n_star", 51.0, 51, lambda g, w: check_equal(g, w, call="n_star"), call_args=None,
                      track="cloud_titan")


def test_the_recomputation_through_the_reference_must_give_the_reference_value():
    with pytest.raises(GraderError):
        carry_forward(retraining(twice), "cost_rate", 1.0, 42.0, lambda g, w: check_close(g, w, call="cost_rate()"),
                      call_args=((1.0, *WORKED), {}), track="cloud_titan")


def test_a_notebook_variable_is_recomputed_for_the_students_track(node):
    track = opsmath.TRACKS["mobile_nomad"]
    s = track.scenario
    econ = (s.retrain_cost, s.daily_queries, s.value_per_point, s.accuracy0, s.decay_rate)
    right = FakeSubmission("retraining_roi", {"optimal_retrain_interval": opsmath.optimal_retrain_interval},
                           {"TRACK": "mobile_nomad", "T_sqrt": opsmath.optimal_retrain_interval(*econ)})
    compare_answer(right, "T_sqrt", opsmath.optimal_retrain_interval(*econ), track=track)
    assert node.user_properties == []  # the reference's value, given by the student's own function, passes outright
    sub = FakeSubmission("retraining_roi", {"optimal_retrain_interval": lambda *a: 10 * math.sqrt(2 * a[0])},
                         {"TRACK": "mobile_nomad"})
    sub.values["T_sqrt"] = 10 * math.sqrt(2 * econ[0])  # right given the student's own square-root law
    compare_answer(sub, "T_sqrt", opsmath.optimal_retrain_interval(*econ), track=track)
    assert "optimal_retrain_interval" in node.user_properties[0][1]


def test_a_hint_blames_the_upstream_function_that_returned_the_wrong_kind_of_value():
    def as_list(T, Q, V, A0, lam):
        return list(np.atleast_1d(opsmath.staleness_cost(T, Q, V, A0, lam)))

    def cost_rate(T, C, Q, V, A0, lam):  # the student's own code, right given an array
        return (np.asarray(as_list(T, Q, V, A0, lam)) + "C") / T  # raises: what a list makes of the next line

    sub = retraining(as_list, cost_rate=cost_rate)
    with pytest.raises(StudentCallFailed, match=r"the cause is upstream: staleness_cost\(.*\) returned a list"):
        compare(SimpleNamespace(_submission=sub), "cost_rate", (np.array([1.0, 7.0]), *WORKED))
