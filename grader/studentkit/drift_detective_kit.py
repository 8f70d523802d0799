"""Scenario data and the DriftRadar figure for the Drift Detective lab.

``scenario_data`` builds the track's training and live samples (seeded, so
every run and the grader see the same numbers) plus the infrastructure
metrics that stay green while the data drifts. No drift formula lives here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

N_TRAIN = 5_000
N_LIVE = 5_000
DAYS = 30


def scenario_data(track: Any, severity: float = 1.0) -> dict[str, np.ndarray]:
    """Training sample, live sample and 30 days of infrastructure health.

    Parameters
    ----------
    track : mapping
        A track from ``labkit.load_track`` (a mapping) or a track record.
    severity : float
        Scales the shift from training to live (0 = no drift, 1 = the track's
        crisis); the notebook's season scrubber moves it.
    """
    s = track["scenario"] if isinstance(track, dict) else track.scenario
    get = (lambda k: s[k]) if isinstance(s, dict) else (lambda k: getattr(s, k))
    rng = np.random.default_rng(get("seed"))
    train = rng.normal(get("train_mean"), get("train_std"), N_TRAIN)
    z = rng.standard_normal(N_LIVE)
    mean = get("train_mean") + severity * (get("live_mean") - get("train_mean"))
    std = get("train_std") + severity * (get("live_std") - get("train_std"))
    live = mean + std * z
    days = np.arange(DAYS)
    cpu = 0.55 + 0.05 * np.sin(days / 3.0) + 0.01 * rng.standard_normal(DAYS)
    latency_ms = 40 + 2 * np.sin(days / 5.0) + 0.5 * rng.standard_normal(DAYS)
    errors = np.clip(0.001 + 0.0002 * rng.standard_normal(DAYS), 0, None)
    return {"train": train, "live": live, "days": days, "cpu": cpu, "latency_ms": latency_ms, "error_rate": errors}


def draw_drift_radar(data: dict[str, np.ndarray], psi_value: float, status: str, feature: str = "feature"):
    """Left: train vs live histograms with the PSI; right: infrastructure health over 30 days."""
    from labkit import PALETTE, new_figure

    fig, (ax1, ax2) = new_figure(ncols=2)
    bins = np.histogram_bin_edges(np.concatenate([data["train"], data["live"]]), bins=40)
    ax1.hist(data["train"], bins=bins, alpha=0.6, density=True, color=PALETTE["train"], label="training")
    ax1.hist(data["live"], bins=bins, alpha=0.6, density=True, color=PALETTE["live"], label="live")
    colour = {"stable": PALETTE["ok"], "investigate": PALETTE["neutral"]}.get(status, PALETTE["bad"])
    ax1.set_title(f"DriftRadar: PSI = {psi_value:.3f} ({status})", color=colour)
    ax1.set_xlabel(feature)
    ax1.legend()
    ax2.plot(data["days"], data["cpu"] * 100, color=PALETTE["ok"], label="CPU %")
    ax2.plot(data["days"], data["latency_ms"], color=PALETTE["train"], label="p50 latency (ms)")
    ax2.plot(data["days"], data["error_rate"] * 1e4, color=PALETTE["neutral"], label="HTTP errors (per 10k)")
    ax2.set_ylim(0, 100)
    ax2.set_title("Infrastructure health: all green")
    ax2.set_xlabel("day")
    ax2.legend(loc="lower right")
    return fig
