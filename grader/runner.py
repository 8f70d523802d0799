"""Grade one notebook with its hidden suite and produce Gradescope's results.json.

The same function serves the Gradescope entry point (:mod:`grader.gradescope`)
and the local batch regrade (:mod:`grader.batch`), so both give the same
score for the same submission.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
import time
from collections import OrderedDict
from typing import Any

import pytest

from grader.checks import GraderError, GradingFailure
from grader.outcomes import ForbiddenAccess, StudentCallFailed
from grader.results import RESULTS_SCHEMA_VERSION, question_points, write_results, zero_results_for
from grader.suites import SUITES_DIR, assignments, suite_path

__all__ = [
    "SUITES_DIR",
    "Collector",
    "assignments",
    "collect_questions",
    "grade_notebook",
    "question_points",
    "suite_items",
    "suite_path",
    "write_results",
    "zero_results",
]

def _message(excinfo: Any) -> str:
    """The student-safe text of a test failure: the hint, never a traceback."""
    if excinfo is None:
        return ""
    exc = excinfo.value
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if _is_grader_error(excinfo):
        return f"internal grading error, not your answer: the course staff will look at it ({str(exc)[:300]})"
    if isinstance(exc, (GradingFailure, StudentCallFailed, ForbiddenAccess)):
        return str(exc)
    if isinstance(exc, pytest.fail.Exception):
        return str(exc.msg if hasattr(exc, "msg") else exc)
    if isinstance(exc, pytest.skip.Exception):
        return f"skipped: {exc}"
    if isinstance(exc, AssertionError):
        return str(exc).split("\nassert ")[0] or "wrong answer"
    return f"the answer could not be checked ({type(exc).__name__}: {str(exc)[:300]})"


def _is_grader_error(excinfo: Any) -> bool:
    """A fault of the suite or the reference: :class:`GraderError`, or any exception that is not a test outcome."""
    if excinfo is None:
        return False
    exc = excinfo.value
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, GraderError):
        return True
    outcomes = (AssertionError, pytest.fail.Exception, pytest.skip.Exception, KeyboardInterrupt, SystemExit)
    return not isinstance(exc, outcomes)


class Collector:
    """pytest plugin object recording each hidden test's question, points and outcome."""

    def __init__(self) -> None:
        self.items: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def begin(self, items: list[pytest.Item]) -> None:
        """Forget the last run: every test of ``items`` back to "not run"."""
        self.items = OrderedDict()
        self.pytest_collection_modifyitems(items)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("question")
            if marker is None:
                continue
            question = marker.args[0] if marker.args else marker.kwargs["name"]
            points = float(marker.kwargs.get("points", marker.args[1] if len(marker.args) > 1 else 1))
            # the title is the docstring's first paragraph, on one line (a sentence wrapped in the source stays whole)
            title = " ".join((getattr(item, "function", None).__doc__ or "").strip().split("\n\n")[0].split())
            self.items[item.nodeid] = {
                "question": question,
                "name": item.name,
                "title": title or item.name.removeprefix("test_").replace("_", " "),
                "max_score": points,
                "visible": bool(marker.kwargs.get("visible", False)),
                "property": hasattr(getattr(item, "function", None), "hypothesis"),
                "passed": False,
                "grader_error": False,
                "message": "not run",
                "seconds": 0.0,
            }

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        outcome = yield
        report = outcome.get_result()
        entry = self.items.get(item.nodeid)
        if entry is None:
            return
        entry["seconds"] += call.duration
        if report.when == "call" and report.passed:
            notes = [text for key, text in item.user_properties if key == "carried_forward"]
            entry.update(passed=True, message=notes[0] if notes else "")
        elif report.failed or report.skipped:
            entry.update(passed=False, message=_message(call.excinfo) or report.outcome,
                         grader_error=entry["grader_error"] or _is_grader_error(call.excinfo))


