"""pytest plugin behind every hidden suite.

A hidden suite is an ordinary pytest module in :mod:`grader.suites`. Its
tests take these fixtures:

``student``
    Proxy to the submission's functions, executing in the sandboxed child:
    ``student.psi([..], [..])``. Values cross as JSON. A missing function,
    an exception, a timeout or a crash fails only the test that called it.
``track``
    The :class:`opsmath.tracks.Track` the student chose with ``TRACK = ...``.
``submission``
    The :class:`Submission` itself (cells, variables via ``.get``).

and are marked with their question and points::

    @pytest.mark.question("psi", points=2)
    def test_psi_worked_example(student): ...

Run one suite against one notebook::

    pytest grader/suites/test_drift_detective.py --submission path/to/nb.ipynb
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from grader import replay
from grader.outcomes import ForbiddenAccess, StudentCallFailed
from grader.sandbox.parent import Limits, Sandbox, StudentError, StudentException

__all__ = ["ForbiddenAccess", "StudentCallFailed", "StudentProxy", "Submission"]

# Hints come from the first failing input in Hypothesis's derandomised order,
# which starts from the simplest inputs (empty-ish lists, small integers).
# The shrink phase is left out of the grading profile: measured on this
# suite it multiplied the time of a failing property by 5-10x (seconds per
# test) for a hint that was rarely shorter. Set OPSGRADE_HYPOTHESIS_PROFILE=
# "grading-shrink" to get fully shrunk counterexamples when debugging.
_FAST_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)

settings.register_profile(
    "grading-shrink",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=25,
    print_blob=False,
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "grading",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=25,
    print_blob=False,
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
    phases=_FAST_PHASES,
)
settings.load_profile(os.environ.get("OPSGRADE_HYPOTHESIS_PROFILE", "grading"))
replay.without_local_constants()  # the same examples in every process, whatever it imported before

PROTECTED_ROOTS = ("opsmath", "grader")


def protected_paths() -> list[str]:
    """Directories the sandboxed child may not read."""
    import grader
    import opsmath

    paths = [str(Path(opsmath.__file__).parent), str(Path(grader.__file__).parent)]
    repo = Path(grader.__file__).parent.parent
    for extra in ("tests", "solutions", "dist", "assignments"):
        if (repo / extra).is_dir():
            paths.append(str(repo / extra))
    paths += [p for p in ("/autograder/source", "/autograder/results") if os.path.isdir(p)]
    paths += [p for p in os.environ.get("OPSGRADE_PROTECT", "").split(os.pathsep) if p]
    return list(dict.fromkeys(os.path.realpath(p) for p in paths))  # run_autograder names /autograder's again


class Submission:
    """One notebook under grading: its sandbox, its cells and its integrity record."""

    def __init__(self, path: str | os.PathLike, assignment: str, limits: Limits | None = None) -> None:
        from grader.notebook import SubmissionError, read_code_cells
        from grader.originality import copied_functions, defined_functions
        from grader.studentkit import materialise

        self.path = Path(path)
        self.assignment = assignment
        self.error: str | None = None
        self.sandbox: Sandbox | None = None
        self.copied: dict[str, str] = {}
        self.defined_in: dict[str, int] = {}
        try:
            self.cells = read_code_cells(self.path)
        except SubmissionError as exc:
            self.cells = []
            self.error = str(exc)
            return
        self.copied = copied_functions(self.cells)
        self.defined_in = defined_functions(self.cells)
        import tempfile

        self._kit = tempfile.mkdtemp(prefix="opsgrade-kit-")
        try:
            files = materialise(assignment, self._kit)
            self.sandbox = Sandbox(
                self.cells, support_files=files, protected=protected_paths(), limits=limits or Limits.from_env()
            )
            self.sandbox.start()
        except BaseException:  # the caller gets no object to close: nothing it started may outlive this
            self.close()
            raise

    def close(self) -> None:
        """Stop the child and remove temporary files."""
        import shutil

        if self.sandbox is not None:
            self.sandbox.close()
        if getattr(self, "_kit", None):
            shutil.rmtree(self._kit, ignore_errors=True)

    # -- integrity ---------------------------------------------------------------------
    def tainted(self, name: str) -> str | None:
        """Why calls to ``name`` must not earn points, or ``None``."""
        # Refused accesses are reported (the audit hook names them) but cost no points: the hook's log lives in
        # the child, where student code can erase it, so a policy built on it would bind only honest students.
        if name in self.copied:
            return f"{name} copies the reference implementation ({self.copied[name]}); no points for it"
        return None

    def require_ok(self) -> None:
        """Fail the calling test when the notebook could not be run at all."""
        if self.error is not None:
            pytest.fail(f"submission could not be graded: {self.error}", pytrace=False)

    def get(self, name: str) -> Any:
        """A top-level variable of the notebook (plain data); a missing one fails the test."""
        self.require_ok()
        try:
            value = self.sandbox.get(name)
        except StudentError as exc:
            raise StudentCallFailed(str(exc)) from None
        reason = self.tainted(name)
        if reason:
            raise ForbiddenAccess(reason)
        return value

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call a student function; integrity violations fail the test."""
        self.require_ok()
        reason = self.tainted(name)
        if reason:
            raise ForbiddenAccess(reason)
        try:
            value = self.sandbox.call(name, *args, **kwargs)
        except StudentError as exc:
            from grader.checks import describe_call

            raise StudentCallFailed(f"{describe_call(name, args, kwargs)} raised {type(exc).__name__}: {exc}",
                                    error=str(exc) if isinstance(exc, StudentException) else "",
                                    origin=getattr(exc, "origin", "")) from None
        reason = self.tainted(name)  # the call itself may have tried something
        if reason:
            raise ForbiddenAccess(reason)
        return value


