"""Error carried forward covers every upstream the notebooks have: a mistake upstream costs only its own questions.

For each assignment, every piece of graded student work that another graded value is computed from (derived from
the source notebook's solution cells, :mod:`grader.dependencies`) gets one generated mutant of the solution: that
upstream alone is skewed (its return value or value scaled, an int shifted, a bool negated, a string changed). Graded
end to end, the mutant must lose points on the tests that grade the upstream itself and on no other test: the
downstream answers, computed with the skewed upstream, keep theirs by error carried forward. A graded value whose
dependency ECF does not cover fails here. One batch (2 workers) per assignment, the solution included.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from grader.batch import grade_batch
from grader.dependencies import graded_names, program
from grader.runner import collect_questions
from grader.suites import suite_path

SKEW = '''
def _ecf_skew(value):
    import numpy as _np
    if isinstance(value, (bool, _np.bool_)):
        return not value
    if isinstance(value, (int, _np.integer)):
        return value + 1
    if isinstance(value, (float, _np.floating)):
        return value * 1.37
    if isinstance(value, _np.ndarray):
        return value * 1.37 if value.dtype.kind == "f" else value + 1
    if isinstance(value, str):
        return value[::-1] + "x"
    if isinstance(value, tuple):
        return tuple(_ecf_skew(v) for v in value)
    if isinstance(value, dict):
        return {k: _ecf_skew(v) for k, v in value.items()}
    if hasattr(value, "columns") and "accuracy" in getattr(value, "columns", ()):
        value = value.copy()
        value["accuracy"] = value["accuracy"] * 0.9
    return value
'''


def upstreams(assignment: str) -> list[str]:
    """Graded student work that some other graded value is computed from."""
    prog, graded = program(assignment), graded_names(assignment)
    return sorted({u for name in graded if name in prog.definers for u in prog.upstream(name, graded)})


def skewed(solution: dict[str, Any], name: str) -> dict[str, Any]:
    """The solution with ``name`` (a function or a variable) skewed right after its last definition."""
    nb = json.loads(json.dumps(solution))
    for cell in reversed(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        hits = [s for s in tree.body if name in _binds(s)]
        if not hits:
            continue
        lines = source.splitlines()
        end = hits[-1].end_lineno
        if isinstance(hits[-1], ast.FunctionDef):
            patch = (f"{SKEW}\n_ecf_original = {name}\n\n\ndef {name}(*args, **kwargs):\n"
                     f"    return _ecf_skew(_ecf_original(*args, **kwargs))\n")
        else:
            patch = f"{SKEW}\n{name} = _ecf_skew({name})\n"
        cell["source"] = "\n".join([*lines[:end], patch, *lines[end:]]) + "\n"
        return nb
    raise AssertionError(f"{name} is not defined in the solution notebook")


def _binds(statement: ast.stmt) -> set[str]:
    from grader.sandbox.statements import bound_names

    return set(bound_names(statement))


def compared_names(assignment: str) -> dict[str, set[str]]:
    """Test function -> the notebook names it grades (through ``compare``/``compare_answer``, helpers included)."""
    tree = ast.parse(suite_path(assignment).read_text(encoding="utf-8"))
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    memo: dict[str, set[str]] = {}

    def names(fn: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if fn in memo:
            return memo[fn]
        found: set[str] = set()
        for node in ast.walk(functions[fn]):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id in ("compare", "compare_answer") and len(node.args) >= 2:
                if isinstance(node.args[1], ast.Constant):
                    found.add(node.args[1].value)
            elif node.func.id in functions and node.func.id not in seen:
                found |= names(node.func.id, seen | {fn})
        memo[fn] = found
        return found

    return {fn: names(fn) for fn in functions if fn.startswith("test_")}


def test_every_graded_suite_grades_through_compare():
    """A suite that graded a value without compare/compare_answer would escape error carried forward."""
    for assignment in ("canary_duration", "drift_detective", "ensemble_lockdown", "platform_roi", "retraining_roi",
                       "slice_deployment"):
        source = suite_path(assignment).read_text(encoding="utf-8")
        assert "student." not in source.replace("student._submission", ""), assignment
        assert "submission.get(" not in source.replace('submission.get("TRACK")', ""), assignment
        untested = [fn for fn, found in compared_names(assignment).items()
                    if not found and fn != "test_compatible_after_upgrade"]
        assert not untested, (assignment, untested)


@pytest.mark.parametrize("assignment", ["canary_duration", "drift_detective", "ensemble_lockdown", "platform_roi",
                                        "retraining_roi", "slice_deployment"])
def test_a_mistake_upstream_costs_only_its_own_questions(built, tmp_path, assignment):
    solution = json.loads((built.solutions / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "solution.ipynb").write_text(json.dumps(solution))
    names = upstreams(assignment)
    assert names, assignment
    for name in names:
        (folder / f"skew_{name}.ipynb").write_text(json.dumps(skewed(solution, name)))
    grade_batch(assignment, [folder], tmp_path / "out", workers=2)
    results = {p.parent.name: json.loads(p.read_text()) for p in (tmp_path / "out").glob("*/results.json")}
    tests = [q["test"] for q in collect_questions(assignment)]
    grades = compared_names(assignment)
    solution_results = results["solution"]
    assert solution_results["score"] == sum(t["max_score"] for t in solution_results["tests"])
    problems = []
    for name in names:
        graded = results[f"skew_{name}"]["tests"]
        lost = [(fn, t) for fn, t in zip(tests, graded, strict=True) if t["score"] < t["max_score"]]
        if not any(name in grades.get(fn, set()) for fn, _ in lost):
            problems.append(f"skewing {name} cost none of its own tests")
        problems += [f"skewing {name} costs {t['name']}: {t['output'][:300]}" for fn, t in lost
                     if name not in grades.get(fn, set())]
    assert not problems, "\n".join(problems)


def test_the_upstream_map_names_notebook_definitions():
    for assignment in ("canary_duration", "drift_detective", "ensemble_lockdown", "platform_roi", "retraining_roi",
                       "slice_deployment"):
        prog = program(assignment)
        missing = sorted(n for n in graded_names(assignment) if n not in prog.definers)
        assert not missing, (assignment, missing)
        assert Path(prog.assignment).name == assignment
