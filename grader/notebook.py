"""Read a submitted notebook into a list of code-cell sources, defensively."""

from __future__ import annotations

import ast
import functools
import json
import os
import stat
from pathlib import Path

__all__ = ["SubmissionError", "code_cells", "read_code_cells"]

# IPython magics whose Python argument Jupyter executes in the user's namespace: the grader runs that code too.
_TRANSPARENT_LINE = frozenset({"time"})
_TRANSPARENT_CELL = frozenset({"time", "capture"})
_NEUTRAL = {"getoutput": "[]", "system": "None", "run_line_magic": "None", "run_cell_magic": "None"}


class SubmissionError(Exception):
    """The submission cannot be graded at all (unreadable file, no code)."""


def _ipython_call(node: ast.AST) -> tuple[str, list[ast.expr]] | None:
    """``(method, args)`` when ``node`` is ``get_ipython().method(...)``, else ``None``."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name)
            and node.func.value.func.id == "get_ipython"):
        return node.func.attr, list(node.args)
    return None


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


_REMEMBERED_CHARS = 4_000
"""Cells up to this long are cleaned once per process (the cells a course hands out are the same in every
submission); a longer one is cleaned each time, so a worker never keeps a notebook's huge cells alive."""


def _clean(source: str) -> str:
    """:func:`_cleaned`, remembered for cells up to :data:`_REMEMBERED_CHARS` characters."""
    return _remembered(source) if len(source) <= _REMEMBERED_CHARS else _cleaned(source)


def _cleaned(source: str) -> str:
    """The Python that Jupyter runs for ``source``, with magics and shell escapes neutralised.

    The cell goes through IPython's own input transformer
    (:class:`IPython.core.inputtransformer2.TransformerManager`, what Jupyter
    runs before compiling a cell), so only what IPython treats as a magic is
    touched: a continuation line that starts with ``!=`` or ``%`` inside
    brackets, or a ``%`` inside a string, is ordinary Python and stays as
    written. Each resulting ``get_ipython().<method>(...)`` call is then
    replaced by a neutral value (``None``; ``[]`` for ``x = !cmd``), so no
    magic or shell command runs in the sandbox, except ``%time stmt``,
    ``%%time`` and ``%%capture``, whose Python code Jupyter executes in the
    user's namespace: that code is kept. A cell that is not valid Python even
    for IPython is returned transformed as it is, and fails in the sandbox
    with the SyntaxError Jupyter would show.
    """
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        code = TransformerManager().transform_cell(source)
    except Exception:  # IPython missing or confused: grade the cell as written
        return source
    if "get_ipython" not in code:
        return code
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    lines = code.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def span(node: ast.AST) -> tuple[int, int]:
        start = offsets[node.lineno - 1] + len(lines[node.lineno - 1].encode()[: node.col_offset].decode())
        end_line = lines[node.end_lineno - 1]
        end = offsets[node.end_lineno - 1] + len(end_line.encode()[: node.end_col_offset].decode())
        return start, end

    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and (call := _ipython_call(node.value)):
            method, args = call
            name = _literal(args[0]) if args else None
            body = _literal(args[-1]) if args else None
            if method == "run_line_magic" and name in _TRANSPARENT_LINE and body and _parses(body):
                edits.append((*span(node), body.strip()))
                continue
            if (method == "run_cell_magic" and name in _TRANSPARENT_CELL and len(args) == 3 and body is not None
                    and node.col_offset == 0 and _parses(body)):
                edits.append((*span(node), body.rstrip("\n") or "pass"))
                continue
        call = _ipython_call(node)
        if call:
            edits.append((*span(node), _NEUTRAL.get(call[0], "None")))
    out = code
    kept: list[tuple[int, int, str]] = []
    for start, end, text in sorted(edits, key=lambda e: (e[0], -e[1])):  # outer statements before their calls
        if not any(s <= start and end <= e for s, e, _ in kept):
            kept.append((start, end, text))
    for start, end, text in sorted(kept, reverse=True):
        out = out[:start] + text + out[end:]
    return out


_remembered = functools.lru_cache(maxsize=512)(_cleaned)  # at most about 4 MB of cells and their cleaned text


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
