"""Failures of a hidden test that are the submission's, not the grader's: shared by the plugin and the runner."""

from __future__ import annotations

__all__ = ["ForbiddenAccess", "StudentCallFailed"]


class ForbiddenAccess(AssertionError):
    """The submission tried to use the reference library or the grader."""


class StudentCallFailed(AssertionError):
    """A call into student code raised, timed out or crashed (message is shown).

    When the student's code raised an exception, ``error`` is its description (``"TypeError: ..."``) and ``origin``
    names the notebook function whose code raised it (``<module>`` for a cell's own code); both are ``""`` for a
    timeout, a crash or a missing name. Error carried forward compares them with the recomputation's failure.
    """

    def __init__(self, message: str = "", *, error: str = "", origin: str = "") -> None:
        super().__init__(message)
        self.error = error
        self.origin = origin
