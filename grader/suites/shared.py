"""Hidden tests every assignment shares; a suite imports them and pytest collects them there.

    from grader.suites.shared import test_prediction_recorded  # noqa: F401 - collected by pytest
"""

from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from grader.carry import typed_key
from grader.checks import GradingFailure

F = TypeVar("F", bound=Callable[..., Any])
_PLAIN = (bool, int, float, str, type(None))
"""Answers kept (immutable); a question's arguments are keyed by :func:`grader.carry.typed_key`, as error carried
forward keys its own reference questions."""
REMEMBERED = 4096
"""Answers one remembered reference function keeps (the first ones asked; later questions are computed each time)."""


def _key(value: Any) -> Any:
    """A dictionary key for ``value`` that keeps its exact type (:func:`grader.carry.typed_key`), or ``None`` when it
    is not a plain scalar or a frozen dataclass of plain scalars (``1``, ``1.0`` and ``True`` are one key to a dict,
    not always one argument)."""
    plain = typed_key((value,))
    if plain is not None:
        return plain[0]
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and value.__dataclass_params__.frozen:
        fields = tuple(_key(getattr(value, f.name)) for f in dataclasses.fields(value))
        return None if None in fields else (type(value).__qualname__, fields)
    return None


def remembered(reference: F) -> F:
    """``reference`` (a pure function of :mod:`opsmath`), its plain answers kept for the life of the process.

    A hidden suite asks the reference the same questions for every notebook it grades: the lab's worked examples,
    its self-checks, and the replayed properties' examples, which are the same for all. Some are expensive:
    ``break_even_models`` evaluates a million fleet sizes when none qualifies (20-30 ms a question, every
    platform_roi notebook). Kept: answers that are plain scalars (or ``None``), to questions whose arguments are
    plain scalars or frozen dataclasses of them, the first :data:`REMEMBERED`; anything else is computed each time.
    An exception is never kept.
    """
    kept: dict[Any, Any] = {}

    @functools.wraps(reference)
    def ask(*args: Any, **kwargs: Any) -> Any:
        positional = tuple(_key(v) for v in args)
        named = tuple((name, _key(v)) for name, v in sorted(kwargs.items()))
        if None in positional or any(k is None for _, k in named):
            return reference(*args, **kwargs)
        key = (positional, named)
        if key in kept:
            return kept[key]
        value = reference(*args, **kwargs)
        if type(value) in _PLAIN and len(kept) < REMEMBERED:
            kept[key] = value
        return value

    return ask  # type: ignore[return-value]


class _Remembering(types.ModuleType):
    def __init__(self, module: types.ModuleType, names: tuple[str, ...]) -> None:
        super().__init__(module.__name__, module.__doc__)
        self._module = module
        self._names = frozenset(names)
        self._asked: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)  # looked up on every use: a function replaced there is used at once
        if name not in self._names:
            return value
        ask = self._asked.get(name)
        if ask is None or ask.__wrapped__ is not value:  # a new function starts with nothing remembered
            ask = self._asked[name] = remembered(value)
        return ask


def remembering(module: types.ModuleType, *names: str) -> types.ModuleType:
    """``module`` as a suite asks it: the functions ``names`` :func:`remembered`, every other name the module's own.

    A suite binds its ``opsmath`` to this, so that its tests' bodies stay as written: a property's examples are
    drawn with a seed taken from its body's source, and a body that named a different function would be given
    different examples, hence different grades. Every name is looked up in ``module`` when it is used, so a function
    replaced there (a test breaking the reference on purpose) is the one asked, with nothing remembered from the
    function before it.
    """
    return _Remembering(module, names)


@pytest.mark.question("prediction", points=1)
def test_prediction_recorded(submission):
    """A prediction was written down before computing"""
    value = submission.get("PREDICTION")
    if not isinstance(value, str) or len(value.strip()) < 2:
        raise GradingFailure("PREDICTION must be a non-empty string with your prediction")
