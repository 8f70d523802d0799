"""Registers the grading fixtures and options for every hidden suite."""

from grader.carry import carry  # error carried forward (fixture)
from grader.plugin import (  # pytest discovers hooks and fixtures by name
    pytest_addoption,
    pytest_configure,
    student,
    submission,
    track,
)
