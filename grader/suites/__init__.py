"""Hidden test suites, one pytest module per assignment (``test_<assignment>.py``).

This package's ``__init__`` stays light (no pytest, no opsmath): the batch's parent process uses it to check an
assignment name without importing the grading stack.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SUITES_DIR", "assignments", "suite_path"]

SUITES_DIR = Path(__file__).parent


def assignments() -> list[str]:
    """Names of the assignments that have a hidden suite."""
    return sorted(p.stem.removeprefix("test_") for p in SUITES_DIR.glob("test_*.py"))


def suite_path(assignment: str) -> Path:
    """Path of the hidden suite for ``assignment`` (``ValueError`` if unknown)."""
    path = SUITES_DIR / f"test_{assignment}.py"
    if not path.exists():
        raise ValueError(f"unknown assignment {assignment!r}; known: {assignments()}")
    return path
