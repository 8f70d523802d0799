"""Each assignment's grading suite, tested: solution full marks on every track, blank zero, variants exact.

Also: every solution notebook executes top to bottom on every track with its
figures, the otter question points agree with the hidden suite, and the
build is deterministic.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

import opsmath
from grader.batch import grade_batch
from grader.build import REPO, build_assignment, execute_notebook, source_assignments
from grader.examples import load_variants, materialise_examples, set_track
from grader.runner import collect_questions
from grader.studentkit import materialise

NAMES = source_assignments()
TRACKS = sorted(opsmath.TRACKS)


@pytest.fixture(scope="module")
def gradebooks(built, tmp_path_factory) -> dict[str, dict]:
    """Grade solution (four tracks), blank and all variants of every assignment, in parallel batches."""
    books = {}
    for name in built.names:
        folder = tmp_path_factory.mktemp(f"examples-{name}")
        examples = materialise_examples(name, folder, solutions=built.solutions, dist=built.dist)
        solution = json.loads((built.solutions / f"{name}.ipynb").read_text())
        for track in TRACKS:
            (folder / f"solution_{track}.ipynb").write_text(json.dumps(set_track(solution, track)))
        out = tmp_path_factory.mktemp(f"graded-{name}")
        grade_batch(name, [folder], out, workers=2)
        books[name] = {
            "expected": {k: v[1] for k, v in examples.items()},
            "results": {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")},
        }
    return books


def _max(results: dict) -> float:
    return sum(t["max_score"] for t in results["tests"])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("track", TRACKS)
def test_solution_scores_full_marks_on_every_track(gradebooks, name, track):
    results = gradebooks[name]["results"][f"solution_{track}"]
    failed = [(t["name"], t["output"]) for t in results["tests"] if t["score"] < t["max_score"]]
    assert results["score"] == pytest.approx(_max(results)) and not failed, failed


@pytest.mark.parametrize("name", NAMES)
def test_blank_student_notebook_scores_zero(gradebooks, name):
    results = gradebooks[name]["results"]["blank"]
    assert results["score"] == 0, [(t["name"], t["score"]) for t in results["tests"] if t["score"]]


@pytest.mark.parametrize("name", NAMES)
def test_variants_score_exactly_as_documented(gradebooks, name):
    variants = load_variants(name)
    assert len(variants) >= 3, f"{name}: bundle at least three known-wrong variants"
    for variant, spec in variants.items():
        results = gradebooks[name]["results"][variant]
        lost = [(t["name"], t["max_score"] - t["score"]) for t in results["tests"] if t["score"] < t["max_score"]]
        assert _max(results) - results["score"] == pytest.approx(float(spec["lost"])), (
            f"{variant}: lost {lost}; why: {spec['why']}")
        assert 0 < results["score"] < _max(results), f"{variant} should be partially wrong"


@pytest.mark.parametrize("name", NAMES)
def test_otter_question_points_match_hidden_suite(name):
    nb = nbformat.read(REPO / "assignments" / name / f"{name}.ipynb", as_version=4)
    otter_points = {}
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION"):
            config = yaml.safe_load(cell.source.split("\n", 1)[1])
            if not config.get("manual"):
                otter_points[config["name"]] = float(config["points"])
    suite_points: dict[str, float] = {}
    for q in collect_questions(name):
        suite_points[q["question"]] = suite_points.get(q["question"], 0.0) + q["max_score"]
    assert otter_points == pytest.approx(suite_points)
    assert "prediction" in suite_points


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("track", TRACKS)
def test_solution_notebook_executes_on_every_track_with_figures(built, name, track, tmp_path):
    solution = json.loads((built.solutions / f"{name}.ipynb").read_text())
    for cell in solution["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    run = tmp_path / "run"
    materialise(name, run)
    nb_path = run / f"{name}.ipynb"
    nb_path.write_text(json.dumps(set_track(solution, track)))
    figures = execute_notebook(nb_path, run, tmp_path / "out" / f"{name}.ipynb")
    assert figures, "the solution notebook drew no figure"
    assert all(f.stat().st_size > 10_000 for f in figures)
    executed = json.loads((tmp_path / "out" / f"{name}.ipynb").read_text())
    text = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                   for c in executed["cells"] for o in c.get("outputs", []))
    assert "nan" not in text.lower().split() and "Traceback" not in text
    assert "results: All test cases passed!" in text and "failed" not in text.lower(), "a public check failed"


def test_build_is_deterministic(tmp_path):
    name = NAMES[0]

    def digest(root: Path) -> dict[str, str]:
        build_assignment(name, dist=root / "dist", solutions=root / "sol", execute=False)
        files = sorted(p for p in (root / "dist").rglob("*") if p.is_file())
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    assert digest(tmp_path / "a") == digest(tmp_path / "b")


@pytest.mark.parametrize("name", NAMES)
def test_failing_hints_of_the_variants_replay_on_the_reference(gradebooks, name):
    """Every value hint of a bundled wrong variant shows a call that, run on the reference, gives the shown expected."""
    from hint_replay import is_call, parse, replay, same

    replayed, other = 0, []
    for variant in load_variants(name):
        for test in gradebooks[name]["results"][variant]["tests"]:
            if test["score"] >= test["max_score"]:
                continue
            hint = parse(test["output"])
            if hint is None or not is_call(name, hint["call"]):
                other.append(test["output"][:120])
                continue
            value, expected = replay(name, hint)
            assert same(value, expected), f"{variant}: {test['output'][:400]} -> the reference gives {value!r}"
            replayed += 1
    # the rest name a track answer ("T_sqrt on track ..."), a notebook variable, or a call whose answer has the wrong
    # structure (no dict, a missing column: nothing to compare)
    assert all(" on track " in o or o.startswith("PREDICTION") or re.match(r"^\w+\(", o) for o in other), other
    assert replayed >= 1
