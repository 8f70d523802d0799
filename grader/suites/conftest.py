"""Registers the grading fixtures and options for every hidden suite."""

from grader.plugin import (  # noqa: F401 - pytest discovers hooks and fixtures by name
    pytest_addoption,
    pytest_configure,
    student,
    submission,
    track,
)
