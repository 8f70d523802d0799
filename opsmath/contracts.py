"""Feature contracts between an upstream extractor and a downstream model.

A *contract* is a plain dict describing what a feature extractor produces::

    {"extractor": "noise_isolator", "version": "1.2.0",
     "features": [["band_energy_0", "float32"], ...],
     "params": {"sample_rate": 16000, "normalisation": "per-utterance"}}

A downstream model keeps the fingerprint of the contract behind its training
data; serving it through a contract with another fingerprint is
training-serving skew by construction (chapter "ML Operations", ``@eq-model-reproducibility``:
the output depends on Code, Data, Config and Environment versions). Per-feature
drift between the training snapshot and serving features is measured with
PSI (:func:`opsmath.drift.psi_from_samples`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opsmath.drift import DEFAULT_EPS, PSI_BANDS, psi_from_samples

__all__ = [
    "CompatibilityReport",
    "check_compatibility",
    "feature_skew",
    "schema_fingerprint",
    "skewed_features",
]


def _normalise_contract(contract: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(contract, Mapping):
        raise ValueError(f"a contract must be a mapping, got {type(contract).__name__}")
    if "features" not in contract:
        raise ValueError("a contract needs a 'features' list of [name, dtype] pairs")
    features = []
    if isinstance(contract["features"], (str, bytes)) or not hasattr(contract["features"], "__iter__"):
        raise ValueError("'features' must be a list of [name, dtype] pairs")
    for item in contract["features"]:
        if isinstance(item, (str, bytes)) or not hasattr(item, "__len__") or len(item) != 2:
            raise ValueError(f"each feature must be a [name, dtype] pair, got {item!r}")
        features.append([str(item[0]), str(item[1])])
    names = [f[0] for f in features]
    if len(set(names)) != len(names):
        raise ValueError("feature names must be unique")
    params = contract.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise ValueError(f"'params' must be a mapping, got {type(params).__name__}")
    return {
        "extractor": str(contract.get("extractor", "")),
        "version": str(contract.get("version", "")),
        "features": features,
        "params": dict(params),
    }


def schema_fingerprint(contract: Mapping[str, Any]) -> str:
    """SHA-256 of the contract's canonical JSON (sorted keys, no whitespace).

    Feature *order* is part of the fingerprint (a model consumes a vector);
    key order of the dict and of ``params`` is not.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    canonical = json.dumps(_normalise_contract(contract), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CompatibilityReport:
    """Result of :func:`check_compatibility`."""

    compatible: bool
    missing: tuple[str, ...] = field(default_factory=tuple)
    extra: tuple[str, ...] = field(default_factory=tuple)
    dtype_changed: tuple[str, ...] = field(default_factory=tuple)
    reordered: bool = False
    version_changed: bool = False
    params_changed: tuple[str, ...] = field(default_factory=tuple)


def check_compatibility(trained_on: Mapping[str, Any], serving: Mapping[str, Any]) -> CompatibilityReport:
    """Compare the contract a model was trained on with the one serving it.

    Compatible exactly when the fingerprints match; the other fields say why
    not: features the model expects but serving lacks (``missing``), new
    ones (``extra``), changed dtypes, a changed order, a changed extractor
    version, and changed parameters.
    """
    a = _normalise_contract(trained_on)
    b = _normalise_contract(serving)
    types_a = dict(map(tuple, a["features"]))
    types_b = dict(map(tuple, b["features"]))
    missing = tuple(n for n in types_a if n not in types_b)
    extra = tuple(n for n in types_b if n not in types_a)
    dtype_changed = tuple(n for n in types_a if n in types_b and types_a[n] != types_b[n])
    common_a = [n for n in types_a if n in types_b]
    common_b = [n for n in types_b if n in types_a]
    keys = sorted(set(a["params"]) | set(b["params"]))
    params_changed = tuple(k for k in keys if a["params"].get(k) != b["params"].get(k))
    return CompatibilityReport(
        compatible=schema_fingerprint(a) == schema_fingerprint(b),
        missing=missing,
        extra=extra,
        dtype_changed=dtype_changed,
        reordered=common_a != common_b,
        version_changed=(a["extractor"], a["version"]) != (b["extractor"], b["version"]),
        params_changed=params_changed,
    )


def feature_skew(
    train: Mapping[str, Any],
    serving: Mapping[str, Any],
    bins: int = 10,
    eps: float = DEFAULT_EPS,
) -> dict[str, float]:
    """Per-feature PSI between the training snapshot and serving features.

    Parameters
    ----------
    train, serving : mapping or DataFrame
        Column name → observations. Only features present in both are
        compared.
    bins : int, optional
        Quantile bins learned from the training column.

    Returns
    -------
    dict
        Feature name → PSI, in the training snapshot's column order.
    """
    names = [n for n in list(train.keys()) if n in serving]
    if not names:
        raise ValueError("train and serving share no features")
    return {
        n: psi_from_samples(np.asarray(train[n], float), np.asarray(serving[n], float), bins=bins, eps=eps)
        for n in names
    }


def skewed_features(skew: Mapping[str, float], threshold: float = PSI_BANDS[1]) -> list[str]:
    """Features whose PSI exceeds ``threshold`` (default 0.2), worst first."""
    return [n for n, v in sorted(skew.items(), key=lambda kv: (-kv[1], kv[0])) if v > threshold]
