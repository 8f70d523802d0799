"""Run a hidden-suite test inside otter's own runner (the benchmark's baseline).

``otter run`` executes the student notebook and the tests in one kernel and
calls each test with the notebook's globals (``env``). This bridge resolves
the suite's fixtures from that environment (``student`` calls functions
directly, ``submission.get`` reads globals, ``track`` reads ``TRACK``; error
carried forward recomputes through the same calls, as in the plugin) and
passes values through the same JSON codec as the sandbox, so both runners
judge identical data. Used only to measure the baseline: it has none of the
sandbox's protections, which is the point of the comparison.
"""

from __future__ import annotations

import importlib
from typing import Any

from grader.sandbox.codec import from_plain, to_plain


class _Missing(AssertionError):
    pass


class LocalSubmission:
    """Fixture stand-in backed by the notebook's global environment."""

    def __init__(self, env: dict[str, Any], assignment: str) -> None:
        self.env = env
        self.assignment = assignment  # error carried forward reads the assignment's dependency graph

    def get(self, name: str) -> Any:
        if name not in self.env:
            raise _Missing(f"{name} is not defined")
        return from_plain(to_plain(self.env[name]))

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The notebook's ``name`` on ``args``; an exception it raises is a :class:`StudentCallFailed` with the
        error's text and the notebook function it was raised in, as the sandbox reports it (error carried forward
        and its probes read both)."""
        from grader.outcomes import StudentCallFailed
        from grader.sandbox.child import describe_exception

        fn = self.env.get(name)
        if not callable(fn):
            raise _Missing(f"{name} is not defined")
        try:
            result = fn(*from_plain(to_plain(list(args))), **from_plain(to_plain(kwargs)))
        except Exception as exc:
            error = describe_exception(exc)
            raise StudentCallFailed(f"{name} raised {error}", error=error, origin=self._origin(exc)) from None
        return from_plain(to_plain(result))

    def _origin(self, exc: BaseException) -> str:
        """The notebook function (``<module>``: a cell's own code) whose code raised ``exc``: the innermost frame in
        one of the files the kernel compiled the notebook's cells from."""
        import types

        cells = {f.__code__.co_filename for f in self.env.values() if isinstance(f, types.FunctionType)}
        found, tb = "", exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename in cells:
                found = tb.tb_frame.f_code.co_name
            tb = tb.tb_next
        return found


class LocalProxy:
    def __init__(self, submission: LocalSubmission) -> None:
        self._submission = submission

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *a, **k: self._submission.call(name, *a, **k)


def run_hidden_test(assignment: str, test_name: str, env: dict[str, Any]) -> None:
    """Call ``grader.suites.test_<assignment>.<test_name>`` with fixtures built from ``env``."""
    import inspect

    import grader.plugin  # noqa: F401 - registers and loads the grading hypothesis profile
    from opsmath.tracks import TRACKS

    module = importlib.import_module(f"grader.suites.test_{assignment}")
    fn = getattr(module, test_name)
    submission = LocalSubmission(env, assignment)
    fixtures = {"submission": submission, "student": LocalProxy(submission)}
    target = getattr(fn, "hypothesis", None)
    params = inspect.signature(target.inner_test if target else fn).parameters
    if "track" in params:
        key = env.get("TRACK")
        if key not in TRACKS:
            raise AssertionError(f"TRACK must be one of {sorted(TRACKS)}")
        fixtures["track"] = TRACKS[key]
    fn(**{k: v for k, v in fixtures.items() if k in params})
