"""Common mistakes: failing hints grouped by what differs between mistakes, matched to the bundled wrong variants.

A hint is reduced to its *pattern*: the inputs that vary from student to student (call arguments, numbers, track
names) are taken out, while what tells one mistake from another stays: quoted values (``'Significant'`` is not
``'significant'``) and words such as ``None``, ``NaN`` or ``True``. Failures that only say a question was not
attempted (a function left as ``...`` returns nothing, a name the notebook never defines, an empty ``PREDICTION``)
are folded into one row, and so are the tests skipped because ``TRACK`` names no track.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from grader.report.gradebook import UNGRADED, load_results, status_of

__all__ = ["FOLDS", "fold_of", "mistake_groups", "normalise_hint", "variant_signatures"]

_QUOTED = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?(?:\d[\d_,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TRACK = re.compile(r"\b(on track|track) [a-z_]+")
_OPAQUE = re.compile(r"<[^<>]*>")
_QUOTE_KEPT = 40
"""Quoted values up to this length stay in the pattern; longer ones (a pasted input) become ``'…'``."""

FOLDS = (
    ("not attempted", "left blank: the function returns nothing (still `...`), a name is never defined, or "
                      "PREDICTION is empty",
     re.compile(r"returned (None|Ellipsis|<ellipsis)|\bis not defined\b|\bis not a function\b|"
                r"^PREDICTION must be a non-empty string", re.IGNORECASE)),
    ("no valid TRACK", "TRACK names no track, so every track-specific test scores zero",
     re.compile(r"^TRACK is |no valid TRACK|^no TRACK in the notebook")),
)
"""(row name, what it means, hint pattern): failures folded into one row each instead of one row per test."""


def _strip_brackets(text: str) -> str:
    """Replace the content of every outermost (), [] or {} by an ellipsis."""
    out = []
    depth = 0
    pairs = {"(": ")", "[": "]", "{": "}"}
    closers = set(pairs.values())
    for ch in text:
        if ch in pairs:
            if depth == 0:
                out.append(ch + "…")
            depth += 1
        elif ch in closers and depth:
            depth -= 1
            if depth == 0:
                out.append(ch)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def normalise_hint(text: str) -> str:
    """A failing hint with its inputs and numbers taken out, so hints of one cause compare equal.

    Call arguments and other bracketed inputs become ``(…)``, numbers ``#`` and track names ``track …``;
    quoted values stay (up to 40 characters, longer ones become ``'…'``), as do words such as ``None``,
    ``NaN``, ``True``: they tell causes apart (an unimplemented function returns ``None``; ``'Significant'``
    is another mistake than ``'significant'``).

    Examples
    --------
    >>> normalise_hint("psi([0, 1], [0, 1]) returned NaN; expected 0")
    'psi(…) returned NaN; expected #'
    >>> normalise_hint("drift_status(0.2) returned 'Significant'; expected 'investigate'")
    "drift_status(…) returned 'Significant'; expected 'investigate'"
    """
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    first = _OPAQUE.sub("<…>", re.sub("[\ue000-\uf8ff]", "", first))
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        value = match.group(0)
        kept.append(value if len(value) <= _QUOTE_KEPT else value[0] + "…" + value[0])
        return chr(0xE000 + len(kept) - 1)  # a private-use character: no digit, bracket or word for later passes

    first = _QUOTED.sub(keep, first)
    first = _strip_brackets(first)
    first = _TRACK.sub(r"\1 …", first)
    first = _NUMBER.sub("#", first)
    first = re.sub("[\ue000-\uf8ff]", lambda m: kept[ord(m.group(0)) - 0xE000], first)
    return " ".join(first.split())


def fold_of(hint: str) -> str | None:
    """The name of the folded row a failing hint belongs to (:data:`FOLDS`), or ``None`` for a mistake of its own."""
    first = (hint or "").strip()
    for name, _, pattern in FOLDS:
        if pattern.search(first):
            return name
    return None


def _failures(data: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(test name, normalised hint) → raw hint, for each failed test of one result."""
    out = {}
    for t in data.get("tests", []):
        if not isinstance(t, dict) or "name" not in t:
            continue
        if float(t.get("score", 0.0)) < float(t.get("max_score", 0.0)) - 1e-9:
            out[(t["name"], normalise_hint(t.get("output") or ""))] = t.get("output") or ""
    return out


