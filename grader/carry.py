"""Every comparison of a hidden test, with error carried forward built in.

Engineering courses graded by hand do not take points twice for one mistake:
an answer that is wrong against the reference but right *given the student's
own earlier work* gets full marks, with a note. Suites do not declare this per
question: they grade every function call with :func:`compare` and every
notebook variable with :func:`compare_answer`::

    @pytest.mark.question("exact_optimum", points=0.5)
    def test_exact_worked_example(student):
        compare(student, "exact_retrain_interval", WORKED, rel=1e-3)

and when the answer fails, :func:`carry_forward` looks up what it is computed
from in the source notebook (:mod:`grader.dependencies`) and recomputes the
expected value with the solution's own code, in this trusted process, through
the student's upstream functions (called in the sandbox) and variables. The
rules that keep it fair and ungameable are listed in :func:`carry_forward`.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pytest

from grader.checks import GraderError, GradingFailure, WrongType, check_close, describe_call, require_computed
from grader.outcomes import StudentCallFailed

__all__ = ["carry_forward", "compare", "compare_answer", "typed_key"]

_UNSET: Any = object()

ECF_PROPERTY = "carried_forward"
"""Key of the note a test passed by error carried forward leaves in ``item.user_properties``."""


def _finite(value: Any) -> bool:
    """False for a NaN or an infinity (or an array, list, tuple or dict holding one); True for anything else."""
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)) and not all(isinstance(v, (int, float)) for v in value):
        return all(_finite(v) for v in value)
    if value is None or isinstance(value, (str, bytes)):
        return True
    try:
        import numpy as np

        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return True
    return bool(np.all(np.isfinite(array)))


# -- one entry point for every comparison --------------------------------------------------------------------------
DEFAULT_TRACK = "cloud_titan"
"""Track whose reference notebook defines the functions recomputed for function questions (they take no constants)."""
_PROBES = 4
"""Inputs per source (the suite's, the recomputation's) that first probe whether an upstream function varies."""
_KEPT = 32
"""Inputs the suite gave each function, kept (by reference) for the broad probe when the first one finds it constant."""
_SCALES = (0.01, 0.1, 10.0, 100.0)
"""The broad probe also calls an upstream function on every kept input with its floats scaled by these factors."""
_BROAD = 96
"""Most calls of one broad probe (it stops at the first proof that the function varies)."""
_SLICE = 250_000
"""Longest 1-D array sent to an upstream function in one call while recomputing (see ``_Recorder._call``)."""
_LONGEST = 2_000_000
"""Longest 1-D array the recomputation may send at all (the solutions' largest is a million fleet sizes)."""
_CURRENT: list[pytest.Item] = []


@pytest.fixture(autouse=True)
def _grading_item(request: pytest.FixtureRequest):
    """Remember the running test, so a pass by error carried forward can leave its note on it."""
    _CURRENT[:] = [request.node]
    yield
    _CURRENT.clear()


def compare(student: Any, name: str, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None, *,
            check: Callable[..., None] = check_close, expected: Any = _UNSET,
            reference: Callable[..., Any] | None = None, call: str | None = None, **options: Any) -> None:
    """Grade ``student.name(*args, **kwargs)`` against the reference, with error carried forward built in.

    Parameters
    ----------
    student : StudentProxy
        The ``student`` fixture.
    name : str
        The notebook's function.
    args, kwargs
        The call.
    check : callable
        ``check(got, want, call=..., **options)`` raising :class:`GradingFailure` (default :func:`check_close`).
    expected : object, optional
        The expected value; default ``reference(*args, **kwargs)``.
    reference : callable, optional
        The oracle; default ``opsmath.<name>``.
    call : str or callable, optional
        How the hint shows the call (a callable is asked only when a hint is written); default the call itself,
        re-runnable as shown.
    **options
        Passed to ``check`` (tolerances).

    Notes
    -----
    When the answer is wrong and the function's solution reads other graded student work (derived from the source
    notebook: :mod:`grader.dependencies`), the expected value is recomputed with the solution's own code through
    the student's upstream (:func:`carry_forward`).
    """
    kwargs = dict(kwargs or {})
    submission = student._submission
    shown = _Text(call if call is not None else (lambda: describe_call(name, args, kwargs)))
    if expected is _UNSET:
        if reference is None:
            import opsmath

            reference = getattr(opsmath, name)
        expected = reference(*args, **kwargs)
    _remember(submission, name, args, kwargs)
    graded_check = lambda g, w: check(g, w, call=shown, **options)  # noqa: E731
    try:
        got = submission.call(name, *args, **kwargs)
    except StudentCallFailed as failed:
        if _carry_error(submission, name, failed.error, failed.origin, expected, graded_check,
                        (tuple(args), kwargs), DEFAULT_TRACK):
            return
        raise _blamed(failed, submission, name, (tuple(args), kwargs), DEFAULT_TRACK) from None
    carry_forward(submission, name, got, expected, graded_check, call_args=(tuple(args), kwargs), track=DEFAULT_TRACK)


class _Text:
    """A hint's call text, built only when a check formats it (inputs such as large tables are slow to print)."""

    def __init__(self, text: str | Callable[[], str]) -> None:
        self._text = text

    def __call__(self) -> str:
        if callable(self._text):
            self._text = self._text()
        return self._text

    def __str__(self) -> str:
        return self()

    def __format__(self, spec: str) -> str:
        return format(self(), spec)

    def __add__(self, other: str) -> str:
        return self() + other


def compare_answer(submission: Any, name: str, expected: Any, *, track: Any, check: Callable[..., None] = check_close,
                   call: str | None = None, **options: Any) -> None:
    """Grade the notebook variable ``name`` (computed for ``track``) against ``expected``, with error carried forward.

    Parameters are those of :func:`compare`; ``track`` is the ``track`` fixture (the reference notebook is run for
    it when the expected value must be recomputed through the student's upstream), or ``None`` for an answer that
    is the same on every track (then the notebook's own track, when it names one, is used).

    An answer typed in (its last top-level assignment is a literal: :func:`grader.checks.require_computed`) earns
    nothing, whatever its value: on a track where the right value is 0, 1 or a worked example's, comparing values
    cannot tell it from the computation the notebook asks for.
    """
    require_computed(getattr(submission, "cells", None) or (), name)
    key = track.key if track is not None else _chosen_track(submission)
    shown = call or f"{name} on track {key}"
    graded_check = lambda g, w: check(g, w, call=shown, **options)  # noqa: E731
    try:
        got = submission.get(name)
    except StudentCallFailed:  # undefined: the statement that computes it raised (or there is none)
        error, origin = _why_undefined(submission, name)
        if _carry_error(submission, name, error, origin, expected, graded_check, None, key):
            return
        raise
    carry_forward(submission, name, got, expected, graded_check, call_args=None, track=key)


def _chosen_track(submission: Any) -> str:
    """The notebook's TRACK when it names a track, else :data:`DEFAULT_TRACK` (for an answer every track shares)."""
    from opsmath.tracks import TRACKS

    try:
        key = submission.get("TRACK")
    except AssertionError:
        return DEFAULT_TRACK
    return key if isinstance(key, str) and key in TRACKS else DEFAULT_TRACK


def carry_forward(submission: Any, name: str, got: Any, expected: Any, check: Callable[[Any, Any], None], *,
                  call_args: tuple[tuple[Any, ...], dict[str, Any]] | None, track: str) -> None:
    """``check(got, expected)``; on a wrong answer, accept it when it is right given the student's own upstream.

    The expected value is recomputed by the solution's own code (:func:`grader.dependencies.recompute`) with every
    graded upstream name bound to the student's version. Credit is given only when all of these hold:

    * the answer fails against the reference (a wrong kind of value, e.g. a float count, is carried forward only
      when the student's own upstream gives that kind: ``n_star = break_even_models(...)`` with a function that
      returns ``80.0`` is charged once, at the function; ``float(...)`` written around a right function is not);
    * the recomputation through the reference gives the reference's value (else :class:`GraderError`);
    * the student's upstream is a real attempt: no upstream raises, and none gives ``...``, an object that is not
      data, or a ``None`` or NaN where the reference function never gives one (an upstream variable never);
      an upstream function is not constant where the reference is not (probed on the inputs the suite used for
      it and on those of the recomputation, then, when it looks constant there, on every input the suite gave it
      and on inputs derived from them: floats scaled by powers of ten, a pair of arguments given twice);
    * the recomputed value itself disagrees with the reference (the upstream is wrong here and loses its own points)
      and is finite;
    * the answer agrees with the recomputed value under the same check.
    """
    try:
        check(got, expected)
    except GradingFailure as wrong:
        original = wrong
    else:
        if call_args is None:  # a notebook variable: it must be what the student's own functions give
            _require_own_work(submission, name, got, check, track)
        return
    from grader import dependencies

    prog = dependencies.program(submission.assignment)
    first: _Recorder | None = None
    for upstream, graded in _levels(prog, name, dependencies.graded_names(submission.assignment)):
        recorder = _Recorder(submission, upstream, prog)
        first = first or recorder
        if _consistent(submission, name, got, expected, check, call_args, track, graded, recorder, original):
            _note(f"full marks by error carried forward: the expected value depends on your "
                  f"{' and '.join(upstream)}, and computed with yours this answer is right (the mistake upstream "
                  f"loses its own points). Against the reference: {original}")
            return
    raise (_with_blame(original, first, track) if first is not None else original) from None


def _levels(prog: Any, name: str, graded: frozenset[str]) -> Iterator[tuple[tuple[str, ...], frozenset[str]]]:
    """(upstream, graded names) to recompute ``name`` through: the direct upstream first, then (up to twice) what
    the upstream functions are computed from (an upstream function with an upstream of its own is run as the
    solution's code instead)."""
    for _ in range(3):
        upstream = prog.upstream(name, graded) if name in prog.definers else ()
        if not upstream:
            return
        yield upstream, graded
        deeper = graded - {u for u in upstream if prog.is_function(u) and prog.upstream(u, graded)}
        if deeper == graded:
            return
        graded = frozenset(deeper)


def _note(note: str) -> None:
    """Leave the error-carried-forward note on the running test (the first note stays)."""
    node = _CURRENT[0] if _CURRENT else None
    if node is not None and not any(key == ECF_PROPERTY for key, _ in node.user_properties):
        node.user_properties.append((ECF_PROPERTY, note))


def _carry_error(submission: Any, name: str, error: str, origin: str, expected: Any,
                 check: Callable[[Any, Any], None], call_args: tuple[tuple[Any, ...], dict[str, Any]] | None,
                 track: str) -> bool:
    """Whether an answer that raised (``error`` in the notebook function ``origin``) earns error carried forward.

    A right function (or a track cell's right line) fails when the student's upstream fails under it: a
    ``staleness_cost`` written with ``math.exp`` raises on the array a right ``cost_rate`` passes it. Credit (and
    the note) when, through the student's upstream, the solution's own code fails on the same call **with the
    same error, raised in the same function** (the upstream's own code, or the answer's own when the upstream's
    values make the solution's code fail too); the recomputation through the reference gives the reference's
    value; the upstream is a real attempt (:meth:`_Recorder.real_attempt`); and an upstream function that raised
    returns finite data elsewhere that varies where the reference does (one that raises everywhere, or is
    constant, earns nothing). An answer that raises on its own (another error, or in another function) earns
    nothing.
    """
    if not error or not origin:
        return False
    from grader import dependencies

    prog = dependencies.program(submission.assignment)
    for upstream, graded in _levels(prog, name, dependencies.graded_names(submission.assignment)):
        recorder = _Recorder(submission, upstream, prog)
        if _fails_alike(submission, name, error, origin, expected, check, call_args, track, graded, recorder):
            where = "at top level" if origin == "<module>" else f"in {origin}"
            _note(f"full marks by error carried forward: the expected value depends on your {' and '.join(upstream)}, "
                  f"and computed with yours the notebook's own code fails here as yours does ({error}, raised "
                  f"{where}); the mistake upstream loses its own points")
            return True
    return False


def _fails_alike(submission: Any, name: str, error: str, origin: str, expected: Any,
                 check: Callable[[Any, Any], None], call_args: tuple[tuple[Any, ...], dict[str, Any]] | None,
                 track: str, graded: frozenset[str], recorder: _Recorder) -> bool:
    """The rule of :func:`_carry_error` through ``recorder``'s upstream."""
    from grader import dependencies
    from grader.sandbox.child import describe_exception

    try:
        recorder.bind()
        dependencies.recompute(submission.assignment, track, name, recorder.bindings, graded, call_args)
    except StudentCallFailed as fault:  # an upstream function raised (or an upstream variable is undefined)
        if recorder.failed is None:
            return False
        theirs, culprit = (fault.error, fault.origin), recorder.failed
    except GradingFailure:  # the recomputation's own limits (see _Recorder._call)
        return False
    except Exception as fault:  # the solution's own code failed on what the student's upstream gave it
        theirs, culprit = (describe_exception(fault), _solution_origin(fault)), None
    else:
        return False  # through the student's upstream the solution gives a value: the failure is the answer's own
    if theirs != (error, origin):
        return False
    _self_check(submission, name, expected, check, call_args, track, graded)
    if not recorder.real_attempt(track):
        return False
    return culprit is None or recorder.verdict(culprit, track, strict=True) is True


def _solution_origin(fault: BaseException) -> str:
    """The solution function (``<module>`` for a top-level statement) in whose code ``fault`` was raised."""
    found, tb = "", fault.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<solution cell"):
            found = tb.tb_frame.f_code.co_name
        tb = tb.tb_next
    return found


def _why_undefined(submission: Any, name: str) -> tuple[str, str]:
    """(error, origin) of the statement of the student's notebook that last binds ``name``, when it raised."""
    import ast

    from grader.sandbox.statements import bound_names

    sandbox = getattr(submission, "sandbox", None)
    cells = getattr(sandbox, "cells", None)
    if not cells:
        return "", ""
    last = None
    for index, source in enumerate(cells):
        try:
            body = ast.parse(source).body
        except SyntaxError:
            continue
        for k, statement in enumerate(body):
            if name in bound_names(statement):
                last = (index, k)
    for result in getattr(sandbox, "cell_results", ()):
        if last is not None and result.index == last[0]:
            for failure in result.failures:
                if failure.statement == last[1]:
                    return failure.error, failure.origin
    return "", ""


def _self_check(submission: Any, name: str, expected: Any, check: Callable[[Any, Any], None],
                call_args: tuple[tuple[Any, ...], dict[str, Any]] | None, track: str, graded: frozenset[str]) -> None:
    """The recomputation through the reference must give the reference's value (else the grader is at fault)."""
    try:
        check(_through_reference(submission.assignment, track, name, graded, call_args), expected)
    except GradingFailure as fault:
        raise GraderError(f"error carried forward: recomputed through the reference, {fault}") from None


_THROUGH_REFERENCE: dict[tuple[Any, ...], Any] = {}
_THROUGH_REFERENCE_KEPT = 1024


def typed_key(values: Iterable[Any]) -> tuple[Any, ...] | None:
    """A dictionary key for the arguments ``values`` that keeps their exact types, or ``None`` unless every one is a
    plain scalar (``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes``, ``None``): ``1``, ``1.0`` and
    ``True`` are one key to a dict, but not always one argument to a function. Error carried forward keys its
    reference questions with it, and so does :func:`grader.suites.shared.remembered`.

    Parameters
    ----------
    values : iterable
        The arguments, positional then keyword values.

    Returns
    -------
    tuple or None
        ``(type name, value)`` for each value, in order.
    """
    items = tuple(values)
    if not all(type(v) in _SCALARS for v in items):
        return None
    return tuple((type(v).__name__, v) for v in items)


def _through_reference(assignment: str, track: str, name: str, graded: frozenset[str],
                       call_args: tuple[tuple[Any, ...], dict[str, Any]] | None) -> Any:
    """``dependencies.recompute`` through the reference's own upstream (the self-check's value), remembered for the
    life of the worker when the arguments and the value are plain scalars.

    It is the same question for every submission that reaches it (the replayed examples are the same for all), and
    for platform_roi's ``break_even_models`` an expensive one: when no fleet size qualifies, the solution evaluates a
    million of them, 30-100 ms and about 46 MB of arrays, each time a student's break-even is checked for error
    carried forward.
    """
    from grader import dependencies

    args, kwargs = call_args if call_args is not None else ((), {})
    plain = typed_key((*args, *kwargs.values()))
    key = None if plain is None else (assignment, track, name, graded, call_args is None, plain, tuple(kwargs))
    if key is not None and key in _THROUGH_REFERENCE:
        return _THROUGH_REFERENCE[key]
    value = dependencies.recompute(assignment, track, name, {}, graded, call_args)
    if key is not None and type(value) in _SCALARS:
        if len(_THROUGH_REFERENCE) >= _THROUGH_REFERENCE_KEPT:
            _THROUGH_REFERENCE.pop(next(iter(_THROUGH_REFERENCE)))
        _THROUGH_REFERENCE[key] = value
    return value


def _require_own_work(submission: Any, name: str, got: Any, check: Callable[[Any, Any], None], track: str) -> None:
    """A right notebook variable earns its points only when the student's own functions give it.

    The notebook computes each track answer with the student's functions. When the variable's solution reads graded
    student functions, it is recomputed through them (the solution's own code, as for error carried forward); a
    value that they do not give (typed in, copied), or that comes from functions that are not a real attempt
    (constant where the reference varies, raising, blank), fails with a hint saying so.
    """
    from grader import dependencies

    graded = dependencies.graded_names(submission.assignment)
    prog = dependencies.program(submission.assignment)
    upstream = prog.upstream(name, graded) if name in prog.definers else ()
    functions = [u for u in upstream if prog.is_function(u)]
    if not functions:
        return
    recorder = _Recorder(submission, upstream, prog)
    names = " and ".join(functions)
    try:
        recorder.bind()
        own = dependencies.recompute(submission.assignment, track, name, recorder.bindings, graded, None)
        check(got, own)
    except Exception:
        raise GradingFailure(f"{name} on track {track} has the right value, but your own {names} do not give it: the "
                             "notebook computes it with your functions (a typed-in value earns nothing)") from None
    if not recorder.real_attempt(track):
        raise GradingFailure(f"{name} on track {track} has the right value, but your {names} is not a real attempt "
                             "(it gives one value where the answer varies, or nothing): the notebook computes it "
                             "with your functions") from None


def _consistent(submission: Any, name: str, got: Any, expected: Any, check: Callable[[Any, Any], None],
                call_args: tuple[tuple[Any, ...], dict[str, Any]] | None, track: str, graded: frozenset[str],
                recorder: _Recorder, original: GradingFailure) -> bool:
    """Whether ``got`` earns error carried forward through ``recorder``'s upstream (see :func:`carry_forward`)."""
    from grader import dependencies

    try:
        recorder.bind()
        own = dependencies.recompute(submission.assignment, track, name, recorder.bindings, graded, call_args)
    except Exception:  # an upstream raises, is missing, or feeds the solution something it cannot use
        return False
    _self_check(submission, name, expected, check, call_args, track, graded)
    if not recorder.real_attempt(track):
        return False
    if not _finite(own):
        # a NaN or an infinity through the student's upstream (a guard forgotten at lam = 0): the same value earns
        # credit only when every upstream function called gives finite data elsewhere that varies where the
        # reference's does (a function of NaNs, or constant, earns nothing)
        return (not _same(own, expected) and _same(got, own)
                and all(recorder.verdict(u, track, strict=True) is True for u in {c[0] for c in recorder.calls}))
    try:
        check(own, expected)
    except GradingFailure:
        pass  # the upstream work is wrong here
    else:
        return False  # the upstream work is right here: the mistake is this answer's own
    try:
        check(got, own)
    except GradingFailure:
        return False
    return True


def _remember(submission: Any, name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    """Keep the first few inputs the suite gives ``name`` (probes for later error carried forward through it)."""
    seen = submission.__dict__.setdefault("_suite_inputs", {}).setdefault(name, [])
    if len(seen) < _KEPT:  # no deduplication: printing large inputs to compare them would cost every test
        seen.append((tuple(args), dict(kwargs)))


def _blank(value: Any) -> bool:
    """The blank notebook's ``...``, ``None``, or an object that did not cross as data."""
    return value is None or _void(value)


def _void(value: Any) -> bool:
    """``...`` or an object that did not cross as data: never an answer, whatever the reference gives."""
    from grader.sandbox.codec import Opaque

    return value is Ellipsis or isinstance(value, Opaque)


def _odd(value: Any) -> bool:
    """``None``, or a NaN or an infinity (in a number, an array or a container): data only where the reference
    gives one too."""
    return value is None or not _finite(value)


def _kind(value: Any) -> str:
    """What a value is, in the words a hint uses (``a list``, ``a 0-d array``, ``a number``, ...)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return "a 0-d array" if value.ndim == 0 else "an array"
    if isinstance(value, (bool, np.bool_)):
        return "a bool"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if value is None or value is Ellipsis:
        return "nothing (None or ...)"
    return f"a {type(value).__name__}"


def _same(a: Any, b: Any) -> bool:
    """Equal values (NaN equal to NaN, arrays element-wise, floats to 1e-12 relative)."""
    import numpy as np

    try:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-12, atol=0.0, equal_nan=True))
    except (TypeError, ValueError):
        try:
            return bool(a == b)
        except Exception:
            return False


class _Recorder:
    """The student's upstream as the recomputation sees it, with every call and value recorded."""

    def __init__(self, submission: Any, upstream: Sequence[str], prog: Any) -> None:
        self.submission = submission
        self.upstream = tuple(upstream)
        self.functions = {u for u in upstream if prog.is_function(u)}
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any], Any]] = []
        self.values: dict[str, Any] = {}
        self.bindings: dict[str, Any] = {}
        self.failed: str | None = None  # the upstream function whose call raised last

    def bind(self) -> None:
        for u in self.upstream:
            if u in self.functions:
                self.bindings[u] = self._proxy(u)
            else:
                self.values[u] = self.bindings[u] = self.submission.get(u)

    def _proxy(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                value = self._call(name, args, kwargs)
            except StudentCallFailed:
                self.failed = name
                raise
            self.calls.append((name, args, kwargs, value))
            return value

        call.__name__ = name
        return call

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """One call, or, when the solution passes a long 1-D array, one call per slice of it, joined.

        The solution may evaluate an upstream function on a million fleet sizes at once; a message that large does
        not cross the sandbox (and would take seconds), slices of :data:`_SLICE` values do. Each slice must give an
        array of its own length (an element-wise function, as the notebook asks), else nothing is carried forward.
        """
        import numpy as np

        long = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.ndim == 1 and a.size > _SLICE]
        if not long:
            with _remembering(self.submission):
                return self.submission.call(name, *args, **kwargs)
        size = args[long[0]].size
        if size > _LONGEST:
            raise GradingFailure(f"{name}: the recomputation asked for {size} values; not carried forward")
        if any(args[i].size != size for i in long):
            raise GradingFailure(f"{name}: arrays of different lengths")
        parts = []
        for start in range(0, size, _SLICE):
            piece = [a[start:start + _SLICE] if i in long else a for i, a in enumerate(args)]
            with _remembering(self.submission):
                value = self.submission.call(name, *piece, **kwargs)
            if not isinstance(value, np.ndarray) or value.shape != (len(piece[long[0]]),):
                raise GradingFailure(f"{name} did not return one value per element")
            parts.append(value)
        return np.concatenate(parts)

    def real_attempt(self, track: str) -> bool:
        """No blank upstream value, no upstream call answering a number for a bool (or a bool for a number), and no
        upstream function constant where the reference is not (:meth:`verdict`).

        Blank: ``...``, an object that is not data, and a ``None`` or a NaN, except that a function's ``None`` (or
        NaN, infinity) is data when the reference function itself gives one, on the same input or on an input the
        suite gave it (``min_traffic_fraction`` answers ``None``, "not feasible"), or when the function gives
        finite data elsewhere that varies where the reference's does (a guard forgotten at one edge input).
        """
        if any(_blank(v) or not _finite(v) for v in self.values.values()):
            return False
        if any(_void(v) or (_odd(v) and not self._reference_gives(name, v, a, k, track)
                            and self.verdict(name, track, strict=True) is not True)
               for name, a, k, v in self.calls):
            return False
        from grader import dependencies

        ref = dependencies.reference_namespace(self.submission.assignment, track)
        swapped = {"a bool": "a number", "a number": "a bool"}
        for name, args, kwargs, value in self.calls:  # a bool function answering 7 is no attempt at a bool
            other = swapped.get(_kind(value))  # only a bool or a number can be the other one: else nothing to ask
            if other is not None and _reference_kind(ref[name], args, kwargs) == other:
                return False
        # over every probe: a mistake may map two of them together
        return all(self.verdict(u, track) is not False for u in self.functions if u in ref)

    def verdict(self, name: str, track: str, *, strict: bool = False) -> bool | None:
        """Whether the student's ``name`` varies where the reference does (:func:`_varies`), per submission.

        First probed on the first :data:`_PROBES` inputs the suite gave it and the first of this recomputation's
        calls; when that finds it constant (``strict``: finds no variation), on every kept input and on inputs
        derived from them (:func:`_derived`): "constant" means constant over that broad, deterministic probe set,
        not over the few inputs one test used. A probe on which the student's function raises tells nothing;
        ``strict`` also leaves out probes answering ``None`` or a NaN (a real attempt gives finite data).
        """
        from grader import dependencies

        verdicts = self.submission.__dict__.setdefault("_informative", {})
        if (name, strict) in verdicts:
            return verdicts[(name, strict)]
        reference = dependencies.reference_namespace(self.submission.assignment, track)[name]
        suite = self.submission.__dict__.get("_suite_inputs", {}).get(name, [])
        mine = [(a, k, v) for n, a, k, v in self.calls if n == name]
        observed = [o for o in [*self._probe(name, suite[:_PROBES]), *mine[:_PROBES]] if not (strict and _odd(o[2]))]
        verdict = _varies(reference, observed)
        if verdict is False or (strict and verdict is None):
            kept = [*suite, *((a, k) for a, k, _ in mine[:_KEPT])]
            broad = itertools.islice(itertools.chain(suite[_PROBES:], (d for a, k in kept for d in _derived(a, k))),
                                     _BROAD)
            more = itertools.chain(observed, mine[_PROBES:_KEPT], self._probe(name, broad))
            verdict = _varies(reference, (o for o in more if not (strict and _odd(o[2]))))
        verdicts[(name, strict)] = verdict
        return verdict

    def _probe(self, name: str, inputs: Iterable[tuple[tuple[Any, ...], dict[str, Any]]]
               ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any], Any]]:
        """The student's ``name`` on each input, called as it is read (an input on which it raises is left out)."""
        for args, kwargs in inputs:
            try:
                with _remembering(self.submission):
                    value = self.submission.call(name, *args, **kwargs)
                yield args, kwargs, value
            except StudentCallFailed:
                continue

    def _reference_gives(self, name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                         track: str) -> bool:
        """Whether the reference ``name`` gives a value as odd as ``value`` (``None``; a NaN or an infinity) on
        ``args`` or on an input the suite gave it."""
        from grader import dependencies

        reference = dependencies.reference_namespace(self.submission.assignment, track).get(name)
        if reference is None:
            return False
        none = value is None
        if _gives_odd(reference, args, kwargs, none):
            return True
        seen = self.submission.__dict__.setdefault("_odd_kinds", {})
        if (name, none) not in seen:
            suite = self.submission.__dict__.get("_suite_inputs", {}).get(name, [])
            seen[(name, none)] = any(_gives_odd(reference, a, k, none) for a, k in suite)
        return seen[(name, none)]


