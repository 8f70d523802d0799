"""What students get and see: the submission section, requirements-student.txt, the visibility policy, cell names,
and a grades.csv row for every member of a group submission."""

from __future__ import annotations

import csv
import json
import re
from importlib import metadata

import pytest
from export_zip import discover_export

from grader.batch import write_grades_csv
from grader.gradescope import SUMMARY_NAME, apply_policy, load_policy
from grader.results import write_results, zero_results_for

QUESTIONS = [{"question": "q1", "title": "first", "max_score": 2.0}, {"question": "q2", "title": "second",
                                                                       "max_score": 3.0}]


def test_every_student_notebook_ends_with_how_to_submit(built):
    for name in built.names:
        nb = json.loads((built.dist / name / "student" / f"{name}.ipynb").read_text())
        last = nb["cells"][-1]
        text = "".join(last["source"]) if isinstance(last["source"], list) else last["source"]
        assert last["cell_type"] == "markdown" and text.startswith("## How to submit"), name
        for needed in (f"{name}.ipynb", "tracks.json", "labkit.py", f"{name}_kit.py", "requirements-student.txt",
                       "Gradescope", "Colab", "VS Code", "JupyterLab"):
            assert needed in text, (name, needed)
        assert sum("## How to submit" in "".join(c["source"]) for c in nb["cells"]) == 1


def test_requirements_student_lists_what_the_notebook_imports(built):
    for name in built.names:
        folder = built.dist / name / "student"
        reqs = [r for r in (folder / "requirements-student.txt").read_text().splitlines() if r and r[0] != "#"]
        names = {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0] for r in reqs}
        assert f"otter-grader=={metadata.version('otter-grader')}" in reqs
        code = "\n".join("".join(c["source"]) for c in json.loads((folder / f"{name}.ipynb").read_text())["cells"]
                         if c["cell_type"] == "code")
        code += (folder / f"{name}_kit.py").read_text()
        imported = set(re.findall(r"^\s*(?:import|from)\s+(\w+)", code, re.MULTILINE))
        for pkg in ("numpy", "pandas", "scipy", "matplotlib"):
            if pkg in imported:
                assert pkg in names, (name, pkg)
        assert {"tracks.json", "labkit.py", f"{name}_kit.py"} <= {p.name for p in folder.iterdir()}


def _results() -> dict:
    results = zero_results_for("a", QUESTIONS, "msg")
    results["extra_data"]["status"] = "ok"
    results["extra_data"]["public_checks"] = {
        "q1": {"answered": True, "passed": True, "message": ""},
        "q2": {"answered": False, "passed": False, "message": "q2 returned nothing"},
    }
    return results


@pytest.mark.parametrize("visibility", ["visible", "after_due_date", "after_published", "hidden"])
def test_policy_sets_hidden_visibility_and_adds_a_visible_summary(visibility):
    results = apply_policy(_results(), {"hidden_test_visibility": visibility, "submission_summary": True})
    summary, *hidden = results["tests"]
    assert summary["name"] == SUMMARY_NAME and summary["visibility"] == "visible" and summary["max_score"] == 0
    assert [t["visibility"] for t in hidden] == [visibility] * len(QUESTIONS)
    assert "1 of 2 questions with public checks answered" in summary["output"]
    assert "passed on 1 of 2" in summary["output"]
    assert "q2: public checks not answered (q2 returned nothing)" in summary["output"]


@pytest.mark.parametrize(("status", "output"), [
    ("ungradable", "The notebook is not valid JSON (is the file corrupted?)"),
    ("ungradable", "No .ipynb notebook was found in the submission."),
    ("grader-error", "The autograder failed on this submission: MemoryError"),
])
def test_summary_of_a_notebook_that_could_not_run_is_marked_failed_with_the_reason(status, output):
    results = zero_results_for("a", QUESTIONS, output, status=status)
    summary = apply_policy(results, {"hidden_test_visibility": "after_published", "submission_summary": True})
    summary = summary["tests"][0]
    assert summary["status"] == "failed" and summary["visibility"] == "visible" and summary["score"] == 0
    assert output in summary["output"] and "could not be run" in summary["output"]
    assert _summary_of(_results())["status"] == "passed"  # the control: a notebook that ran


def _summary_of(results: dict) -> dict:
    return apply_policy(results, {"hidden_test_visibility": "visible", "submission_summary": True})["tests"][0]


def test_policy_without_summary_leaves_only_hidden_tests():
    results = apply_policy(_results(), {"hidden_test_visibility": "after_published", "submission_summary": False})
    assert [t["question"] for t in results["tests"]] == ["q1", "q2"]


def test_policy_is_read_from_otter_config_with_safe_defaults(tmp_path):
    (tmp_path / "otter_config.json").write_text(json.dumps({"hidden_test_visibility": "bogus"}))
    assert load_policy(tmp_path) == {"hidden_test_visibility": "after_published", "submission_summary": True}
    (tmp_path / "otter_config.json").write_text(json.dumps({"hidden_test_visibility": "visible",
                                                            "submission_summary": False}))
    assert load_policy(tmp_path) == {"hidden_test_visibility": "visible", "submission_summary": False}


def test_group_submission_gives_every_member_a_row(tmp_path):
    meta = ("submission_1:\n  :submitters:\n  - :name: Ann A\n    :email: ann@uni.edu\n    :sid: '11'\n"
            "  - :name: Ben B\n    :email: ben@uni.edu\n    :sid: '12'\n"
            "submission_2:\n  :submitters:\n  - :name: Cal C\n    :email: cal@uni.edu\n    :sid: '13'\n")
    jobs, out = discover_export(tmp_path, meta)
    assert [len(j.meta.get("submitters", [])) for j in jobs] == [2, 1]
    for job, score in zip(jobs, (4.0, 1.0), strict=True):
        results = zero_results_for("a", QUESTIONS, "")
        results["tests"][0]["score"] = score
        results["score"] = score
        write_results(results, out / job.id / "results.json")
    rows = list(csv.DictReader(write_grades_csv("a", jobs, out).open()))
    assert [(r["name"], r["sid"], r["submission"], r["total"]) for r in rows] == [
        ("Ann A", "11", "submission_1", "4"),
        ("Ben B", "12", "submission_1", "4"),
        ("Cal C", "13", "submission_2", "1"),
    ]


def test_failing_cells_are_named_by_first_line_and_question(built, tmp_path):
    from grader.runner import grade_notebook

    name = "drift_detective"
    nb = json.loads((built.solutions / f"{name}.ipynb").read_text())
    extra = ["# a comment first\nratio = 1 / 0\n",
             "def psi(expected, actual):\n    return 0.0\n\nraise RuntimeError('x')\n"]
    for source in extra:
        nb["cells"].append({"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
                            "execution_count": None})
    path = tmp_path / f"{name}.ipynb"
    path.write_text(json.dumps(nb))
    output = grade_notebook(name, path)["output"]
    assert 'The cell starting "ratio = 1 / 0" raised: ZeroDivisionError' in output
    assert ('The cell starting "def psi(expected, actual):" (question psi), line 4 "raise RuntimeError(\'x\')", '
            'raised: RuntimeError') in output
    assert "Code cell" not in output
