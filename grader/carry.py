"""Error carried forward: a downstream answer earns its points when it is right given the student's own upstream work.

Engineering courses graded by hand do not take points twice for one mistake:
when a question's expected value is computed from an earlier function, an
answer that is right *given the student's own earlier function* gets full
marks, with a note. A hidden test declares which upstream student functions
(or notebook variables) it may carry error forward from, next to its
question::

    @pytest.mark.question("exact_optimum", points=0.5, carry_forward=("cost_rate",))
    def test_exact_worked_example(student, carry):
        carry.check(lambda got, want: check_close(got, want, call=..., rel=1e-3),
                    student.exact_retrain_interval(*WORKED), opsmath.exact_retrain_interval(*WORKED),
                    recompute=lambda: minimise(student.cost_rate, ...))

``recompute`` computes the expected value again through the student's own
upstream functions, which run in the sandbox like every other student call
(only their returned data reaches this process). The answer is accepted by
error carried forward only when (1) it fails against the reference, (2) the
recomputed value itself disagrees with the reference, so the upstream work is
wrong here and loses its own points, and (3) the answer agrees with the
recomputed value under the same check. Otherwise the original hint stands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from grader.checks import GraderError, GradingFailure, WrongType

__all__ = ["CarryForward", "carry"]

ECF_PROPERTY = "carried_forward"
"""Key of the note a test passed by error carried forward leaves in ``item.user_properties``."""


class CarryForward:
    """Checks that may accept an answer consistent with the student's own upstream functions."""

    def __init__(self, node: pytest.Item, upstream: Sequence[str]) -> None:
        self._node = node
        self.upstream = tuple(upstream)

    def check(self, check: Callable[[Any, Any], None], got: Any, expected: Any,
              recompute: Callable[..., Any], *, student: Any = None, reference: Any = None) -> None:
        """Run ``check(got, expected)``; on failure, try error carried forward through ``recompute()``.

        Parameters
        ----------
        check : callable
            ``check(got, want)`` raising :class:`GradingFailure` when ``got``
            is not ``want`` (tolerances and the shown call bound in).
        got : object
            The student's answer.
        expected : object
            The reference's answer.
        recompute : callable
            The expected value recomputed through the student's own upstream
            functions named in the question's ``carry_forward``: called with
            no argument, or, when ``student`` and ``reference`` are given, as
            ``recompute(student)`` and ``recompute(reference)``.
        student, reference : object, optional
            The student proxy, and an object with the same function names
            bound to the reference. The recomputation through the reference
            must give ``expected`` (else :class:`GraderError`: the suite and
            the reference disagree, which must never be blamed on the
            student's upstream function).
        """
        try:
            check(got, expected)
            return
        except GradingFailure as wrong:
            if not self.upstream or isinstance(wrong, WrongType):  # a wrong type is this answer's own mistake
                raise
            original = wrong
        if reference is not None:
            try:
                check(recompute(reference), expected)
            except GradingFailure as fault:
                raise GraderError(f"error carried forward: recomputed through the reference, {fault}") from None
        try:
            own = recompute(student) if reference is not None else recompute()
        except Exception:  # the upstream function fails or returns no number: no error to carry
            raise original from None
        try:
            check(own, expected)
        except GradingFailure:
            pass  # the upstream work is wrong here
        else:
            raise original from None  # the upstream work is right here: the mistake is this answer's own
        if not _finite(own):  # an upstream NaN or inf shows nothing about this answer: never carried forward
            raise original from None
        try:
            check(got, own)
        except GradingFailure:
            raise original from None
        names = " and ".join(self.upstream)
        note = (f"full marks by error carried forward: the expected value depends on your {names}, and computed "
                f"with yours this answer is right (the mistake upstream loses its own points). Against the "
                f"reference: {original}")
        if not any(key == ECF_PROPERTY for key, _ in self._node.user_properties):
            self._node.user_properties.append((ECF_PROPERTY, note))


def _finite(value: Any) -> bool:
    """False for a NaN or an infinity (or an array holding one); True for anything else (``None`` included)."""
    if value is None or isinstance(value, (str, bytes, dict)):
        return True
    try:
        import numpy as np

        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return True
    return bool(np.all(np.isfinite(array)))


@pytest.fixture
def carry(request: pytest.FixtureRequest) -> CarryForward:
    """Error carried forward from the upstream names in the test's ``question(..., carry_forward=...)`` marker."""
    marker = request.node.get_closest_marker("question")
    upstream = marker.kwargs.get("carry_forward", ()) if marker is not None else ()
    if isinstance(upstream, str):
        upstream = (upstream,)
    return CarryForward(request.node, upstream)
