"""Gradebook report over a folder of results.json files (``opsgrade report DIR``).

Besides the console table and two PNG figures, :func:`build_report` writes
``DIR/report.html``, one self-contained page (figures inlined as base64 PNG, no script,
no external asset) with the summary, item analysis, common mistakes, similar
submissions and the students' predictions and reflections, and the same data as
``DIR/report.json`` and ``DIR/report_*.csv``.

Only results and notebooks are read: nothing is regraded. The bundled wrong
variants' failure signatures come from a folder where they were graded once
(``opsgrade demo`` writes ``dist/demo-gradebook/<name>``).
"""

from __future__ import annotations

import ast
import base64
import io
import json
import math
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "STATUSES",
    "build_report",
    "discrimination",
    "histogram_bins",
    "item_analysis",
    "load_results",
    "mistake_groups",
    "normalise_hint",
    "notebook_answers",
    "status_of",
    "summarise",
    "variant_signatures",
    "write_figures",
]

STATUSES = ("ok", "cell-errors", "timeouts", "ungradable", "grader-error")
_TIMEOUT = re.compile(r"no answer within|timed out|CPU time limit", re.IGNORECASE)
_UNGRADED = ("ungradable", "grader-error", "missing")


def load_results(folder: str | Path) -> dict[str, dict[str, Any]]:
    """Submission id → results.json content, for every ``<folder>/<id>/results.json``."""
    out = {}
    for path in sorted(Path(folder).glob("*/results.json")):
        try:
            out[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return out


def status_of(results: dict[str, Any]) -> str:
    """``ok``, ``cell-errors``, ``timeouts``, ``ungradable`` or ``grader-error`` for one result.

    ``timeouts`` is derived: a graded submission in which a cell or a call ran into a time
    limit (an infinite loop), which the runner records as a cell error or a failed test and
    counts in ``extra_data.timeouts``. Results written before that count existed are read
    from their notes and hints instead.
    """
    extra = results.get("extra_data", {})
    status = extra.get("status", "ok")
    if status in _UNGRADED:
        return status
    if "timeouts" in extra:
        return "timeouts" if extra["timeouts"] else status
    texts = [results.get("output") or ""] + [t.get("output") or "" for t in results.get("tests", [])]
    if any(_TIMEOUT.search(t) for t in texts):
        return "timeouts"
    return status


def summarise(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per-question mean, median, max points and failure count; totals' distribution; statuses; grading time."""
    from grader.results import question_points

    per_question: dict[str, list[float]] = {}
    maxima: dict[str, float] = {}
    totals = []
    seconds = []
    statuses: dict[str, int] = {}
    for data in results.values():
        totals.append(float(data.get("score", 0.0)))
        seconds.append(float(data.get("execution_time", 0.0) or 0.0))
        status = status_of(data)
        statuses[status] = statuses.get(status, 0) + 1
        for q, (score, maximum) in question_points(data).items():
            per_question.setdefault(q, []).append(score)
            maxima[q] = max(maxima.get(q, 0.0), maximum)
    questions = {
        q: {
            "max": maxima[q],
            "mean": float(np.mean(v)),
            "median": float(np.median(v)),
            "failures": int(sum(1 for x in v if x < maxima[q] - 1e-9)),
        }
        for q, v in per_question.items()
    }
    return {
        "submissions": len(totals),
        "max_total": float(sum(maxima.values())),
        "mean_total": float(np.mean(totals)) if totals else 0.0,
        "median_total": float(np.median(totals)) if totals else 0.0,
        "totals": totals,
        "statuses": statuses,
        "grading_seconds": {"total": round(float(sum(seconds)), 3),
                            "median": round(float(np.median(seconds)), 3) if seconds else 0.0,
                            "max": round(float(max(seconds)), 3) if seconds else 0.0},
        "questions": questions,
    }


def histogram_bins(totals: Sequence[float], top: float) -> np.ndarray:
    """Bin edges centred on the score values: width 1 when every total is whole, else 0.5.

    Parameters
    ----------
    totals : sequence of float
        Observed totals.
    top : float
        Maximum possible total (the last bin is centred on it, or just above it).

    Returns
    -------
    numpy.ndarray
        Edges ``-h/2, h/2, 3h/2, ...`` with ``h`` the bin width, so a total ``t`` that is
        a multiple of ``h`` lies in the middle of its bin.
    """
    whole = all(abs(t - round(t)) < 1e-9 for t in totals)
    step = 1.0 if whole else 0.5
    high = max([top, *totals]) if totals else top
    n = math.floor(high / step + 1e-9) + 1
    return (np.arange(n + 1) - 0.5) * step


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _histogram_figure(summary: dict[str, Any]) -> Any:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.2), constrained_layout=True)
    top = summary["max_total"] or 1.0
    edges = histogram_bins(summary["totals"], top)
    ax.hist(summary["totals"], bins=edges, color="#4C72B0", edgecolor="white")
    step = edges[1] - edges[0]
    ticks = np.arange(0, edges[-1], step if len(edges) <= 26 else max(1.0, round(top / 10)))
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks], fontsize=8)
    ax.set_xlim(edges[0], edges[-1])
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("total score")
    ax.set_ylabel("submissions")
    ax.set_title(f"Totals (n = {summary['submissions']}, median {summary['median_total']:g} / {top:g})")
    return fig


