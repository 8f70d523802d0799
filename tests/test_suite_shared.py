"""``grader.suites.shared.remembered``: a hidden suite's reference answers kept per worker, only where that is safe."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest

from grader.suites.shared import REMEMBERED, remembered, remembering


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: float = 1.0


@dataclasses.dataclass
class Mutable:
    a: float = 1.0


def _counting(result=lambda *a, **k: sum(map(float, a)) if a else 0.0):
    calls = []

    def reference(*args, **kwargs):
        calls.append((args, kwargs))
        return result(*args, **kwargs)

    return reference, calls


def test_the_same_plain_question_is_computed_once():
    reference, calls = _counting()
    ask = remembered(reference)
    assert ask(2, 3.5) == ask(2, 3.5) == 5.5
    assert ask(2, b=3.5) == ask(2, b=3.5)  # keywords: their own question, asked once
    assert len(calls) == 2


def test_equal_values_of_other_types_are_other_questions():
    """``1``, ``1.0`` and ``True`` are one key to a dict; a function may answer them differently."""
    reference, calls = _counting(lambda x: type(x).__name__)
    ask = remembered(reference)
    assert [ask(1), ask(1.0), ask(True), ask(1)] == ["int", "float", "bool", "int"]
    assert len(calls) == 3


def test_frozen_dataclasses_are_keyed_by_their_fields():
    reference, calls = _counting(lambda m: m.a * 2)
    ask = remembered(reference)
    assert ask(Frozen(1.0)) == ask(Frozen(1.0)) == 2.0
    assert ask(Frozen(2.0)) == 4.0
    assert len(calls) == 2


@pytest.mark.parametrize("argument", [Mutable(), np.arange(3.0), [1.0, 2.0], {"a": 1.0}, Frozen(a=np.float64(1.0))])
def test_arguments_that_are_not_plain_are_asked_every_time(argument):
    """A mutable or array argument could change between two questions that look alike: never answered from memory."""
    reference, calls = _counting(lambda x: 0.0)
    ask = remembered(reference)
    ask(argument)
    ask(argument)
    assert len(calls) == 2


def test_answers_that_are_not_plain_and_errors_are_never_kept():
    reference, calls = _counting(lambda n: np.arange(float(n)))
    ask = remembered(reference)
    first = ask(3)
    first[0] = 99.0  # a caller changing an answer it got changes nothing the next caller gets
    assert ask(3)[0] == 0.0 and len(calls) == 2

    def failing(x):
        calls.append(x)
        raise ValueError("no")

    ask = remembered(failing)
    for _ in range(2):
        with pytest.raises(ValueError):
            ask(1.0)
    assert len(calls) == 4


def test_memory_is_bounded():
    reference, calls = _counting()
    ask = remembered(reference)
    for n in range(REMEMBERED + 10):
        ask(n)
    ask(0)  # kept (among the first)
    ask(REMEMBERED + 5)  # past the bound: computed again
    assert len(calls) == REMEMBERED + 11


def test_a_remembering_module_keeps_every_other_name_its_own():
    reference, calls = _counting()
    module = types.ModuleType("reference")
    module.slow = reference
    module.fast = lambda: "fast"
    module.CONSTANT = 42
    seen = remembering(module, "slow")
    assert seen.slow(1.0) == seen.slow(1.0) == 1.0 and len(calls) == 1
    assert seen.fast is module.fast and seen.CONSTANT == 42 and seen.__name__ == "reference"
    replaced, asked = _counting(lambda x: -1.0)
    module.slow = replaced  # replaced in the module (a test breaking the reference): asked at once, nothing kept
    assert seen.slow(1.0) == -1.0 and len(asked) == 1 and len(calls) == 1
