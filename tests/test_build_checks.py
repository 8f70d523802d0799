"""What an instructor meets when authoring: `opsgrade build` refuses sources that disagree, with a message naming
the problem; a bare `otter assign` on a source refuses and names `opsgrade build`; a clean build prints no warning."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from grader.build import REPO, build_assignment
from grader.cli import app
from grader.validate import BuildError

NAME = "drift_detective"


def _sources(tmp_path: Path, edit: dict[str, str]) -> Path:
    """A copy of ``assignments/`` whose drift_detective source has each ``old`` text replaced by ``new``."""
    root = tmp_path / "assignments"
    shutil.copytree(REPO / "assignments", root, ignore=shutil.ignore_patterns("*.ipynb_checkpoints"))
    path = root / NAME / f"{NAME}.ipynb"
    text = path.read_text(encoding="utf-8")
    for old, new in edit.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(("edit", "message"), [
    ({"name: drift_status\\n\",\n    \"points: 2": "name: drift_status\\n\",\n    \"points: 1"},
     "question 'drift_status': drift_detective.ipynb gives it 1 points, but its hidden tests in "
     "test_drift_detective.py add up to 2"),
    ({"name: drift_status\\n": "name: drift_stauts\\n"},
     "test_drift_detective.py grades question 'drift_status' (2 points), but drift_detective.ipynb has no question "
     "named 'drift_status' (did you mean 'drift_stauts'?)"),
    ({"def drift_status(psi_value):": "def drift_state(psi_value):"},
     "test_drift_detective.py reads 'drift_status' from the submission, but the student notebook defines no "
     "'drift_status'"),
])
def test_build_refuses_sources_that_disagree(tmp_path, edit, message):
    root = _sources(tmp_path, edit)
    with pytest.raises(BuildError) as caught:
        build_assignment(NAME, dist=tmp_path / "dist", solutions=tmp_path / "sol", execute=False, root=root)
    assert message in str(caught.value)
    assert not (tmp_path / "dist").exists()  # nothing half-built is left for students or Gradescope


def test_build_command_reports_the_problem_and_exits_nonzero(tmp_path, monkeypatch):
    root = _sources(tmp_path, {"name: drift_status\\n": "name: drift_stauts\\n"})
    monkeypatch.setattr("grader.build.build_assignment.__defaults__",  # the CLI builds from the default root
                        (tmp_path / "dist", tmp_path / "sol", False, root))
    result = CliRunner().invoke(app, ["build", "-a", NAME, "--dist", str(tmp_path / "dist"),
                                      "--solutions", str(tmp_path / "sol"), "--no-execute"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "drift_detective: not built, its sources disagree" in text and "did you mean 'drift_stauts'?" in text
    assert "Traceback" not in result.output


def test_bare_otter_assign_refuses_and_names_opsgrade_build(tmp_path):
    """An instructor who knows otter runs `otter assign` on the source: it must stop, naming the route that works."""
    source = REPO / "assignments" / NAME / f"{NAME}.ipynb"
    proc = subprocess.run([sys.executable, "-m", "otter", "assign", "--no-pdfs", str(source), str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode != 0
    assert f"use opsgrade build -a {NAME}, not otter assign" in proc.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "out" / "autograder" / f"{NAME}-autograder.zip").exists()


def test_build_of_a_hand_edited_notebook_prints_no_warning(tmp_path):
    """Cells without ids (a hand-edited notebook) and the solution's execution: no nbformat or ipykernel warning."""
    root = tmp_path / "assignments"
    shutil.copytree(REPO / "assignments", root)
    path = root / NAME / f"{NAME}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"][5:]:
        cell.pop("id", None)
    path.write_text(json.dumps(nb), encoding="utf-8")
    script = (f"from pathlib import Path; from grader.build import build_assignment; "
              f"build_assignment({NAME!r}, dist=Path({str(tmp_path / 'dist')!r}), "
              f"solutions=Path({str(tmp_path / 'sol')!r}), root=Path({str(root)!r}))")
    proc = subprocess.run([sys.executable, "-W", "default", "-c", script], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "MissingIDFieldWarning" not in proc.stderr and "without encryption" not in proc.stderr, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr
    assert (tmp_path / "sol" / f"{NAME}_fig1.png").exists()
