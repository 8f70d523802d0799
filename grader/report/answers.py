"""What the report reads from the submitted notebooks: written answers and code cells, within bounds.

Nothing here runs student code. Every read is bounded, so one hostile notebook costs the report one row with a
note, never the whole class: a notebook larger than :data:`MAX_NOTEBOOK_BYTES` or nested too deeply for the JSON
decoder is not read; a cell longer than :data:`MAX_CELL_CHARS` is left out of similarity and of the answers.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.report.gradebook import read_json

__all__ = ["MAX_CELL_CHARS", "MAX_NOTEBOOK_BYTES", "code_cells", "locate_notebooks", "notebook_answers",
           "read_notebook"]

MAX_NOTEBOOK_BYTES = 50 * 2**20
"""The grader's own limit on a notebook's size."""
MAX_CELL_CHARS = 100_000
"""A cell longer than this (about 2,000 lines) is no answer to a lab question: it is left out, with a note."""
_PLACEHOLDER = re.compile(r"^_?type your answer here, replacing this text\._?$", re.IGNORECASE)


def _cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        if sum(len(s) for s in source if isinstance(s, str)) > MAX_CELL_CHARS:
            return ""
        source = "".join(str(s) for s in source)
    return source if isinstance(source, str) and len(source) <= MAX_CELL_CHARS else ""


def _oversized(cells: list[Any]) -> int:
    """How many cells are longer than :data:`MAX_CELL_CHARS`."""
    count = 0
    for cell in cells:
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        size = sum(len(s) for s in source if isinstance(s, str)) if isinstance(source, list) else len(str(source))
        count += size > MAX_CELL_CHARS
    return count


def _heading(markdown: str) -> str:
    for line in markdown.splitlines():
        line = line.strip()
        if line and not line.startswith("<!--"):
            return line.lstrip("#").strip().strip("*").strip()
    return "reflection"


def _prediction(source: str) -> str | None:
    """The last string assigned to ``PREDICTION`` at the top level of ``source`` (not executed), if any."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PREDICTION"
                                                for t in node.targets):
            value = node.value
            found = value.value.strip() if isinstance(value, ast.Constant) and isinstance(value.value, str) else ""
    return found


def notebook_answers(notebook: dict[str, Any]) -> dict[str, str]:
    """The written answers of one notebook: ``PREDICTION`` and each hand-graded question's text.

    ``PREDICTION`` is the last string assigned to it at the top level of a code cell (not
    executed: the cell is parsed). A hand-graded question is an otter block between
    ``<!-- BEGIN QUESTION -->`` and ``<!-- END QUESTION -->``; its answer is the markdown
    written inside the block after the prompt, the otter placeholder removed. Cells longer than
    :data:`MAX_CELL_CHARS` are skipped.

    Returns
    -------
    dict
        ``"prediction"`` and each question's heading → text (empty when left blank).
    """
    out: dict[str, str] = {"prediction": ""}
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return out
    title: str | None = None
    answer: list[str] = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = _cell_source(cell)
        kind = cell.get("cell_type")
        if kind == "code" and "PREDICTION" in source:
            found = _prediction(source)
            if found is not None:
                out["prediction"] = found
        if kind != "markdown":
            continue
        if "<!-- BEGIN QUESTION -->" in source:
            title, answer = _heading(source.replace("<!-- BEGIN QUESTION -->", "")), []
            continue
        if "<!-- END QUESTION -->" in source and title is not None:
            out[title] = "\n\n".join(answer).strip()
            title = None
            continue
        if title is not None:
            text = source.strip()
            if text and not _PLACEHOLDER.match(text):
                answer.append(text)
    return out


def read_notebook(path: Path | None) -> tuple[dict[str, Any] | None, str]:
    """``(notebook, note)``: the parsed notebook (``None`` when unreadable) and what the report could not use.

    The note is empty for an ordinary notebook; it names a notebook that could not be read (too large, nested
    too deeply, not JSON) or the cells left out for their size.
    """
    if path is None:
        return None, ""
    data, why = read_json(Path(path), MAX_NOTEBOOK_BYTES)
    if not isinstance(data, dict):
        return None, f"notebook not read: {why or 'not a Jupyter notebook'}"
    cells = data.get("cells")
    big = _oversized(cells) if isinstance(cells, list) else 0
    note = (f"{big} cell(s) longer than {MAX_CELL_CHARS:,} characters left out of similarity and answers"
            if big else "")
    return data, note


def locate_notebooks(submissions: Sequence[str | Path], assignment: str, folder: Path) -> dict[str, Path]:
    """Submission id → notebook path, for the same inputs ``opsgrade grade`` was given.

    Uses :func:`grader.batch.discover`, so ids are those of the gradebook's folders
    (a Gradescope export zip is read from the extraction ``opsgrade grade`` left in
    ``folder/_exports``).
    """
    from grader.batch import discover

    return {job.id: job.notebook for job in discover(submissions, assignment, folder) if job.notebook is not None}


def code_cells(notebook: dict[str, Any]) -> list[str]:
    """The notebook's code cells as the grader sees them (magics neutralised), oversized ones left out."""
    from grader.notebook import SubmissionError
    from grader.notebook import code_cells as grader_cells

    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return []
    kept = [c for c in cells if isinstance(c, dict) and (c.get("cell_type") != "code" or _cell_source(c))]
    try:
        return grader_cells({**notebook, "cells": kept})
    except (SubmissionError, RecursionError, MemoryError):
        return []
