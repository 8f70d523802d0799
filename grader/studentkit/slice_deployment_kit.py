"""Shadow traffic and the Slice Metrics Card for the Slice-Aware Deployment lab.

``shadow_traffic`` replays the track's shadow deployment: every request was
answered by the old (serving) model and, silently, by the new (shadow) model.
It returns one row per request for each model, seeded so that every run and
the grader see the same rows. ``chapter_example`` rebuilds the chapter's
slice-analysis table as requests. No metric and no gate rule lives here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

N_CLASSES = 5
CHAPTER_SLICES = (("desktop", 450, 0.94), ("mobile_ios", 300, 0.92), ("mobile_android", 200, 0.88),
                  ("tablet", 50, 0.62))


def _scenario(track: Any) -> tuple[int, list[tuple[str, int, float, float]]]:
    s = track["scenario"] if isinstance(track, dict) else track.scenario
    get = (lambda k: s[k]) if isinstance(s, dict) else (lambda k: getattr(s, k))
    slices = [(str(name), int(n), float(old), float(new)) for name, n, old, new in get("slices")]
    return int(get("seed")), slices


def _requests(slices: list[tuple[str, int, list[float]]], seed: int) -> list[pd.DataFrame]:
    """Shared slice/label columns and one prediction column per accuracy.

    In slice ``name`` with ``n`` requests, exactly ``round(n * acc)`` randomly
    chosen rows are predicted correctly; the others get a different class.
    Rows are shuffled so that the slices interleave like real traffic.
    """
    rng = np.random.default_rng(seed)
    n_models = len(slices[0][2])
    names, labels, preds = [], [], [[] for _ in range(n_models)]
    for name, n, accuracies in slices:
        label = rng.integers(0, N_CLASSES, n)
        names.append(np.full(n, name, dtype=object))
        labels.append(label)
        for m, acc in enumerate(accuracies):
            wrong = np.ones(n, dtype=bool)
            wrong[rng.choice(n, size=round(n * acc), replace=False)] = False
            offset = rng.integers(1, N_CLASSES, n)  # a wrong answer is a different class
            preds[m].append(np.where(wrong, (label + offset) % N_CLASSES, label))
    order = rng.permutation(sum(n for _, n, _ in slices))
    slice_col = np.concatenate(names)[order]
    label_col = np.concatenate(labels)[order]
    return [
        pd.DataFrame({"slice": slice_col, "label": label_col, "prediction": np.concatenate(p)[order]})
        for p in preds
    ]


def shadow_traffic(track: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The track's shadow deployment: ``(old, new)`` DataFrames, one row per request.

    Both have columns ``slice`` (str), ``label`` (true class, int) and
    ``prediction`` (int), and share the same requests in the same order:
    ``old`` holds the serving model's answers, ``new`` the shadow model's.
    """
    seed, slices = _scenario(track)
    old, new = _requests([(name, n, [a_old, a_new]) for name, n, a_old, a_new in slices], seed)
    return old, new


def chapter_example() -> pd.DataFrame:
    """The chapter's slice-analysis table as 1,000 requests (45 / 30 / 20 / 5 % of traffic)."""
    (df,) = _requests([(name, n, [acc]) for name, n, acc in CHAPTER_SLICES], seed=4442)
    return df


def draw_slice_card(old_metrics: Any, new_metrics: Any, old_aggregate: float, new_aggregate: float,
                    target_slice: str, approved: bool, tolerance: float):
    """Slice Metrics Card: old vs new accuracy per slice, aggregates, target slice and the gate verdict.

    ``old_metrics``/``new_metrics`` are your ``slice_metrics`` tables,
    the aggregates and ``approved`` come from your own functions.
    """
    from labkit import PALETTE, new_figure

    fig, ax = new_figure(width=9.0, height=4.4)
    names = [str(s) for s in old_metrics.index]
    old_acc = np.asarray(old_metrics["accuracy"], dtype=float)
    new_acc = np.asarray(new_metrics.loc[old_metrics.index, "accuracy"], dtype=float)
    shares = np.asarray(old_metrics["share"], dtype=float)
    x = np.arange(len(names))
    width = 0.38
    low = max(0.0, float(min(old_acc.min(), new_acc.min(), old_aggregate, new_aggregate)) - 0.08)
    if target_slice in names:
        t = names.index(target_slice)
        ax.axvspan(t - 0.5, t + 0.5, color=PALETTE["live"], alpha=0.12, zorder=0)
    ax.bar(x - width / 2, old_acc, width, color=PALETTE["train"], label="old model (serving)", zorder=2)
    ax.bar(x + width / 2, new_acc, width, color=PALETTE["live"], label="new model (shadow)", zorder=2)
    ax.axhline(old_aggregate, color=PALETTE["train"], ls="--", lw=1.3,
               label=f"old aggregate {old_aggregate:.1%}")
    ax.axhline(new_aggregate, color=PALETTE["live"], ls=":", lw=1.6,
               label=f"new aggregate {new_aggregate:.1%}")
    for i, (a, b) in enumerate(zip(old_acc, new_acc, strict=True)):
        delta = 100 * (b - a)
        colour = PALETTE["ok"] if delta > 1e-9 else (PALETTE["bad"] if delta < -1e-9 else "0.4")
        text = f"{delta:+.1f} pts" if abs(delta) > 1e-9 else "±0.0 pts"
        ax.annotate(text, (i, max(a, b)), xytext=(0, 5), textcoords="offset points", ha="center", va="bottom",
                    fontsize=9, color=colour, fontweight="bold", zorder=4,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.9})
    labels = [f"{n}\n{s:.1%} of traffic" + ("\n(target)" if n == target_slice else "")
              for n, s in zip(names, shares, strict=True)]
    ax.set_xticks(x, labels, fontsize=9)
    for tick, name in zip(ax.get_xticklabels(), names, strict=True):
        if name == target_slice:
            tick.set_fontweight("bold")
    ax.set_ylim(low, 1.04)
    ax.set_ylabel("accuracy on shadow traffic")
    verdict, colour = ("APPROVED", PALETTE["ok"]) if approved else ("REJECTED", PALETTE["bad"])
    ax.set_title(f"Slice Metrics Card: gate {verdict} (target {target_slice}, tolerance {tolerance:.3f})",
                 color=colour)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig
