"""A small Gradescope "Export Submissions" zip for the gradebook tests."""

from __future__ import annotations

import zipfile
from pathlib import Path

from grader.batch import Job, discover


def discover_export(tmp_path: Path, metadata: str, assignment: str = "a") -> tuple[list[Job], Path]:
    """Jobs of an export holding ``metadata`` and two empty notebooks (``submission_1``, ``submission_2``).

    Returns the jobs and the output folder they were discovered into.
    """
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("export/submission_metadata.yml", metadata)
        for k in (1, 2):
            zf.writestr(f"export/submission_{k}/{assignment}.ipynb", "{}")
    out = tmp_path / "out"
    return discover([export], assignment, out), out
