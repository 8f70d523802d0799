"""Registers the grading fixtures and options for every hidden suite."""

from grader.carry import _grading_item  # lets error carried forward leave its note on the running test
from grader.plugin import (  # pytest discovers hooks and fixtures by name
    pytest_addoption,
    pytest_configure,
    pytest_pyfunc_call,
    student,
    submission,
    track,
)
