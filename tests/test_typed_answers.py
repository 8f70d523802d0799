"""A track answer typed in as a literal earns nothing, even where its value is right (checks.require_computed)."""

from __future__ import annotations

import pytest

from grader.checks import GradingFailure, require_computed

COMPUTED = "t = roofline_time(1, 2, 3, 4)\nmax_shadow_share = shadow_share(t, t, 0.01)\n"


@pytest.mark.parametrize("typed", ["max_shadow_share = 1.0", "max_shadow_share = -2", "max_shadow_share = True",
                                   "max_shadow_share: float = 1", 'max_shadow_share = "1.0"'])
def test_a_literal_typed_as_the_last_assignment_fails(typed):
    with pytest.raises(GradingFailure, match="typed in"):
        require_computed(["%matplotlib inline", COMPUTED, typed], "max_shadow_share")


@pytest.mark.parametrize("cells", [
    [COMPUTED],
    ["max_shadow_share = 1.0", COMPUTED],  # typed first, computed last: the last assignment counts
    ["max_shadow_share = ..."],  # the blank's ... is no value at all, graded elsewhere
    ["max_shadow_share = float(1)"],
    ["max_shadow_share = 1.0\nmax_shadow_share += 0.0"],
    ["other = 1.0"],
])
def test_a_computed_blank_or_absent_answer_passes_this_check(cells):
    require_computed(cells, "max_shadow_share")


def test_the_parse_cache_changes_no_verdict():
    """Cells are parsed once per process; a cell longer than the cached size is read the same way."""
    long_cell = "x = 0\n" * 20_000 + "max_shadow_share = 1.0\n"
    for _ in range(2):  # the second time from the cache
        with pytest.raises(GradingFailure, match="typed in"):
            require_computed([COMPUTED, long_cell], "max_shadow_share")
        require_computed([long_cell, COMPUTED], "max_shadow_share")
