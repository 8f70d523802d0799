"""Shards from a scheduler's environment, and the merge that refuses what is missing, stale or of another version."""

from __future__ import annotations

import json
import shutil
import threading

import pytest

import grader.batch
from grader.batch import Job, grade_batch, shard
from grader.merge import MergeRefused, merge
from grader.shards import Shard, ShardError, from_environment, parse, resolve

A = "drift_detective"

SLURM_0_3 = {"SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3", "SLURM_ARRAY_TASK_COUNT": "4"}


@pytest.mark.parametrize(("environ", "expected"), [
    ({**SLURM_0_3, "SLURM_ARRAY_TASK_ID": "0"}, (1, 4)),
    ({**SLURM_0_3, "SLURM_ARRAY_TASK_ID": "3"}, (4, 4)),
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4",
      "SLURM_ARRAY_TASK_COUNT": "4"}, (1, 4)),  # --array=1-4
    ({"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6",
      "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, (4, 4)),  # --array=0-6:2
    ({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_MAX": "2",
      "SLURM_ARRAY_TASK_COUNT": "1", "OPSGRADE_SHARDS": "4"}, (3, 4)),  # task 2 resubmitted alone
    ({"JOB_COMPLETION_INDEX": "0", "OPSGRADE_SHARDS": "4"}, (1, 4)),
    ({"JOB_COMPLETION_INDEX": "3", "OPSGRADE_SHARDS": "4"}, (4, 4)),
])
def test_auto_shard_from_scheduler_environment(environ, expected):
    part = from_environment(environ)
    assert (part.index, part.count) == expected
    assert resolve("auto", environ) == part


@pytest.mark.parametrize(("environ", "says"), [
    ({}, "neither is set"),
    ({"SLURM_JOB_ID": "12"}, "not an array"),
    ({"JOB_COMPLETION_INDEX": "0"}, "OPSGRADE_SHARDS is not"),
    ({"JOB_COMPLETION_INDEX": "4", "OPSGRADE_SHARDS": "4"}, "outside 0..3"),
    ({"SLURM_ARRAY_TASK_ID": "4", "OPSGRADE_SHARDS": "4"}, "outside 0..3"),  # a 1-based array with a pinned count
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "5",
      "SLURM_ARRAY_TASK_COUNT": "3"}, "evenly spaced"),  # --array=1,3,5 without a step
    ({"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_MIN": "0"}, "not an integer"),
])
def test_auto_shard_refuses_what_names_no_shard(environ, says):
    with pytest.raises(ShardError, match=says):
        from_environment(environ)


def test_shard_spec_is_one_based_and_zero_says_how_to_fix_it():
    assert parse("1/4") == Shard(1, 4, "--shard 1/4")
    assert resolve(None) is None and resolve("  ") is None
    for bad, says in (("0/4", "count from 1.*--shard auto"), ("5/4", "1 <= i <= n"), ("1-4", "look like"),
                      ("1/0", "1 <= i <= n")):
        with pytest.raises(ShardError, match=says):
            parse(bad)
    jobs = [Job(f"s{i}", None) for i in range(5)]
    assert [j.id for j in shard(jobs, Shard(2, 2))] == ["s1", "s3"]


@pytest.fixture(scope="module")
def sharded(built, tmp_path_factory):
    """Three submissions graded in two shards into one folder, and once on one machine."""
    root = tmp_path_factory.mktemp("sharded")
    subs = root / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_bytes((built.solutions / f"{A}.ipynb").read_bytes())
    (subs / "bob.ipynb").write_bytes((built.dist / A / "student" / f"{A}.ipynb").read_bytes())
    (subs / "carol.ipynb").write_bytes(b"not json at all")
    shared = root / "shared"
    records = [grade_batch(A, [subs], shared, workers=1, shard_spec=f"{i}/2") for i in (1, 2)]
    single = root / "single"
    grade_batch(A, [subs], single, workers=1)
    return {"root": root, "subs": subs, "shared": shared, "records": records, "single": single}


@pytest.fixture
def folder(sharded, tmp_path):
    """A copy of the shared output folder, for a test to break."""
    copy = tmp_path / "shared"
    shutil.copytree(sharded["shared"], copy)
    return copy


def test_shards_leave_records_not_grades_and_the_merge_equals_one_machine(sharded, folder):
    assert not (folder / "grades.csv").exists()
    assert [p.name for p in sharded["records"]] == ["shard-1-of-2.json", "shard-2-of-2.json"]
    record = json.loads(sharded["records"][0].read_text())
    assert record["assignment"] == A and record["shard"] == "1/2" and sorted(record["submissions"]) == ["alice",
                                                                                                         "carol"]
    merged = merge(A, [sharded["subs"]], folder)
    assert merged.read_bytes() == (sharded["single"] / "grades.csv").read_bytes()


def _refusal(folder, subs) -> MergeRefused:
    with pytest.raises(MergeRefused) as caught:
        merge(A, subs if isinstance(subs, list) else [subs], folder)
    assert not (folder / "grades.csv").exists()
    return caught.value