def _questions_figure(summary: dict[str, Any]) -> Any:
    plt = _plt()
    names = list(summary["questions"])
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(names)), 3.2), constrained_layout=True)
    means = [summary["questions"][q]["mean"] / (summary["questions"][q]["max"] or 1) for q in names]
    ax.bar(names, means, color="#55A868")
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean share of points")
    ax.set_title("Per-question mean score")
    ax.tick_params(axis="x", rotation=30)
    return fig


FIGURES = (("totals_histogram.png", _histogram_figure), ("questions.png", _questions_figure))


def write_figures(summary: dict[str, Any], folder: str | Path) -> list[Path]:
    """``totals_histogram.png`` and ``questions.png`` in ``folder``."""
    plt = _plt()
    folder = Path(folder)
    paths = []
    for name, draw in FIGURES:
        fig = draw(summary)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
        plt.close(fig)
        paths.append(folder / name)
        paths[-1].write_bytes(buffer.getvalue())
    return paths


def _png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


# ----------------------------------------------------------------------------- item analysis


def discrimination(item: Sequence[float], total: Sequence[float]) -> float | None:
    """Corrected item-total correlation: Pearson r of the item with the total minus the item.

    Returns ``None`` when either has no variance (every student scored the same), where
    the correlation is undefined.
    """
    x = np.asarray(item, dtype=float)
    rest = np.asarray(total, dtype=float) - x
    if x.size < 2 or np.ptp(x) < 1e-12 or np.ptp(rest) < 1e-12:
        return None
    x = x - x.mean()
    rest = rest - rest.mean()
    return float((x @ rest) / math.sqrt((x @ x) * (rest @ rest)))


def _test_order(results: Iterable[dict[str, Any]]) -> list[tuple[str, str, float]]:
    """(test name, question, max score) in suite order, from the fullest list of tests."""
    lists = sorted(([(t["name"], t.get("question", t["name"]), float(t.get("max_score", 0.0)))
                     for t in data.get("tests", []) if isinstance(t, dict) and "name" in t]
                    for data in results), key=len, reverse=True)
    seen: dict[str, tuple[str, str, float]] = {}
    for tests in lists:
        for entry in tests:
            seen.setdefault(entry[0], entry)
    return list(seen.values())


def item_analysis(results: dict[str, dict[str, Any]]) -> tuple[Any, Any]:
    """Per-question and per-test statistics over the graded submissions.

    Submissions that could not be graded (``ungradable``, ``grader-error``) say nothing
    about the items and are left out.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        ``questions`` with columns question, max, mean, share, discrimination, n;
        ``tests`` with test, question, max, passed, share, discrimination, flag
        (``nobody passes`` / ``everybody passes`` / empty).
    """
    import pandas as pd

    graded = {k: v for k, v in sorted(results.items()) if status_of(v) not in _UNGRADED}
    order = _test_order(graded.values())
    names = [t[0] for t in order]
    index = {name: i for i, name in enumerate(names)}
    scores = np.zeros((len(graded), len(names)))
    for r, data in enumerate(graded.values()):
        for t in data.get("tests", []):
            c = index.get(t.get("name"))
            if c is not None:
                scores[r, c] = float(t.get("score", 0.0))
    totals = scores.sum(axis=1)
    maxima = np.array([t[2] for t in order])
    n = len(graded)
    test_rows = []
    for c, (name, question, maximum) in enumerate(order):
        column = scores[:, c]
        passed = int(np.sum(column >= maximum - 1e-9)) if n else 0
        flag = ""
        if n and passed == 0:
            flag = "nobody passes"
        elif n and passed == n:
            flag = "everybody passes"
        test_rows.append({"test": name, "question": question, "max": maximum, "passed": passed,
                          "share": float(column.mean() / maximum) if n and maximum else None,
                          "discrimination": discrimination(column, totals), "flag": flag})
    questions = list(dict.fromkeys(t[1] for t in order))
    q_rows = []
    for q in questions:
        cols = [i for i, t in enumerate(order) if t[1] == q]
        item = scores[:, cols].sum(axis=1)
        maximum = float(maxima[cols].sum())
        q_rows.append({"question": q, "max": maximum, "mean": float(item.mean()) if n else None,
                       "share": float(item.mean() / maximum) if n and maximum else None,
                       "discrimination": discrimination(item, totals), "n": n})
    q_cols = ["question", "max", "mean", "share", "discrimination", "n"]
    t_cols = ["test", "question", "max", "passed", "share", "discrimination", "flag"]
    return pd.DataFrame(q_rows, columns=q_cols), pd.DataFrame(test_rows, columns=t_cols)


