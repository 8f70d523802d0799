"""Gradebook report over a folder of results.json files (``opsgrade report DIR``).

Besides the console table and two PNG figures, :func:`build_report` writes
``DIR/report.html``, one self-contained page (figures inlined as base64 PNG, no script,
no external asset) with the summary, the class list, item analysis, common mistakes,
similar submissions and the students' predictions and reflections, and the same data as
``DIR/report.json`` and ``DIR/report_*.csv``.

Only results and notebooks are read: nothing is regraded. The modules:
:mod:`~grader.report.gradebook` (reading results, statuses, who submitted),
:mod:`~grader.report.statistics` (summary and item analysis),
:mod:`~grader.report.mistakes` (common mistakes), :mod:`~grader.report.answers`
(written answers and code cells of the notebooks), :mod:`~grader.report.figures` (PNGs)
and :mod:`~grader.report.page` (the page and its exports).
"""

from __future__ import annotations

from grader.report.answers import locate_notebooks, notebook_answers, read_notebook
from grader.report.figures import FIGURES, write_figures
from grader.report.gradebook import STATUSES, load_results, people, status_of
from grader.report.mistakes import fold_of, mistake_groups, normalise_hint, variant_signatures
from grader.report.page import build_report, fmt_points
from grader.report.statistics import discrimination, histogram_bins, item_analysis, summarise

__all__ = [
    "FIGURES",
    "STATUSES",
    "build_report",
    "discrimination",
    "fmt_points",
    "fold_of",
    "histogram_bins",
    "item_analysis",
    "load_results",
    "locate_notebooks",
    "mistake_groups",
    "normalise_hint",
    "notebook_answers",
    "people",
    "read_notebook",
    "status_of",
    "summarise",
    "variant_signatures",
    "write_figures",
]
