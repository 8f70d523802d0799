"""The fairness corpus: realistic mistakes and acceptable alternatives per assignment, as edits of the solution.

Each ``tests/fairness/<assignment>.py`` defines ``MUTANTS``, mutant name →
spec, written from the notebook's own text (not from the hidden suite):

* ``kind``: ``"mistake"`` (must lose points) or ``"alternative"`` (what the
  text allows: must keep every point);
* ``why``: the mistake or the choice, in one line;
* ``edit``: ``{cell prefix: [(old, new), ...]}``, substring replacements in
  the one solution code cell that starts with the prefix (each ``old`` must
  occur in it); ``replace``: ``{cell prefix: new source}`` for a whole cell;
  ``insert``: the source of a code cell inserted after the first code cell;
  ``track``: the track the submission sets;
* ``only`` (mistakes): the questions the mistake may lose. A point lost in
  any other question is a **cascade**: a right answer charged again for an
  upstream mistake;
* ``carried`` (optional): some test must say it passed by error carried
  forward;
* ``known_cascade`` (optional): why this mistake is still charged downstream
  (a limit of error carried forward today, stated so that the test fails on
  any *other* cascade while the table keeps counting this one);
* ``known_survivor`` (optional, mistakes): why this mistake keeps every point today (a limit of grading by value,
  stated so that the test fails on any *other* survivor while the table keeps counting this one as not killed).

:func:`grade_corpus` grades one assignment's mutants (and the solution) in
one batch; :func:`verdicts` turns the results into per-mutant verdicts that
``tests/test_suite_fairness.py`` asserts on and ``bench/fairness.py``
tabulates.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.examples import make_variant, set_track

__all__ = [
    "ASSIGNMENTS",
    "BLACK_CELL",
    "CORPORA",
    "Verdict",
    "alternative",
    "grade_corpus",
    "load_mutants",
    "materialise",
    "mistake",
    "mutate",
    "verdicts",
]

ASSIGNMENTS = (
    "drift_detective",
    "retraining_roi",
    "slice_deployment",
    "platform_roi",
    "canary_duration",
    "ensemble_lockdown",
)

BLACK_CELL = """%matplotlib inline
%load_ext autoreload
!echo "shell escapes are neutralised"
files = !ls
_parity = (7
    % 2)
_differs = (1
    != 2)
_text = "100% of %s" % "cells"
"""
"""A cell of magics and Black-formatted operator continuation lines (an alternative in every assignment)."""


CORPORA = ("project", "heldout")
"""``project``: ``tests/fairness/<name>.py``, grown with the suites; ``heldout``: ``tests/fairness/heldout/<name>.py``,
written later from the student notebooks alone by authors who had not read the suites or the project corpus."""


def load_mutants(name: str, corpus: str = "all") -> dict[str, dict[str, Any]]:
    """``MUTANTS`` of one corpus (``project``, ``heldout``) or both (``all``), each checked for a well-formed spec."""
    mutants: dict[str, dict[str, Any]] = {}
    for which in CORPORA if corpus == "all" else (corpus,):
        module = f"{__name__}.{name}" if which == "project" else f"{__name__}.heldout.{name}"
        try:
            more = importlib.import_module(module).MUTANTS
        except ModuleNotFoundError as missing:
            if which == "heldout" and missing.name == module:
                continue
            raise
        clash = set(more) & set(mutants)
        if clash:
            raise ValueError(f"{name}: mutant names in both corpora: {sorted(clash)}")
        mutants.update(more)
    for mutant, spec in mutants.items():
        if spec["kind"] not in ("mistake", "alternative") or not spec.get("why"):
            raise ValueError(f"{name}/{mutant}: kind and why are required")
        if spec["kind"] == "mistake" and not spec.get("only"):
            raise ValueError(f"{name}/{mutant}: a mistake declares the questions it may lose (only)")
        if not any(key in spec for key in ("edit", "replace", "insert", "track")):
            raise ValueError(f"{name}/{mutant}: no change to the solution")
    return mutants


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def mutate(solution: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The solution notebook with ``spec``'s changes applied."""
    nb = make_variant(solution, {"replace": spec.get("replace", {})})
    for prefix, edits in spec.get("edit", {}).items():
        cells = [c for c in nb["cells"] if c.get("cell_type") == "code" and _source(c).lstrip().startswith(prefix)]
        if len(cells) != 1:
            raise ValueError(f"edit prefix {prefix!r} matches {len(cells)} code cells, expected 1")
        text = _source(cells[0])
        for old, new in edits:
            if old not in text:
                raise ValueError(f"{old!r} is not in the cell starting with {prefix!r}")
            text = text.replace(old, new)
        cells[0]["source"] = text
        cells[0]["outputs"] = []
    if "insert" in spec:
        first = next(i for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code")
        nb["cells"].insert(
            first + 1,
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "fairness-insert",
                "metadata": {},
                "outputs": [],
                "source": spec["insert"],
            },
        )
    if "track" in spec:
        nb = set_track(nb, spec["track"])
    return nb