def grade_notebook(assignment: str, notebook: str | os.PathLike) -> dict[str, Any]:
    """Run the hidden suite of ``assignment`` against ``notebook``.

    Returns
    -------
    dict
        Gradescope ``results.json`` content: ``score``, ``execution_time``,
        ``output``, and ``tests`` with one entry per hidden test (``name``,
        ``question``, ``score``, ``max_score``, ``output``, ``visibility``,
        ``status``).
    """
    start = time.monotonic()
    suite = _suite_session(assignment)
    sink = io.StringIO()
    _LAST_SUBMISSION.clear()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        exit_code = suite.run(submission=str(notebook))
    collector = suite.collector
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        _SESSIONS.pop(assignment, None)  # an interrupted session is not run again
        # interrupted, internal error, usage error, no tests: not a grade, whatever the collector holds
        raise RuntimeError(f"the hidden suite did not run to its end (pytest exit {int(exit_code)})")
    if _LAST_SUBMISSION.get("wall_failed"):  # the grader's fault: a grader error, never a lower score
        raise RuntimeError(_LAST_SUBMISSION["wall_failed"])
    info = _LAST_SUBMISSION.get("info") or {}
    if (info.get("isolation") or {}).get("refused"):
        # OPSGRADE_REQUIRE_ISOLATION named a wall this machine cannot set: no student code ran, so this is no grade
        # (a batch records it as a grader error, not final, and regrades it on the next run)
        raise RuntimeError(f"student code was not run: {info['isolation']['missing'].get('required', '')}")
    status = "ungradable" if info.get("error") else ("cell-errors" if info.get("cells") else "ok")
    public = dict(info.get("public_checks") or {})
    notes = _submission_notes(collector)
    broken = [e["name"] for e in collector.items.values() if e["grader_error"]]
    if broken:
        notes.append(f"Internal grading error in {len(broken)} test(s) ({', '.join(broken)}): a fault of the grader, "
                     "not of this submission; the course staff will regrade.")
    tests = []
    for entry in collector.items.values():
        score = entry["max_score"] if entry["passed"] else 0.0
        tests.append({
            "name": f"{entry['question']}: {entry['title']}",
            "question": entry["question"],
            "score": score,
            "max_score": entry["max_score"],
            "status": "passed" if entry["passed"] else ("grader-error" if entry["grader_error"] else "failed"),
            "output": entry["message"],
            "visibility": "visible" if entry["visible"] else "after_published",
        })
    timing = {
        "suite_seconds": round(sum(e["seconds"] for e in collector.items.values()), 4),
        "property_seconds": round(sum(e["seconds"] for e in collector.items.values() if e["property"]), 4),
        "notebook_seconds": round(info.get("notebook_seconds", 0.0), 4),
    }
    if not tests:
        message = f"internal grading error: the hidden suite ran no test (pytest exit {int(exit_code)})"
        return zero_results(assignment, message)
    return {
        "score": round(sum(t["score"] for t in tests), 6),
        "execution_time": round(time.monotonic() - start, 3),
        "output": "\n".join(notes),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"assignment": assignment, "schema": RESULTS_SCHEMA_VERSION, "status": status,
                       "timing": timing, "isolation": info.get("isolation") or {},
                       "timeouts": int(info.get("timeouts") or 0),
                       **({"public_checks": public} if public else {})},
    }


_SESSIONS: dict[str, Any] = {}
"""Assignment → its suite's :class:`~grader.session.SuiteSession` in this process."""