class StudentProxy:
    """``student.fn(*args)`` → ``submission.call("fn", *args)``."""

    def __init__(self, submission: Submission) -> None:
        self._submission = submission

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._submission.call(name, *args, **kwargs)

        call.__name__ = name
        return call


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("opsgrade")
    group.addoption("--submission", action="store", default=None, help="notebook (.ipynb) to grade")
    group.addoption("--assignment", action="store", default=None,
                    help="assignment name (default: from the suite file name test_<name>.py)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "question(name, points): the question a hidden test belongs to and its points")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a Hypothesis property on its examples, drawn once and kept (:mod:`grader.replay`), else let pytest run
    the test (and Hypothesis draw them)."""
    function = pyfuncitem.obj
    if not replay.enabled(function):
        return None
    fixtures = list(pyfuncitem._fixtureinfo.argnames)
    record = replay.recording(function, fixtures)
    if record is None:
        return None
    replay.replay(function, record, {name: pyfuncitem.funcargs[name] for name in fixtures})
    return True


def _assignment_of(request: pytest.FixtureRequest) -> str:
    name = request.config.getoption("--assignment")
    if name:
        return name
    stem = Path(str(request.node.path)).stem
    return stem.removeprefix("test_")


@pytest.fixture(scope="module")
def submission(request: pytest.FixtureRequest):
    """The graded notebook, started once per suite module."""
    path = request.config.getoption("--submission")
    if not path:
        pytest.skip("no --submission given")
    from grader.runner import record_submission
    from grader.sandbox.isolation import WallFailed

    try:
        sub = Submission(path, _assignment_of(request))
    except WallFailed as exc:
        from grader.runner import record_wall_failure

        record_wall_failure(str(exc))
        raise
    try:
        yield sub
        record_submission(sub)
    finally:
        sub.close()


@pytest.fixture(scope="module")
def student(submission: Submission) -> StudentProxy:
    """Proxy to the submission's functions."""
    submission.require_ok()
    return StudentProxy(submission)


class TrackNotChosen(AssertionError):
    """The notebook's ``TRACK`` is missing, unset or not a track: track answers cannot be graded."""


def _track_problem(submission: Submission) -> str | None:
    """Why the notebook's ``TRACK`` names no track (``None`` when it does)."""
    from opsmath.tracks import TRACKS

    try:
        key = submission.get("TRACK")
    except AssertionError:  # missing variable, or the cell that set it failed
        return ("no TRACK in the notebook: set TRACK = \"cloud_titan\", \"edge_guardian\", \"mobile_nomad\" or "
                "\"tiny_pioneer\" in the cell that starts with \"# Your track\"")
    if key not in TRACKS:
        shown = "unset (...)" if key is Ellipsis or "ellipsis" in repr(key) else repr(key)
        return (f"TRACK is {shown}, not one of {sorted(TRACKS)}: set it in the cell that starts with "
                "\"# Your track\"; every track-specific answer scores zero until then")
    return None


@pytest.fixture
def track(submission: Submission):
    """The student's track (from ``TRACK = "..."`` in the notebook).

    A missing or unknown track is reported once, in full, by the first test
    that needs it; the others say only that they were not graded for that
    reason (one clear message instead of a cascade of different failures).
    """
    from opsmath.tracks import TRACKS

    submission.require_ok()
    if not hasattr(submission, "_track"):
        problem = _track_problem(submission)
        submission._track = (None, problem) if problem else (TRACKS[submission.get("TRACK")], None)
        if problem:
            raise TrackNotChosen(problem)
    chosen, problem = submission._track
    if problem:
        raise TrackNotChosen("not graded: no valid TRACK (see the first track-specific test)")
    return chosen
