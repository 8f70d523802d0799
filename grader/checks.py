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

__all__ = ["REL_CLOSED_FORM", "GradingFailure", "check_close", "check_equal", "describe_call"]

REL_CLOSED_FORM = 1e-6
"""Relative tolerance for closed-form quantities."""


class GradingFailure(AssertionError):
    """A wrong answer; the message is safe to show to the student."""


def _short(value: Any, limit: int = 160) -> str:
    if isinstance(value, float):
        text = f"{value:.10g}"
    elif isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, threshold=8)
    elif isinstance(value, (list, tuple)) and len(value) > 8:
        text = "[" + ", ".join(_short(v, 20) for v in value[:6]) + f", ... ({len(value)} items)]"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_call(name: str, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None) -> str:
    """``name(arg, ..., key=value)`` with long values abbreviated."""
    parts = [_short(a, 80) for a in args] + [f"{k}={_short(v, 80)}" for k, v in (kwargs or {}).items()]
    return f"{name}({', '.join(parts)})"


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


def check_equal(got: Any, expected: Any, *, call: str) -> None:
    """Require exact equality of plain values (integers compare by value, ``3 == 3.0``)."""
    if isinstance(expected, bool) or isinstance(got, bool) or isinstance(expected, str):
        ok = type(got) is type(expected) and got == expected
    elif isinstance(expected, int):
        number = _as_number(got)
        ok = number is not None and math.isfinite(number) and number == expected
    elif expected is None:
        ok = got is None
    else:
        ok = got == expected
    if not ok:
        raise GradingFailure(f"{call} returned {_short(got)}; expected {_short(expected)}")
