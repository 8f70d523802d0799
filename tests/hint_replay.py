"""Re-run the call a hint shows against the reference and compare with the value it says was expected.

A hint has the form ``CALL returned GOT; expected EXPECTED`` (or ``CALL:
element i is GOT; expected EXPECTED``), where ``CALL`` is Python a student can
paste: ``name(args)``, possibly after a short reproducer (``rng = ...;
train = ...; name(train, live)``) and possibly indexed (``name(args)[0]``,
``name(args)['missing']``). :func:`replay` evaluates ``CALL`` with the
student-facing function names bound to the reference (:data:`REFERENCE`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import opsmath


def _toil(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(n, heterogeneity=1.0, **coefficients):
        return fn(n, opsmath.ToilModel(heterogeneity=heterogeneity, **coefficients))
    return call


def _with_model(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args, heterogeneity=1.0):
        return fn(*args, opsmath.ToilModel(heterogeneity=heterogeneity))
    return call


def _elementwise(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` applied to each element when its first argument is an array (the notebook allows one)."""
    def call(first, *rest):
        if isinstance(first, np.ndarray):
            return np.array([fn(float(x), *rest) for x in first.tolist()])
        return fn(first, *rest)
    return call


def _contract_diff(a, b):
    from grader.suites.test_ensemble_lockdown import _expected_diff

    return _expected_diff(a, b)


REFERENCE: dict[str, dict[str, Callable[..., Any]]] = {
    "drift_detective": {"psi": opsmath.psi, "psi_from_samples": opsmath.psi_from_samples,
                        "drift_status": opsmath.drift_status},
    "retraining_roi": {"staleness_cost": opsmath.staleness_cost, "cost_rate": opsmath.cost_rate,
                       "optimal_retrain_interval": opsmath.optimal_retrain_interval,
                       "exact_retrain_interval": opsmath.exact_retrain_interval,
                       "threshold_interval": opsmath.time_to_threshold},
    "platform_roi": {"manual_toil": _toil(opsmath.manual_toil), "platform_toil": _toil(opsmath.platform_toil),
                     "break_even_models": _with_model(opsmath.break_even_models),
                     "team_capacity_models": _with_model(opsmath.team_capacity_models)},
    "canary_duration": {"canary_sample_size": opsmath.canary_sample_size,
                        "canary_duration": _elementwise(opsmath.canary_duration),
                        "min_traffic_fraction": opsmath.min_traffic_fraction,
                        "canary_sample_size_with_failures": opsmath.canary_sample_size_with_failures,
                        "wald_expected_n": lambda *a: opsmath.SPRT(*a).expected_sample_size(),
                        "shadow_share": opsmath.shadow_share},
    "ensemble_lockdown": {"schema_fingerprint": opsmath.schema_fingerprint,
                          "is_compatible": lambda a, b: opsmath.check_compatibility(a, b).compatible,
                          "contract_diff": _contract_diff, "psi_from_samples": opsmath.psi_from_samples,
                          "feature_skew": opsmath.feature_skew},
    "slice_deployment": {"slice_metrics": opsmath.slice_metrics, "aggregate_accuracy": opsmath.aggregate_accuracy,
                         "worst_slice": opsmath.worst_slice,
                         "rollout_gate": lambda *a, **k: opsmath.rollout_gate(*a, **k).approved,
                         "fits_with_shadow": lambda p, b, m: opsmath.fits_in_memory(opsmath.model_bytes(p, b), m,
                                                                                     copies=2)},
}

_SHAPES = (
    re.compile(r"^(?P<call>\w+\(.*?\)) raised (?P<error>Student\w+: .*)$", re.S),
    re.compile(r"^(?P<call>.+?): element (?P<index>\d+) is (?P<got>.+); expected (?P<expected>.+)$", re.S),
    re.compile(r"^(?P<call>.+?) returned (?P<got>.+?) \([\w. ]+\); the notebook asks for [^:]+: "
               r"expected (?P<expected>\S+) \(.*$", re.S),
    re.compile(r"^(?P<call>.+?) returned (?P<got>.+); expected (?P<expected>.+?)"
               r"(?: \(relative tolerance [^)]*\))?$", re.S),
)


def parse(hint: str) -> dict[str, str] | None:
    """``{"call", "expected" or "error", "index"?}`` of a hint, or ``None`` for other messages."""
    for shape in _SHAPES:
        match = shape.match(hint.strip())
        if match:
            return {k: v for k, v in match.groupdict().items() if v is not None}
    return None


def _namespace(assignment: str) -> dict[str, Any]:
    from grader.studentkit.slice_deployment_kit import chapter_example

    return {"np": np, "pd": pd, "math": math, "inf": math.inf, "nan": math.nan, "chapter_example": chapter_example,
            **REFERENCE[assignment]}


def is_call(assignment: str, call: str) -> bool:
    """Whether ``call`` (its last statement) calls one of the assignment's student functions."""
    last = call.split("; ")[-1]
    if " on track " in last:  # computed from the student's track data: re-run in the notebook, not here
        return False
    name = re.match(r"^(\w+)\(", last)
    return bool(name) and name.group(1) in REFERENCE[assignment]


def replay(assignment: str, hint: dict[str, str]) -> tuple[Any, Any]:
    """(value of the shown call on the reference, value the hint says was expected)."""
    namespace = _namespace(assignment)
    *setup, last = hint["call"].split("; ")
    for statement in setup:
        exec(statement, namespace)  # the hint's own reproducer
    value = eval(last, namespace)
    if "index" in hint:
        value = np.asarray(value)[int(hint["index"])]
    if "error" in hint:  # the student's call raised: the shown call must run on the reference
        return value, value
    return value, eval(hint["expected"], namespace)


def same(value: Any, expected: Any) -> bool:
    """Exact agreement (floats to 1e-12 relative: the hint prints them in full)."""
    if isinstance(expected, (float, int)) and not isinstance(expected, bool) and isinstance(
            value, (float, int, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if math.isnan(expected):
            return math.isnan(value)
        return math.isclose(float(value), float(expected), rel_tol=1e-12, abs_tol=1e-300)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return type(value) is type(expected) and value == expected
