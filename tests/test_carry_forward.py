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
from grader.sandbox.child import describe_exception

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
        except Exception as exc:  # reported as the sandbox does: the error, and the notebook function that raised it
            raise StudentCallFailed(f"{name} raised {type(exc).__name__}: {exc}", error=describe_exception(exc),
                                    origin=self._origin(exc)) from None

    def _origin(self, exc: BaseException) -> str:
        """The innermost frame that runs one of this notebook's functions names it (the child's rule)."""
        codes = {getattr(f, "__code__", None) for f in self.functions.values()}
        found, tb = "", exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code in codes:
                found = tb.tb_frame.f_code.co_name
            tb = tb.tb_next
        return found

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


# -- an upstream that raises: the same error in the same function is carried forward, nothing else ------------------
def raising_on_arrays(T, Q, V, A0, lam):
    """staleness_cost written with math.exp: right on a number, a TypeError on an array."""
    x = lam * T
    return Q * V * A0 * (T - (1 - math.exp(-x)) / lam)


def right_cost_rate_through(sub: FakeSubmission):
    def cost_rate(T, C, Q, V, A0, lam):  # the solution's formula, through the student's own staleness_cost
        return (sub.functions["staleness_cost"](T, Q, V, A0, lam) + C) / T

    return cost_rate


def retraining_with(staleness_cost, cost_rate=None) -> FakeSubmission:
    sub = retraining(staleness_cost)
    sub.functions["cost_rate"] = cost_rate or right_cost_rate_through(sub)
    for T in (7.0, 30.0):  # the suite has used staleness_cost on numbers, where the reference differs
        sub.__dict__.setdefault("_suite_inputs", {}).setdefault("staleness_cost", []).append(((T, *WORKED[1:]), {}))
    return sub


ARRAY_CALL = (np.array([0.25, 1.0, 7.0]), *WORKED)


def close_array(got, want, *, call) -> None:
    """An array of the expected shape, element-wise close (as the suite's array questions ask)."""
    if not isinstance(got, np.ndarray) or got.shape != np.shape(want) or not np.allclose(got, want, rtol=1e-6):
        raise GradingFailure(f"{call} returned {got!r}; expected {want!r}")


def test_a_right_function_failing_in_an_upstream_that_raises_on_arrays_passes(node):
    sub = retraining_with(raising_on_arrays)
    compare(SimpleNamespace(_submission=sub), "cost_rate", ARRAY_CALL, check=close_array)
    note = node.user_properties[0][1]
    assert "error carried forward" in note and "staleness_cost" in note and "TypeError" in note, note


@pytest.mark.parametrize("case", ["upstream raises everywhere", "downstream raises by itself",
                                  "downstream forges the upstream's error", "upstream right on arrays"])
def test_no_credit_for_an_error_that_is_not_the_upstreams(case, node):
    def always(T, Q, V, A0, lam):
        raise TypeError("only length-1 arrays can be converted to Python scalars")

    def by_itself(T, C, Q, V, A0, lam):
        raise ValueError("not done")

    def forged(T, C, Q, V, A0, lam):  # the upstream's very message, raised in the answer's own code
        try:
            raising_on_arrays(T, *WORKED[1:])
        except TypeError as exc:
            raise TypeError(str(exc)) from None
        return 0.0

    upstream, downstream = {
        "upstream raises everywhere": (always, None),
        "downstream raises by itself": (raising_on_arrays, by_itself),
        "downstream forges the upstream's error": (raising_on_arrays, forged),
        "upstream right on arrays": (opsmath.staleness_cost, by_itself),
    }[case]
    with pytest.raises(StudentCallFailed):
        compare(SimpleNamespace(_submission=retraining_with(upstream, downstream)), "cost_rate", ARRAY_CALL,
                check=close_array)
    assert node.user_properties == []


# -- None is data where the reference function answers None --------------------------------------------------------
FRACTION_INPUTS = [((10_000, 1_000_000, 1.0), {}), ((10_000, 1_000, 1.0), {}), ((500, 20_000.0, 2.0), {})]


