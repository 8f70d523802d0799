"""Local regrade: inputs (files, folders, Gradescope exports), resume, shards, grades.csv."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile

import pytest

from grader.batch import Job, discover, grade_batch, shard
from grader.merge import merge

A = "drift_detective"


@pytest.fixture(scope="module")
def notebooks(built, tmp_path_factory):
    folder = tmp_path_factory.mktemp("subs")
    solution = (built.solutions / f"{A}.ipynb").read_bytes()
    blank = (built.dist / A / "student" / f"{A}.ipynb").read_bytes()
    (folder / "alice.ipynb").write_bytes(solution)
    (folder / "bob.ipynb").write_bytes(blank)
    (folder / "carol.ipynb").write_bytes(b"not json at all")
    return folder


def test_batch_resume_regrades_only_missing_results(notebooks, tmp_path):
    out = tmp_path / "out"
    grade_batch(A, [notebooks], out, workers=2)
    rows = {r["submission"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert float(rows["alice"]["total"]) == float(rows["alice"]["max"]) > 0
    assert float(rows["bob"]["total"]) == 0
    assert rows["carol"]["status"] == "ungradable" and "corrupted" in rows["carol"]["error"]
    kept = (out / "alice" / "results.json").stat().st_mtime_ns
    (out / "bob" / "results.json").unlink()
    (out / "carol" / "results.json").write_text("{half-writ")  # an interrupted write is redone
    grade_batch(A, [notebooks], out, workers=2)
    assert (out / "alice" / "results.json").stat().st_mtime_ns == kept
    assert json.loads((out / "bob" / "results.json").read_text())["score"] == 0
    assert json.loads((out / "carol" / "results.json").read_text())["score"] == 0


def test_gradescope_export_zip_is_accepted(notebooks, tmp_path):
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("assignment_export/submission_metadata.yml",
                    "submission_111:\n  :submitters:\n  - :name: Alice A\n    :email: a@uni.edu\n    :sid: '1'\n"
                    "submission_222:\n  :submitters:\n  - :name: Bob B\n    :email: b@uni.edu\n    :sid: '2'\n")
        zf.writestr(f"assignment_export/submission_111/{A}.ipynb", (notebooks / "alice.ipynb").read_bytes())
        zf.writestr("assignment_export/submission_222/anything.ipynb", (notebooks / "bob.ipynb").read_bytes())
    out = tmp_path / "out"
    grade_batch(A, [export], out, workers=2)
    rows = {r["submission"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["submission_111"]["name"] == "Alice A" and float(rows["submission_111"]["total"]) > 0
    assert rows["submission_222"]["email"] == "b@uni.edu" and float(rows["submission_222"]["total"]) == 0


def test_shards_partition_the_batch_deterministically(tmp_path):
    jobs = [Job(f"s{i:02d}", None) for i in range(10)]
    parts = [shard(jobs, f"{i}/3") for i in (1, 2, 3)]
    ids = sorted(j.id for p in parts for j in p)
    assert ids == sorted(j.id for j in jobs)
    assert shard(list(reversed(jobs)), "2/3") == parts[1]
    with pytest.raises(ValueError):
        shard(jobs, "4/3")


def test_shards_graded_apart_merge_into_one_gradebook_without_regrading(notebooks, tmp_path):
    """Shards graded on machines without a shared folder: copy the folders together, then merge (or rerun)."""
    parts = [tmp_path / f"machine{i}" for i in (1, 2)]
    for i, out in enumerate(parts, start=1):
        grade_batch(A, [notebooks], out, workers=1, shard_spec=f"{i}/2")
    graded = [{p.parent.name for p in out.glob("*/results.json")} for out in parts]
    assert not graded[0] & graded[1] and graded[0] | graded[1] == {"alice", "bob", "carol"}
    merged = tmp_path / "merged"
    for out in parts:
        for sub in out.iterdir():
            if sub.is_dir():  # the submissions' folders, and _shards/ with each machine's record
                shutil.copytree(sub, merged / sub.name, dirs_exist_ok=True)
    stamps = {p.parent.name: p.stat().st_mtime_ns for p in merged.glob("*/results.json")}
    by_merge = merge(A, [notebooks], merged).read_bytes()
    grade_batch(A, [notebooks], merged, workers=1)
    assert (merged / "grades.csv").read_bytes() == by_merge
    assert {p.parent.name: p.stat().st_mtime_ns for p in merged.glob("*/results.json")} == stamps
    rows = {r["submission"]: r for r in csv.DictReader((merged / "grades.csv").open())}
    assert sorted(rows) == ["alice", "bob", "carol"]
    assert float(rows["alice"]["total"]) == float(rows["alice"]["max"]) > 0


def test_discover_gives_unique_ids(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "nb.ipynb").write_text("{}")
    (tmp_path / "b" / "nb.ipynb").write_text("{}")
    jobs = discover([tmp_path / "a" / "nb.ipynb", tmp_path / "b" / "nb.ipynb"], A, tmp_path)
    assert len({j.id for j in jobs}) == 2


def test_grades_csv_columns_are_the_suite_questions_in_order(tmp_path):
    """Columns come from the results files; with none readable, from the suite itself."""
    from grader.batch import write_grades_csv
    from grader.runner import collect_questions

    expected = list(dict.fromkeys(q["question"] for q in collect_questions(A)))
    full = {"score": 1.0, "tests": [{"question": q, "name": q, "score": 0.0, "max_score": 1.0} for q in expected]}
    partial = {"score": 0.0, "tests": full["tests"][1:2]}
    for job_id, data in (("a", partial), ("b", full)):
        (tmp_path / job_id).mkdir()
        (tmp_path / job_id / "results.json").write_text(json.dumps(data))
    jobs = [Job("a", None), Job("b", None), Job("c", None)]  # c has no results.json
    header = (write_grades_csv(A, jobs, tmp_path)).read_text().splitlines()[0].split(",")
    assert header == ["submission", "name", "email", "sid", "created_at", "lateness", *expected, "total", "max",
                      "status", "error"]
    rows = {r["submission"]: r for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert rows["c"]["status"] == "missing" and rows["c"]["total"] == "0"

    empty = tmp_path / "empty"
    empty.mkdir()
    header = write_grades_csv(A, [Job("c", None)], empty).read_text().splitlines()[0].split(",")
    assert header[6:-4] == expected


def test_a_course_is_graded_in_one_pool_exactly_as_one_batch_per_assignment(built, notebooks, tmp_path):
    """`opsgrade course`: the same bytes in every grades.csv and results.json as `grade_batch` per assignment; a
    named assignment that is absent is reported (exit 2) while the others are graded; other entries are left alone."""
    from typer.testing import CliRunner

    from grader.cli import app

    other = "retraining_roi"
    course = tmp_path / "course"
    shutil.copytree(notebooks, course / A)
    (course / other).mkdir()
    (course / other / "sol.ipynb").write_bytes((built.solutions / f"{other}.ipynb").read_bytes())
    (course / other / "blank.ipynb").write_bytes((built.dist / other / "student" / f"{other}.ipynb").read_bytes())
    (course / "notes").mkdir()  # not an assignment: not graded, not an error
    alone = {name: grade_batch(name, [course / name], tmp_path / "alone" / name, workers=1).read_bytes()
             for name in (A, other)}

    out = tmp_path / "together"
    result = CliRunner().invoke(app, ["course", str(course), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([A, other])
    for name in (A, other):
        assert (out / name / "grades.csv").read_bytes() == alone[name]
        for results in (tmp_path / "alone" / name).glob("*/results.json"):
            mine = json.loads((out / name / results.parent.name / "results.json").read_text())
            theirs = json.loads(results.read_text())
            for data in (mine, theirs):
                data.pop("execution_time")
                data["extra_data"].pop("timing", None)
            assert mine == theirs

    again = CliRunner().invoke(app, ["course", str(course), "-o", str(out), "-a", other, "-a", "platform_roi"])
    assert again.exit_code == 2, again.output
    assert "kept 2 finished result(s)" in again.output and "cannot grade platform_roi" in again.output
    assert (out / other / "grades.csv").read_bytes() == alone[other] and not (out / "platform_roi").exists()
