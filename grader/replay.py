"""Hidden Hypothesis properties run on their examples, drawn once per process.

Hypothesis's engine (drawing, its bookkeeping of what it has tried, mutating earlier examples) costs about 0.9 ms
per example on this suite, a third of a warm worker's time per notebook. Under the grading profile
(``derandomize=True``, no database, no shrink phase: :mod:`grader.plugin`) it draws the *same* examples for every
notebook: its seed is the test's own source digest, and its choices depend on the outcomes only from the first
failing example on, where it stops. So each property's examples are drawn once per process, by running it through
Hypothesis with a body that records its arguments and passes (with the seed the real test has), and every notebook
then runs the test's own body on those examples, in that order. Nothing about the test's strength changes: the
same examples, the same checks, the same order.

A failure ends the run as Hypothesis ends it without a shrink phase: an explicit (``@example``) one is raised at
once; a generated one is run once more and that run's exception is raised, or, when it passes the second time,
:class:`hypothesis.errors.FlakyFailure` holding the first. ``tests/test_replay.py`` checks that grades, hints and
errors carried forward are those of Hypothesis's own runs on every bundled notebook (solutions on four tracks,
blanks, known-wrong variants).

The examples are kept on disk beside the suite (``test_<name>.examples.pickle``, written atomically when the
folder is writable; ``opsgrade build`` ships it in the autograder zip), keyed by the test's source (its body, its
module, every module of ``grader`` and ``opsmath``: Hypothesis's own digest leaves the strategies out), its
settings, its fixtures and Hypothesis's version. A new process (a cold Gradescope run, a new worker) reads them
instead of drawing them (about 0.15 s per assignment); a key that does not match is drawn again.

A property is run by Hypothesis itself (this module stands aside) when its profile shrinks, randomises, keeps a
database or reports several failures, when its examples cannot be pickled, when it draws inside its body
(``st.data()``), or when ``OPSGRADE_REPLAY=0``. A body that calls ``assume()`` is a grader error (its examples would
depend on the notebook); ``note()``, ``event()`` and ``target()`` are not available to a replayed body either.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Recording", "enabled", "recording", "replay", "stored_examples", "without_local_constants"]

_RECORDINGS: weakref.WeakKeyDictionary[Callable[..., Any], Recording | None] = weakref.WeakKeyDictionary()
KEPT_UNDER = Path(__file__).parent / "suites"
"""Examples are kept on disk only for properties defined in modules under this folder (the hidden suites)."""
_STORED: dict[Path, dict[str, tuple[str, Recording | None]]] = {}
"""Examples file → test qualname → (key, recording), as read from disk (or written) by this process."""


@dataclass(frozen=True)
class Recording:
    """A property's examples in the order Hypothesis runs them.

    Attributes
    ----------
    explicit : int
        How many of them come from ``@example`` (they come first).
    examples : tuple of bytes
        Each example's drawn keyword arguments, pickled (every run unpickles its own copy, so a test that changes
        its inputs cannot change the next notebook's).
    """

    explicit: int
    examples: tuple[bytes, ...]


def without_local_constants() -> None:
    """Make Hypothesis draw the same examples whatever this process has imported before.

    Recent Hypothesis versions mix into about 5 % of their draws the literals they find in the "local" modules
    loaded so far (any ``sys.modules`` entry outside site-packages and the standard library). For grading that pool is
    arbitrary and unstable: it grows as the grader imports its own modules, so the second notebook a process grades
    was tested on other examples than the first; it differs between a worker that graded another assignment before,
    a cold Gradescope run and a TA's regrade; and an editable install (``pip install -e``) counts the grader and
    ``opsmath`` as local where a wheel does not. The code under test (the student's) runs in the sandbox and is never
    in that pool anyway. So grading draws from Hypothesis's fixed global constants only. A Hypothesis without the
    pool is left as it is.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - an older Hypothesis: no pool
        return
    if not hasattr(providers, "_get_local_constants") or not hasattr(providers, "Constants"):
        return
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if cache is not None:  # choices allowed per constraint, cached with the pool they were computed from
        cache.cache.clear()


def enabled(function: Any) -> bool:
    """Whether ``function`` is a Hypothesis property whose examples do not depend on the notebook graded.

    Parameters
    ----------
    function : callable
        A collected test function.

    Returns
    -------
    bool
        True for a ``@given`` test under a derandomised profile without database or shrink phase that reports one
        failure, unless
        ``OPSGRADE_REPLAY=0``.
    """
    if os.environ.get("OPSGRADE_REPLAY", "1") == "0" or getattr(function, "hypothesis", None) is None:
        return False
    from hypothesis import Phase

    settings = getattr(function, "_hypothesis_internal_use_settings", None)
    return (settings is not None and settings.derandomize and settings.database is None
            and not settings.report_multiple_bugs
            and Phase.generate in settings.phases and Phase.shrink not in settings.phases
            and getattr(function, "_hypothesis_internal_use_seed", None) is None
            and getattr(function, "_hypothesis_internal_use_reproduce_failure", None) is None)


def recording(function: Any, fixtures: list[str]) -> Recording | None:
    """The examples Hypothesis runs ``function`` on when every one passes (drawn once, then kept).

    Parameters
    ----------
    function : callable
        A ``@given`` test for which :func:`enabled` holds.
    fixtures : list of str
        The test's fixture arguments (pytest passes them; Hypothesis draws the others).

    Returns
    -------
    Recording or None
        None when the examples cannot be recorded (unpicklable, drawn inside the body, or drawing raised): the
        property is then run by Hypothesis.
    """
    try:
        return _RECORDINGS[function]
    except KeyError:
        pass
    path, name, key = _examples_file(function), function.__qualname__, _key(function, fixtures)
    stored = _read(path).get(name) if path is not None else None
    if stored is not None and stored[0] == key:
        found = stored[1]
    else:
        try:
            found = _record(function, fixtures)
        except Exception:  # the live run reports whatever this was (a strategy that raises, an unpicklable draw)
            found = None
        if path is not None:
            _write(path, {**_read(path), name: (key, found)})
    _RECORDINGS[function] = found
    return found


def stored_examples(items: list[Any]) -> bytes:
    """The examples file of a suite, drawn afresh (what ``opsgrade build`` ships beside it).

    Parameters
    ----------
    items : list of pytest.Function
        The suite's collected tests.

    Returns
    -------
    bytes
        The pickled mapping test qualname → (key, :class:`Recording` or None), in name order (the same bytes for
        the same suite and Hypothesis).
    """
    found: dict[str, tuple[str, Recording | None]] = {}
    for item in items:
        function = item.obj
        if enabled(function) and function.__qualname__ not in found:
            fixtures = list(item._fixtureinfo.argnames)
            try:
                record = _record(function, fixtures)
            except Exception:
                record = None
            found[function.__qualname__] = (_key(function, fixtures), record)
    return pickle.dumps(dict(sorted(found.items())), protocol=4)


def _key(function: Any, fixtures: list[str]) -> str:
    """What a property's examples depend on: its body (Hypothesis's digest, its seed), the source of its strategies
    and explicit examples (Hypothesis's digest leaves decorators out: the module defining the test, and every module
    of ``grader`` and ``opsmath``, which strategies may call), the settings that shape the draw, its fixtures and
    Hypothesis's version."""
    import hypothesis
    from hypothesis.internal.reflection import function_digest

    settings = function._hypothesis_internal_use_settings
    module = getattr(sys.modules.get(function.__module__), "__file__", None)
    parts = (function_digest(function.hypothesis.inner_test).hex(), hypothesis.__version__, settings.max_examples,
             sorted(phase.name for phase in settings.phases), settings.derandomize, sorted(fixtures),
             hashlib.sha256(Path(module).read_bytes()).hexdigest() if module else "", _sources_digest())
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@functools.cache
def _sources_digest() -> str:
    """Digest of every ``.py`` file of the ``grader`` and ``opsmath`` packages (the same in the autograder zip)."""
    import grader
    import opsmath

    digest = hashlib.sha256()
    for package in (grader, opsmath):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(f"{path.relative_to(root.parent).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _examples_file(function: Any) -> Path | None:
    """``test_<name>.examples.pickle`` beside the suite module defining ``function`` (None outside
    :data:`KEPT_UNDER`)."""
    file = getattr(sys.modules.get(function.__module__), "__file__", None)
    if not file or Path(file).parent.resolve() != KEPT_UNDER.resolve():
        return None
    return Path(file).with_name(f"{Path(file).stem}.examples.pickle")


def _read(path: Path) -> dict[str, tuple[str, Recording | None]]:
    """The examples kept in ``path`` (read once per process; nothing when missing or unreadable)."""
    if path not in _STORED:
        try:
            data = pickle.loads(path.read_bytes())
            _STORED[path] = data if isinstance(data, dict) else {}
        except Exception:  # missing, torn by an older writer, written by another version: drawn again
            _STORED[path] = {}
    return _STORED[path]


def _write(path: Path, data: dict[str, tuple[str, Recording | None]]) -> None:
    """Keep ``data`` in this process and, when the folder is writable, in ``path`` (atomically: workers starting
    together cannot leave a torn file; the last one's wins)."""
    _STORED[path] = data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(pickle.dumps(dict(sorted(data.items())), protocol=4))
        os.replace(tmp, path)
    except OSError:  # a read-only install: drawn in each process
        tmp.unlink(missing_ok=True)


def _record(function: Any, fixtures: list[str]) -> Recording | None:
    """Run ``function`` through Hypothesis with a body that keeps its drawn arguments and passes."""
    from hypothesis.internal.compat import int_from_bytes
    from hypothesis.internal.reflection import function_digest
    from hypothesis.strategies import DataObject

    inner = function.hypothesis.inner_test
    drawn: list[bytes] = []
    unreplayable: list[str] = []

    def keep(*args: Any, **kwargs: Any) -> None:
        values = {k: v for k, v in kwargs.items() if k not in fixtures}
        if args or any(isinstance(v, DataObject) for v in values.values()):
            unreplayable.append("drawn inside the body")
        drawn.append(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL))

    # the seed derandomize gives the real test (its digest): the recorder's own source must not change the draw
    seed = int_from_bytes(function_digest(inner))
    function.hypothesis.inner_test = keep
    function._hypothesis_internal_use_seed = seed
    try:
        function(**dict.fromkeys(fixtures))
    finally:
        function.hypothesis.inner_test = inner
        function._hypothesis_internal_use_seed = None
    if unreplayable or not drawn:
        return None
    from hypothesis import Phase

    runs_explicit = Phase.explicit in function._hypothesis_internal_use_settings.phases
    explicit = len(getattr(function, "hypothesis_explicit_examples", ())) if runs_explicit else 0
    return Recording(explicit=min(explicit, len(drawn)), examples=tuple(drawn))


def replay(function: Any, record: Recording, funcargs: dict[str, Any]) -> None:
    """Run ``function``'s body on ``record``'s examples, ending at the first failure as Hypothesis does.

    Parameters
    ----------
    function : callable
        The ``@given`` test.
    record : Recording
        Its examples (:func:`recording`).
    funcargs : dict
        Its fixtures' values.

    Raises
    ------
    BaseException
        An explicit example's failure; a generated example's failure on its second run; or
        :class:`hypothesis.errors.FlakyFailure` holding the first failure when the second run passes. Exceptions
        Hypothesis does not count as failures (``KeyboardInterrupt``, pytest's skip) pass through at once.
    """
    from hypothesis.core import failure_exceptions_to_catch
    from hypothesis.errors import FlakyFailure, UnsatisfiedAssumption
    from hypothesis.internal.entropy import deterministic_PRNG

    from grader.checks import GraderError

    body = function.hypothesis.inner_test
    failures = failure_exceptions_to_catch()
    reseed = _reseeder()
    seeded = True  # the outer deterministic_PRNG has just seeded the generators

    def run(blob: bytes) -> None:
        # as Hypothesis runs each example, inside deterministic_PRNG: `random` and NumPy's global generator seeded
        nonlocal seeded
        if reseed is None:
            with deterministic_PRNG():
                body(**funcargs, **pickle.loads(blob))
            return
        if not seeded:
            reseed()
        seeded = False
        body(**funcargs, **pickle.loads(blob))

    with deterministic_PRNG() if reseed is not None else contextlib.nullcontext():
        for index, blob in enumerate(record.examples):
            try:
                run(blob)
            except UnsatisfiedAssumption:
                raise GraderError(f"{function.__name__} calls assume() in its body: its examples cannot be replayed "
                                  "(set OPSGRADE_REPLAY=0 or draw the condition into the strategy)") from None
            except failures as first:
                if index < record.explicit:
                    raise
                try:
                    run(blob)
                except failures as again:
                    raise again from None
                raise FlakyFailure(f"Hypothesis {function.__name__} produces unreliable results: failed on the "
                                   "first call but did not on a subsequent one", [first]) from None


def _reseeder() -> Callable[[], None] | None:
    """A function putting every generator Hypothesis manages back into the state ``deterministic_PRNG(0)`` gives it.

    Hypothesis enters ``deterministic_PRNG`` around each example: it saves every managed generator's state, seeds
    it, runs the example and restores the saved state, about 0.1 ms per example (NumPy's state is copied out and
    back in). :func:`replay` enters it once around all of a property's examples and only seeds again between two of
    them (a few microseconds), so each example still starts from the seeded generators, and they are restored once,
    at the end: nothing can observe the difference, as nothing runs between two examples but the replay's own
    unpickling. ``None`` (each example in its own ``deterministic_PRNG``) when this Hypothesis lacks the internals
    it mirrors.
    """
    try:
        from random import Random

        from hypothesis.internal.entropy import RANDOMS_TO_MANAGE, _global_random_rkey, _seeded_state
    except ImportError:
        return None
    seeded = _seeded_state(0)[0]

    def reseed() -> None:
        for key, ref in list(RANDOMS_TO_MANAGE.data.items()):  # as get_seeder_and_restorer's seed_all seeds them
            generator = ref()
            if generator is None:
                continue
            if key == _global_random_rkey or type(generator) is Random:
                generator.setstate(seeded)
            else:
                generator.seed(0)

    return reseed
