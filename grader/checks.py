"""Comparison helpers for hidden tests: tolerant checks with readable hints.

Each failure raises :class:`GradingFailure` whose message is the hint a
student sees after grades are published: the call, the expected value and
what the submission returned, never the test's source.

The type policy (:data:`TYPE_POLICY`, said in the same words in every
notebook's introduction) is applied here and nowhere else: a suite states
what kind of answer a question asks for by the reference value it compares
with (an ``int`` for a count, a ``float`` for a number, a ``bool``).
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "REL_CLOSED_FORM",
    "TYPE_POLICY",
    "GraderError",
    "GradingFailure",
    "WrongType",
    "check_close",
    "check_equal",
    "describe_call",
    "require_array",
    "require_computed",
    "self_check",
    "self_check_close",
]

REL_CLOSED_FORM = 1e-6
"""Relative tolerance for closed-form quantities."""

TYPE_POLICY = (
    "**Types.** The grader checks the value, not the container. Where a question asks for an **integer** (a count), "
    "any integer type passes (`int`, `np.int64`, ...) but never a float (`2995.0` is not a count) nor a bool; where it "
    "asks for a **float** (a number), any real number passes (`float`, `np.float64`, `int`, ...) but not a bool; where "
    "it asks for a **bool**, `True`/`False` and NumPy's `np.True_`/`np.False_` pass. An array holding a single number "
    "(0-d or one element) does not answer a question about one number: convert it with `float(...)`, `int(...)` or "
    "`bool(...)`."
)
"""Grade the value, not the container: :func:`check_equal` and :func:`check_close` apply it; every notebook says it."""


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


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _is_integer(value: Any) -> bool:
    """An integral number type: Python ``int`` or a NumPy integer, never a bool."""
    return isinstance(value, (int, np.integer)) and not _is_bool(value)


def _is_real(value: Any) -> bool:
    """A real number type: Python or NumPy float or integer, never a bool (nor a 0-d array: see the type policy)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not _is_bool(value)


def _as_number(value: Any) -> float | None:
    """``value`` as a float when it is a real number type (see :data:`TYPE_POLICY`), else ``None``."""
    return float(value) if _is_real(value) else None


def _zero_d(value: Any) -> bool:
    """A NumPy array holding one number: the right value in the wrong container for a scalar question."""
    return isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "biuf"


def _wrong_kind(got: Any, call: str, kind: str, expected: str, advice: str) -> WrongType:
    """The right value in the wrong kind, as one hint shape: ``CALL returned GOT (TYPE); the notebook asks for ...``."""
    what = f"{_type_name(got)} holding one value" if isinstance(got, np.ndarray) else _type_name(got)
    return WrongType(f"{call} returned {_short(got)} ({what}); the notebook asks for {kind}: expected {expected} "
                     f"({advice})")


