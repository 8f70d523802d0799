"""The OpsBreakEvenPlot for the Platform ROI lab.

``draw_break_even`` only draws: every curve, the break-even N*, the ROI and
the team capacity are computed in the notebook by the student's own
functions and passed in. No toil or cost formula lives here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

STACK_COLOURS = ("#8DA0CB", "#FC8D62", "#E78AC3")


def _money(value: float) -> str:
    """``$1.23M`` / ``$456k`` / ``$789`` with a sign."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e6:
        return f"{sign}${v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{sign}${v / 1e3:.0f}k"
    return f"{sign}${v:.0f}"


def draw_break_even(
    n: np.ndarray,
    manual_parts: Mapping[str, np.ndarray],
    platform_cost: np.ndarray,
    *,
    n_star: int | None,
    fleet: int,
    roi: float,
    manual_hours: np.ndarray,
    platform_hours: np.ndarray,
    capacity_hours: float,
    max_manual: int,
    heterogeneity: float = 1.0,
):
    """OpsBreakEvenPlot: yearly cost of manual operations vs a platform, and the team's load.

    Parameters
    ----------
    n : array
        Fleet sizes on the x axis.
    manual_parts : mapping
        Label → yearly manual cost in $ for each kind of work (stacked in order).
    platform_cost : array
        Yearly platform cost in $ (capex plus the toil that remains).
    n_star : int or None
        Break-even fleet size (None: the platform never pays off).
    fleet : int
        Models in the fleet today.
    roi : float
        Platform ROI in $/year at today's fleet.
    manual_hours, platform_hours : array
        Yearly toil in engineer-hours without and with the platform.
    capacity_hours : float
        The team's engineer-hours per year.
    max_manual : int
        Largest fleet the team can run by hand.
    heterogeneity : float
        Shown in the title.
    """
    from labkit import PALETTE, new_figure

    n = np.asarray(n, dtype=float)
    parts = {k: np.asarray(v, dtype=float) * np.ones_like(n) for k, v in manual_parts.items()}
    platform_cost = np.asarray(platform_cost, dtype=float) * np.ones_like(n)
    manual_hours = np.asarray(manual_hours, dtype=float) * np.ones_like(n)
    platform_hours = np.asarray(platform_hours, dtype=float) * np.ones_like(n)
    scale = 1e6  # dollars → $M

    fig, (ax1, ax2) = new_figure(ncols=2, width=6.4, height=4.2)

    # -- left: the Ops Cost Curve ---------------------------------------------------------
    bottom = np.zeros_like(n)
    for (label, values), colour in zip(parts.items(), STACK_COLOURS, strict=False):
        ax1.fill_between(n, bottom / scale, (bottom + values) / scale, color=colour, alpha=0.45, lw=0,
                         label=f"manual: {label}")
        ax1.plot(n, values / scale, color=colour, ls="--", lw=1.2)
        bottom = bottom + values
    manual_total = bottom
    ax1.plot(n, manual_total / scale, color=PALETTE["bad"], lw=2.4, label="manual toil (total)")
    ax1.plot(n, platform_cost / scale, color=PALETTE["ok"], lw=2.4, label="platform: capex + remaining toil")

    highest = max(float(manual_total.max()), float(platform_cost.max()))
    top = max(min(2.5 * float(platform_cost.max()), 1.05 * highest), 1.6 * float(platform_cost.max()), 1.0)
    ax1.set_ylim(0, top / scale)
    ax1.set_xlim(n.min(), n.max())

    if n_star is not None and n.min() <= n_star <= n.max():
        y_star = float(np.interp(n_star, n, platform_cost)) / scale
        ax1.axvline(n_star, color="0.25", ls=":", lw=1.2)
        ax1.plot([n_star], [y_star], "o", color="0.15", ms=7, zorder=5, label=f"break-even N* = {n_star}")
        ax1.annotate("N*", (n_star, y_star), xytext=(6, -14), textcoords="offset points", fontsize=10,
                     fontweight="bold")
    if n.min() <= fleet <= n.max():
        y_fleet = float(np.interp(fleet, n, manual_total)) / scale
        ax1.axvline(fleet, color=PALETTE["neutral"], ls="-.", lw=1.2)
        ax1.plot([fleet], [y_fleet], "D", color=PALETTE["neutral"], ms=6, zorder=5,
                 label=f"today: {fleet} models, ROI {_money(roi)}/yr")

    if n_star is None:
        title = f"Platform never pays off (h = {heterogeneity:g})"
    else:
        title = f"Ops Cost Curve: break-even N* = {n_star} models (h = {heterogeneity:g})"
    ax1.set_title(title, fontsize=11)
    ax1.set_xlabel("number of models N")
    ax1.set_ylabel("cost per year ($M)")
    ax1.legend(loc="upper left", fontsize=8, framealpha=0.9)

    # -- right: team load in hours --------------------------------------------------------
    ax2.plot(n, manual_hours, color=PALETTE["bad"], lw=2.2, label="manual toil")
    ax2.plot(n, platform_hours, color=PALETTE["ok"], lw=2.2, label="toil left with a platform")
    ax2.axhline(capacity_hours, color="0.3", ls="--", lw=1.2, label=f"team capacity ({capacity_hours:,.0f} h/yr)")
    if n.min() <= fleet <= n.max():
        ax2.axvline(fleet, color=PALETTE["neutral"], ls="-.", lw=1.2, label=f"today: {fleet} models")
    if n.min() <= max_manual <= n.max():
        ax2.axvline(max_manual, color=PALETTE["bad"], ls=":", lw=1.2)
        ax2.plot([max_manual], [capacity_hours], "o", color=PALETTE["bad"], ms=7, zorder=5)
        ax2.annotate(f"saturated at {max_manual}", (max_manual, capacity_hours), xytext=(8, 8),
                     textcoords="offset points", fontsize=10, color=PALETTE["bad"])
    peak = min(float(manual_hours.max()), 3.0 * capacity_hours)
    ax2.set_ylim(0, max(1.05 * max(peak, 1.3 * capacity_hours), 1.0))
    ax2.set_xlim(n.min(), n.max())
    ax2.set_title(f"Team load: {max_manual} models fit in {capacity_hours:,.0f} h/yr", fontsize=11)
    ax2.set_xlabel("number of models N")
    ax2.set_ylabel("engineer-hours per year")
    ax2.legend(loc="upper left", fontsize=8, framealpha=0.9)
    return fig