def materialise(
    name: str, solution: dict[str, Any], folder: Path, mutants: dict[str, dict[str, Any]], strict: bool = True
) -> list[str]:
    """Write the solution and every mutant of ``name`` as notebooks in ``folder``.

    With ``strict=False`` a mutant whose edit does not apply to this solution (an older notebook, when the script
    measures a past version of the project) is skipped and named in the returned list instead of raising.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "solution.ipynb").write_text(json.dumps(solution))
    skipped = []
    for mutant, spec in mutants.items():
        try:
            notebook = mutate(solution, spec)
        except ValueError:
            if strict:
                raise
            skipped.append(mutant)
            continue
        (folder / f"{mutant}.ipynb").write_text(json.dumps(notebook))
    return skipped


def grade_corpus(
    name: str,
    solutions: Path,
    dest: Path,
    mutants: dict[str, dict[str, Any]] | None = None,
    workers: int = 2,
    strict: bool = True,
) -> dict[str, dict[str, Any]]:
    """Grade the solution and ``mutants`` (default: all of ``name``'s) in one batch; mutant → results.json."""
    from grader.batch import grade_batch

    mutants = load_mutants(name) if mutants is None else mutants
    solution = json.loads((solutions / f"{name}.ipynb").read_text(encoding="utf-8"))
    materialise(name, solution, dest / "in", mutants, strict=strict)
    grade_batch(name, [dest / "in"], dest / "out", workers=workers)
    return {p.parent.name: json.loads(p.read_text()) for p in (dest / "out").glob("*/results.json")}


@dataclass
class Verdict:
    """How one mutant was graded."""

    name: str
    kind: str
    lost: dict[str, float] = field(default_factory=dict)
    cascade: dict[str, float] = field(default_factory=dict)
    carried: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def killed(self) -> bool:
        """A mistake that lost points."""
        return self.kind == "mistake" and bool(self.lost)

    @property
    def penalised(self) -> bool:
        """An alternative that lost points."""
        return self.kind == "alternative" and bool(self.lost)


def _lost(results: dict[str, Any]) -> dict[str, float]:
    lost: dict[str, float] = {}
    for t in results["tests"]:
        if t["score"] < t["max_score"]:
            lost[t["question"]] = round(lost.get(t["question"], 0.0) + t["max_score"] - t["score"], 6)
    return lost


def verdicts(
    name: str, graded: dict[str, dict[str, Any]], mutants: dict[str, dict[str, Any]] | None = None
) -> list[Verdict]:
    """One :class:`Verdict` per graded notebook (the solution counts as an alternative)."""
    mutants = load_mutants(name) if mutants is None else mutants
    out = []
    for mutant in sorted(graded):
        spec = mutants.get(mutant, {"kind": "alternative", "why": "the solution"})
        results = graded[mutant]
        v = Verdict(mutant, spec["kind"])
        label = f"{name}/{mutant} ({spec['why']})"
        if results["extra_data"]["status"] == "ungradable":
            v.problems.append(f"{label}: ungradable: {results['output'][:300]}")
        errors = [t["name"] for t in results.get("tests", []) if t.get("status") == "grader-error"]
        if errors:
            v.problems.append(f"{label}: grader errors {errors}")
        v.lost = _lost(results) if results.get("tests") else {}
        v.carried = sum(
            1
            for t in results.get("tests", [])
            if t["score"] == t["max_score"] and "error carried forward" in (t.get("output") or "")
        )
        if v.kind == "alternative" and v.lost:
            v.problems.append(
                f"{label} is acceptable but lost {v.lost}: "
                + "; ".join(t["output"][:240] for t in results["tests"] if t["score"] < t["max_score"])
            )
        if v.kind == "mistake":
            only = spec["only"]
            only = {only} if isinstance(only, str) else set(only)
            v.cascade = {q: p for q, p in v.lost.items() if q not in only}
            if not v.lost and not spec.get("known_survivor"):
                v.problems.append(f"{label} lost no points")
            elif v.cascade and not spec.get("known_cascade"):
                v.problems.append(f"{label} cascades beyond {sorted(only)}: lost {v.lost}")
            if spec.get("carried") and not v.carried:
                v.problems.append(f"{label}: no test says it carried error forward")
        out.append(v)
    return out


def mistake(why: str, only: str | set[str], **change: Any) -> dict[str, Any]:
    """A mistake's spec: ``why``, the questions it may lose, and its change (``edit=``, ``replace=``, ...)."""
    return {"kind": "mistake", "why": why, "only": only, **change}


def alternative(why: str, **change: Any) -> dict[str, Any]:
    """An acceptable alternative's spec: ``why`` and its change."""
    return {"kind": "alternative", "why": why, **change}
