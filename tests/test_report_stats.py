"""Item statistics, hint normalisation, mistake groups and written answers of grader.report, on hand-made data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.report import (
    discrimination,
    histogram_bins,
    item_analysis,
    mistake_groups,
    normalise_hint,
    notebook_answers,
    status_of,
    summarise,
)


def _result(scores: dict[str, tuple[float, float, str]], status: str = "ok", output: str = "") -> dict:
    """results.json with tests named "<question>: <n>" → (score, max, hint)."""
    tests = [{"name": name, "question": name.split(":")[0], "score": s, "max_score": m, "output": hint}
             for name, (s, m, hint) in scores.items()]
    return {"score": sum(s for s, _, _ in scores.values()), "tests": tests, "output": output,
            "execution_time": 1.0, "extra_data": {"assignment": "demo", "status": status}}


def test_discrimination_hand_computed():
    # item 0 1 1 0, total 2 5 4 3 -> rest 2 4 3 3; deviations (-.5 .5 .5 -.5) and (-1 1 0 0):
    # r = 1 / sqrt(1 * 2)
    assert discrimination([0, 1, 1, 0], [2, 5, 4, 3]) == pytest.approx(1 / math.sqrt(2))
    # item 1 0 1, total 1 3 2 -> rest 0 3 1; item dev (1/3, -2/3, 1/3), rest dev (-4/3, 5/3, -1/3)
    # cov = -4/9 - 10/9 - 1/9 = -15/9; var sums 6/9 and 42/9 -> r = -15 / sqrt(252)
    assert discrimination([1, 0, 1], [1, 3, 2]) == pytest.approx(-15 / math.sqrt(252))
    assert discrimination([1, 1, 1], [1, 2, 3]) is None  # everybody scored the item
    assert discrimination([0, 1], [5, 6]) is None          # rest is constant


def test_item_analysis_hand_computed():
    results = {
        "s1": _result({"q1: a": (1, 1, ""), "q1: b": (0, 1, "x"), "q2: c": (2, 2, "")}),
        "s2": _result({"q1: a": (1, 1, ""), "q1: b": (1, 1, ""), "q2: c": (2, 2, "")}),
        "s3": _result({"q1: a": (1, 1, ""), "q1: b": (0, 1, "x"), "q2: c": (0, 2, "y")}),
        "s4": _result({"q1: a": (1, 1, ""), "q1: b": (1, 1, ""), "q2: c": (0, 2, "y")}),
        "gone": _result({"q1: a": (0, 1, "n"), "q1: b": (0, 1, "n"), "q2: c": (0, 2, "n")}, status="ungradable"),
    }
    questions, tests = item_analysis(results)
    assert list(tests["test"]) == ["q1: a", "q1: b", "q2: c"]
    assert list(tests["passed"]) == [4, 2, 2]  # the ungradable submission is left out
    assert list(tests["flag"]) == ["everybody passes", "", ""]
    assert tests["share"].tolist() == pytest.approx([1.0, 0.5, 0.5])
    # test b: item 0 1 0 1, totals 3 4 1 2 -> rest 3 3 1 1: uncorrelated
    assert tests["discrimination"][1] == pytest.approx(0.0)
    # q1 = 1 2 1 2 against rest (q2) 2 2 0 0: r = 0
    # q2 = 2 2 0 0 against rest (q1) 1 2 1 2: r = 0
    assert questions["discrimination"].tolist() == pytest.approx([0.0, 0.0])
    assert questions["share"].tolist() == pytest.approx([6 / 8, 4 / 8])
    assert questions["n"].tolist() == [4, 4]
    nobody = {"s1": _result({"q: a": (0, 1, "h")}), "s2": _result({"q: a": (0, 1, "h")})}
    assert item_analysis(nobody)[1]["flag"].tolist() == ["nobody passes"]


def test_histogram_bins_are_centred_on_score_values():
    assert histogram_bins([0, 3, 4], 4).tolist() == [-0.5, 0.5, 1.5, 2.5, 3.5, 4.5]
    assert histogram_bins([0, 1.5], 2).tolist() == [-0.25, 0.25, 0.75, 1.25, 1.75, 2.25]
    counts, _ = np.histogram([11, 11, 10, 12, 0], bins=histogram_bins([11, 11, 10, 12, 0], 12))
    assert counts[11] == 2 and counts[10] == 1 and counts[12] == 1 and counts[0] == 1


def test_statuses_include_derived_timeouts_and_grading_time():
    results = {
        "a": _result({"q: t": (1, 1, "")}),
        "b": _result({"q: t": (0, 1, "f(1) failed: no answer within 3 s (infinite loop or very slow code?)")}),
        "c": _result({"q: t": (0, 1, "boom")}, status="cell-errors"),
        "d": _result({"q: t": (0, 1, "no notebook")}, status="ungradable"),
    }
    assert [status_of(r) for r in results.values()] == ["ok", "timeouts", "cell-errors", "ungradable"]
    summary = summarise(results)
    assert summary["statuses"] == {"ok": 1, "timeouts": 1, "cell-errors": 1, "ungradable": 1}
    assert summary["grading_seconds"]["total"] == pytest.approx(4.0)


def test_timeouts_come_from_the_sandbox_count_when_results_have_it():
    own_error = _result({"q: t": (0, 1, "f(1) raised StudentException: TimeoutError: connection timed out")})
    own_error["extra_data"]["timeouts"] = 0  # the student's own exception text, not a time limit
    assert status_of(own_error) == "ok"
    looped = _result({"q: t": (0, 1, "f(1) raised StudentTimeout: f: no answer within 3 s")}, status="cell-errors")
    looped["extra_data"]["timeouts"] = 2
    assert status_of(looped) == "timeouts"


@pytest.mark.parametrize(("hint", "normalised"), [
    ("psi([0, 1], [0, 1]) returned NaN; expected 0", "psi(…) returned NaN; expected #"),
    ("drift_status(0.2) returned 'significant'; expected 'investigate'",
     "drift_status(…) returned '…'; expected '…'"),
    ("live_psi on track edge_guardian returned 1.545692053; expected 1.083709727 (relative tolerance 1e-06)",
     "live_psi on track … returned #; expected # (…)"),
    ("n_required on track tiny_pioneer returned <ellipsis: Ellipsis>; expected 6907752",
     "n_required on track … returned <…>; expected #"),
    ("f(1)\nsecond line ignored", "f(…)"),
])
def test_normalise_hint(hint, normalised):
    assert normalise_hint(hint) == normalised


def test_mistake_groups_largest_first_and_matched_to_variants():
    bug = "f(3) returned 4; expected 5"
    results = {
        "s1": _result({"q: a": (0, 1, bug), "q: b": (1, 1, "")}),
        "s2": _result({"q: a": (0, 1, "f(7) returned 8; expected 9"), "q: b": (1, 1, "")}),
        "s3": _result({"q: a": (0, 1, "f(1) returned None; expected 2"), "q: b": (0, 2, "g() raised")}),
        "s4": _result({"q: a": (0, 1, bug), "q: b": (0, 2, "g() raised")}),
        "x": _result({"q: a": (0, 1, "no notebook"), "q: b": (0, 2, "no notebook")}, status="ungradable"),
    }
    variants = {"off_by_one": {"why": "adds one", "failures": {("q: a", "f(…) returned #; expected #")}},
                "other": {"why": "unrelated", "failures": {("q: b", "h(…) failed")}}}
    groups = mistake_groups(results, variants)
    assert [(g["test"], g["pattern"], g["count"]) for g in groups] == [
        ("q: a", "f(…) returned #; expected #", 3),
        ("q: b", "g(…) raised", 2),
        ("q: a", "f(…) returned None; expected #", 1),
    ]
    assert groups[0]["submissions"] == ["s1", "s2", "s4"] and groups[0]["example"] == bug
    assert groups[0]["points"] == 1
    # s1 and s2 fail exactly the variant's set of tests; s4 fails q: b as well
    assert groups[0]["variants"] == [{"name": "off_by_one", "why": "adds one", "exact": 2}]
    assert groups[1]["variants"] == [] and groups[2]["variants"] == []


def _md(text: str, tags: tuple[str, ...] = ()) -> dict:
    return {"cell_type": "markdown", "metadata": {"tags": list(tags)}, "source": text}


def test_notebook_answers_reads_prediction_and_hand_graded_blocks():
    nb = {"cells": [
        {"cell_type": "code", "metadata": {}, "source": ["PREDICTION = ...\n"]},
        {"cell_type": "code", "metadata": {}, "source": 'x = 1\nPREDICTION = "  It will alert.  "\n'},
        _md("<!-- BEGIN QUESTION -->\n\n## 6. Reflection (graded by hand)\n\nExplain."),
        _md("_Type your answer here, replacing this text._", ("otter_answer_cell",)),
        _md("Silent failures\nare silent.", ("otter_answer_cell",)),
        _md("<!-- END QUESTION -->"),
        _md("<!-- BEGIN QUESTION -->\n\n**Bonus**"),
        _md("_Type your answer here, replacing this text._", ("otter_answer_cell",)),
        _md("<!-- END QUESTION -->"),
    ]}
    assert notebook_answers(nb) == {"prediction": "It will alert.", "6. Reflection (graded by hand)":
                                    "Silent failures\nare silent.", "Bonus": ""}
    assert notebook_answers({"cells": [{"cell_type": "code", "source": "PREDICTION = (("}]}) == {"prediction": ""}
    assert notebook_answers({"nbformat": 4}) == {"prediction": ""}
