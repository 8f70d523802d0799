"""Input checks shared by every :mod:`opsmath` module.

Each helper raises :class:`ValueError` with a message that names the offending
argument, so that a student (or a hidden test) sees *which* input was wrong.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "as_distribution",
    "as_sample",
    "check_accuracy",
    "check_fraction_open",
    "check_nonnegative",
    "check_positive",
]


def _finite_real(value: Any, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if math.isnan(x):
        raise ValueError(f"{name} must not be NaN")
    return x


def check_positive(value: Any, name: str, *, allow_inf: bool = False) -> float:
    """Return ``value`` as a float, requiring ``value > 0``."""
    x = _finite_real(value, name)
    if not x > 0:
        raise ValueError(f"{name} must be positive, got {x!r}")
    if math.isinf(x) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {x!r}")
    return x


def check_nonnegative(value: Any, name: str) -> float:
    """Return ``value`` as a finite float, requiring ``value >= 0``."""
    x = _finite_real(value, name)
    if x < 0 or math.isinf(x):
        raise ValueError(f"{name} must be a finite non-negative number, got {x!r}")
    return x


def check_accuracy(value: Any, name: str) -> float:
    """Return ``value`` as a float accuracy in (0, 1]."""
    x = check_positive(value, name)
    if x > 1:
        raise ValueError(f"{name} must be a fraction in (0, 1], got {x!r}")
    return x


def check_fraction_open(value: Any, name: str) -> float:
    """Return ``value`` as a float strictly inside the open interval (0, 1)."""
    x = _finite_real(value, name)
    if not 0.0 < x < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {x!r}")
    return x


def as_distribution(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """Validate counts or proportions and return them normalised to sum to 1.

    Parameters
    ----------
    values : array_like
        One-dimensional, finite, non-negative counts or proportions with a
        positive total.
    name : str
        Argument name used in error messages.
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must contain at least one bin")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    if np.any(arr < 0):
        raise ValueError(f"{name} must not contain negative proportions or counts")
    total = arr.sum()
    if total <= 0:
        raise ValueError(f"{name} must have a positive total")
    return arr / total


def as_sample(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """Validate a one-dimensional, finite, non-empty sample of observations."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        raise ValueError(f"{name} must contain at least one observation")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    return arr