def test_merge_refuses_a_missing_shard_and_says_which(sharded, folder):
    (folder / "_shards" / "shard-2-of-2.json").unlink()
    refused = _refusal(folder, sharded["subs"])
    assert [p.kind for p in refused.problems] == ["missing"]
    assert "shard 2/2 is missing" in str(refused) and "1 of its 1" in str(refused)
    shutil.rmtree(folder / "_shards")
    assert "no shard has finished" in str(_refusal(folder, sharded["subs"]))


def test_merge_refuses_stale_results_naming_them(sharded, folder, tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(sharded["subs"], subs)
    (subs / "bob.ipynb").write_bytes((subs / "alice.ipynb").read_bytes())  # bob resubmitted after his shard ran
    refused = _refusal(folder, subs)
    assert [p.kind for p in refused.problems] == ["stale"]
    assert "shard 2/2 has 1 stale result(s)" in str(refused) and "bob" in str(refused)


def test_merge_refuses_shards_of_another_suite_version_or_settings(sharded, folder, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(grader.batch, "_code_digest", lambda: "f" * 64)
        refused = _refusal(folder, sharded["subs"])
    assert [p.kind for p in refused.problems] == ["version", "version"]
    assert "shard 1/2 is from another suite version" in str(refused) and "ffffffff" in str(refused)
    monkeypatch.setenv("OPSGRADE_CELL_SECONDS", "7")
    refused = _refusal(folder, sharded["subs"])
    assert {p.kind for p in refused.problems} == {"settings"} and "limits" in str(refused)


def test_merge_refuses_records_of_two_splits(sharded, folder):
    shutil.copy(folder / "_shards" / "shard-1-of-2.json", folder / "_shards" / "shard-1-of-3.json")
    refused = _refusal(folder, sharded["subs"])
    assert [p.kind for p in refused.problems] == ["split"] and "shard-1-of-3.json" in str(refused)


def test_merge_waits_for_a_shard_that_finishes_meanwhile(sharded, folder, monkeypatch):
    record = folder / "_shards" / "shard-2-of-2.json"
    kept = record.read_bytes()
    record.unlink()
    waited: list[str] = []
    finisher = threading.Timer(0.5, record.write_bytes, args=(kept,))
    finisher.start()
    try:
        merged = merge(A, [sharded["subs"]], folder, wait=600, progress=waited.append)
    finally:
        finisher.cancel()
    assert waited and "shard 2/2 is missing" in waited[0]
    assert merged.read_bytes() == (sharded["single"] / "grades.csv").read_bytes()


def test_a_shard_on_a_node_without_a_required_wall_fails_and_records_no_grade(sharded, tmp_path, monkeypatch):
    """OPSGRADE_REQUIRE_ISOLATION naming a wall the node lacks: no student code runs, no zero is recorded as final,
    and the shard exits non-zero so its scheduler holds the merge back."""
    from typer.testing import CliRunner

    from grader.cli import app

    monkeypatch.setenv("OPSGRADE_REQUIRE_ISOLATION", "landlock,seccomp,no-such-wall")
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["grade", "-a", A, str(sharded["subs"] / "alice.ipynb"), "-o", str(out), "-j", "1",
                                    "--shard", "1/1"])
    assert done.exit_code == 3, done.output
    assert "1 submission(s) hit a grader error" in " ".join(done.output.split())
    result = json.loads((out / "alice" / "results.json").read_text())
    assert result["extra_data"]["status"] == "grader-error" and result["extra_data"]["final"] is False
    assert "student code was not run: required isolation not available: no-such-wall" in result["output"]
    refused = _refusal(out, [sharded["subs"] / "alice.ipynb"])
    assert "shard 1/1 has not finished: 1 submission(s) hit a grader error (alice)" in str(refused)


def test_shards_extracting_one_export_at_once_both_get_its_submissions(tmp_path, monkeypatch):
    """Two shards sharing an output folder may extract the same Gradescope export at the same moment: the one that
    finishes second keeps the first one's folder and finds the same submissions, leaving no partial copy."""
    import os
    import zipfile

    from grader.batch import discover

    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("x/submission_metadata.yml", "submission_1:\n  :submitters:\n  - :name: A\n"
                                                 "submission_2:\n  :submitters:\n  - :name: B\n")
        for k in (1, 2):
            zf.writestr(f"x/submission_{k}/{A}.ipynb", "{}")
    out = tmp_path / "out"
    from grader import exports

    extract = exports._extract
    other: list = []

    def racing(*args, **kwargs):
        found = extract(*args, **kwargs)
        if not other:  # the other shard (another process) extracts and renames between our extraction and rename
            other.append(None)
            with monkeypatch.context() as elsewhere:
                elsewhere.setattr(os, "getpid", lambda: 4_000_000)
                other[0] = discover([export], A, out)
        return found

    monkeypatch.setattr(exports, "_extract", racing)
    mine = discover([export], A, out)
    assert [(j.id, j.meta["name"]) for j in mine] == [("submission_1", "A"), ("submission_2", "B")]
    assert [(j.id, j.notebook) for j in mine] == [(j.id, j.notebook) for j in other[0]]
    assert [p.name.startswith("export-") and ".partial" not in p.name for p in (out / "_exports").iterdir()] == [True]
