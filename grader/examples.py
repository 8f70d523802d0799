"""Example submissions: the solution, the blank notebook and known-wrong variants.

Each assignment has ``examples/<name>.py`` defining ``VARIANTS``: how to turn
the solution notebook into a realistic wrong submission, and the exact number
of points that submission must lose (``"lost"``, with the reason ``"why"``).
Points lost rather than points kept, so that adding a question to a suite
does not change every variant's documented figure. ``solution`` (full marks on every
track) and ``blank`` (zero) are implicit. :func:`materialise_examples`
writes them all as notebooks, for the README's demo and for the tests.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from grader.build import REPO

__all__ = ["EXAMPLES_DIR", "expected_score", "load_variants", "make_variant", "materialise_examples", "set_track"]

EXAMPLES_DIR = REPO / "examples"
TRACK_LINE = re.compile(r'^TRACK\s*=\s*(?:["\'][a-z_]*["\']|None|\.\.\.)', re.MULTILINE)


def load_variants(assignment: str) -> dict[str, dict[str, Any]]:
    """``VARIANTS`` of ``examples/<assignment>.py`` (empty if the file is missing)."""
    path = EXAMPLES_DIR / f"{assignment}.py"
    if not path.exists():
        return {}
    spec = importlib.util.spec_from_file_location(f"opsgrade_examples_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.VARIANTS)


def expected_score(assignment: str, spec: dict[str, Any]) -> float:
    """The score a variant must get: the suite's total minus ``spec["lost"]``."""
    from grader.runner import collect_questions

    total = sum(q["max_score"] for q in collect_questions(assignment))
    return total - float(spec["lost"])


def _code_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in nb["cells"] if c.get("cell_type") == "code"]


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def make_variant(solution: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Apply ``spec["replace"]`` (cell prefix → new cell source) to a copy of ``solution``.

    A cell matches when its source, stripped of leading whitespace, starts
    with the prefix; exactly one cell must match each prefix.
    """
    nb = json.loads(json.dumps(solution))
    for prefix, new_source in spec.get("replace", {}).items():
        matches = [c for c in _code_cells(nb) if _source(c).lstrip().startswith(prefix)]
        if len(matches) != 1:
            raise ValueError(f"variant prefix {prefix!r} matches {len(matches)} code cells, expected 1")
        matches[0]["source"] = new_source
        matches[0]["outputs"] = []
    if "track" in spec:
        nb = set_track(nb, spec["track"])
    return nb


def set_track(nb: dict[str, Any], track: str) -> dict[str, Any]:
    """Copy of ``nb`` whose ``TRACK = "..."`` line names ``track``."""
    nb = json.loads(json.dumps(nb))
    for cell in _code_cells(nb):
        src = _source(cell)
        if TRACK_LINE.search(src):
            cell["source"] = TRACK_LINE.sub(f'TRACK = "{track}"', src, count=1)
            return nb
    raise ValueError("no TRACK = \"...\" line found in the notebook")


def materialise_examples(assignment: str, dest: Path, solutions: Path = REPO / "solutions",
                         dist: Path = REPO / "dist") -> dict[str, tuple[Path, float | None]]:
    """Write solution, blank and every variant of ``assignment`` to ``dest``.

    Returns
    -------
    dict
        Variant name → (notebook path, expected score or ``None`` for the
        solution, whose expected score is the suite's total).
    """
    dest.mkdir(parents=True, exist_ok=True)
    solution = json.loads((solutions / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    blank = json.loads((dist / assignment / "student" / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    out: dict[str, tuple[Path, float | None]] = {}

    def write(name: str, nb: dict[str, Any], score: float | None) -> None:
        path = dest / f"{name}.ipynb"
        path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
        out[name] = (path, score)

    write("solution", solution, None)
    write("blank", blank, 0.0)
    for name, spec in load_variants(assignment).items():
        write(name, make_variant(solution, spec), expected_score(assignment, spec))
    return out
