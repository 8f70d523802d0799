"""What ``opsgrade build`` checks before it writes anything a student or Gradescope gets.

A source notebook and its hidden suite must agree: every auto-graded question of the notebook has hidden tests and
the same points in both, every question the suite grades exists in the notebook, every assignment asks a
``prediction``, and every function or variable the suite reads from a submission (``student.NAME``,
``submission.get("NAME")``, ``compare(student, "NAME", ...)``, ``compare_answer(submission, "NAME", ...)``) is
defined in the student notebook, as a stub at least.
A disagreement is refused with a message naming the question, both numbers and the file to fix.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import yaml

__all__ = ["BuildError", "notebook_questions", "problems", "student_names", "suite_names"]

_STUDENT = re.compile(r"\bstudent\.([A-Za-z_]\w*)")
_GET = re.compile(r"\bsubmission\.get\(\s*[\"']([A-Za-z_]\w*)[\"']")


class BuildError(ValueError):
    """The sources of an assignment disagree; the message lists every problem and what to fix."""


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def notebook_questions(notebook: Path) -> dict[str, dict[str, Any]]:
    """Question name → its ``# BEGIN QUESTION`` config (``points``, ``manual``, ...), from a source notebook."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    out = {}
    for cell in nb.get("cells", []):
        text = _source(cell)
        if cell.get("cell_type") == "raw" and text.lstrip().startswith("# BEGIN QUESTION"):
            config = yaml.safe_load(text.split("\n", 1)[1]) if "\n" in text else None
            if isinstance(config, dict) and config.get("name"):
                out[str(config["name"])] = config
    return out


def suite_names(suite: Path) -> set[str]:
    """Names the hidden suite reads from a submission: functions it calls, variables it gets, upstream functions."""
    text = suite.read_text(encoding="utf-8")
    from grader.dependencies import compared_names

    return set(_STUDENT.findall(text)) | set(_GET.findall(text)) | set(compared_names(text))


def student_names(notebook: Path) -> set[str]:
    """Names a student notebook defines at the top level of its code cells (functions, classes, assignments)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    names: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(_source(cell))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def problems(name: str, source: Path, suite: Path, tests: list[dict[str, Any]],
             student: Path | None = None) -> list[str]:
    """Every disagreement between the source notebook, the hidden suite and the student notebook.

    Parameters
    ----------
    name : str
        The assignment.
    source : Path
        ``assignments/<name>/<name>.ipynb``.
    suite : Path
        ``grader/suites/test_<name>.py``.
    tests : list of dict
        The suite's collected tests (:func:`grader.runner.collect_questions`): ``question`` and ``max_score``.
    student : Path, optional
        The student notebook ``otter assign`` wrote; without it the stub check is skipped.

    Returns
    -------
    list of str
        One sentence per problem, empty when everything agrees.
    """
    questions = notebook_questions(source)
    graded = {q: c for q, c in questions.items() if not c.get("manual")}
    points: dict[str, float] = {}
    for test in tests:
        points[test["question"]] = points.get(test["question"], 0.0) + float(test["max_score"])
    out = []
    for q, total in points.items():
        if q not in questions:
            near = [n for n in questions if _close(n, q)]
            out.append(f"{suite.name} grades question {q!r} ({total:g} points), but {source.name} has no question "
                       f"named {q!r}" + (f" (did you mean {near[0]!r}?)" if near else "")
                       + f"; its questions are {sorted(questions)}.")
        elif q in graded and abs(float(graded[q].get("points", 0) or 0) - total) > 1e-9:
            out.append(f"question {q!r}: {source.name} gives it {float(graded[q].get('points', 0) or 0):g} points, "
                       f"but its hidden tests in {suite.name} add up to {total:g}; make the two agree.")
    for q, config in graded.items():
        if q not in points:
            out.append(f"question {q!r} ({float(config.get('points', 0) or 0):g} points in {source.name}) has no "
                       f"hidden test in {suite.name}: add tests marked @pytest.mark.question({q!r}, points=...) or "
                       "mark the question manual: true.")
    if "prediction" not in points:
        out.append(f"{suite.name} grades no 'prediction' question: every lab asks for a prediction first.")
    if student is not None and student.exists():
        defined = student_names(student)
        for missing in sorted(suite_names(suite) - defined):
            out.append(f"{suite.name} reads {missing!r} from the submission, but the student notebook defines no "
                       f"{missing!r}: give it a stub in {source.name} (e.g. a solution cell `def {missing}(...):` "
                       f"with its body between BEGIN/END SOLUTION, or `{missing} = ...  # SOLUTION`).")
    return out


def _close(a: str, b: str) -> bool:
    """Whether two question names differ by a typo (one edit, or two swapped letters)."""
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8
