"""Registers the grading fixtures and options for every hidden suite."""

from grader.carry import _grading_item, carry  # error carried forward (fixtures)
from grader.plugin import (  # pytest discovers hooks and fixtures by name
    pytest_addoption,
    pytest_configure,
    student,
    submission,
    track,
)
