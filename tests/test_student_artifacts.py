"""Nothing a student receives contains hidden tests, reference values, solutions or opsmath code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import opsmath

FORBIDDEN = [
    re.compile(r"\bopsmath\b"),
    re.compile(r"BEGIN SOLUTION|END SOLUTION|# SOLUTION\b"),
    re.compile(r"grader\.suites|\bGradingFailure\b|check_close|@pytest\.mark\.question"),
    re.compile(r"hidden:\s*true", re.IGNORECASE),
]


def student_files(built) -> list[Path]:
    return sorted(p for name in built.names for p in (built.dist / name / "student").rglob("*") if p.is_file())


def test_every_assignment_ships_a_student_notebook(built):
    for name in built.names:
        assert (built.dist / name / "student" / f"{name}.ipynb").exists()
        assert (built.dist / name / "student" / "tracks.json").exists()


def test_no_forbidden_text_in_student_files(built):
    for path in student_files(built):
        text = path.read_text(encoding="utf-8")
        for pattern in FORBIDDEN:
            assert not pattern.search(text), f"{path.name} matches {pattern.pattern}"


def _solution_lines(source_nb: Path) -> set[str]:
    """Non-trivial code lines inside solution blocks (or marked ``# SOLUTION``) of a source notebook."""
    lines: set[str] = set()
    nb = json.loads(source_nb.read_text())
    in_block = False
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "raw":
            in_block = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(src.strip(), in_block)
            continue
        if cell["cell_type"] != "code":
            continue
        inside = False
        for line in src.splitlines():
            marker = line.strip()
            if marker == "# BEGIN SOLUTION":
                inside = True
            elif marker == "# END SOLUTION":
                inside = False
            elif (inside or marker.endswith("# SOLUTION")) and len(marker) > 25:
                lines.add(marker.removesuffix("# SOLUTION").strip())
    return lines


def test_no_solution_code_in_student_notebooks(built):
    from grader.build import REPO

    for name in built.names:
        student = json.loads((built.dist / name / "student" / f"{name}.ipynb").read_text())
        code = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                         for c in student["cells"] if c["cell_type"] == "code")
        solution_lines = _solution_lines(REPO / "assignments" / name / f"{name}.ipynb")
        assert solution_lines, f"{name}: no solution lines found in the source notebook"
        leaked = [line for line in solution_lines if line in code]
        assert not leaked, f"{name}: solution lines shipped to students: {leaked[:3]}"


def test_student_notebooks_have_no_outputs_and_only_public_tests(built):
    for name in built.names:
        nb = json.loads((built.dist / name / "student" / f"{name}.ipynb").read_text())
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
        for test_src in nb["metadata"].get("otter", {}).get("tests", {}).values():
            assert "hidden=True" not in test_src


def test_no_opsmath_source_line_in_student_files(built):
    """No non-trivial line of the reference library appears in anything shipped."""
    lines = set()
    for path in Path(opsmath.__file__).parent.glob("*.py"):
        for line in path.read_text().splitlines():
            s = line.strip()
            if len(s) > 40 and not s.startswith(("#", '"""', "Parameters", "Returns", "----")):
                lines.add(s)
    for path in student_files(built):
        text = path.read_text(encoding="utf-8")
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{path.name} contains opsmath lines: {leaked[:3]}"


@pytest.mark.parametrize("key", sorted(opsmath.TRACKS))
def test_tracks_json_holds_constants_only(built, key):
    for name in built.names:
        data = json.loads((built.dist / name / "student" / "tracks.json").read_text())
        assert set(data) == set(opsmath.TRACKS)
        assert data[key] == opsmath.track_constants(key)
