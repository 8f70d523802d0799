"""Gradebook report over a folder of results.json files (``opsgrade report DIR``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["load_results", "summarise", "write_figures"]


def load_results(folder: str | Path) -> dict[str, dict[str, Any]]:
    """Submission id → results.json content, for every ``<folder>/<id>/results.json``."""
    out = {}
    for path in sorted(Path(folder).glob("*/results.json")):
        try:
            out[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return out


def summarise(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per-question mean, median, max points and failure count; totals' distribution."""
    from grader.runner import question_points

    per_question: dict[str, list[float]] = {}
    maxima: dict[str, float] = {}
    totals = []
    statuses: dict[str, int] = {}
    for data in results.values():
        totals.append(float(data.get("score", 0.0)))
        status = data.get("extra_data", {}).get("status", "ok")
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
        "questions": questions,
    }


def write_figures(summary: dict[str, Any], folder: str | Path) -> list[Path]:
    """``totals_histogram.png`` and ``questions.png`` in ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    paths = []
    fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
    top = summary["max_total"] or 1.0
    ax.hist(summary["totals"], bins=np.linspace(0, top, min(21, int(top) + 2) if top >= 1 else 11), color="#4C72B0")
    ax.set_xlabel("total score")
    ax.set_ylabel("submissions")
    ax.set_title(f"Totals (n = {summary['submissions']}, median {summary['median_total']:g} / {top:g})")
    paths.append(folder / "totals_histogram.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    names = list(summary["questions"])
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(names)), 3.5), constrained_layout=True)
    means = [summary["questions"][q]["mean"] / (summary["questions"][q]["max"] or 1) for q in names]
    ax.bar(names, means, color="#55A868")
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean share of points")
    ax.set_title("Per-question mean score")
    ax.tick_params(axis="x", rotation=30)
    paths.append(folder / "questions.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths
