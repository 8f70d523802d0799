"""What the sandbox's forkserver imports before it forks children: only what the notebooks will use.

The forkserver imports modules once so that every child starts warm. A
module nobody uses is pure cost: a one-shot Gradescope run, or a small batch,
pays its whole import before the first cell can run (``scipy.stats`` alone is
about 0.7 s of CPU, ``matplotlib.pyplot`` 0.4 s, ``pandas`` 0.3 s). So the
forkserver preloads :data:`ALWAYS` plus the modules of :data:`OPTIONAL` that
(or a submodule of which) the submitted notebooks import anywhere, or the
assignment's student kit or hidden suite import at module level (the suite's
imports are the types its calls send to the child). A module left out is still
importable by the child: it is imported later, inside the cell or call that
needs it (and counts against that cell's time limit, which is far larger).

While grading, the kits draw no figures (``labkit.interactive`` returns
without drawing when ``OPSGRADE_SANDBOX=1``), so matplotlib is preloaded only
for notebooks that import it themselves.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["ALWAYS", "OPTIONAL", "imported_modules", "modules_for"]

ALWAYS = ("numpy",)
"""Every kit and every lab uses NumPy."""
OPTIONAL = ("pandas", "scipy.special", "scipy.optimize", "scipy.stats", "matplotlib.pyplot", "ipywidgets")
"""Modules worth preloading when something imports them (each costs 0.1-0.7 s of CPU to import).

Only these, never a name read from a submission: the forkserver is not
confined, so it imports nothing but these installed libraries."""
_NAMES = r"[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*"
_STATEMENT = re.compile(rf"\bfrom\s+([\w.]+)\s+import\s+\(?\s*({_NAMES})|\bimport\s+({_NAMES})")
_KITS = Path(__file__).resolve().parent.parent / "studentkit"
_SUITES = Path(__file__).resolve().parent.parent / "suites"
_MAX_CHARS = 5_000_000


def _text(path: str | os.PathLike) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(_MAX_CHARS)
    except (OSError, ValueError):
        return ""


def _names(group: str) -> list[str]:
    return [part.split()[0] for part in group.split(",") if part.strip()]


def imported_modules(text: str, top_level_only: bool = False) -> set[str]:
    """Dotted names a source (or a notebook's JSON) may import: ``import a.b`` gives ``a.b``;
    ``from a import b`` gives ``a`` and ``a.b`` (``b`` may be a submodule).

    With ``top_level_only``, only statements at the start of a line count: a
    kit's imports inside its plotting functions run only when a figure is
    drawn, which grading never does.
    """
    found: set[str] = set()
    for line in text.replace("\\n", "\n").splitlines():
        if "import" not in line or (top_level_only and not line.startswith(("import ", "from "))):
            continue  # both statements need the word: most of a notebook's lines are skipped here
        for m in _STATEMENT.finditer(line):
            if m.group(1):
                found.add(m.group(1))
                found.update(f"{m.group(1)}.{name}" for name in _names(m.group(2)))
            else:
                found.update(_names(m.group(3)))
    return found


def modules_for(notebooks: Iterable[str | os.PathLike], assignment: str) -> list[str]:
    """The modules the forkserver should import for these submissions of ``assignment``.

    Parameters
    ----------
    notebooks : iterable of path
        The submitted notebooks (read as text, at most 5 MB each; they may be
        garbage, FIFOs are skipped).
    assignment : str
        Assignment name: its kit ``grader/studentkit/<assignment>_kit.py`` and its hidden suite (whose
        module-level imports are the types its calls send to the child, e.g. DataFrames) count too.

    Returns
    -------
    list of str
        :data:`ALWAYS`, then each :data:`OPTIONAL` module that is imported, or a submodule of which is
        imported, in :data:`OPTIONAL`'s order.
    """
    used = imported_modules(_text(_KITS / f"{assignment}_kit.py"), top_level_only=True)
    used |= imported_modules(_text(_SUITES / f"test_{assignment}.py"), top_level_only=True)
    for notebook in notebooks:
        if os.path.isfile(notebook):  # never block on a FIFO
            # anywhere in a cell, in functions too: a student's function may import when a test calls it
            used |= imported_modules(_text(notebook))
    return [*ALWAYS, *(mod for mod in OPTIONAL if any(u == mod or u.startswith(mod + ".") for u in used))]
