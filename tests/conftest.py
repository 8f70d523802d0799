"""Shared fixtures: one build of every assignment per test session, into a temporary folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@dataclass(frozen=True)
class Built:
    """Where the session's build put things."""

    dist: Path
    solutions: Path
    names: tuple[str, ...]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build every assignment (student notebook, executed solution, autograder zip) once."""
    from grader.build import build_assignment, source_assignments

    root = tmp_path_factory.mktemp("build")
    names = tuple(source_assignments())
    for name in names:
        build_assignment(name, dist=root / "dist", solutions=root / "solutions", execute=True)
    return Built(root / "dist", root / "solutions", names)


@pytest.fixture(scope="session")
def fast_limits() -> None:
    """Short time limits so hostile-submission tests finish quickly."""
    os.environ["OPSGRADE_CELL_SECONDS"] = "4"
    os.environ["OPSGRADE_CALL_SECONDS"] = "3"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing and running as root (``tests/browser.py``)."""
    from browser import find_or_install_chromium

    return find_or_install_chromium()