_KINDS: dict[tuple[int | str, ...], tuple[list[Callable[[], Any]], str | None]] = {}
_KINDS_KEPT = 64
_SCALARS = (bool, int, float, complex, str, bytes, type(None))


def _reference_kind(reference: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """:func:`_kind` of ``reference(*args, **kwargs)`` (``None`` when it raises), remembered for the life of the
    worker while the function and every argument are still the very same objects (weak references: nothing is kept
    alive here; an argument that cannot be weakly referenced and is not a plain scalar is not remembered).

    The recomputation hands the student's upstream the reference notebook's own objects (a track's two 184,000-row
    tables, the same objects for every submission of that track, as the reference notebook is run once per track), so
    every submission asked what the reference's ``slice_metrics`` gives on them: 35 ms each time.
    """
    import weakref

    parts = [reference, *args, *kwargs.values()]
    try:
        refs = [weakref.ref(p) if not isinstance(p, _SCALARS) else (lambda p=p: p) for p in parts]
    except TypeError:  # a list, a dict, a tuple: not remembered
        refs = None
    key = (*map(id, parts), *kwargs)
    kept = _KINDS.get(key) if refs is not None else None
    if kept is not None and all(ref() is part for ref, part in zip(kept[0], parts, strict=True)):
        return kept[1]
    try:
        kind: str | None = _kind(reference(*args, **kwargs))
    except Exception:
        kind = None
    if refs is not None:
        if len(_KINDS) >= _KINDS_KEPT:
            _KINDS.pop(next(iter(_KINDS)))
        _KINDS[key] = (refs, kind)
    return kind


def _remembering(submission: Any) -> contextlib.AbstractContextManager[None]:
    """The recomputation's calls of the student's functions, answered once each (see
    :meth:`grader.sandbox.parent.Sandbox.remembering`); a stand-in submission without a sandbox asks every time."""
    sandbox = getattr(submission, "sandbox", None)
    return sandbox.remembering() if hasattr(sandbox, "remembering") else contextlib.nullcontext()


def _gives_odd(reference: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], none: bool) -> bool:
    """Whether ``reference(*args, **kwargs)`` is ``None`` (``none``) or not finite (not ``none``)."""
    try:
        want = reference(*args, **kwargs)
    except Exception:
        return False
    return _odd(want) and (want is None) == none


