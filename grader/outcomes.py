"""Failures of a hidden test that are the submission's, not the grader's: shared by the plugin and the runner."""

from __future__ import annotations

__all__ = ["ForbiddenAccess", "StudentCallFailed"]


class ForbiddenAccess(AssertionError):
    """The submission tried to use the reference library or the grader."""


class StudentCallFailed(AssertionError):
    """A call into student code raised, timed out or crashed (message is shown)."""