def canary(min_traffic_fraction) -> FakeSubmission:
    s = opsmath.TRACKS["edge_guardian"].scenario
    n = opsmath.canary_sample_size(s.canary_confidence, s.edge_case_rate)
    sub = FakeSubmission("canary_duration", {"min_traffic_fraction": min_traffic_fraction},
                         {"TRACK": "edge_guardian", "n_required": n})
    sub._suite_inputs = {"min_traffic_fraction": list(FRACTION_INPUTS)}
    return sub


def fraction_or_none(got, want, *, call) -> None:
    """A traffic fraction, or None when even all the traffic is too slow (as the suite grades it)."""
    check_equal(got, None, call=call) if want is None else check_close(got, want, call=call)


def grade_needed_fraction(sub: FakeSubmission) -> None:
    from grader.dependencies import reference_namespace

    reference = reference_namespace("canary_duration", "edge_guardian")
    sub.values["needed_fraction"] = sub.functions["min_traffic_fraction"](  # the track cell, run by the student
        sub.values["n_required"], reference["scenario"].request_rate_per_hour, reference["budget"])
    compare_answer(sub, "needed_fraction", reference["needed_fraction"], track=opsmath.TRACKS["edge_guardian"],
                   check=fraction_or_none)


def inverted_fraction(samples, request_rate, budget):
    fraction = request_rate * budget / samples  # the mistake: r b / n
    return None if fraction > 1 else float(fraction)


def test_none_from_an_upstream_whose_reference_answers_none_is_carried_forward(node):
    sub = canary(inverted_fraction)
    grade_needed_fraction(sub)
    assert sub.values["needed_fraction"] is None  # the track's answer through the mistake: "not feasible"
    assert "min_traffic_fraction" in node.user_properties[0][1]


def test_no_credit_through_an_upstream_answering_none_everywhere(node):
    sub = canary(lambda samples, request_rate, budget: None)
    with pytest.raises(GradingFailure):
        grade_needed_fraction(sub)
    assert node.user_properties == []


# -- "constant" is judged over a broad probe set, not over the suite's few inputs -----------------------------------
STATUS_INPUTS = [((v,), {}) for v in (0.0, 0.05, 0.15, 0.25, 3.0, 0.1, 0.2)]


def percent_status(psi_value):
    """Thresholds in percent: "stable" on every input the suite gives, a real attempt on PSI values in percent."""
    if psi_value < 10:
        return "stable"
    return "investigate" if psi_value <= 20 else "significant"


def grade_live_status(drift_status) -> FakeSubmission:
    from grader.dependencies import reference_namespace

    reference = reference_namespace("drift_detective", "edge_guardian")
    sub = FakeSubmission("drift_detective", {"drift_status": drift_status},
                         {"TRACK": "edge_guardian", "live_psi": reference["live_psi"]})
    sub.values["live_status"] = drift_status(reference["live_psi"])
    sub._suite_inputs = {"drift_status": list(STATUS_INPUTS)}
    compare_answer(sub, "live_status", reference["live_status"], track=opsmath.TRACKS["edge_guardian"],
                   check=check_equal)
    return sub


def test_an_upstream_constant_on_the_suites_inputs_only_is_a_real_attempt(node):
    assert {percent_status(*a) for a, _ in STATUS_INPUTS} == {"stable"}
    grade_live_status(percent_status)
    assert "drift_status" in node.user_properties[0][1]


@pytest.mark.parametrize("status", [
    lambda psi_value: "stable",
    lambda psi_value: "stable" if psi_value < 1e6 else "significant",  # constant except on absurd inputs
    lambda psi_value: "significant" if psi_value == 12345.678 else "stable",
])
def test_no_credit_through_an_upstream_constant_on_every_probe(status, node):
    with pytest.raises(GradingFailure):
        grade_live_status(status)
    assert node.user_properties == []


