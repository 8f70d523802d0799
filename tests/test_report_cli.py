"""What a TA reads: grades.csv keeps the export's submission times, a rerun says what it kept, the summary says
which submissions it averages."""

from __future__ import annotations

import csv

from export_zip import discover_export
from typer.testing import CliRunner

from grader.batch import write_grades_csv
from grader.cli import app
from grader.results import write_results, zero_results_for

QUESTIONS = [{"question": "q", "title": "t", "max_score": 1.0}]


def test_grades_csv_keeps_submission_time_and_lateness_from_the_export(tmp_path):
    meta = ("submission_1:\n  :submitters:\n  - :name: Ann A\n    :email: ann@uni.edu\n    :sid: '11'\n"
            "  :created_at: 2026-03-01 21:15:15.426437000 -08:00\n  :lateness: '1:02:03'\n"
            "submission_2:\n  :submitters:\n  - :name: Cal C\n    :email: cal@uni.edu\n    :sid: '13'\n"
            "  :created_at: 2026-02-28 09:00:00.000000000 -08:00\n")
    jobs, out = discover_export(tmp_path, meta)
    for job in jobs:
        write_results(zero_results_for("a", QUESTIONS, ""), out / job.id / "results.json")
    rows = {r["submission"]: r for r in csv.DictReader(write_grades_csv("a", jobs, out).open())}
    assert rows["submission_1"]["created_at"].startswith("2026-03-01 21:15:15.426437")
    assert rows["submission_1"]["created_at"].endswith("-08:00")
    assert rows["submission_1"]["lateness"] == "1:02:03" and rows["submission_2"]["lateness"] == ""
    assert list(rows["submission_1"])[:6] == ["submission", "name", "email", "sid", "created_at", "lateness"]


def test_rerun_says_what_it_kept_and_report_says_what_it_averages(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("alice", "bob", "carol"):
        (subs / f"{name}.ipynb").write_text("this is not a notebook")  # graded at once: a clear zero
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["grade", "-a", "drift_detective", str(subs), "-o", str(out), "-j", "1"])
    assert first.exit_code == 0, first.output
    assert "graded 3 submission(s)" in first.output and "from an earlier run" not in first.output
    (out / "bob" / "results.json").unlink()
    (out / "carol" / "results.json").write_text("{half-writ")
    again = runner.invoke(app, ["grade", "-a", "drift_detective", str(subs), "-o", str(out), "-j", "1"])
    assert again.exit_code == 0, again.output
    assert ("kept 1 finished result(s) from an earlier run, graded 2 submission(s), 1 stale or incomplete "
            "result(s) among them") in " ".join(again.output.split())
    report = runner.invoke(app, ["report", str(out), "--no-html"])
    assert report.exit_code == 0, report.output
    text = " ".join(report.output.split())
    assert "means and medians over all 3 submissions (3 ungradable counted as 0" in text
