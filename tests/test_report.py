"""``opsgrade report`` end to end: a graded class of drift_detective submissions, its report.html, a real browser.

The class: the bundled examples (solution, blank, every wrong variant), a copy of ``strict_bands`` on another
track, and three hand-written students (``tests/report_students.py``): ``student_a`` (the ``psi_no_smoothing``
mistake written differently), ``student_a_renamed`` (the same code, variables renamed, comments and layout
changed) and ``student_b`` (an unrelated correct solution). The variants' signatures are read from a copy of
their graded results (as ``opsgrade demo`` leaves them), not regraded.
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from browser import CHROME_FLAGS
from report_students import REFLECTIONS, STUDENT_A, STUDENT_A_RENAMED, STUDENT_B
from typer.testing import CliRunner

from grader.batch import grade_batch
from grader.cli import app
from grader.examples import load_variants, make_variant, materialise_examples

NAME = "drift_detective"


def _with_reflection(nb: dict, text: str) -> dict:
    """The notebook with ``text`` as its reflection answer and the solution's model answer removed."""
    cells = [c for c in nb["cells"] if c["cell_type"] != "markdown"
             or "otter_assign_solution_cell" not in c.get("metadata", {}).get("tags", [])]
    answer = [c for c in cells if c["cell_type"] == "markdown"
              and "otter_answer_cell" in c.get("metadata", {}).get("tags", [])]
    assert len(answer) == 1, "the solution notebook should have one hand-graded answer cell"
    answer[0]["source"] = text
    return {**nb, "cells": cells}


