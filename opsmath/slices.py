"""Slice-aware evaluation and the staged-rollout gate.

An aggregate accuracy can hide a failing minority slice (lab 14, part 3): a
model at 95 % overall may sit at 70 % on night-time frames that make up 5 %
of traffic. These functions compute per-slice metrics, the gap between the
aggregate and the worst slice, and a gate that approves a new model only if
it fixes the target slice without regressing any other slice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from opsmath._validation import check_nonnegative

if TYPE_CHECKING:  # pandas is imported where it is used: `import opsmath` stays light (cold grading)
    import pandas as pd

__all__ = ["GateDecision", "aggregate_accuracy", "rollout_gate", "slice_gap", "slice_metrics", "worst_slice"]


def _check_columns(df: pd.DataFrame, columns: Iterable[str]) -> None:
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"DataFrame is missing column(s) {missing}")
    if len(df) == 0:
        raise ValueError("DataFrame has no rows")


def slice_metrics(
    df: pd.DataFrame, slice_col: str = "slice", label_col: str = "label", pred_col: str = "prediction"
) -> pd.DataFrame:
    """Per-slice sample count, accuracy and traffic share.

    Parameters
    ----------
    df : DataFrame
        One row per request with its slice, true label and prediction.
    slice_col, label_col, pred_col : str
        Column names.

    Returns
    -------
    DataFrame
        Indexed by slice (sorted), columns ``n`` (int), ``accuracy`` (fraction
        of correct predictions) and ``share`` (n / total).
    """
    import pandas as pd

    _check_columns(df, (slice_col, label_col, pred_col))
    correct = (df[label_col] == df[pred_col]).astype(float)
    grouped = correct.groupby(df[slice_col], sort=True)
    out = pd.DataFrame({"n": grouped.size().astype(int), "accuracy": grouped.mean()})
    out["share"] = out["n"] / out["n"].sum()
    out.index.name = slice_col
    return out


def aggregate_accuracy(df: pd.DataFrame, label_col: str = "label", pred_col: str = "prediction") -> float:
    """Accuracy over all rows (the traffic-weighted mean of the slice accuracies)."""
    _check_columns(df, (label_col, pred_col))
    return float((df[label_col] == df[pred_col]).mean())


def worst_slice(metrics: pd.DataFrame) -> tuple[str, float]:
    """Name and accuracy of the lowest-accuracy slice (ties: first in index order)."""
    if len(metrics) == 0:
        raise ValueError("metrics has no slices")
    acc = metrics["accuracy"]
    name = acc.idxmin()
    return str(name), float(acc.loc[name])


def slice_gap(metrics: pd.DataFrame) -> float:
    """Aggregate (traffic-weighted) accuracy minus worst-slice accuracy, ≥ 0."""
    aggregate = float((metrics["accuracy"] * metrics["n"]).sum() / metrics["n"].sum())
    return aggregate - worst_slice(metrics)[1]


@dataclass(frozen=True)
class GateDecision:
    """Outcome of :func:`rollout_gate`: ``approved`` plus every reason it was not."""

    approved: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)
    regressed_slices: tuple[str, ...] = field(default_factory=tuple)


def rollout_gate(
    old: pd.DataFrame,
    new: pd.DataFrame,
    target_slice: str,
    tolerance: float = 0.01,
    min_samples: int = 100,
    min_improvement: float = 0.0,
) -> GateDecision:
    """Approve a new model only if it fixes the target slice and regresses no other.

    Rules, all of which must hold (``old`` and ``new`` are
    :func:`slice_metrics` tables from the same shadow traffic):

    1. every slice has at least ``min_samples`` requests in both tables;
    2. the target slice improves: ``new − old > min_improvement``;
    3. no other slice drops by more than ``tolerance``:
       ``new ≥ old − tolerance`` (a drop within 1e-12 of the tolerance
       counts as equal, so 0.95 → 0.94 passes a 0.01 tolerance).

    Returns
    -------
    GateDecision
    """
    tol = check_nonnegative(tolerance, "tolerance")
    gain = check_nonnegative(min_improvement, "min_improvement")
    floor = int(check_nonnegative(min_samples, "min_samples"))
    if set(old.index) != set(new.index):
        raise ValueError("old and new must cover the same slices")
    if target_slice not in old.index:
        raise ValueError(f"target slice {target_slice!r} not found")
    reasons: list[str] = []
    regressed: list[str] = []
    for name in sorted(old.index, key=str):
        n = min(int(old.loc[name, "n"]), int(new.loc[name, "n"]))
        if n < floor:
            reasons.append(f"slice {name!r} has only {n} samples (< {floor})")
    delta_target = float(new.loc[target_slice, "accuracy"] - old.loc[target_slice, "accuracy"])
    if not delta_target > gain:
        reasons.append(f"target slice {target_slice!r} changed by {delta_target:+.4f}, not fixed")
    for name in sorted(old.index, key=str):
        if name == target_slice:
            continue
        drop = float(old.loc[name, "accuracy"] - new.loc[name, "accuracy"])
        if drop > tol + 1e-12:  # a drop equal to the tolerance passes despite float rounding
            regressed.append(str(name))
            reasons.append(f"slice {name!r} regressed by {drop:.4f} (> {tol})")
    return GateDecision(not reasons, tuple(reasons), tuple(regressed))