DEMO = {"extractor": "demo", "version": "0.1.0", "features": [["gain", "float32"], ["pitch", "int8"]],
        "params": {"window": 64}}
PAIRS = [((DEMO, {**DEMO, "features": [("gain", "float32"), ("pitch", "int8")]}), {}),  # tuples: compatible
         ((DEMO, {**DEMO, "version": "0.2.0"}), {}), ((DEMO, {**DEMO, "params": {"window": 128}}), {})]


def grade_compatible_after_upgrade(is_compatible) -> None:
    from grader.dependencies import reference_namespace

    reference = reference_namespace("ensemble_lockdown", "cloud_titan")
    sub = FakeSubmission("ensemble_lockdown", {"is_compatible": is_compatible},
                         {"TRACK": "cloud_titan", "compatible_after_upgrade": reference["compatible_after_upgrade"]})
    sub._suite_inputs = {"is_compatible": list(PAIRS)}
    compare_answer(sub, "compatible_after_upgrade", reference["compatible_after_upgrade"], track=None,
                   check=check_equal)


def test_a_comparison_is_also_probed_on_a_contract_against_itself():
    def raw_equality(trained_on, serving):  # False on every pair the suite gave, True on equal dicts
        return trained_on == serving

    assert not any(raw_equality(*a) for a, _ in PAIRS)
    grade_compatible_after_upgrade(raw_equality)  # the right value, from the student's own (wrong) function
    with pytest.raises(GradingFailure, match="not a real attempt"):
        grade_compatible_after_upgrade(lambda trained_on, serving: False)


# -- end to end: the sandbox names the function an error was raised in, for a call and for a track cell's line ------
TOIL = '''
def manual_toil(n, alert_hours=20, deploy_hours=1, dependency_hours=0.5, heterogeneity=1.0):
    {body}


def platform_toil(n, platform_alert_hours=5, deploy_hours=1, platform_dependency_hours=2):
    n = np.asarray(n, dtype=float)
    n_log_n = np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)
    return platform_alert_hours * n + (deploy_hours + platform_dependency_hours) * n_log_n


def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    for largest in (1_000, 1_000_000):
        n = np.arange(1, largest + 1)
        manual = hourly_cost * manual_toil(n, heterogeneity=heterogeneity)
        platform = capex + hourly_cost * platform_toil(n)
        hits = np.flatnonzero(manual >= platform)
        if hits.size:
            return int(n[hits[0]])
    return None
'''
SCALAR_ONLY = ("n_log_n = n * math.log2(max(float(n), 1.0))  # math.log2: an array raises\n"
               "    return alert_hours * n + deploy_hours * n_log_n + heterogeneity * dependency_hours * n**2")


def small_notebook(tmp_path, body: str):
    import json

    from grader.plugin import Submission

    cells = ['TRACK = "edge_guardian"\nimport math\nimport numpy as np', TOIL.format(body=body),
             "n_star = break_even_models(750_000, 180, heterogeneity=0.4)\nprint(n_star)"]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": c}
                    for c in cells]}
    path = tmp_path / f"{abs(hash(body))}.ipynb"
    path.write_text(json.dumps(nb))
    sub = Submission(path, "platform_roi")
    sub._suite_inputs = {"manual_toil": [((n,), {}) for n in (64, 80, 3)]}  # numbers: where the mistake is right
    return sub


