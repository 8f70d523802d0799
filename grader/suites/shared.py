"""Hidden tests every assignment shares; a suite imports them and pytest collects them there.

    from grader.suites.shared import test_prediction_recorded  # noqa: F401 - collected by pytest
"""

from __future__ import annotations

import pytest

from grader.checks import GradingFailure


@pytest.mark.question("prediction", points=1)
def test_prediction_recorded(submission):
    """A prediction was written down before computing"""
    value = submission.get("PREDICTION")
    if not isinstance(value, str) or len(value.strip()) < 2:
        raise GradingFailure("PREDICTION must be a non-empty string with your prediction")
