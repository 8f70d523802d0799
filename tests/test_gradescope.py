"""The autograder zip, run the way Gradescope runs it, gives the local CLI's score."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata
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
        hidden = [t for t in remote["tests"] if t.get("question")]  # the visible summary test has no question
        assert [(t["name"], t["score"]) for t in hidden] == [(t["name"], t["score"]) for t in local["tests"]]
        for test in remote["tests"]:
            assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
        assert isinstance(remote["execution_time"], float)


def test_gradescope_writes_valid_results_without_a_notebook(built, tmp_path):
    zip_path = built.dist / A / "autograder" / f"{A}-autograder.zip"
    results = run_autograder(zip_path, tmp_path / "gs", None)
    assert results["score"] == 0
    assert "No .ipynb" in results["output"]
    hidden = [t for t in results["tests"] if t.get("question")]
    assert hidden and all(t["score"] == 0 and t["max_score"] > 0 for t in hidden)


def _installed(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def test_autograder_zip_uses_our_runner_and_a_locked_venv(built):
    with zipfile.ZipFile(built.dist / A / "autograder" / f"{A}-autograder.zip") as zf:
        names = set(zf.namelist())
        run = zf.read("run_autograder").decode()
        setup = zf.read("setup.sh").decode()
        lock = [line for line in zf.read("requirements.lock").decode().splitlines() if not line.startswith("#")]
        minor = zf.read("python-version").decode().strip()
        uv = zf.read("uv-version").decode().strip() if "uv-version" in names else None
    assert uv == _installed("uv"), "the zip must pin the build environment's uv (absent when it has none)"
    assert "venv/bin/python" in run and "-m grader.gradescope" in run and "timeout" in run
    assert "--no-deps -r" in setup and "mamba" not in setup and "miniforge" not in setup.lower()
    assert "--break-system-packages" not in setup
    assert lock and all("==" in r for r in lock)
    assert minor == f"{sys.version_info.major}.{sys.version_info.minor}"
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


def test_runtime_closure_is_closed_under_requirements():
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from grader.build import RUNTIME, runtime_closure

    closure = runtime_closure()
    assert {canonicalize_name(r) for r in RUNTIME} <= set(closure)
    for name, version in closure.items():
        assert metadata.version(name) == version
        for line in metadata.distribution(name).requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                assert canonicalize_name(req.name) in closure, f"{name} needs {req.name}, missing from the lock"


def test_runtime_closure_follows_optional_roots_only_when_installed():
    from grader.build import runtime_closure

    assert "pluggy" in runtime_closure(roots=(), optional=("pytest",))
    assert runtime_closure(roots=(), optional=("no-such-distribution-opsgrade",)) == {}


def test_preload_follows_the_notebook_and_the_kits_top_level_imports(tmp_path):
    from grader.sandbox.preload import ALWAYS, modules_for

    nb = tmp_path / "nb.ipynb"
    cell = {"cell_type": "code", "source": "import numpy as np\nfrom scipy import stats"}
    nb.write_text(json.dumps({"cells": [cell]}))
    mods = modules_for([nb], "drift_detective")
    assert mods[: len(ALWAYS)] == list(ALWAYS)
    assert "scipy.stats" in mods and "pandas" not in mods and "matplotlib.pyplot" not in mods
    kits = Path(__file__).resolve().parent.parent / "grader" / "studentkit"
    assert "\nimport pandas" in (kits / "slice_deployment_kit.py").read_text()
    assert "pandas" in modules_for([nb], "slice_deployment")
    # the ensemble suite sends DataFrames to the student's functions: the child will need pandas
    assert "\nimport pandas" in (kits.parent / "suites" / "test_ensemble_lockdown.py").read_text()
    assert "pandas" in modules_for([], "ensemble_lockdown")
    assert modules_for([], "retraining_roi") == ["numpy"]  # not scipy.stats: 0.4 s less
    solution = Path(__file__).resolve().parent.parent / "assignments" / "retraining_roi" / "retraining_roi.ipynb"
    assert modules_for([solution], "retraining_roi") == ["numpy", "scipy.optimize"]  # the notebook's own import
    # retraining's kit imports matplotlib.ticker inside its plotting function only: drawn never while grading
    assert "    import matplotlib.ticker" in (kits / "retraining_roi_kit.py").read_text()
    assert "matplotlib.pyplot" not in modules_for([], "retraining_roi")
    plots = tmp_path / "plots.ipynb"
    plots.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "def f():\n    import matplotlib.pyplot"}]}))
    assert modules_for([nb, plots, tmp_path / "missing.ipynb"], "drift_detective")[-1] == "matplotlib.pyplot"


def test_importing_opsmath_leaves_the_heavy_libraries_unloaded():
    """The cold Gradescope path relies on it: scipy.stats, pandas and scipy load only where a reference needs them."""
    code = ("import sys, opsmath, grader.runner, grader.plugin; "
            "print(sorted(m for m in ('scipy', 'scipy.stats', 'scipy.special', 'pandas', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    # the k-failure bound sums the binomial exactly: not even the reference that uses it needs scipy.stats
    code = ("import sys, opsmath; opsmath.canary_sample_size_with_failures(0.95, 1e-3, 2); "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    # the suites without tables import no pandas (0.25 s of their cold start); none imports scipy.stats
    code = ("import sys; from grader.suites import test_canary_duration, test_drift_detective, test_platform_roi, "
            "test_retraining_roi; print(sorted(m for m in ('scipy.stats', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