@pytest.mark.parametrize("body, credited", [
    (SCALAR_ONLY, True),
    ("raise TypeError('only length-1 arrays can be converted to Python scalars')", False),  # raises everywhere
])
def test_a_track_line_that_fails_in_the_students_upstream(tmp_path, node, body, credited):
    from grader.dependencies import reference_namespace
    from grader.plugin import StudentProxy

    sub = small_notebook(tmp_path, body)
    try:
        expected = reference_namespace("platform_roi", "edge_guardian")["n_star"]
        if credited:
            compare(StudentProxy(sub), "break_even_models", (500_000, 150), expected=80, check=check_equal)
            assert "raised in manual_toil" in node.user_properties[0][1], node.user_properties
            compare_answer(sub, "n_star", expected, track=opsmath.TRACKS["edge_guardian"], check=check_equal)
        else:
            with pytest.raises(StudentCallFailed, match="raised StudentException: TypeError"):
                compare(StudentProxy(sub), "break_even_models", (500_000, 150), expected=80, check=check_equal)
            with pytest.raises(StudentCallFailed, match="n_star is not defined"):
                compare_answer(sub, "n_star", expected, track=opsmath.TRACKS["edge_guardian"], check=check_equal)
            assert node.user_properties == []
    finally:
        sub.close()


def test_the_sandbox_names_the_notebook_function_an_error_was_raised_in():
    from grader.plugin import protected_paths
    from grader.sandbox.parent import Limits, Sandbox, StudentException

    cells = ["import math\n\ndef inner(x):\n    return math.exp(x)\n\ndef outer(x):\n    return inner(x) + 1\n",
             "ok = outer(1.0)\nbad = outer([1.0])\nworse = undefined_name\n"]
    with Sandbox(cells, protected=protected_paths(), limits=Limits(cell_seconds=10, call_seconds=5)) as box:
        with pytest.raises(StudentException) as raised:
            box.call("outer", "x")
        assert raised.value.origin == "inner" and str(raised.value).startswith("TypeError")
        failures = box.cell_results[1].failures
        assert [(f.line, f.origin) for f in failures] == [(2, "inner"), (3, "<module>")]


# -- a NaN at one edge input, from an upstream that is a real attempt elsewhere ---------------------------------------
def unguarded(T, Q, V, A0, lam):
    """The closed form without its lam = 0 branch: 0/0 = NaN there, right everywhere else."""
    with np.errstate(divide="ignore", invalid="ignore"):
        x = lam * np.asarray(T, dtype=float)
        return float(Q * V * A0 * (x - (1 - np.exp(-x))) / np.float64(lam))


def nan_at_zero_else_constant(T, Q, V, A0, lam):
    return float("nan") if lam == 0 else 1234.5


@pytest.mark.parametrize("upstream, credited", [(unguarded, True), (nan_at_zero_else_constant, False)])
def test_a_nan_from_a_forgotten_guard_is_carried_forward_only_through_a_real_attempt(upstream, credited, node):
    sub = retraining(upstream)
    sub._suite_inputs = {"staleness_cost": [((T, *WORKED[1:]), {}) for T in (1.0, 7.0, 30.0)]}
    args = (4.0, 5000.0, 1e6, 0.5, 0.95, 0.0)  # lam = 0: the reference's cost is C/T, the student's NaN
    assert math.isnan(upstream(*args[:1], *args[2:]))

    def grade():
        carry_forward(sub, "cost_rate", float("nan"), opsmath.cost_rate(*args),
                      lambda g, w: check_close(g, w, call="cost_rate()"), call_args=(args, {}), track="cloud_titan")

    if credited:
        grade()
        assert "error carried forward" in node.user_properties[0][1]
    else:
        with pytest.raises(GradingFailure):
            grade()
        assert node.user_properties == []


# -- the recomputation's cost: each question asked once, heavy imports deferred ----------------------------------------
def test_the_recomputation_asks_the_child_each_question_once():
    """Inside ``remembering`` (the recomputation's calls) a repeated call is answered from the child's first reply,
    an error included; outside it (the hidden tests' own calls) every call reaches the child."""
    from grader.plugin import protected_paths
    from grader.sandbox.parent import Limits, Sandbox, StudentException

    cells = ["calls = []\n\ndef f(x):\n    calls.append(x)\n    return len(calls)\n\n"
             "def g(x):\n    calls.append(x)\n    raise ValueError(len(calls))\n"]
    with Sandbox(cells, protected=protected_paths(), limits=Limits(cell_seconds=10, call_seconds=5)) as box:
        assert [box.call("f", 1), box.call("f", 1)] == [1, 2]
        with box.remembering():
            assert [box.call("f", [1, 2]), box.call("f", [1, 2]), box.call("f", [2])] == [3, 3, 4]
            for _ in range(2):
                with pytest.raises(StudentException, match="ValueError: 5"):
                    box.call("g", 0)
        with box.remembering():  # one memory per submission
            assert box.call("f", [1, 2]) == 3
        assert box.call("f", [1, 2]) == 6
        assert box.get("calls") == [1, 1, [1, 2], [2], 0, [1, 2]]