def _suite_args(assignment: str) -> list[str]:
    """The ``pytest.main`` arguments grading runs a suite with (``--submission`` is set per notebook)."""
    return [
        str(suite_path(assignment)),
        "--assignment", assignment,
        "-c", str(SUITES_DIR / "pytest.ini"),
        "--rootdir", str(SUITES_DIR),
        "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist",
        # each of these costs time in every session and serves no grading purpose; unraisableexception alone
        # runs gc.collect() five times at exit (about 0.2 s per submission, a third of a warm worker's time)
        "-p", "no:unraisableexception", "-p", "no:threadexception", "-p", "no:faulthandler",
        "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin", "-p", "no:legacypath",
        "--tb=no", "--no-header", "--disable-warnings",
        # per-test log, warning and output capture (about 7 ms per notebook) catch nothing grading needs: a
        # notebook's output stays in its sandbox child (whose descriptors are /dev/null), and the grader's own goes
        # to grade_notebook's sink
        "-p", "no:logging", "-p", "no:warnings", "--capture=no",
        "-p", "_hypothesis_pytestplugin",  # by name: installed plugins are not loaded from their entry points
    ]


def _suite_session(assignment: str) -> Any:
    """``assignment``'s suite configured and collected, once per process (:mod:`grader.session`)."""
    suite = _SESSIONS.get(assignment)
    if suite is None:
        from grader.session import SuiteSession

        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            suite = SuiteSession(_suite_args(assignment), Collector())
        _SESSIONS[assignment] = suite
    return suite


def suite_items(assignment: str) -> list[pytest.Item]:
    """The collected tests of ``assignment``'s hidden suite (from this process's kept session)."""
    return list(_suite_session(assignment).items)


def _pytest_main(args: list[str], collector: Collector) -> int | pytest.ExitCode:
    """``pytest.main`` with only the plugins grading uses: the installed ones are not loaded from their entry points
    (pytest-xdist alone is 50 ms of every cold run's start), hypothesis's own is loaded by name."""
    from grader.session import as_pytest_main

    with as_pytest_main():
        return pytest.main([*args, "-p", "_hypothesis_pytestplugin"], plugins=[collector])


def collect_questions(assignment: str) -> list[dict[str, Any]]:
    """The hidden tests of ``assignment`` (question, title, points) without running them."""
    collector = Collector()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        _pytest_main([str(suite_path(assignment)), "--collect-only", "-q", "-c", str(SUITES_DIR / "pytest.ini"),
                      "--rootdir", str(SUITES_DIR), "-p", "no:cacheprovider"], collector)
    return [{"question": e["question"], "title": e["title"], "max_score": e["max_score"], "visible": e["visible"],
             "test": e["name"]} for e in collector.items.values()]


def zero_results(assignment: str, message: str) -> dict[str, Any]:
    """A valid results.json giving zero on every hidden test, with ``message`` as output."""
    try:
        questions = collect_questions(assignment)
    except Exception:  # unknown assignment or broken suite: still a valid file
        questions = []
    return zero_results_for(assignment, questions, message)


_LAST_SUBMISSION: dict[str, Any] = {}
PUBLIC_CHECKS: dict[str, str] = {}
"""Question -> source of the notebook's public checks (otter ``test_case`` functions, as the build wrote them).

Set by :mod:`grader.gradescope` from the zip's ``public_checks.json`` (trusted: it comes from the build, never from
the submission). When set, the checks run against the submission after the hidden tests, for the visible
"submission received" summary; they never change a score."""


_CHECK_MODULES = {name: name for name in ("numpy", "math", "pandas", "scipy", "scipy.stats")}
"""Libraries a public check may receive by parameter (the notebook's ``np``, ``math``...), imported in the parent."""


def _module_name(text: str) -> str:
    """``numpy`` from a module's repr ``<module 'numpy' from '...'>`` (empty when it is not one)."""
    match = re.match(r"<module '([\w.]+)'", text)
    return match.group(1) if match else ""


