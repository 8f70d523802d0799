"""Statistics of a gradebook: totals and per-question means, histogram bins, and item analysis.

Two populations, always named where a figure is shown: :func:`summarise` averages over **every** submission
(an ungradable one counts as a zero, as in ``grades.csv``); :func:`item_analysis` uses the **graded**
submissions only, since an ungradable one says nothing about the items.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from grader.report.gradebook import UNGRADED, status_of

__all__ = ["discrimination", "histogram_bins", "item_analysis", "summarise"]


def summarise(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per-question mean, median, max points and failure count; totals' distribution; statuses; grading time.

    Means and medians are over every submission (``submissions``); ``graded`` counts those item analysis uses.
    """
    from grader.results import question_points

    per_question: dict[str, list[float]] = {}
    maxima: dict[str, float] = {}
    totals = []
    seconds = []
    statuses: dict[str, int] = {}
    for data in results.values():
        totals.append(float(data.get("score", 0.0) or 0.0))
        seconds.append(float(data.get("execution_time", 0.0) or 0.0))
        status = status_of(data)
        statuses[status] = statuses.get(status, 0) + 1
        for q, (score, maximum) in question_points(data).items():
            per_question.setdefault(q, []).append(score)
            maxima[q] = max(maxima.get(q, 0.0), maximum)
    n = len(totals)
    questions = {
        q: {
            "max": maxima[q],
            # a submission without this question's tests (unreadable, no notebook) scored zero on it
            "mean": float(np.sum(v) / n),
            "median": float(np.median(v + [0.0] * (n - len(v)))),
            "failures": int(sum(1 for x in v if x < maxima[q] - 1e-9)) + n - len(v),
        }
        for q, v in per_question.items()
    }
    return {
        "submissions": n,
        "graded": sum(c for s, c in statuses.items() if s not in UNGRADED),
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

    graded = {k: v for k, v in sorted(results.items()) if status_of(v) not in UNGRADED}
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