def test_the_recomputation_remembers_replies_up_to_its_budget(monkeypatch):
    """Past ``REMEMBER_BYTES`` of remembered replies a repeated call is asked again (a worker would otherwise hold
    every array platform_roi's recomputation received until the notebook ends); the replies kept so far still
    answer."""
    import numpy as np

    from grader.plugin import protected_paths
    from grader.sandbox import parent
    from grader.sandbox.parent import Limits, Sandbox

    monkeypatch.setattr(parent, "REMEMBER_BYTES", 100_000)
    cells = ["import numpy as np\ncalls = []\n\ndef f(n):\n    calls.append(n)\n    return np.arange(n, dtype=float)\n"]
    with Sandbox(cells, protected=protected_paths(), limits=Limits(cell_seconds=10, call_seconds=5)) as box:
        with box.remembering():
            for n in (1000, 8000, 9000, 1000, 8000, 9000, 10):  # 8 kB, 64 kB, then 72 kB: past the budget
                assert np.array_equal(box.call("f", n), np.arange(n, dtype=float))
        assert box.get("calls") == [1000, 8000, 9000, 9000, 10]


def test_the_self_check_asks_the_reference_once_per_question(monkeypatch):
    """The reference's own value of a question with plain arguments is the same for every submission: it is
    recomputed once per worker (platform_roi's ``break_even_models`` evaluates a million fleet sizes), and ``1`` and
    ``1.0`` stay different questions."""
    from grader import carry, dependencies

    asked = []
    real = dependencies.recompute

    def counted(*args, **kwargs):
        asked.append(args[-1])
        return real(*args, **kwargs)

    monkeypatch.setattr(dependencies, "recompute", counted)
    monkeypatch.setattr(carry, "_THROUGH_REFERENCE", {})
    graded = graded_names("platform_roi")
    for call in [((50_000.0, 150.0), {}), ((50_000.0, 150.0), {}), ((50_000, 150.0), {}), ((50_000.0, 150.0), {})]:
        got = carry._through_reference("platform_roi", "edge_guardian", "break_even_models", graded, call)
        assert got == opsmath.break_even_models(50_000.0, 150.0)
    assert asked == [((50_000.0, 150.0), {}), ((50_000, 150.0), {})]


