"""Gradescope ``results.json`` helpers that import nothing but the standard library.

:mod:`grader.gradescope` writes a provisional zero result with these before it
imports pytest, hypothesis or the scientific stack, so that a submission whose
grading never finishes (or an interpreter that cannot import them) still
leaves a valid file behind.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["RESULTS_SCHEMA_VERSION", "question_points", "write_results", "zero_results_for"]

RESULTS_SCHEMA_VERSION = 1


def zero_results_for(assignment: str, questions: Iterable[Mapping[str, Any]], message: str,
                     status: str = "ungradable") -> dict[str, Any]:
    """A valid results.json giving zero on every listed hidden test, with ``message`` as output.

    Parameters
    ----------
    assignment : str
        Assignment name (recorded in ``extra_data``).
    questions : iterable of mapping
        Hidden tests as :func:`grader.runner.collect_questions` lists them
        (``question``, ``title``, ``max_score``, ``visible``).
    message : str
        Shown as the overall output and as every test's output.
    status : str
        ``extra_data["status"]``.

    Returns
    -------
    dict
        Gradescope results with ``score`` 0.
    """
    tests = [{
        "name": f"{q['question']}: {q['title']}",
        "question": q["question"],
        "score": 0.0,
        "max_score": q["max_score"],
        "status": "failed",
        "output": message,
        "visibility": "visible" if q.get("visible") else "after_published",
    } for q in questions]
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": message,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"assignment": assignment, "schema": RESULTS_SCHEMA_VERSION, "status": status},
    }


def write_results(results: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write ``results`` atomically (temporary file, fsync, rename, fsync of the folder): never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = (json.dumps(results, indent=2, sort_keys=False, allow_nan=False) + "\n").encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)  # the bytes are on disk before the name points at them (power loss keeps old or new)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:  # pragma: no cover - directories that cannot be fsynced
        pass


def question_points(results: dict[str, Any]) -> OrderedDict[str, tuple[float, float]]:
    """Question → (score, max score), in suite order."""
    out: OrderedDict[str, tuple[float, float]] = OrderedDict()
    for test in results.get("tests", []):
        q = test.get("question", test["name"])
        score, maximum = out.get(q, (0.0, 0.0))
        out[q] = (score + float(test.get("score", 0.0)), maximum + float(test.get("max_score", 0.0)))
    return out