def variant_signatures(folder: str | Path | None, assignment: str) -> dict[str, dict[str, Any]]:
    """Failure signatures of the bundled wrong variants, read from a folder where they were graded.

    Parameters
    ----------
    folder : path or None
        A gradebook of the bundled examples (``opsgrade demo`` writes
        ``dist/demo-gradebook/<assignment>``; ``opsgrade grade`` on
        ``dist/examples/<assignment>`` does too). ``None`` gives no signatures.
    assignment : str
        Whose ``examples/<assignment>.py`` gives each variant's ``why``.

    Returns
    -------
    dict
        Variant name → ``{"why": str, "failures": set of (test, normalised hint)}``;
        the blank starter notebook is included as ``blank`` ("nothing implemented").
    """
    if folder is None:
        return {}
    from grader.examples import load_variants

    graded = load_results(folder)
    specs = load_variants(assignment)
    out = {}
    for name, spec in specs.items():
        if name in graded:
            out[name] = {"why": spec.get("why", ""), "failures": set(_failures(graded[name]))}
    if "blank" in graded:
        out["blank"] = {"why": "The starter notebook as handed out: nothing implemented.",
                        "failures": set(_failures(graded["blank"]))}
    return out


def _new_group(test: str, question: str, points: float, pattern: str, example: str) -> dict[str, Any]:
    return {"test": test, "question": question, "points": points, "pattern": pattern, "count": 0,
            "failures": 0, "submissions": [], "example": example, "tests": {}, "meaning": ""}


def mistake_groups(results: dict[str, dict[str, Any]],
                   variants: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Failing hints grouped by (test, normalised hint), the folded kinds one row each, largest group first.

    Parameters
    ----------
    results : dict
        Submission id → results.json; ungradable ones are skipped (their hint is the same
        note on every test).
    variants : dict, optional
        From :func:`variant_signatures`.

    Returns
    -------
    list of dict
        ``test`` (a folded row: its name, e.g. ``not attempted``), ``question``, ``points`` (lost per
        submission; a folded row: the most one submission lost in it), ``pattern`` (normalised hint; a folded
        row: what it means), ``count`` (submissions), ``failures`` (failed tests in the group), ``tests``
        (test → submissions failing it, for folded rows), ``submissions`` (sorted ids), ``example`` (hint of
        the first id), ``variants`` (names of the variants that fail the same way, each with ``why`` and
        ``exact``: how many of the group's submissions fail exactly the variant's set of tests, no more, no
        less).
    """
    variants = variants or {}
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    keys_of: dict[tuple[str, str], set[tuple[str, str]]] = {}
    signatures: dict[str, frozenset] = {}
    meanings = {name: meaning for name, meaning, _ in FOLDS}
    for sid, data in sorted(results.items()):
        if status_of(data) in UNGRADED:
            continue
        failures = _failures(data)
        signatures[sid] = frozenset(failures)
        maxima = {t["name"]: (t.get("question", t["name"]), float(t.get("max_score", 0.0)))
                  for t in data.get("tests", []) if isinstance(t, dict) and "name" in t}
        lost: dict[tuple[str, str], float] = {}
        for key, raw in failures.items():
            question, points = maxima.get(key[0], (key[0], 0.0))
            fold = fold_of(raw)
            gkey = (fold, "") if fold else key
            group = groups.get(gkey)
            if group is None:
                if fold:
                    group = _new_group(fold, "", 0.0, meanings[fold], raw)
                    group["meaning"] = meanings[fold]
                else:
                    group = _new_group(key[0], question, points, key[1], raw)
                groups[gkey] = group
                keys_of[gkey] = set()
            keys_of[gkey].add(key)
            group["failures"] += 1
            group["tests"].setdefault(key[0], []).append(sid)
            lost[gkey] = lost.get(gkey, 0.0) + points
            if not group["submissions"] or group["submissions"][-1] != sid:
                group["count"] += 1
                group["submissions"].append(sid)
        for gkey, points in lost.items():
            if gkey[0] in meanings:
                groups[gkey]["points"] = max(groups[gkey]["points"], points)
    out = []
    for gkey, group in groups.items():
        matched = []
        for name, spec in sorted(variants.items()):
            if keys_of[gkey] & spec["failures"]:
                exact = sum(1 for sid in group["submissions"] if signatures[sid] == frozenset(spec["failures"]))
                matched.append({"name": name, "why": spec["why"], "exact": exact})
        matched.sort(key=lambda m: (-m["exact"], m["name"] == "blank", m["name"]))
        group["variants"] = matched
        if not group["meaning"]:
            group["tests"] = {}
        out.append(group)
    out.sort(key=lambda g: (-g["count"], bool(g["meaning"]), g["test"], g["pattern"]))
    return out