def test_the_reference_imports_scipy_stats_only_when_it_uses_it():
    """Running the reference notebook binds ``stats`` without importing ``scipy.stats`` (0.7 s of a cold run); the
    solution function that uses it imports it on its first call and gives the reference's value."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys\nfrom grader import dependencies as d\n"
            "ns = d.reference_namespace('canary_duration', 'edge_guardian')\n"
            "assert 'scipy.stats' not in sys.modules, 'imported early'\n"
            "assert ns['canary_sample_size_with_failures'](0.95, 0.001, 1) == 4742\n"
            "assert 'scipy.stats' in sys.modules\n"
            # a deferred function (from scipy.optimize import minimize_scalar) runs when the notebook calls it
            "ns = d.reference_namespace('retraining_roi', 'edge_guardian')\n"
            "assert isinstance(ns['T_exact'], float) and ns['T_exact'] > 0\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent, timeout=120)


def test_a_library_first_used_by_a_capped_recomputation_is_imported_outside_the_cap():
    """The recomputation's first call that needs ``scipy.stats`` imports it inside :func:`memory_capped`; scipy's
    BLAS maps its buffers at import and, under a tight address-space cap, spins for ever instead of failing (seen as
    a worker stuck at 100 % CPU on canary_duration). The import runs uncapped, and the cap is back after it."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import resource, sys\nfrom grader import dependencies as d\n"
            "ns = d.reference_namespace('canary_duration', 'edge_guardian')\n"
            "assert 'scipy.stats' not in sys.modules, 'imported early'\n"
            "with d.memory_capped(16 * 2**20):\n"
            "    capped = resource.getrlimit(resource.RLIMIT_AS)[0]\n"
            "    assert capped != resource.RLIM_INFINITY\n"
            "    assert ns['canary_sample_size_with_failures'](0.95, 0.001, 1) == 4742\n"
            "    assert 'scipy.stats' in sys.modules\n"
            "    again = resource.getrlimit(resource.RLIMIT_AS)[0]\n"
            "    assert capped < again != resource.RLIM_INFINITY, (capped, again)  # capped again, from the new size\n"
            "assert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent, timeout=60)


def test_the_recomputation_cannot_grow_the_grader_past_its_memory_cap():
    """A toil 100,000 times too small makes the solution's ``team_capacity_models`` double its bound to 2**28 and
    ask for ``np.arange(2**28)`` (2 GB) in the trusted process: the recomputation fails with a MemoryError instead,
    the grader's own limit is restored, and error carried forward gives no credit."""
    import resource

    from grader import dependencies

    def tiny_toil(n_models, heterogeneity=1.0):
        return 1e-5 * np.asarray(n_models, dtype=float)

    before = resource.getrlimit(resource.RLIMIT_AS)
    graded = graded_names("platform_roi")
    with pytest.raises(MemoryError):
        dependencies.recompute("platform_roi", "edge_guardian", "team_capacity_models", {"manual_toil": tiny_toil},
                               graded, ((2000.0,), {}))
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    # a recomputation within the cap is untouched: the same question through a right toil
    assert dependencies.recompute("platform_roi", "edge_guardian", "team_capacity_models", {}, graded,
                                  ((2000.0,), {})) == opsmath.team_capacity_models(2000.0)


def test_the_reference_kind_is_remembered_only_for_the_very_same_objects():
    """real_attempt asks the reference's kind on the reference notebook's own tables once per worker; a new object
    (even an equal one), another function or a list argument is asked again."""
    calls = []

    def reference(table, flag=False):
        calls.append(1)
        return bool(table.sum() > 0) if flag else float(table.sum())

    table = np.arange(5.0)
    assert carry._reference_kind(reference, (table,), {}) == "a number"
    assert carry._reference_kind(reference, (table,), {}) == "a number" and len(calls) == 1
    assert carry._reference_kind(reference, (table,), {"flag": True}) == "a bool" and len(calls) == 2
    assert carry._reference_kind(reference, (np.arange(5.0),), {}) == "a number" and len(calls) == 3
    assert carry._reference_kind(lambda t: t, ([1, 2],), {}) == "a list"
    assert carry._reference_kind(lambda t: t, ([1, 2],), {}) == "a list"  # not remembered: lists cannot be
    assert carry._reference_kind(lambda t: 1 / 0, (table,), {}) is None


def test_typed_key_keeps_each_argument_s_exact_type_and_refuses_what_is_not_a_plain_scalar():
    from grader.carry import typed_key

    keys = [typed_key((1,)), typed_key((1.0,)), typed_key((True,)), typed_key((1 + 0j,))]
    assert len(set(keys)) == 4  # equal as dict keys, not as arguments
    assert typed_key((2, "x", None, b"y")) == (("int", 2), ("str", "x"), ("NoneType", None), ("bytes", b"y"))
    assert typed_key(()) == ()
    for other in (np.float64(1.0), [1], (1,), np.array([1.0])):
        assert typed_key((1, other)) is None
