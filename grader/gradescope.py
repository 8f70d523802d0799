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

__all__ = [
    "DEFAULT_ROOT",
    "apply_policy",
    "find_notebook",
    "load_policy",
    "main",
    "pending_message",
    "summary_test",
]

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


VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
SUMMARY_NAME = "Submission received"


def load_policy(source: Path) -> dict[str, Any]:
    """The visibility policy of ``otter_config.json``: ``hidden_test_visibility`` and ``submission_summary``."""
    try:
        config = json.loads((source / "otter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    visibility = config.get("hidden_test_visibility", "after_published")
    if visibility not in VISIBILITIES:
        visibility = "after_published"
    return {"hidden_test_visibility": visibility, "submission_summary": bool(config.get("submission_summary", True))}


def summary_test(results: dict[str, Any]) -> dict[str, Any]:
    """The visible 0-point "Submission received" test: questions answered and public checks, never hidden scores.

    Marked ``failed`` (Gradescope shows it red), with the reason, when the notebook could not be run at all
    (corrupted, empty, no notebook, grading did not finish); ``passed`` otherwise.
    """
    questions = list(dict.fromkeys(t["question"] for t in results.get("tests", []) if t.get("question")))
    public = results.get("extra_data", {}).get("public_checks") or {}
    status = results.get("extra_data", {}).get("status")
    lines = []
    failed = status in ("ungradable", "unfinished", "grader-error")
    if failed:
        reason = str(results.get("output") or "").strip().splitlines()
        head = ("Submission received, but the notebook could not be run"
                + (f": {reason[0]}" if reason else ": see the message above.")
                + ("" if status == "unfinished" else " Fix this and resubmit: every question scores zero until then."))
    elif not public:
        head = f"Submission received: {len(questions)} auto-graded questions; no public checks to report."
    else:
        answered = sum(1 for q in public.values() if q.get("answered"))
        passed = sum(1 for q in public.values() if q.get("passed"))
        head = (f"Submission received: {answered} of {len(public)} questions with public checks answered; "
                f"public checks passed on {passed} of {len(public)}.")
        for q, entry in public.items():
            state = "passed" if entry.get("passed") else ("failed" if entry.get("answered") else "not answered")
            detail = f" ({entry['message']})" if entry.get("message") and not entry.get("passed") else ""
            lines.append(f"{q}: public checks {state}{detail}")
    return {"name": SUMMARY_NAME, "score": 0.0, "max_score": 0.0, "status": "failed" if failed else "passed",
            "output": "\n".join([head, *lines]), "visibility": "visible"}


def apply_policy(results: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    """Set the hidden tests' visibility and add the summary test, as ``otter_config.json`` asks."""
    for test in results.get("tests", []):
        if test.get("question") and test.get("visibility") != "visible":
            test["visibility"] = policy["hidden_test_visibility"]
    if policy["submission_summary"]:
        results["tests"] = [summary_test(results), *results.get("tests", [])]
    return results


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
    policy = load_policy(source)
    pending = zero_results_for(assignment, questions, pending_message(budget), status="unfinished")
    write_results(apply_policy(pending, policy), results_path)
    from grader.sandbox.isolation import lock_down

    lock_down(source, results_path.parent)  # second wall beside Landlock: the child's own uid cannot read these
    try:
        notebook = find_notebook(root / "submission", assignment)
        if notebook is None:
            results = zero_results_for(assignment, questions, "No .ipynb notebook was found in the submission.")
        else:
            from grader.sandbox.parent import prestart
            from grader.sandbox.preload import modules_for

            prestart(modules_for([notebook], assignment))  # the sandbox's imports overlap the suite's
            from grader import runner

            try:
                runner.PUBLIC_CHECKS.update(json.loads((source / "public_checks.json").read_text(encoding="utf-8")))
            except (OSError, ValueError):
                pass
            results = runner.grade_notebook(assignment, notebook)
    except BaseException as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        results = zero_results_for(assignment, questions, f"The autograder failed on this submission: {detail}",
                                   status="grader-error")
        traceback.print_exc()
    results["execution_time"] = round(time.monotonic() - start, 3)
    write_results(apply_policy(results, policy), results_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