def _derived(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Inputs derived from one the suite gave: every float (and float array) in it scaled by each of
    :data:`_SCALES`; and, when its first two positional arguments are of one type (two contracts, two tables, two
    samples), each of them given twice (a thing compared with itself)."""
    import numpy as np

    def is_float(v: Any) -> bool:
        return isinstance(v, (float, np.floating)) or (isinstance(v, np.ndarray) and v.dtype.kind == "f")

    if any(is_float(v) for v in (*args, *kwargs.values())):
        for factor in _SCALES:
            yield (tuple(v * factor if is_float(v) else v for v in args),
                   {key: v * factor if is_float(v) else v for key, v in kwargs.items()})
    if len(args) >= 2 and type(args[0]) is type(args[1]):
        yield (args[0], args[0], *args[2:]), kwargs
        yield (args[1], args[1], *args[2:]), kwargs


def _varies(reference: Callable[..., Any], observed: Iterable[tuple[tuple[Any, ...], dict[str, Any], Any]]
            ) -> bool | None:
    """False when the student's function gives one and the same value on inputs where the reference's values differ.

    ``None`` when the inputs cannot tell (the reference gives them all one value, or fewer than two ran). ``observed``
    is read lazily and no further than the first proof that both vary (later probes are not even called).
    """
    first: tuple[Any, Any] | None = None
    count, mine_varies, theirs_vary = 0, False, False
    for args, kwargs, value in observed:
        try:
            want = reference(*args, **kwargs)
        except Exception:
            continue
        count += 1
        if first is None:
            first = (value, want)
            continue
        mine_varies = mine_varies or not _same(first[0], value)
        theirs_vary = theirs_vary or not _same(first[1], want)
        if mine_varies and theirs_vary:
            return True
    if count < 2 or not theirs_vary:
        return None
    return mine_varies


def _with_blame(original: GradingFailure, recorder: _Recorder, track: str) -> GradingFailure:
    """``original``, its hint extended to name an upstream function that returned the wrong kind of value."""
    blame = _upstream_kind_mismatch(recorder, track)
    if not blame:
        return original
    return type(original)(f"{original}; {blame}") if type(original) in (GradingFailure, WrongType) else original


def _upstream_kind_mismatch(recorder: _Recorder, track: str) -> str:
    from grader import dependencies

    try:
        ref = dependencies.reference_namespace(recorder.submission.assignment, track)
    except Exception:
        return ""
    for name, args, kwargs, value in recorder.calls:
        try:
            want = ref[name](*args, **kwargs)
        except Exception:
            continue
        if _kind(value) != _kind(want):
            return (f"the cause is upstream: {describe_call(name, args, kwargs)} returned {_kind(value)} where "
                    f"{_kind(want)} is expected (see {name}'s own tests)")
    return ""


def _blamed(failed: StudentCallFailed, submission: Any, name: str,
            call_args: tuple[tuple[Any, ...], dict[str, Any]], track: str) -> StudentCallFailed:
    """The student's call raised: when an upstream function returned the wrong kind of value, say so."""
    from grader import dependencies

    try:
        graded = dependencies.graded_names(submission.assignment)
        prog = dependencies.program(submission.assignment)
        upstream = prog.upstream(name, graded) if name in prog.definers else ()
        if not upstream:
            return failed
        recorder = _Recorder(submission, upstream, prog)
        with contextlib.suppress(Exception):
            recorder.bind()
            dependencies.recompute(submission.assignment, track, name, recorder.bindings, graded, call_args)
        blame = _upstream_kind_mismatch(recorder, track)
    except Exception:
        return failed
    return StudentCallFailed(f"{failed}; {blame}") if blame else failed