@pytest.fixture(scope="module")
def graded_class(built, tmp_path_factory) -> dict:
    subs = tmp_path_factory.mktemp("report-subs")
    materialise_examples(NAME, subs, solutions=built.solutions, dist=built.dist)
    solution = json.loads((built.solutions / f"{NAME}.ipynb").read_text())
    variants = load_variants(NAME)
    (subs / "strict_bands_copy.ipynb").write_text(
        json.dumps(make_variant(solution, {**variants["strict_bands"], "track": "tiny_pioneer"})))
    for name, cells, track in (("student_a", STUDENT_A, "cloud_titan"),
                               ("student_a_renamed", STUDENT_A_RENAMED, "cloud_titan"),
                               ("student_b", STUDENT_B, "mobile_nomad")):
        nb = _with_reflection(make_variant(solution, {"replace": cells, "track": track}), REFLECTIONS[name])
        (subs / f"{name}.ipynb").write_text(json.dumps(nb))
    # handed in through a Gradescope export, so the report can name each student
    export = tmp_path_factory.mktemp("report-export") / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        meta = []
        for k, nb in enumerate(sorted(subs.glob("*.ipynb"))):
            zf.writestr(f"export/{nb.stem}/{NAME}.ipynb", nb.read_bytes())
            meta.append(f"{nb.stem}:\n  :submitters:\n  - :name: {_person(nb.stem)}\n    :email: {nb.stem}@uni.edu\n"
                        f"    :sid: '{1000 + k}'\n  :created_at: 2026-03-0{1 + k % 9} 10:00:00.000000000 -08:00\n")
        zf.writestr("export/submission_metadata.yml", "".join(meta))
    out = tmp_path_factory.mktemp("report-out")
    grade_batch(NAME, [export], out, workers=2)
    signatures = tmp_path_factory.mktemp("report-variants")  # as `opsgrade demo` leaves them: graded once
    for name in [*variants, "blank"]:
        (signatures / name).mkdir()
        shutil.copy(out / name / "results.json", signatures / name / "results.json")
    result = CliRunner().invoke(app, ["report", str(out), "--submissions", str(export), "--variants", str(signatures),
                                      "--starter", str(built.dist / NAME / "student" / f"{NAME}.ipynb")])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    return {"out": out, "subs": export, "page": page, "variants": variants, "signatures": signatures,
            "results": {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")}}


def _person(sid: str) -> str:
    """The made-up student behind submission ``sid``."""
    return "Student " + sid.replace("_", " ").title()


def _section(page: str, name: str) -> str:
    match = re.search(rf'<section id="{name}">(.*?)</section>', page, re.S)
    assert match, f"no section {name}"
    return match.group(1)


def _mistake_rows(page: str) -> list[dict]:
    """Each common-mistake row of the page: count, test, submissions, variant names."""
    rows = []
    for block in re.findall(r'<tr class="mistake" data-test="([^"]*)">(.*?)</tr>', _section(page, "mistakes"), re.S):
        test, body = htmllib.unescape(block[0]), block[1]
        count = int(re.search(r'<td class="num big-num">(\d+)</td>', body).group(1))
        ids = re.search(r'<p class="ids">(.*?)</p>', body, re.S).group(1)
        pattern = htmllib.unescape(re.search(r"<code>(.*?)</code>", body, re.S).group(1))
        rows.append({"test": test, "count": count, "pattern": pattern,
                     "submissions": sorted(htmllib.unescape(ids).split(", ")),
                     "variants": re.findall(r'<b class="variant-name">([^<]*)</b>', body),
                     "exact": [int(x) for x in re.findall(r"\(exact: (\d+)\)", body)]})
    return rows


def test_duplicate_pair_is_flagged_and_unrelated_pair_is_not(graded_class):
    section = _section(graded_class["page"], "similar")
    pairs = set(re.findall(r'<tr class="pair" data-a="([^"]*)" data-b="([^"]*)">', section))
    assert ("student_a", "student_a_renamed") in pairs
    assert ("student_a", "student_b") not in pairs and ("student_a_renamed", "student_b") not in pairs
    assert "not a verdict" in section
    # the side-by-side view shows both students' own code, not the starter's
    article = re.search(r'<article class="side" id="pair-\d+">\s*<h3>student_a · student_a_renamed(.*?)</article>',
                        section, re.S)
    assert article, "no side-by-side view for the duplicate pair"
    assert "exp_share" in article.group(1) and "e_p" in article.group(1)
    exported = pd.read_csv(graded_class["out"] / "report_similar.csv")
    assert ((exported["a"] == "student_a") & (exported["b"] == "student_a_renamed")).any()


EMPTY_BINS_TEST = ("psi: Empty bins are smoothed with eps (1e-4 by default, or the eps given), and only they (a "
                   "non-empty bin under eps stays as it is)")


def test_mistake_groups_match_the_variants_that_produced_them(graded_class):
    rows = _mistake_rows(graded_class["page"])
    assert rows and [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)

    def row(test: str, pattern_start: str) -> dict:
        found = [r for r in rows if r["test"] == test and r["pattern"].startswith(pattern_start)]
        assert len(found) == 1, (test, pattern_start, [(r["test"], r["pattern"]) for r in rows])
        return found[0]

    # strict_bands and its copy on another track: one group, named after the variant, both exact
    bands = row('drift_status: Band edges: 0.1 and 0.2 are "investigate"', "drift_status(…) returned '")
    assert bands["submissions"] == ["strict_bands", "strict_bands_copy"]
    assert bands["variants"] == ["strict_bands"] and bands["exact"] == [2]
    assert htmllib.escape(graded_class["variants"]["strict_bands"]["why"], quote=False) in graded_class["page"]
    # the variant and two students who wrote the same mistake differently
    empty = row(EMPTY_BINS_TEST, "psi(…) returned NaN")
    assert empty["submissions"] == ["psi_no_smoothing", "student_a", "student_a_renamed"]
    assert empty["variants"] == ["psi_no_smoothing"] and empty["exact"] == [3]
    # the test now also covers degenerate bins: equal-width bins, the degenerate-edge recipe and missing smoothing
    # fail it with different hints, one group each, each named after its variant
    far_test = ("psi_from_samples: Live values outside the training range land in the end bins; "
                "constant data, tied edges and one bin")
    far = {tuple(r["submissions"]): r["variants"] for r in rows if r["test"] == far_test}
    assert far[("uniform_bins",)] == ["uniform_bins"]
    assert far[("no_interior_edge_case",)] == ["no_interior_edge_case"]
    # an unsmoothed psi's inf reaches psi_from_samples (right) unchanged: carried forward, not a second mistake here
    assert not any("psi_no_smoothing" in group for group in far)
    # what was left blank is one row, whatever the number of tests: the blank notebook and the empty prediction
    blank = [r for r in rows if r["test"] == "not attempted"]
    assert len(blank) == 1 and blank[0]["submissions"] == ["blank", "no_prediction"]
    assert blank[0]["variants"] == ["no_prediction", "blank"]
    assert sorted(r["test"] for r in rows if "blank" in r["submissions"]) == ["no valid TRACK", "not attempted"]
    # every failing test of every graded submission is in exactly one group
    failures = sum(1 for r in graded_class["results"].values() for t in r["tests"] if t["score"] < t["max_score"])
    exported = pd.read_csv(graded_class["out"] / "report_mistakes.csv")
    assert exported["failures"].sum() == failures
    assert len(exported) == len(rows) and list(exported["count"]) == [r["count"] for r in rows]
    # a group names its students as the export does
    mistakes = _section(graded_class["page"], "mistakes")
    assert htmllib.escape(f"{_person('strict_bands_copy')} (strict_bands_copy@uni.edu, SID ", quote=False) in mistakes


def test_summary_items_and_answers_on_the_page(graded_class):
    page, results = graded_class["page"], graded_class["results"]
    summary = _section(page, "summary")
    assert f'<div class="big">{len(results)}</div>submissions' in summary
    statuses = dict(re.findall(r"<tr><td>([a-z-]+)</td><td class=\"num\">(\d+)</td></tr>", summary))
    assert statuses == {"ok": str(len(results) - 1), "cell-errors": "1", "timeouts": "0", "ungradable": "0",
                        "grader-error": "0"}  # the blank notebook's cells raise
    assert summary.count('src="data:image/png;base64,') == 2
    # item analysis: passes of one test, counted here from the results files
    test = EMPTY_BINS_TEST
    passed = sum(1 for r in results.values() for t in r["tests"] if t["name"] == test and t["score"] == t["max_score"])
    assert passed == len(results) - 4  # blank, psi_no_smoothing, student_a, student_a_renamed
    items = _section(page, "items")
    assert re.search(rf"<td>{re.escape(test)}</td><td class=\"num\">1</td><td class=\"num\">{passed}</td>", items)
    quarter = [t for t in next(iter(results.values()))["tests"] if t["max_score"] == 0.75]
    assert quarter and f"<td>{htmllib.escape(quarter[0]['name'], quote=False)}</td><td class=\"num\">0.75</td>" in items
    assert f"Over the {len(results)} graded submissions (0 ungradable" in items  # nothing ungradable in this class
    # the class list: one row per submission with the export's names and submission times
    students = _section(page, "students")
    assert students.count('<tr class="student"') == len(results)
    assert f"<td>{_person('student_b')}</td><td>student_b@uni.edu</td>" in students
    assert "2026-03-0" in students
    # predictions and reflections, grouped by question
    answers = _section(page, "answers")
    assert htmllib.escape(_person("student_a"), quote=False) in answers
    assert "<h3>prediction" in answers and "<h3>6. Reflection (graded by hand)" in answers
    for name, text in REFLECTIONS.items():
        assert htmllib.escape(text, quote=False) in answers, name
    assert "Yes, I expect the latency graph to go up when the inputs change." in answers
    exported = pd.read_csv(graded_class["out"] / "report_answers.csv", keep_default_na=False)
    assert set(exported["submission"]) == set(results)
    data = json.loads((graded_class["out"] / "report.json").read_text())
    assert data["assignment"] == NAME and data["summary"]["submissions"] == len(results)


def test_page_is_self_contained(graded_class):
    page = graded_class["page"]
    assert "<script" not in page and "<link" not in page and "@import" not in page
    for url in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert url.startswith(("data:image/png;base64,", "#")), url
    assert "@media print" in page


def _open(chromium: str, page: Path, shot: Path, profile: Path) -> list[str]:
    """Screenshot ``page`` in headless chromium; returns the console messages it logged."""
    proc = subprocess.run([chromium, *CHROME_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,2200",
                           f"--screenshot={shot}", page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]


def test_page_renders_in_headless_chromium_without_console_errors(graded_class, chromium, tmp_path):
    # control: a page that does log to the console is caught by the same check
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>console.error('broken'); missing();</script></body></html>")
    assert _open(chromium, bad, tmp_path / "bad.png", tmp_path / "profile-bad")
    shot = graded_class["out"] / "report.png"
    assert _open(chromium, graded_class["out"] / "report.html", shot, tmp_path / "profile") == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    if target := os.environ.get("OPSGRADE_REPORT_SCREENSHOT"):  # keep the screenshot for a human look
        shutil.copy(shot, target)


def test_report_is_deterministic(graded_class, built):
    from grader.report import build_report

    out = graded_class["out"]
    before = {p.name: p.read_bytes() for p in out.glob("report*") if p.suffix in (".html", ".json", ".csv")}
    build_report(out, submissions=[graded_class["subs"]], variants=graded_class["signatures"],
                 starter=built.dist / NAME / "student" / f"{NAME}.ipynb")
    after = {p.name: p.read_bytes() for p in out.glob("report*") if p.suffix in (".html", ".json", ".csv")}
    assert len(before) == 8 and before == after
