"""Plotting grids and the ShadowModeDashboard figure for the Canary Duration lab.

Nothing here computes a sample size or a duration: the notebook computes
every number with the student's own functions and passes the results in;
this module only lays out grids to evaluate them on and draws them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

HOURS_PER_WEEK = 168.0


def request_grid(n_required: float, points: int = 400, span: float = 4.0) -> np.ndarray:
    """Log-spaced request counts from 1 to ``span`` times ``n_required`` (a plotting grid)."""
    top = max(10.0, span * float(n_required))
    return np.unique(np.round(np.logspace(0.0, np.log10(top), points)))


def fraction_grid(points: int = 200, smallest: float = 1e-5) -> np.ndarray:
    """Log-spaced traffic fractions from ``smallest`` to 1 (100 % of traffic)."""
    return np.logspace(np.log10(smallest), 0.0, points)


def _fmt_fraction(f: float) -> str:
    return f"{f:.0%}" if f >= 0.1 else f"{f * 100:.2g}%"


def draw_shadow_dashboard(
    requests: Sequence[float],
    reached: Sequence[float],
    hours: Sequence[float],
    fractions: Sequence[float],
    stage_hours: Sequence[float],
    *,
    target: float,
    n_required: int,
    failure_rate: float,
    traffic_fraction: float,
    budget_hours: float = HOURS_PER_WEEK,
    needed_fraction: float | None = None,
):
    """Left: the confidence clock; right: shadow time against traffic share.

    Parameters
    ----------
    requests, reached, hours : sequences of equal length
        Clean requests observed, the confidence reached after them, and the
        shadow time they take at the chosen traffic fraction (hours).
    fractions, stage_hours : sequences of equal length
        Traffic fractions and the time the full ``n_required`` sample takes at each.
    target, n_required, failure_rate, traffic_fraction, budget_hours, needed_fraction
        The confidence goal, the sample size for it, the edge-case rate, the
        current traffic share, the release budget in hours and the smallest
        traffic share that fits the budget (``None`` if none does).
    """
    from labkit import PALETTE, new_figure

    requests = np.asarray(requests, dtype=float)
    reached = np.asarray(reached, dtype=float)
    hours = np.asarray(hours, dtype=float)
    fractions = np.asarray(fractions, dtype=float)
    stage_hours = np.asarray(stage_hours, dtype=float)

    fig, (ax1, ax2) = new_figure(ncols=2, width=6.4, height=4.0)

    # -- left: confidence clock, requests below, shadow hours on top ------------------------------
    hours_per_request = hours[-1] / requests[-1] if requests[-1] > 0 else 0.0
    shadow_hours = n_required * hours_per_request
    fits = shadow_hours <= budget_hours
    if hours_per_request > 0:
        n_budget = budget_hours / hours_per_request
        ax1.axvspan(requests[0], min(n_budget, requests[-1]), color=PALETTE["ok"], alpha=0.12,
                    label=f"seen within the {budget_hours:g} h release budget")
    ax1.plot(requests, reached, color=PALETTE["train"], lw=2, label="confidence after n clean requests")
    ax1.axhline(target, color=PALETTE["bad"], ls="--", lw=1.2, label=f"target {target:.4g}")
    ax1.axvline(n_required, color=PALETTE["neutral"], ls=":", lw=1.2, label=f"n_required = {n_required:,}")
    ax1.plot([n_required], [target], "o", color=PALETTE["bad"], ms=7, zorder=5)
    ax1.set_xscale("log")
    ax1.set_xlim(requests[0], requests[-1])
    ax1.set_ylim(0, 1.02)
    ax1.set_xlabel("clean requests observed in shadow mode")
    ax1.set_ylabel("confidence that the rate is below p")
    ax1.set_title(f"Confidence clock: n = {n_required:,} clean requests\n"
                  f"for {target:.4g} confidence that p < 1 in {1 / failure_rate:,.0f}", fontsize=11)
    ax1.legend(loc="upper left", fontsize=8)
    if hours_per_request > 0:
        top = ax1.secondary_xaxis("top", functions=(lambda n: n * hours_per_request,
                                                    lambda h: h / hours_per_request))
        top.set_xlabel(f"shadow hours at {_fmt_fraction(traffic_fraction)} of traffic", fontsize=9)

    # -- right: risk vs velocity: shadow time against traffic share -------------------------------
    low = np.log10(min(stage_hours.min(), budget_hours) * 0.5)
    ax2.axhspan(10**low, budget_hours, color=PALETTE["ok"], alpha=0.12,
                label=f"fits the release budget (≤ {budget_hours:g} h)")
    ax2.plot(fractions, stage_hours, color=PALETTE["train"], lw=2, label=f"time to see n = {n_required:,}")
    ax2.axhline(budget_hours, color=PALETTE["bad"], ls="--", lw=1.2, label=f"release cycle: {budget_hours:g} h")
    colour = PALETTE["ok"] if fits else PALETTE["bad"]
    ax2.plot([traffic_fraction], [shadow_hours], "o", color=colour, ms=8, zorder=5,
             label=f"your stage: {_fmt_fraction(traffic_fraction)} → {shadow_hours:,.1f} h")
    if needed_fraction is not None:
        ax2.axvline(needed_fraction, color=PALETTE["neutral"], ls=":", lw=1.2,
                    label=f"smallest share that fits: {_fmt_fraction(needed_fraction)}")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlim(fractions[0], fractions[-1])
    # headroom: keep the budget line in the lower 55 % of the panel so the legend sits above it
    high = max(np.log10(max(stage_hours.max(), budget_hours)) + 0.3, low + (np.log10(budget_hours) - low) / 0.55)
    ax2.set_ylim(10**low, 10**high)
    ax2.set_xlabel("share of live traffic mirrored to the new model")
    ax2.set_ylabel("shadow window (hours)")
    verdict = f"fits the {budget_hours:g} h cycle" if fits else f"exceeds the {budget_hours:g} h cycle"
    ax2.set_title(f"Shadow window {shadow_hours:,.1f} h ({shadow_hours / 24:,.1f} days)\n"
                  f"at {_fmt_fraction(traffic_fraction)} of traffic: {verdict}", color=colour, fontsize=11)
    ax2.legend(loc="upper right", fontsize=8)
    return fig