# ----------------------------------------------------------------------------- common mistakes

_QUOTED = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?(?:\d[\d_,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TRACK = re.compile(r"\b(on track|track) [a-z_]+")
_OPAQUE = re.compile(r"<[^<>]*>")


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

    Call arguments and other bracketed inputs become ``(…)``, quoted strings ``'…'``, numbers
    ``#`` and track names ``track …``; words such as ``None``, ``NaN``, ``True`` stay, since
    they tell causes apart (an unimplemented function returns ``None``).

    Examples
    --------
    >>> normalise_hint("psi([0, 1], [0, 1]) returned NaN; expected 0")
    'psi(…) returned NaN; expected #'
    """
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    first = _OPAQUE.sub("<…>", first)
    first = _QUOTED.sub("'…'", first)
    first = _strip_brackets(first)
    first = _TRACK.sub(r"\1 …", first)
    first = _NUMBER.sub("#", first)
    return " ".join(first.split())


def _failures(data: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(test name, normalised hint) → raw hint, for each failed test of one result."""
    out = {}
    for t in data.get("tests", []):
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


def mistake_groups(results: dict[str, dict[str, Any]],
                   variants: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Failing hints grouped by (test, normalised hint), largest group first.

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
        ``test``, ``question``, ``points`` (lost per submission), ``pattern`` (normalised
        hint), ``count``, ``submissions`` (sorted ids), ``example`` (hint of the first id),
        ``variants`` (names of the variants that fail the same way, each with ``why`` and
        ``exact``: how many of the group's submissions fail exactly the variant's set of
        tests, no more, no less).
    """
    variants = variants or {}
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    signatures: dict[str, frozenset] = {}
    for sid, data in sorted(results.items()):
        if status_of(data) in _UNGRADED:
            continue
        failures = _failures(data)
        signatures[sid] = frozenset(failures)
        maxima = {t["name"]: (t.get("question", t["name"]), float(t.get("max_score", 0.0)))
                  for t in data.get("tests", [])}
        for key, raw in failures.items():
            group = groups.get(key)
            if group is None:
                question, points = maxima.get(key[0], (key[0], 0.0))
                group = groups[key] = {"test": key[0], "question": question, "points": points, "pattern": key[1],
                                       "count": 0, "submissions": [], "example": raw}
            group["count"] += 1
            group["submissions"].append(sid)
    out = []
    for key, group in groups.items():
        matched = []
        for name, spec in sorted(variants.items()):
            if key in spec["failures"]:
                exact = sum(1 for sid in group["submissions"] if signatures[sid] == frozenset(spec["failures"]))
                matched.append({"name": name, "why": spec["why"], "exact": exact})
        matched.sort(key=lambda m: (-m["exact"], m["name"] == "blank", m["name"]))
        group["variants"] = matched
        out.append(group)
    out.sort(key=lambda g: (-g["count"], g["test"], g["pattern"]))
    return out


# ----------------------------------------------------------------------------- notebooks

_PLACEHOLDER = re.compile(r"^_?type your answer here, replacing this text\._?$", re.IGNORECASE)


def _cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(str(s) for s in source)
    return source if isinstance(source, str) else ""


def _heading(markdown: str) -> str:
    for line in markdown.splitlines():
        line = line.strip()
        if line and not line.startswith("<!--"):
            return line.lstrip("#").strip().strip("*").strip()
    return "reflection"


def notebook_answers(notebook: dict[str, Any]) -> dict[str, str]:
    """The written answers of one notebook: ``PREDICTION`` and each hand-graded question's text.

    ``PREDICTION`` is the last string assigned to it at the top level of a code cell (not
    executed: the cell is parsed). A hand-graded question is an otter block between
    ``<!-- BEGIN QUESTION -->`` and ``<!-- END QUESTION -->``; its answer is the markdown
    written inside the block after the prompt, the otter placeholder removed.

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
            try:
                tree = ast.parse(source)
            except (SyntaxError, ValueError):
                tree = None
            for node in getattr(tree, "body", []):
                if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PREDICTION"
                                                         for t in node.targets)):
                    value = node.value
                    out["prediction"] = value.value.strip() if (isinstance(value, ast.Constant)
                                                                and isinstance(value.value, str)) else ""
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


def _read_notebook(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        raw = path.read_bytes()
        if len(raw) > 50 * 2**20:
            return None
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def locate_notebooks(submissions: Sequence[str | Path], assignment: str, folder: Path) -> dict[str, Path]:
    """Submission id → notebook path, for the same inputs ``opsgrade grade`` was given.

    Uses :func:`grader.batch.discover`, so ids are those of the gradebook's folders
    (a Gradescope export zip is read from the extraction ``opsgrade grade`` left in
    ``folder/_exports``).
    """
    from grader.batch import discover

    return {job.id: job.notebook for job in discover(submissions, assignment, folder) if job.notebook is not None}


def _code_cells(notebook: dict[str, Any]) -> list[str]:
    from grader.notebook import SubmissionError, code_cells

    try:
        return code_cells(notebook)
    except SubmissionError:
        return []


# ----------------------------------------------------------------------------- the page


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = _fmt
    return env


def build_report(folder: str | Path, submissions: Sequence[str | Path] = (), variants: str | Path | None = None,
                 starter: str | Path | None = None, threshold: float | None = None,
                 max_share: int | None = None, max_pairs: int = 50,
                 figure_files: Sequence[Path] | None = None) -> dict[str, Any]:
    """Write ``report.html``, ``report.json`` and ``report_*.csv`` into ``folder``.

    Parameters
    ----------
    folder : path
        A gradebook written by ``opsgrade grade``.
    submissions : sequence of path
        The inputs given to ``opsgrade grade`` (notebooks, folders, export zips), to read
        the notebooks for similarity and written answers; none skips those two parts.
    variants : path, optional
        Folder where the bundled examples were graded (see :func:`variant_signatures`).
    starter : path, optional
        The student notebook as handed out (default ``dist/<name>/student/<name>.ipynb``
        when it exists); its code is excluded from similarity.
    threshold, max_share : optional
        Similarity settings (defaults in :mod:`grader.similarity`).
    max_pairs : int
        Similar pairs shown with their cells on the page (all are exported).
    figure_files : sequence of path, optional
        PNGs :func:`write_figures` already wrote for this folder (embedded rather than drawn
        again); by default they are (re)drawn.

    Returns
    -------
    dict
        The data behind the page (what ``report.json`` holds), plus ``paths`` written.
    """
    import pandas as pd

    from grader import similarity

    started = time.perf_counter()
    folder = Path(folder)
    results = load_results(folder)
    summary = summarise(results)
    assignments = sorted({str(r.get("extra_data", {}).get("assignment", "")) for r in results.values()} - {""})
    assignment = assignments[0] if len(assignments) == 1 else ", ".join(assignments) or "unknown"
    questions, tests = item_analysis(results)
    signatures = variant_signatures(variants, assignment) if variants is not None else {}
    mistakes = mistake_groups(results, signatures)

    notebooks: dict[str, Path] = {}
    if submissions:
        notebooks = locate_notebooks(submissions, assignment, folder)
    if starter is None:
        for root in (Path("dist"), Path(__file__).resolve().parent.parent / "dist"):
            candidate = root / assignment / "student" / f"{assignment}.ipynb"
            if candidate.exists():
                starter = candidate
                break
    starter_nb = _read_notebook(Path(starter)) if starter is not None else None
    starter_cells = _code_cells(starter_nb) if starter_nb else []

    answers: dict[str, dict[str, str]] = {}
    printed = []
    for sid in sorted(notebooks):
        if sid not in results:
            continue
        nb = _read_notebook(notebooks[sid])
        if nb is None:
            continue
        answers[sid] = notebook_answers(nb)
        printed.append(similarity.fingerprint_cells(sid, _code_cells(nb), starter_cells))
    kwargs = {}
    if threshold is not None:
        kwargs["threshold"] = threshold
    if max_share is not None:
        kwargs["max_share"] = max_share
    pairs = similarity.similar_pairs(printed, **kwargs)
    by_id = {p.id: p for p in printed}

    answer_questions = list(dict.fromkeys(q for a in answers.values() for q in a))
    grouped = [{"question": q, "answers": [{"submission": sid, "text": a.get(q, "")} for sid, a in answers.items()]}
               for q in answer_questions]
    for group in grouped:
        group["blank"] = sum(1 for a in group["answers"] if not a["text"])

    pair_rows = []
    for pair in pairs:
        cells = []
        for ca, cb, shared in pair.cells[:3]:
            cells.append({"a": by_id[pair.a].cells[ca], "b": by_id[pair.b].cells[cb], "shared": shared})
        pair_rows.append({"a": pair.a, "b": pair.b, "shared": pair.shared, "jaccard": pair.jaccard,
                          "containment": pair.containment, "cells": cells})

    statuses = [{"status": s, "count": summary["statuses"].get(s, 0)} for s in STATUSES]
    statuses += [{"status": s, "count": c} for s, c in sorted(summary["statuses"].items()) if s not in STATUSES]
    settings = {
        "k": similarity.K, "w": similarity.W,
        "threshold": kwargs.get("threshold", similarity.THRESHOLD),
        "max_share": kwargs.get("max_share", similarity.MAX_SHARE),
        "min_fingerprints": similarity.MIN_FINGERPRINTS,
        "notebooks": len(printed), "starter": str(starter) if starter_nb else None,
    }
    data = {
        "assignment": assignment,
        "summary": {k: v for k, v in summary.items() if k != "questions"},
        "statuses": statuses,
        "questions": _records(questions),
        "tests": _records(tests),
        "mistakes": [{k: v for k, v in g.items()} for g in mistakes],
        "variants_folder": str(variants) if variants is not None else None,
        "similar_pairs": [{k: v for k, v in p.items() if k != "cells"} for p in pair_rows],
        "similarity": settings,
        "answers": grouped,
    }

    paths = []
    pd.DataFrame(data["questions"]).to_csv(folder / "report_questions.csv", index=False)
    pd.DataFrame(data["tests"]).to_csv(folder / "report_tests.csv", index=False)
    pd.DataFrame([{**{k: g[k] for k in ("test", "question", "points", "pattern", "count", "example")},
                   "variants": ";".join(v["name"] for v in g["variants"]),
                   "submissions": ";".join(g["submissions"])} for g in mistakes],
                 columns=["test", "question", "points", "pattern", "count", "example", "variants", "submissions"]
                 ).to_csv(folder / "report_mistakes.csv", index=False)
    pd.DataFrame(data["similar_pairs"], columns=["a", "b", "shared", "jaccard", "containment"]).to_csv(
        folder / "report_similar.csv", index=False)
    pd.DataFrame([{"question": g["question"], "submission": a["submission"], "text": a["text"]}
                  for g in grouped for a in g["answers"]], columns=["question", "submission", "text"]).to_csv(
        folder / "report_answers.csv", index=False)
    paths += [folder / f"report_{n}.csv" for n in ("questions", "tests", "mistakes", "similar", "answers")]
    (folder / "report.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths.append(folder / "report.json")

    figures = {}
    if results:  # the same PNG files the console report writes, embedded
        pngs = [folder / name for name, _ in FIGURES]
        if figure_files is None or any(not p.exists() for p in pngs):
            pngs = write_figures(summary, folder)
        figures = {"histogram": _png_data_uri(pngs[0]), "questions": _png_data_uri(pngs[1])}
    html = _environment().get_template("report.html.j2").render(
        data=data, figures=figures, pairs=pair_rows[:max_pairs], more_pairs=max(0, len(pair_rows) - max_pairs),
        folder=folder.resolve().name,
    )
    tmp = folder / ".report.html.tmp"
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(folder / "report.html")
    paths.insert(0, folder / "report.html")
    data["paths"] = paths
    data["seconds"] = round(time.perf_counter() - started, 3)
    return data
