"""Item statistics, hint normalisation, mistake groups and written answers of grader.report, on hand-made data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.report import (
    build_report,
    discrimination,
    histogram_bins,
    item_analysis,
    mistake_groups,
    normalise_hint,
    notebook_answers,
    people,
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
     "drift_status(…) returned 'significant'; expected 'investigate'"),
    ("drift_status(0.5) returned 'Significant'; expected 'significant'",
     "drift_status(…) returned 'Significant'; expected 'significant'"),
    ("f('a') returned '" + "x" * 60 + "'; expected 'y'", "f(…) returned '…'; expected 'y'"),
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
        "s3": _result({"q: a": (0, 1, "f(1) returned NaN; expected 2"), "q: b": (0, 2, "g() raised")}),
        "s4": _result({"q: a": (0, 1, bug), "q: b": (0, 2, "g() raised")}),
        "x": _result({"q: a": (0, 1, "no notebook"), "q: b": (0, 2, "no notebook")}, status="ungradable"),
    }
    variants = {"off_by_one": {"why": "adds one", "failures": {("q: a", "f(…) returned #; expected #")}},
                "other": {"why": "unrelated", "failures": {("q: b", "h(…) failed")}}}
    groups = mistake_groups(results, variants)
    assert [(g["test"], g["pattern"], g["count"]) for g in groups] == [
        ("q: a", "f(…) returned #; expected #", 3),
        ("q: b", "g(…) raised", 2),
        ("q: a", "f(…) returned NaN; expected #", 1),
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


def test_blank_and_trackless_failures_fold_into_one_row_each():
    blank = {f"q{i}: t": (0, 1, f"f{i}(1) returned None (NoneType); expected a number") for i in range(5)}
    blank["p: t"] = (0, 1, "PREDICTION must be a non-empty string with your prediction")
    results = {
        "blank1": _result(blank),
        "blank2": _result(blank),
        "notrack": _result({"q0: t": (1, 1, ""), "tr: a": (0, 1, "TRACK is unset (...), not one of [...]"),
                            "tr: b": (0, 0.75, "not graded: no valid TRACK (see the first track-specific test)")}),
        "wrong": _result({"q0: t": (0, 1, "f0(1) returned 'Stable'; expected 'stable'")}),
    }
    groups = {g["test"]: g for g in mistake_groups(results)}
    assert set(groups) == {"not attempted", "no valid TRACK", "q0: t"}
    folded = groups["not attempted"]
    assert folded["count"] == 2 and folded["failures"] == 12 and folded["submissions"] == ["blank1", "blank2"]
    assert sorted(folded["tests"]) == ["p: t", *(f"q{i}: t" for i in range(5))]
    assert folded["points"] == 6  # the most one submission lost in the row
    assert groups["no valid TRACK"]["count"] == 1 and groups["no valid TRACK"]["points"] == 1.75
    assert groups["q0: t"]["pattern"] == "f0(…) returned 'Stable'; expected 'stable'"


def test_people_label_submissions_with_the_export_metadata():
    plain = _result({"q: t": (1, 1, "")})
    named = _result({"q: t": (1, 1, "")})
    named["extra_data"].update({"name": "Ada Lovelace", "email": "ada@uni.edu", "sid": "123",
                                "submitters": [{"name": "Ada Lovelace", "email": "ada@uni.edu", "sid": "123"},
                                               {"name": "Alan Turing", "email": "alan@uni.edu", "sid": "456"}],
                                "created_at": "2026-03-01 10:00:00 -0800", "lateness": "0:00:00"})
    who = people({"submission_1": named, "plain": plain})
    assert who["plain"]["label"] == "plain"
    assert who["submission_1"]["label"] == ("Ada Lovelace (ada@uni.edu, SID 123) & Alan Turing (alan@uni.edu, "
                                            "SID 456) · submission_1")
    assert who["submission_1"]["created_at"] == "2026-03-01 10:00:00 -0800"


def test_a_hostile_result_or_notebook_is_one_row_with_a_note(tmp_path):
    """Deep nesting and an oversized cell cost their own row only; the honest classmate is reported in full."""
    import json

    from grader.report import answers

    book, subs = tmp_path / "book", tmp_path / "subs"
    subs.mkdir()
    honest = _result({"q: a": (1, 1, ""), "q: b": (0, 0.75, "g(2) returned 'Stable'; expected 'stable'")})
    honest["extra_data"].update({"name": "Grace Hopper", "email": "grace@uni.edu", "sid": "7"})
    nested = "[" * 200_000 + "]" * 200_000
    for sid, data in {"honest": json.dumps(honest), "deep_result": nested, "deep_nb": json.dumps(honest),
                      "big_cell": json.dumps(honest)}.items():
        (book / sid).mkdir(parents=True)
        (book / sid / "results.json").write_text(data)
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    good = {"cells": [{**cell, "source": 'PREDICTION = "it will alert"\ndef g(x):\n    return "Stable"\n'}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (subs / "honest.ipynb").write_text(json.dumps(good))
    (subs / "deep_nb.ipynb").write_text('{"cells": ' + nested + "}")
    huge = {**good, "cells": [*good["cells"], {**cell, "source": "x = 1\n" * (answers.MAX_CELL_CHARS // 3)}]}
    (subs / "big_cell.ipynb").write_text(json.dumps(huge))
    (subs / "deep_result.ipynb").write_text(json.dumps(good))

    data = build_report(book, submissions=[subs], starter=tmp_path / "none.ipynb")
    rows = {r["submission"]: r for r in data["students"]}
    assert set(rows) == {"honest", "deep_result", "deep_nb", "big_cell"}
    assert rows["honest"]["total"] == 1 and rows["honest"]["note"] == "" and rows["honest"]["name"] == "Grace Hopper"
    assert rows["deep_result"]["status"] == "ungradable" and "nested too deeply" in rows["deep_result"]["note"]
    assert "notebook not read" in rows["deep_nb"]["note"] and "nested too deeply" in rows["deep_nb"]["note"]
    assert "1 cell(s) longer than" in rows["big_cell"]["note"]
    prediction = next(g for g in data["answers"] if g["question"] == "prediction")
    assert {a["submission"]: a["text"] for a in prediction["answers"]} == {
        "honest": "it will alert", "big_cell": "it will alert", "deep_result": "it will alert"}
    mistakes = {g["test"]: g for g in data["mistakes"]}
    assert mistakes["q: b"]["count"] == 3 and mistakes["q: b"]["points"] == 0.75  # honest, deep_nb, big_cell
    page = (book / "report.html").read_text()
    assert "Grace Hopper (grace@uni.edu, SID 7) · honest" in page and ">0.75<" in page
    assert "nested too deeply" in page


def test_likely_causes_describe_the_mistake_not_the_projects_history():
    """The report shows each variant's ``why`` to TAs as the likely cause: no "lost 2.5 before", "the old recipe"."""
    import re

    from grader.build import source_assignments
    from grader.examples import load_variants

    history = re.compile(r"\b(now|the old|used to|previously|no longer|anymore|before that|(cost|lost) [\w .]*before|"
                         r"were lost before|were tested this)\b", re.IGNORECASE)
    found = [(name, variant, m.group(0)) for name in source_assignments()
             for variant, spec in load_variants(name).items() if (m := history.search(spec["why"]))]
    assert found == []
