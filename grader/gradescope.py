"""Gradescope entry point: ``python3 -m grader.gradescope`` (called by ``run_autograder``).

Always writes ``results/results.json``, whatever the submission does: a
garbage notebook, a crash of the grader itself, or no notebook at all gives
a valid zero-score result with an explanation.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from grader.runner import grade_notebook, write_results, zero_results
from grader.sandbox.parent import prestart

__all__ = ["find_notebook", "main"]


def find_notebook(submission_dir: Path, assignment: str) -> Path | None:
    """The submitted notebook: ``<assignment>.ipynb`` if present, else the first ``.ipynb`` found."""
    exact = sorted(submission_dir.rglob(f"{assignment}.ipynb"))
    if exact:
        return exact[0]
    found = sorted(p for p in submission_dir.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return found[0] if found else None


def main(root: str | os.PathLike | None = None) -> int:
    """Grade ``<root>/submission`` into ``<root>/results/results.json``; returns 0."""
    root = Path(root or os.environ.get("OPSGRADE_AUTOGRADER_ROOT", "/autograder"))
    source = Path(__file__).resolve().parent.parent
    results_path = root / "results" / "results.json"
    start = time.monotonic()
    assignment = "unknown"
    try:
        meta: dict[str, Any] = json.loads((source / "assignment.json").read_text(encoding="utf-8"))
        assignment = meta["assignment"]
        notebook = find_notebook(root / "submission", assignment)
        if notebook is None:
            results = zero_results(assignment, "No .ipynb notebook was found in the submission.")
        else:
            prestart()  # the sandbox's imports overlap the suite's
            results = grade_notebook(assignment, notebook)
    except BaseException as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        results = zero_results(assignment, f"The autograder failed on this submission: {detail}")
        traceback.print_exc()
    results["execution_time"] = round(time.monotonic() - start, 3)
    write_results(results, results_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
