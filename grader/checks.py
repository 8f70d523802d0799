"""Comparison helpers for hidden tests: tolerant checks with readable hints.

Each failure raises :class:`GradingFailure` whose message is the hint a
student sees after grades are published: the call, the expected value and
what the submission returned, never the test's source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from grader.sandbox.codec import Opaque

__all__ = [
    "REL_CLOSED_FORM",
    "GraderError",
    "GradingFailure",
    "WrongType",
    "check_close",
    "check_equal",
    "describe_call",
    "self_check",
    "self_check_close",
]

REL_CLOSED_FORM = 1e-6
"""Relative tolerance for closed-form quantities."""


class GradingFailure(AssertionError):
    """A wrong answer; the message is safe to show to the student."""


class WrongType(GradingFailure):
    """The right value in the wrong type (``2995.0`` where the notebook asks for an ``int``)."""


class GraderError(Exception):
    """A fault in the hidden suite or the reference, never the student's.

    Deliberately not an :class:`AssertionError`: the runner reports a test
    that raised it with status ``"grader-error"`` (an internal grading
    error for the course staff), not as a wrong answer.
    """


def self_check(condition: bool, what: str) -> None:
    """Raise :class:`GraderError` unless the suite's own consistency check ``condition`` holds."""
    if not condition:
        raise GraderError(f"suite self-check failed: {what}")


def self_check_close(value: float, reference: float, what: str, rel: float = 1e-12) -> None:
    """:func:`self_check` that a hand-computed ``value`` agrees with the reference."""
    self_check(math.isclose(value, reference, rel_tol=rel, abs_tol=1e-12), f"{what}: {value!r} vs {reference!r}")


_MAX_ITEMS = 120
"""Longer sequences are abbreviated; suites pass a reproducer (``call=``) for such inputs."""


def _repr_float(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


def _short(value: Any, limit: int | None = None) -> str:
    """Full-precision, copy-pasteable text of ``value`` (``limit`` is accepted for compatibility and ignored).

    Floats use ``repr`` (shortest round-tripping digits), NumPy arrays print as
    ``np.array([...])`` with a dtype when not float, NumPy scalars as
    ``np.float64(...)``, so that the shown call can be re-run exactly. Only
    sequences longer than 120 items are abbreviated.
    """
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value)) if isinstance(value, bool) else f"np.bool_({bool(value)})"
    if isinstance(value, float) and type(value) is float:
        return _repr_float(value)
    if isinstance(value, np.floating):
        return f"np.{type(value).__name__}({_repr_float(float(value))})"
    if isinstance(value, np.integer):
        return f"np.{type(value).__name__}({int(value)})"
    if isinstance(value, np.ndarray):
        inner = _short(value.tolist())
        kind = "" if value.dtype.kind == "f" else f", dtype=np.{value.dtype.name}" if value.dtype.kind in "biu" else ""
        return f"np.array({inner}{kind})"
    if isinstance(value, (list, tuple)):
        items = [_short(v) for v in value[:_MAX_ITEMS]]
        if len(value) > _MAX_ITEMS:
            items.append(f"... ({len(value)} items)")
        if isinstance(value, tuple):
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_short(v)}" for k, v in value.items()) + "}"
    return repr(value)


def describe_call(name: str, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None) -> str:
    """``name(arg, ..., key=value)``, every value at full precision so the call can be re-run as shown."""
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in (kwargs or {}).items()]
    return f"{name}({', '.join(parts)})"


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__.split('.')[0]}.{kind.__name__}"


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or isinstance(value, Opaque) or value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(()))
    return None


def check_close(got: Any, expected: float, *, call: str, rel: float = REL_CLOSED_FORM, abs_: float = 0.0) -> None:
    """Require a real number within ``rel``·|expected| (or ``abs_``) of ``expected``.

    ``inf`` must be matched by ``inf`` of the same sign; NaN never passes.
    """
    number = _as_number(got)
    if number is None:
        raise GradingFailure(f"{call} returned {_short(got)} ({type(got).__name__}); expected a number")
    if math.isnan(number):
        raise GradingFailure(f"{call} returned NaN; expected {_short(float(expected))}")
    if math.isinf(expected) or math.isinf(number):
        if number != expected:
            raise GradingFailure(f"{call} returned {_short(number)}; expected {_short(float(expected))}")
        return
    if not math.isclose(number, expected, rel_tol=rel, abs_tol=abs_):
        raise GradingFailure(
            f"{call} returned {_short(number)}; expected {_short(float(expected))} (relative tolerance {rel:g})"
        )


def check_equal(got: Any, expected: Any, *, call: str, numpy_ok: bool = False) -> None:
    """Require exact equality, and the type the notebook asks for.

    An ``int`` answer must be a Python ``int`` (``2995.0`` fails, with a hint
    that says why) and a ``bool`` answer a Python ``bool``; with
    ``numpy_ok`` (where the notebook allows NumPy values, e.g. in a
    DataFrame column) NumPy integers and ``np.bool_`` pass too.
    """
    if isinstance(expected, (bool, np.bool_)):
        allowed = (bool, np.bool_) if numpy_ok else (bool,)
        if isinstance(got, allowed) and bool(got) == bool(expected):
            return
        if isinstance(got, (bool, np.bool_)) and bool(got) == bool(expected):
            raise WrongType(f"{call} returned {_short(got)} ({_type_name(got)}); the notebook asks for a Python "
                            f"bool: expected {_short(bool(expected))} (wrap the result in bool(...))")
        raise GradingFailure(f"{call} returned {_short(got)}; expected {_short(bool(expected))}")
    if isinstance(expected, (int, np.integer)):
        allowed = (int, np.integer) if numpy_ok else (int,)
        if isinstance(got, allowed) and not isinstance(got, (bool, np.bool_)) and int(got) == int(expected):
            return
        number = _as_number(got)
        if number is not None and math.isfinite(number) and number == int(expected):
            raise WrongType(f"{call} returned {_short(got)} ({_type_name(got)}); the notebook asks for a Python "
                            f"int: expected {int(expected)!r} (return int(...), not a float or a NumPy number)")
        raise GradingFailure(f"{call} returned {_short(got)}; expected {_short(int(expected))}")
    if isinstance(expected, str):
        ok = isinstance(got, str) and got == expected
    elif expected is None:
        ok = got is None
    elif isinstance(expected, tuple):
        if isinstance(got, tuple) and len(got) == len(expected):
            for i, (g, e) in enumerate(zip(got, expected, strict=True)):
                check_equal(g, e, call=f"{call}[{i}]", numpy_ok=numpy_ok)
            return
        ok = False
    else:
        ok = got == expected
    if not ok:
        raise GradingFailure(f"{call} returned {_short(got)}; expected {_short(expected)}")
