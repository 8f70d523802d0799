"""Scenario data and the Ensemble Trace figure for the Ensemble Lockdown lab.

An upstream feature extractor (the track's ``scenario.extractor``) feeds a
downstream classifier (``scenario.downstream``). Version 2.0.0 of the
extractor is "better" (less noisy, one extra feature) but changes its
normalisation, the order of its features and one dtype. This module builds,
from the track's seed, so that every run and the grader see the same numbers:

* ``extractor_contracts``: the feature contract of each extractor version;
* ``feature_table``: seeded feature tables (column name → NumPy array) for the
  training snapshot and for live serving, as each extractor version emits them;
* ``ensemble_trace``: downstream accuracy per extractor version, with the
  classifier frozen (trained on the 1.0.0 snapshot) or retrained on the
  version's own snapshot;
* ``draw_ensemble_trace``: the figure, drawn from numbers your own functions
  computed.

No fingerprint, compatibility or PSI formula lives here. The downstream
classifier is a deliberately tiny nearest-centroid rule on standardised
features (scenario plumbing, not something you implement).
"""

from __future__ import annotations

from typing import Any

import numpy as np

N_TRAIN = 1_200
N_SERVING = 1_200
VERSIONS = ("1.0.0", "2.0.0")
EXTRA_FEATURE = {
    "prompt_embedder": "safety_prior",
    "camera_backbone": "motion_blur",
    "text_detector": "script_confidence",
    "noise_isolator": "snr_estimate",
}
NORMALISATION = {"1.0.0": "global_zscore", "2.0.0": "per_window_minmax"}


def _scenario(track: Any) -> dict[str, Any]:
    s = track["scenario"] if isinstance(track, dict) else track.scenario
    get = (lambda k: s[k]) if isinstance(s, dict) else (lambda k: getattr(s, k))
    return {k: get(k) for k in ("seed", "extractor", "downstream", "features")}


def _design(track: Any) -> dict[str, Any]:
    """Per-track choices: which features v2 renormalises, by how much, which dtype it narrows."""
    s = _scenario(track)
    names = [str(f) for f in s["features"]]
    rng = np.random.default_rng(s["seed"] + 12_000)
    k = int(rng.integers(2, 4))  # 2 or 3 renormalised features
    renorm = sorted(int(i) for i in rng.choice(len(names), size=k, replace=False))
    others = [i for i in range(len(names)) if i not in renorm]
    return {
        "names": names,
        "extra": EXTRA_FEATURE.get(s["extractor"], "quality_score"),
        "renormalised": renorm,
        "narrowed": others[int(rng.integers(len(others)))] if others else 0,
        "scale": rng.uniform(0.15, 0.25, len(names)),   # per-window min-max squeezes the range...
        "shift": rng.uniform(0.75, 0.95, len(names)),   # ...and moves it to [0, 1]
        "separation": rng.uniform(1.5, 1.9, len(names)),
        "seed": int(s["seed"]),
        "extractor": str(s["extractor"]),
    }


def extractor_contracts(track: Any) -> dict[str, dict[str, Any]]:
    """The feature contract of each extractor version, keyed ``"1.0.0"`` and ``"2.0.0"``.

    A contract is a plain dict: ``extractor``, ``version``, ``features`` (a list of
    ``[name, dtype]`` pairs in the order the extractor emits them) and ``params``.
    """
    d = _design(track)
    names = d["names"]
    v1 = {
        "extractor": d["extractor"],
        "version": "1.0.0",
        "features": [[n, "float32"] for n in names],
        "params": {"window": 256, "normalisation": NORMALISATION["1.0.0"]},
    }
    order = [names[-1], *names[:-1]]  # v2 emits the last feature first
    dtypes = {n: ("float16" if i == d["narrowed"] else "float32") for i, n in enumerate(names)}
    v2 = {
        "version": "2.0.0",
        "extractor": d["extractor"],
        "params": {"normalisation": NORMALISATION["2.0.0"], "window": 256},
        "features": [[n, dtypes[n]] for n in order] + [[d["extra"], "float32"]],
    }
    return {"1.0.0": v1, "2.0.0": v2}


