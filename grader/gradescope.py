"""Gradescope entry point: ``python -m grader.gradescope`` (called by ``run_autograder``).

Always leaves a valid ``results/results.json``, whatever the submission does:

1. before importing anything heavy it writes a provisional zero result
   ("grading did not finish"), built from the hidden tests listed in the
   zip's ``assignment.json``; if the process is then killed (``run_autograder``
   runs it under a wall-clock budget) or dies, that file is what Gradescope
   reads;
2. it grades the notebook and replaces the file atomically with the real
   result; a garbage notebook, a crash of the grader itself, or no notebook at
   all gives a zero-score result with an explanation.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from grader.results import write_results, zero_results_for

__all__ = ["DEFAULT_ROOT", "find_notebook", "main", "pending_message"]

DEFAULT_ROOT = "/autograder"


def find_notebook(submission_dir: Path, assignment: str) -> Path | None:
    """The submitted notebook: ``<assignment>.ipynb`` if present, else the first ``.ipynb`` found."""
    exact = sorted(submission_dir.rglob(f"{assignment}.ipynb"))
    if exact:
        return exact[0]
    found = sorted(p for p in submission_dir.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return found[0] if found else None


def pending_message(budget: str | None) -> str:
    """What a student reads when grading was stopped before it finished."""
    limit = f" within its time limit of {budget} s" if budget else ""
    return (f"Grading did not finish{limit}: the notebook, or a function the tests called, ran too long or "
            "crashed the grader. Check for infinite loops and very slow code, then resubmit.")


def _load_meta(source: Path) -> dict[str, Any]:
    try:
        meta = json.loads((source / "assignment.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"assignment": "unknown", "questions": []}
    return meta if isinstance(meta, dict) else {"assignment": "unknown", "questions": []}


def main(root: str | os.PathLike | None = None) -> int:
    """Grade ``<root>/submission`` into ``<root>/results/results.json``; returns 0.

    ``root`` defaults to ``$OPSGRADE_AUTOGRADER_ROOT``, else ``/autograder``.
    """
    start = time.monotonic()
    root = Path(root or os.environ.get("OPSGRADE_AUTOGRADER_ROOT", DEFAULT_ROOT))
    source = Path(__file__).resolve().parent.parent
    results_path = root / "results" / "results.json"
    meta = _load_meta(source)
    assignment = str(meta.get("assignment", "unknown"))
    questions = [q for q in meta.get("questions", []) if isinstance(q, dict)]
    budget = os.environ.get("OPSGRADE_GRADING_SECONDS")
    write_results(zero_results_for(assignment, questions, pending_message(budget), status="unfinished"), results_path)
    try:
        notebook = find_notebook(root / "submission", assignment)
        if notebook is None:
            results = zero_results_for(assignment, questions, "No .ipynb notebook was found in the submission.")
        else:
            from grader.sandbox.parent import prestart

            prestart()  # the sandbox's imports overlap the suite's
            from grader.runner import grade_notebook

            results = grade_notebook(assignment, notebook)
    except BaseException as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        results = zero_results_for(assignment, questions, f"The autograder failed on this submission: {detail}",
                                   status="grader-error")
        traceback.print_exc()
    results["execution_time"] = round(time.monotonic() - start, 3)
    write_results(results, results_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
