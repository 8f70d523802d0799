"""The report page and its exports: ``report.html``, ``report.json`` and ``report_*.csv``."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.report.answers import code_cells, locate_notebooks, notebook_answers, read_notebook
from grader.report.figures import FIGURES, png_data_uri, write_figures
from grader.report.gradebook import STATUSES, load_results, people, status_of
from grader.report.mistakes import mistake_groups, variant_signatures
from grader.report.statistics import item_analysis, summarise

__all__ = ["build_report", "fmt_points"]


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def fmt_points(value: Any) -> str:
    """Points as written in the suite: ``0.75``, ``1.5``, ``2`` (up to two decimals, no trailing zeros)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = _fmt
    env.filters["points"] = fmt_points
    return env


def _starter_path(starter: str | Path | None, assignment: str) -> Path | None:
    if starter is not None:
        return Path(starter)
    for root in (Path("dist"), Path(__file__).resolve().parents[2] / "dist"):
        candidate = root / assignment / "student" / f"{assignment}.ipynb"
        if candidate.exists():
            return candidate
    return None


def _class_list(results: dict[str, dict[str, Any]], who: dict[str, dict[str, Any]],
                notes: dict[str, list[str]]) -> list[dict[str, Any]]:
    """One row per submission: who, when, total, status, and every note the report has about it."""
    rows = []
    for sid in sorted(results):
        data, person = results[sid], who[sid]
        extra = data.get("extra_data") or {}
        row_notes = list(notes.get(sid, []))
        if extra.get("report_note"):
            row_notes.insert(0, str(extra["report_note"]))
        elif status_of(data) in ("ungradable", "grader-error") and data.get("output"):
            row_notes.insert(0, str(data["output"]).splitlines()[0][:200])
        rows.append({"submission": sid, "name": person["name"], "email": person["email"], "sid": person["sid"],
                     "members": len(person["members"]), "created_at": person["created_at"], "late": person["late"],
                     "total": float(data.get("score", 0.0) or 0.0), "status": status_of(data),
                     "note": "; ".join(row_notes)})
    return rows


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> Path:
    import pandas as pd

    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


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
    from grader import similarity

    started = time.perf_counter()
    folder = Path(folder)
    results = load_results(folder)
    who = people(results)
    summary = summarise(results)
    assignments = sorted({str((r.get("extra_data") or {}).get("assignment", "")) for r in results.values()} - {""})
    assignment = assignments[0] if len(assignments) == 1 else ", ".join(assignments) or "unknown"
    questions, tests = item_analysis(results)
    signatures = variant_signatures(variants, assignment) if variants is not None else {}
    mistakes = mistake_groups(results, signatures)

    notebooks = locate_notebooks(submissions, assignment, folder) if submissions else {}
    starter_path = _starter_path(starter, assignment)
    starter_nb = read_notebook(starter_path)[0] if starter_path is not None else None
    starter_cells = code_cells(starter_nb) if starter_nb else []

    notes: dict[str, list[str]] = {}
    answers: dict[str, dict[str, str]] = {}
    printed = []
    for sid in sorted(notebooks):
        if sid not in results:
            continue
        nb, note = read_notebook(notebooks[sid])
        if note:
            notes.setdefault(sid, []).append(note)
        if nb is None:
            continue
        answers[sid] = notebook_answers(nb)
        printed.append(similarity.fingerprint_cells(sid, code_cells(nb), starter_cells))
    kwargs = {}
    if threshold is not None:
        kwargs["threshold"] = threshold
    if max_share is not None:
        kwargs["max_share"] = max_share
    pairs = similarity.similar_pairs(printed, **kwargs)
    by_id = {p.id: p for p in printed}

    answer_questions = list(dict.fromkeys(q for a in answers.values() for q in a))
    grouped = [{"question": q, "answers": [{"submission": sid, "who": who[sid]["label"], "text": a.get(q, "")}
                                           for sid, a in answers.items()]}
               for q in answer_questions]
    for group in grouped:
        group["blank"] = sum(1 for a in group["answers"] if not a["text"])

    pair_rows = []
    for pair in pairs:
        cells = [{"a": by_id[pair.a].cells[ca], "b": by_id[pair.b].cells[cb], "shared": shared}
                 for ca, cb, shared in pair.cells[:3]]
        pair_rows.append({"a": pair.a, "b": pair.b, "a_who": who[pair.a]["label"], "b_who": who[pair.b]["label"],
                          "shared": pair.shared, "jaccard": pair.jaccard, "containment": pair.containment,
                          "cells": cells})
    for group in mistakes:
        group["who"] = [who[sid]["label"] for sid in group["submissions"]]

    statuses = [{"status": s, "count": summary["statuses"].get(s, 0)} for s in STATUSES]
    statuses += [{"status": s, "count": c} for s, c in sorted(summary["statuses"].items()) if s not in STATUSES]
    settings = {
        "k": similarity.K, "w": similarity.W,
        "threshold": kwargs.get("threshold", similarity.THRESHOLD),
        "max_share": kwargs.get("max_share", similarity.MAX_SHARE),
        "min_fingerprints": similarity.MIN_FINGERPRINTS,
        "notebooks": len(printed), "starter": str(starter_path) if starter_nb else None,
    }
    roster = _class_list(results, who, notes)
    data = {
        "assignment": assignment,
        "summary": {k: v for k, v in summary.items() if k != "questions"},
        "statuses": statuses,
        "students": roster,
        "questions": _records(questions),
        "tests": _records(tests),
        "mistakes": mistakes,
        "variants_folder": str(variants) if variants is not None else None,
        "similar_pairs": [{k: v for k, v in p.items() if k != "cells"} for p in pair_rows],
        "similarity": settings,
        "answers": grouped,
    }

    paths = [
        _write_csv(folder / "report_questions.csv", data["questions"],
                   ["question", "max", "mean", "share", "discrimination", "n"]),
        _write_csv(folder / "report_tests.csv", data["tests"],
                   ["test", "question", "max", "passed", "share", "discrimination", "flag"]),
        _write_csv(folder / "report_mistakes.csv",
                   [{**{k: g[k] for k in ("test", "question", "points", "pattern", "count", "failures", "example")},
                     "variants": ";".join(v["name"] for v in g["variants"]),
                     "submissions": ";".join(g["submissions"])} for g in mistakes],
                   ["test", "question", "points", "pattern", "count", "failures", "example", "variants",
                    "submissions"]),
        _write_csv(folder / "report_similar.csv", data["similar_pairs"],
                   ["a", "b", "shared", "jaccard", "containment"]),
        _write_csv(folder / "report_answers.csv",
                   [{"question": g["question"], "submission": a["submission"], "text": a["text"]}
                    for g in grouped for a in g["answers"]], ["question", "submission", "text"]),
        _write_csv(folder / "report_students.csv", roster,
                   ["submission", "name", "email", "sid", "members", "created_at", "late", "total", "status", "note"]),
    ]
    (folder / "report.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths.append(folder / "report.json")

    figures = {}
    if results:  # the same PNG files the console report writes, embedded
        pngs = [folder / name for name, _ in FIGURES]
        if figure_files is None or any(not p.exists() for p in pngs):
            pngs = write_figures(summary, folder)
        figures = {"histogram": png_data_uri(pngs[0]), "questions": png_data_uri(pngs[1])}
    html = _environment().get_template("report.html.j2").render(
        data=data, figures=figures, pairs=pair_rows[:max_pairs], more_pairs=max(0, len(pair_rows) - max_pairs),
        folder=folder.resolve().name, any_metadata=any(r["name"] or r["email"] or r["sid"] for r in roster),
    )
    tmp = folder / ".report.html.tmp"
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(folder / "report.html")
    paths.insert(0, folder / "report.html")
    data["paths"] = paths
    data["seconds"] = round(time.perf_counter() - started, 3)
    return data