def check_close(got: Any, expected: float, *, call: str, rel: float = REL_CLOSED_FORM, abs_: float = 0.0) -> None:
    """Require a real number within ``rel``·|expected| (or ``abs_``) of ``expected``.

    Any real number type passes (:data:`TYPE_POLICY`): Python or NumPy float
    or integer; a bool does not, nor an array holding one number
    (:class:`WrongType`). ``inf`` must be matched by ``inf`` of the same
    sign; NaN never passes.
    """
    number = _as_number(got)
    if number is None:
        if _zero_d(got) and not _is_bool(got.reshape(-1)[0]):
            raise _wrong_kind(got, call, "a number, not an array", _short(float(expected)), "return float(...)")
        raise GradingFailure(f"{call} returned {_short(got)} ({_type_name(got)}); expected a number")
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
    """Require exact equality, and the kind of value the notebook asks for (:data:`TYPE_POLICY`).

    An integer answer passes as a Python ``int`` or a NumPy integer, never as
    a float (``2995.0``) or a bool; a bool answer as a Python ``bool`` or
    ``np.bool_``. The right value in the wrong kind raises
    :class:`WrongType`, with a hint that says why. Tuples must be tuples and
    lists lists, compared item by item under the same rules.
    """
    if _is_bool(expected):
        if _is_bool(got) and bool(got) == bool(expected):
            return
        if _zero_d(got) and got.dtype.kind == "b" and bool(got.reshape(-1)[0]) == bool(expected):
            raise _wrong_kind(got, call, "a bool, not an array", _short(bool(expected)), "return bool(...)")
        if _is_real(got) and got == int(bool(expected)):
            raise _wrong_kind(got, call, "a bool", _short(bool(expected)), "True or False, not a number")
        raise GradingFailure(f"{call} returned {_short(got)}; expected {_short(bool(expected))}")
    if _is_integer(expected):
        if _is_integer(got) and int(got) == int(expected):
            return
        if _zero_d(got) and got.dtype.kind in "iuf" and float(got.reshape(-1)[0]) == int(expected):
            raise _wrong_kind(got, call, "an integer, not an array", repr(int(expected)), "return int(...)")
        if _is_real(got) and math.isfinite(float(got)) and float(got) == int(expected):
            raise _wrong_kind(got, call, "an integer (a count), not a float", repr(int(expected)),
                              "return int(...)")
        raise GradingFailure(f"{call} returned {_short(got)}; expected {_short(int(expected))}")
    if isinstance(expected, (tuple, list)):
        if type(got) is type(expected) and len(got) == len(expected):
            for i, (g, e) in enumerate(zip(got, expected, strict=True)):
                check_equal(g, e, call=f"{call}[{i}]")
            return
        raise GradingFailure(f"{call} returned {_short(got)}; expected {_short(expected)}")
    if isinstance(expected, str):
        ok = isinstance(got, str) and got == expected
    elif expected is None:
        ok = got is None
    elif isinstance(got, np.ndarray):
        ok = False
    else:
        try:
            ok = bool(got == expected)
        except (TypeError, ValueError):
            ok = False
    if not ok:
        raise GradingFailure(f"{call} returned {_short(got)}; expected {_short(expected)}")


def _typed_literal(node: ast.expr | None) -> bool:
    """A number, bool or string written as such (``1.0``, ``-3``, ``True``, ``"abc"``), not computed."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str))


_CACHED_CELL_CHARS = 100_000
"""Longer cells are parsed again each time: a worker keeps no large tree from one submission to the next."""


@functools.lru_cache(maxsize=256)
def _parsed(source: str) -> ast.Module | None:
    """``ast.parse(source)``, or ``None`` when it does not parse; each cell once, though every graded notebook
    variable reads the whole notebook (the trees are only read)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def require_computed(cells: Sequence[str], name: str) -> None:
    """Fail when the notebook's last top-level assignment to ``name`` is a value typed in, not computed.

    A track answer typed in from an output, a worked example or another track can equal the right value on the
    student's own track (``max_shadow_share = 1.0``), where comparing values cannot tell it from the computation
    the notebook asks for; the source can. Cells that do not parse (magics) are skipped.
    """
    last: ast.expr | None = None
    for source in cells:
        tree = _parsed(source) if len(source) <= _CACHED_CELL_CHARS else _parsed.__wrapped__(source)
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                last = node.value
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name) \
                    and node.target.id == name:
                last = node.value if isinstance(node, ast.AnnAssign) else None
    if _typed_literal(last):
        raise GradingFailure(f"{name} is typed in ({ast.unparse(last)}): the notebook computes it with your "
                             "functions and your track's constants (a typed-in value earns nothing)")


def require_array(got: Any, expected: Any, *, call: str) -> None:
    """Fail unless ``got`` is a NumPy array of numbers shaped like ``expected``.

    Where the notebook says "NumPy arrays in and out" (or "an array of the same shape for an array"), a list, a
    tuple, a bool array or an array of another shape does not answer; the hint names what came back.
    """
    import numpy as np

    shape = np.shape(expected)
    if not isinstance(got, np.ndarray):
        raise WrongType(f"{call} returned {_kind_of(got)}; the notebook asks for a NumPy array of numbers "
                        f"(shape {shape}) for an array input")
    if got.dtype.kind not in "iuf":
        raise WrongType(f"{call} returned an array of {got.dtype}; expected a NumPy array of numbers")
    if got.shape != shape:
        raise GradingFailure(f"{call} returned shape {got.shape}; expected shape {shape} (one value per input)")



def _kind_of(value: Any) -> str:
    """``a list``, ``a tuple``, ``a float``, ... (what came back instead of an array)."""
    name = type(value).__name__
    return f"an {name}" if name[:1] in "aeiou" else f"a {name}"
