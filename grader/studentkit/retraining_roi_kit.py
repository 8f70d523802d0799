"""Plotting range and the RetrainingCostCurve figure for the Retraining ROI lab.

No economics lives here: the notebook computes every cost with the
student's own functions and passes the numbers (or the student's
``cost_rate``) in. This module only picks the intervals to plot and draws.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

N_POINTS = 400
LONGEST_DAYS = 1000.0
MARK_STYLES = (("D", "#8172B2"), ("o", "#C44E52"), ("^", "#DD8452"), ("s", "#55A868"), ("v", "#937860"))


def interval_grid(track: Any, n: int = N_POINTS) -> np.ndarray:
    """Retraining intervals to plot, in days: log-spaced from a fifth of today's schedule to 1000 days."""
    s = track["scenario"] if isinstance(track, dict) else track.scenario
    current = s["current_interval_days"] if isinstance(s, dict) else s.current_interval_days
    return np.geomspace(float(current) / 5, LONGEST_DAYS, n)


def _dollars(value: float, _pos: Any = None) -> str:
    """$1.2M, $350k, $900 style labels."""
    value = float(value)
    if abs(value) >= 1e6:
        return f"${value / 1e6:.3g}M"
    if abs(value) >= 1e3:
        return f"${value / 1e3:.3g}k"
    return f"${value:.3g}"


def _relative(cost: float, best: float) -> str:
    """How a cost compares with the minimum: "+0.3 % above the minimum" or "3.80x the minimum"."""
    ratio = cost / best
    return f"+{100 * (ratio - 1):.1f} % above the minimum" if ratio < 1.095 else f"{ratio:.2f}x the minimum"


def _days(value: float) -> str:
    return f"{value:.3g} d" if np.isfinite(value) else "never"


def draw_cost_curve(
    T: np.ndarray,
    staleness_per_day: np.ndarray,
    retraining_per_day: np.ndarray,
    total: Callable[[Any], Any],
    T_exact: float,
    marks: Mapping[str, float] | None = None,
):
    """Cost per day against the retraining interval, with the optimum and other schedules marked.

    Parameters
    ----------
    T : array
        Retraining intervals in days (from :func:`interval_grid`).
    staleness_per_day, retraining_per_day : array
        The two parts of the cost per day at each ``T``.
    total : callable
        ``total(T)``: the cost per day of retraining every ``T`` days (your ``cost_rate``).
    T_exact : float
        The interval that minimises ``total`` (your exact optimum).
    marks : mapping, optional
        Label → interval in days of other schedules to mark on the curve.
    """
    import matplotlib.ticker as mticker
    from labkit import PALETTE, new_figure

    fig, ax = new_figure(width=11.0, height=4.6)
    T = np.asarray(T, dtype=float)
    curve = np.asarray(total(T), dtype=float)
    best = float(total(T_exact)) if np.isfinite(T_exact) else float(np.nanmin(curve))
    ax.plot(T, curve, color=PALETTE["train"], lw=2.6, label="total cost per day", zorder=3)
    ax.plot(T, np.asarray(staleness_per_day, dtype=float), color=PALETTE["live"], lw=1.4, ls="--",
            label="staleness loss per day")
    ax.plot(T, np.asarray(retraining_per_day, dtype=float), color=PALETTE["neutral"], lw=1.4, ls=":",
            label="retraining cost per day")
    ax.axvline(T_exact, color=PALETTE["ok"], lw=1.2, alpha=0.8)
    ax.plot([T_exact], [best], marker="*", ms=16, color=PALETTE["ok"], ls="none", zorder=5,
            label=f"exact optimum: every {_days(T_exact)}, {_dollars(best)}/day")

    merged: dict[float, list[str]] = {}
    for label, when in (marks or {}).items():
        merged.setdefault(float(when), []).append(label)  # one marker for schedules that coincide
    heights = [3 * best]
    for (when, labels), (marker, colour) in zip(merged.items(), MARK_STYLES, strict=False):
        label = " = ".join(labels)
        if not np.isfinite(when) or when <= 0:
            ax.plot([], [], ls="none", marker=marker, color=colour, label=f"{label}: never")
            continue
        cost = float(total(when))
        heights.append(1.15 * cost)
        ax.plot([when], [cost], marker=marker, ms=9, color=colour, ls="none", zorder=4,
                label=f"{label}: every {_days(when)}, {_relative(cost, best)}")
    top = min(max(heights), 8 * best)
    ax.set_xscale("log")
    ax.set_xlim(T[0], T[-1])
    ax.set_ylim(0, top)
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(_dollars))
    ax.set_xlabel("retraining interval T (days, log scale)")
    ax.set_ylabel("cost per day")
    ax.set_title(f"RetrainingCostCurve: retrain every {_days(T_exact)} (minimum {_dollars(best)}/day)")
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig
