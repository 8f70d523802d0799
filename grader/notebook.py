"""Read a submitted notebook into a list of code-cell sources, defensively."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

__all__ = ["SubmissionError", "code_cells", "read_code_cells"]

_MAGIC = re.compile(r"^(\s*)([%!].*)$")


class SubmissionError(Exception):
    """The submission cannot be graded at all (unreadable file, no code)."""


def _clean(source: str) -> str:
    """Comment out IPython magics and shell escapes, which plain Python cannot run."""
    if source.lstrip().startswith("%%"):
        return "# (cell magic removed by the grader)\n" + "\n".join("# " + line for line in source.splitlines())
    return "\n".join(_MAGIC.sub(r"\1pass  # \2", line) for line in source.splitlines())


def code_cells(notebook: dict) -> list[str]:
    """Code-cell sources of a parsed notebook (v4 JSON), magics neutralised."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise SubmissionError("the notebook has no list of cells (is it a Jupyter notebook?)")
    out = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        if not isinstance(source, str):
            continue
        out.append(_clean(source))
    if not any(s.strip() for s in out):
        raise SubmissionError("the notebook has no code cells")
    return out


def read_code_cells(path: str | Path) -> list[str]:
    """Load ``path`` and return its code cells; raises :class:`SubmissionError` when unreadable."""
    path = Path(path)
    limit = 50 * 2**20
    try:  # never block on a FIFO or device put where a notebook should be, never read more than the limit
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise SubmissionError(f"{path.name} is not a regular file")
            with os.fdopen(fd, "rb", closefd=False) as fh:
                raw = fh.read(limit + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        raise SubmissionError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise SubmissionError(f"{path.name} is larger than 50 MB")
    try:
        notebook = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmissionError(f"{path.name} is not a valid notebook (corrupted JSON: {exc})") from None
    return code_cells(notebook)
