"""The report's two PNG figures: the totals histogram and the per-question mean share."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np

from grader.report.statistics import histogram_bins

__all__ = ["FIGURES", "png_data_uri", "write_figures"]


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
    ax.set_title(f"Totals of all {summary['submissions']} submissions (median {summary['median_total']:g} / {top:g})")
    return fig


def _questions_figure(summary: dict[str, Any]) -> Any:
    plt = _plt()
    names = list(summary["questions"])
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(names)), 3.2), constrained_layout=True)
    means = [summary["questions"][q]["mean"] / (summary["questions"][q]["max"] or 1) for q in names]
    ax.bar(names, means, color="#55A868")
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean share of points")
    ax.set_title(f"Per-question mean score, all {summary['submissions']} submissions")
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


def png_data_uri(path: Path) -> str:
    """``path`` as a ``data:image/png;base64,...`` URI (the page embeds its figures)."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