def _latent(track: Any, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, clean signal per feature and extractor noise for one split (seeded)."""
    d = _design(track)
    offset = {"train": 1, "serving": 2}[split]
    rng = np.random.default_rng(d["seed"] * 10 + offset)
    n = N_TRAIN if split == "train" else N_SERVING
    y = (rng.random(n) < 0.5).astype(int)
    m = len(d["names"]) + 1  # the extra feature's signal too
    sep = np.append(d["separation"], 0.6)
    signal = (2 * y[:, None] - 1) * sep[None, :] / 2 + rng.standard_normal((n, m))
    noise = rng.standard_normal((n, m))
    return y, signal, noise


def _extract(track: Any, split: str, version: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Feature table (column → array, in the version's emit order) and labels."""
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {VERSIONS}, got {version!r}")
    d = _design(track)
    y, signal, noise = _latent(track, split)
    names = d["names"]
    cols: dict[str, np.ndarray] = {}
    for i, n in enumerate(names):
        if version == "1.0.0" or i not in d["renormalised"]:
            cols[n] = signal[:, i] + 0.9 * noise[:, i]
        else:  # v2: cleaner signal, but a new normalisation
            cols[n] = d["shift"][i] + d["scale"][i] * (signal[:, i] + 0.55 * noise[:, i])
        cols[n] = cols[n].astype(np.float16 if (version == "2.0.0" and i == d["narrowed"]) else np.float32)
        cols[n] = cols[n].astype(float)
    if version == "2.0.0":
        order = [names[-1], *names[:-1]]
        cols = {n: cols[n] for n in order}
        cols[d["extra"]] = (signal[:, -1] + 0.3 * noise[:, -1]).astype(np.float32).astype(float)
    return cols, y


def feature_table(track: Any, split: str, version: str) -> dict[str, np.ndarray]:
    """Features of the ``"train"`` snapshot or of live ``"serving"`` traffic, as ``version`` emits them.

    Returns a dict column name → NumPy array (one row per example), in the
    extractor's emit order.
    """
    return _extract(track, split, version)[0]


def _fit_centroids(table: dict[str, np.ndarray], y: np.ndarray, names: list[str]) -> tuple[np.ndarray, ...]:
    """The downstream model: per-feature standardisation learned on its snapshot, then class centroids."""
    X = np.column_stack([table[n] for n in names])
    mean, std = X.mean(axis=0), X.std(axis=0)
    Z = (X - mean) / std
    return mean, std, np.vstack([Z[y == 0].mean(axis=0), Z[y == 1].mean(axis=0)])


def _predict(model: tuple[np.ndarray, ...], table: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    mean, std, centroids = model
    Z = (np.column_stack([table[n] for n in names]) - mean) / std
    return ((Z[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


def ensemble_trace(track: Any) -> dict[str, dict[str, float]]:
    """Downstream accuracy on live traffic per extractor version, frozen or retrained.

    ``trace[version]["frozen"]``: the downstream classifier trained on the
    1.0.0 training snapshot, fed the serving features of ``version`` (looked
    up by name, so nothing crashes). ``trace[version]["retrained"]``: the
    classifier refitted on ``version``'s own training snapshot (all its
    features). Accuracies are fractions in [0, 1].
    """
    contracts = extractor_contracts(track)
    names = {v: [f[0] for f in contracts[v]["features"]] for v in VERSIONS}
    train1, y_train = _extract(track, "train", "1.0.0")
    frozen = _fit_centroids(train1, y_train, names["1.0.0"])
    trace: dict[str, dict[str, float]] = {}
    for v in VERSIONS:
        serving, y = _extract(track, "serving", v)
        train_v, y_tv = _extract(track, "train", v)
        refit = _fit_centroids(train_v, y_tv, names[v])
        trace[v] = {
            "frozen": float(np.mean(_predict(frozen, serving, names["1.0.0"]) == y)),
            "retrained": float(np.mean(_predict(refit, serving, names[v]) == y)),
        }
    return trace


def draw_ensemble_trace(trace: dict[str, dict[str, float]], skew: dict[str, float], version: str = "2.0.0",
                        retrained: bool = False, threshold: float = 0.2, downstream: str = "downstream model",
                        compatible: bool | None = None):
    """Left: downstream accuracy per extractor version, frozen vs retrained (the selected
    configuration highlighted). Right: per-feature PSI of serving vs the classifier's
    training snapshot with the ``threshold`` line."""
    from labkit import PALETTE, new_figure

    fig, (ax1, ax2) = new_figure(ncols=2)
    x = np.arange(len(trace))
    width = 0.36
    versions = list(trace)
    baseline = trace[versions[0]]["frozen"]
    for k, (mode, colour, label) in enumerate((("frozen", PALETTE["live"], "frozen (trained on 1.0.0)"),
                                               ("retrained", PALETTE["ok"], "retrained"))):
        vals = [trace[v][mode] for v in versions]
        bars = ax1.bar(x + (k - 0.5) * width, vals, width, color=colour, label=label, alpha=0.85)
        for v, bar in zip(versions, bars, strict=True):
            selected = v == version and (mode == "retrained") == retrained
            bar.set_edgecolor("black" if selected else colour)
            bar.set_linewidth(2.5 if selected else 0.5)
            ax1.annotate(f"{bar.get_height():.3f}", (bar.get_x() + width / 2, bar.get_height()),
                         ha="center", va="bottom", fontsize=9, fontweight="bold" if selected else "normal")
    ax1.axhline(baseline, color=PALETTE["neutral"], ls="--", lw=1, label=f"baseline {baseline:.3f}")
    ax1.set_xticks(x, [f"extractor {v}" for v in versions])
    ax1.set_ylim(0.5, 1.17)
    ax1.set_ylabel(f"{downstream}\nlive accuracy")
    acc = trace[version]["retrained" if retrained else "frozen"]
    change = acc - baseline
    state = "retrained" if retrained else "not retrained"
    ax1.set_title(f"Ensemble trace: {version}, {state}: accuracy {acc:.3f} ({change:+.3f})",
                  color=PALETTE["bad"] if change < -0.01 else "black")
    ax1.legend(loc="upper center", fontsize=8, ncol=3)

    names = list(skew)
    values = np.array([skew[n] for n in names], dtype=float)
    finite = values[np.isfinite(values)]
    top = max(10.0, float(finite.max()) * 8 if finite.size else 10.0)
    shown = np.clip(np.nan_to_num(values, nan=1e-3, posinf=top, neginf=1e-3), 1e-3, top)
    colours = [PALETTE["bad"] if v > threshold else PALETTE["ok"] for v in values]
    ax2.barh(names[::-1], shown[::-1], color=colours[::-1])
    ax2.set_xscale("log")
    ax2.axvline(threshold, color="black", ls="--", lw=1.2, label=f"PSI threshold {threshold}")
    for i, v in enumerate(values[::-1]):
        ax2.annotate(f"{v:.3g}", (shown[::-1][i], i), xytext=(3, 0), textcoords="offset points", va="center",
                     fontsize=9)
    ax2.set_xlim(1e-3, top * 1.5)
    ax2.set_xlabel("PSI, serving vs the classifier's training snapshot (log scale)")
    n_bad = int(np.sum(values > threshold))
    check = "" if compatible is None else (" | contract OK" if compatible else " | contract MISMATCH")
    ax2.set_title(f"Feature skew: {n_bad} of {len(values)} features above {threshold}{check}",
                  color=PALETTE["bad"] if n_bad or compatible is False else "black")
    ax2.legend(loc="lower right", fontsize=8)
    return fig