def _run_public_checks(sandbox: Any, checks: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Run each question's public checks against the live sandbox: ``{question: {"answered", "passed", "message"}}``.

    A question is *answered* when its checks could call the student's functions and got values (none missing,
    none raising ``NotImplementedError``, none returning ``None`` as the blank notebook's ``...`` stubs do);
    *passed* when every check passed.
    """
    import inspect

    from grader.sandbox.codec import Opaque
    from grader.sandbox.parent import StudentError, StudentMissing

    empty: list[str] = []

    def proxy(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            value = sandbox.call(name, *args, **kwargs)
            if value is None or value is Ellipsis:
                empty.append(name)
            return value

        return call

    def argument(name: str) -> Any:
        """What otter passes for a check's parameter: the notebook's function (called in the sandbox) or value.

        A module the notebook imported (``np`` in ``isinstance(n, (int, np.integer))``) is the same module
        imported here: only a library from :data:`_CHECK_MODULES`, never the student's object.
        """
        value = sandbox.get(name)
        if isinstance(value, Opaque) and value.type_name == "module":
            module = _CHECK_MODULES.get(_module_name(value.repr))
            if module is not None:
                return importlib.import_module(module)
        if isinstance(value, Opaque) and (callable_kind(value.type_name)):
            return proxy(name)
        if value is None or value is Ellipsis or (isinstance(value, Opaque) and value.type_name == "ellipsis"):
            empty.append(name)  # the blank notebook's `x = ...`
        return value

    def callable_kind(type_name: str) -> bool:
        return "function" in type_name or "method" in type_name or type_name in ("type", "partial", "vectorize")

    def collector(found: list[Any]) -> Any:
        def test_case(**_: Any) -> Any:
            def register(fn: Any) -> Any:
                found.append(fn)
                return fn

            return register

        return test_case

    out: dict[str, dict[str, Any]] = {}
    for question, source in checks.items():
        tests: list[Any] = []
        namespace: dict[str, Any] = {"__name__": f"public_checks_{question}", "test_case": collector(tests)}
        code = source.replace("from otter.test_files import test_case", "")
        entry = {"answered": True, "passed": True, "message": ""}
        try:
            exec(compile(code, f"<public checks {question}>", "exec"), namespace)
        except Exception as exc:  # a build problem, not the student's: report and move on
            out[question] = {"answered": True, "passed": False, "message": f"check not runnable: {exc}"}
            continue
        empty.clear()
        for fn in tests:
            try:
                args = {p: argument(p) for p in inspect.signature(fn).parameters}
                fn(**args)
            except StudentMissing as exc:
                entry.update(answered=False, passed=False, message=str(exc))
                break
            except StudentError as exc:
                unanswered = "NotImplementedError" in str(exc)
                entry.update(answered=entry["answered"] and not unanswered, passed=False, message=str(exc)[:200])
                break
            except Exception as exc:
                entry.update(passed=False, message=(str(exc) or type(exc).__name__)[:200])
                break
        if empty:
            entry.update(answered=False, passed=False, message=f"{empty[0]} returned nothing")
        out[question] = entry
    return out


def _cell_label(cell: dict[str, Any], questions: list[str]) -> str:
    """How a student finds a code cell: its first line, and the question it answers when that is clear.

    Jupyter shows no cell numbers, so "code cell 10" cannot be found; the first
    line of the source can (search for it), and a cell that defines a function
    named after a question belongs to that question.
    """
    first = str(cell.get("first_line", "")).strip()
    if len(first) > 60:
        first = first[:57] + "..."
    label = f'The cell starting "{first}"' if first else f"Code cell {cell['index'] + 1} (empty first line)"
    owned = [q for q in questions if q in cell.get("defines", [])]
    if owned:
        label += f" (question {owned[0]})"
    return label


def _failure_note(cell: dict[str, Any], failure: dict[str, Any], questions: list[str]) -> str:
    """One failed statement, found by its cell's first line and, when it is not that line, its own line."""
    where = _cell_label(cell, questions)
    text = str(failure.get("text", "")).strip()
    if failure.get("line") and text and text != str(cell.get("first_line", "")).strip():
        shown = text if len(text) <= 60 else text[:57] + "..."
        where += f', line {failure["line"]} "{shown}",'
    return f"{where} raised: {failure['error']}"


def _submission_notes(collector: Collector) -> list[str]:
    info = _LAST_SUBMISSION.pop("info", None)
    if not info:
        return []
    questions = list(dict.fromkeys(e["question"] for e in collector.items.values()))
    notes = []
    if info.get("error"):
        notes.append(f"The notebook could not be graded: {info['error']}")
    failures = [(cell, failure) for cell in info.get("cells", []) for failure in cell.get("failures") or
                [{"line": 0, "text": "", "error": cell["error"]}]]
    for k, (cell, failure) in enumerate(failures):
        if "TRACK is not set" in failure["error"] or "TRACK must be one of" in failure["error"]:
            # the track statement failed: later NameErrors are its consequence, not separate mistakes
            later = [f for f in failures[k + 1:] if f[1]["error"].startswith("NameError")]
            notes.append(_failure_note(cell, failure, questions))
            if later:
                notes.append(f"{len(later)} later statement(s) raised NameError because the TRACK line failed "
                             "before defining its names; set TRACK first.")
            failures = failures[:k] + [f for f in failures[k + 1:] if f not in later]
            break
    for cell, failure in failures:
        notes.append(_failure_note(cell, failure, questions))
    for name, origin in info.get("copied", {}).items():
        notes.append(f"{name} copies the reference implementation ({origin}); its tests score zero.")
    for v in info.get("violations", []):
        notes.append(f"Forbidden access attempted: {v}")
    missing = (info.get("isolation") or {}).get("missing") or {}
    weak = {k: v for k, v in missing.items() if k in ("landlock", "seccomp", "required", "unknown")}
    if weak:
        notes.append("Warning: the grader ran this submission with weaker isolation than intended ("
                     + "; ".join(f"{k}: {v}" for k, v in sorted(weak.items())) + ").")
    return notes


def _first_line(source: str) -> str:
    """The first line of a cell that is neither blank nor only a comment (else the first non-blank one)."""
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    code = [line for line in lines if not line.startswith("#")]
    return (code or lines or [""])[0]


def record_wall_failure(reason: str) -> None:
    """Called by the suite fixture when the sandbox could not put up a wall the kernel offers."""
    _LAST_SUBMISSION["wall_failed"] = reason


def record_submission(sub: Any) -> None:
    """Called by the suite fixture at teardown to pass notebook-level notes to the runner."""
    cells = []
    if sub.sandbox is not None:
        defines: dict[int, list[str]] = {}
        for name, index in getattr(sub, "defined_in", {}).items():
            defines.setdefault(index, []).append(name)
        sources = list(getattr(sub, "cells", []))
        cells = []
        for c in sub.sandbox.cell_results:
            if c.ok:
                continue
            lines = sources[c.index].splitlines() if c.index < len(sources) else []
            cells.append({"index": c.index, "error": c.error, "defines": sorted(defines.get(c.index, [])),
                          "first_line": _first_line(sources[c.index]) if c.index < len(sources) else "",
                          "failures": [{"line": f.line, "error": f.error,
                                        "text": lines[f.line - 1].strip() if 0 < f.line <= len(lines) else ""}
                                       for f in c.failures]})
    public: dict[str, Any] = {}
    if PUBLIC_CHECKS and sub.sandbox is not None and sub.error is None:
        public = _run_public_checks(sub.sandbox, PUBLIC_CHECKS)
    _LAST_SUBMISSION["info"] = {
        "public_checks": public,
        "error": sub.error,
        "cells": cells,
        "copied": dict(sub.copied),
        "violations": list(sub.sandbox.violations) if sub.sandbox is not None else [],
        "notebook_seconds": sum(c.seconds for c in sub.sandbox.cell_results) if sub.sandbox is not None else 0.0,
        "isolation": sub.sandbox.isolation if sub.sandbox is not None else {},
        "timeouts": sub.sandbox.timeouts if sub.sandbox is not None else 0,
    }
