"""The student's track is an explicit choice: unset in the student notebook, one clear result when missing."""

from __future__ import annotations

import json

import pytest

from grader.examples import set_track
from grader.runner import grade_notebook
from grader.studentkit.labkit import load_track


def _first_code(nb: dict) -> str:
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "TRACK" in "".join(c["source"]))
    return "".join(cell["source"])


def test_student_notebooks_start_without_a_track(built):
    for name in built.names:
        student = json.loads((built.dist / name / "student" / f"{name}.ipynb").read_text())
        assert "\nTRACK = ...\n" in "\n" + _first_code(student), name
        solution = json.loads((built.solutions / f"{name}.ipynb").read_text())
        assert 'TRACK = "edge_guardian"' in _first_code(solution), name
        assert 'TRACK = "tiny_pioneer"' in _first_code(set_track(student, "tiny_pioneer")), name


@pytest.mark.parametrize("key", [..., None, "", "edge", "Edge_Guardian"])
def test_load_track_refuses_unset_or_unknown(key, tmp_path):
    with pytest.raises(ValueError, match="TRACK"):
        load_track(key, tmp_path / "tracks.json")


def test_missing_track_is_one_clear_result(built, tmp_path):
    solution = json.loads((built.solutions / "retraining_roi.ipynb").read_text())
    for cell in solution["cells"]:
        if cell["cell_type"] == "code" and 'TRACK = "edge_guardian"' in "".join(cell["source"]):
            cell["source"] = "".join(cell["source"]).replace('TRACK = "edge_guardian"', "TRACK = ...")
            break
    path = tmp_path / "no_track.ipynb"
    path.write_text(json.dumps(solution))
    results = grade_notebook("retraining_roi", path)
    failed = [t for t in results["tests"] if t["score"] < t["max_score"]]
    track_tests = [t for t in results["tests"] if "your track" in t["name"]]
    assert failed == track_tests and len(failed) >= 5  # the functions themselves still earn their points
    assert "TRACK is unset" in failed[0]["output"]
    assert 'set it in the cell that starts with "# Your track"' in failed[0]["output"]
    assert all(t["output"] == "not graded: no valid TRACK (see the first track-specific test)" for t in failed[1:])
    notes = results["output"].splitlines()
    assert notes[0].startswith('The cell starting "TRACK = ...') and "TrackError: TRACK is not set" in notes[0]
    assert [line for line in notes if line.startswith("The cell starting")] == notes[:1], notes  # no cascade
    assert "later statement(s) raised NameError" in notes[1]
