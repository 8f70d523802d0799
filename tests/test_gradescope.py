"""The autograder zip, run the way Gradescope runs it, gives the local CLI's score."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.batch import grade_batch
from grader.examples import load_variants, make_variant

A = "drift_detective"


def run_autograder(zip_path: Path, root: Path, notebook_bytes: bytes | None, name: str = f"{A}.ipynb") -> dict:
    """Unzip into root/source, put the submission in root/submission, run python -m grader.gradescope."""
    source = root / "source"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(source)
    (root / "submission").mkdir(parents=True)
    if notebook_bytes is not None:
        (root / "submission" / name).write_bytes(notebook_bytes)
    env = {**os.environ, "OPSGRADE_AUTOGRADER_ROOT": str(root), "PYTHONPATH": str(source)}
    subprocess.run([sys.executable, "-m", "grader.gradescope"], cwd=source, env=env, check=True, timeout=600)
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture(scope="module")
def submissions(built, tmp_path_factory) -> dict[str, bytes]:
    solution = json.loads((built.solutions / f"{A}.ipynb").read_text())
    variants = load_variants(A)
    name = sorted(variants)[0]
    return {
        "solution": json.dumps(solution).encode(),
        name: json.dumps(make_variant(solution, variants[name])).encode(),
        "blank": (built.dist / A / "student" / f"{A}.ipynb").read_bytes(),
    }


def test_gradescope_entry_point_matches_local_cli(built, submissions, tmp_path):
    zip_path = built.dist / A / "autograder" / f"{A}-autograder.zip"
    local_dir = tmp_path / "local"
    local_dir.mkdir()
    for name, data in submissions.items():
        (local_dir / f"{name}.ipynb").write_bytes(data)
    out = tmp_path / "out"
    grade_batch(A, [local_dir], out, workers=2)
    for name, data in submissions.items():
        remote = run_autograder(zip_path, tmp_path / f"gs-{name}", data)
        local = json.loads((out / name / "results.json").read_text())
        assert remote["score"] == local["score"], name
        assert [(t["name"], t["score"]) for t in remote["tests"]] == [(t["name"], t["score"]) for t in local["tests"]]
        for test in remote["tests"]:
            assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
        assert isinstance(remote["execution_time"], float)


def test_gradescope_writes_valid_results_without_a_notebook(built, tmp_path):
    zip_path = built.dist / A / "autograder" / f"{A}-autograder.zip"
    results = run_autograder(zip_path, tmp_path / "gs", None)
    assert results["score"] == 0
    assert "No .ipynb" in results["output"]
    assert results["tests"] and all(t["score"] == 0 and t["max_score"] > 0 for t in results["tests"])


def test_autograder_zip_uses_our_runner_and_pinned_pip_setup(built):
    with zipfile.ZipFile(built.dist / A / "autograder" / f"{A}-autograder.zip") as zf:
        names = set(zf.namelist())
        run = zf.read("run_autograder").decode()
        setup = zf.read("setup.sh").decode()
        reqs = zf.read("requirements.txt").decode().split()
    assert "python3 -m grader.gradescope" in run
    assert "pip install" in setup and "mamba" not in setup and "miniforge" not in setup.lower()
    assert reqs and all("==" in r for r in reqs)
    assert {"assignment.json", "otter_config.json", "grader/runner.py", "opsmath/drift.py"} <= names
    assert f"grader/suites/test_{A}.py" in names


def test_scores_are_identical_across_runs(built, submissions, tmp_path):
    from grader.runner import grade_notebook

    path = tmp_path / "variant.ipynb"
    name = next(n for n in submissions if n not in ("solution", "blank"))
    path.write_bytes(submissions[name])
    first, second = grade_notebook(A, path), grade_notebook(A, path)
    assert [(t["name"], t["score"], t["output"]) for t in first["tests"]] == [
        (t["name"], t["score"], t["output"]) for t in second["tests"]
    ]
