"""The shipped Slurm recipe on a real Slurm: an array of 4 shards and a merge job give one machine's grades.

A single-node cluster (Debian's ``slurm-wlm`` and ``munge``, installed when missing) runs on localhost for this
module (:mod:`local_slurm`); ``deploy/slurm/regrade.sbatch`` submits the array and the merge job exactly as a TA
would, over a batch covering the six assignments (one of them as a Gradescope export zip, which concurrent shards
extract side by side). Each merged ``grades.csv`` must equal a single-machine run's byte for byte, also after an
array task is cancelled midway and resubmitted alone.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from course_batch import input_of, write_course
from local_slurm import LocalSlurm

from grader.batch import discover, grade_batch, shard
from grader.merge import MergeRefused, merge

RECIPE = Path(__file__).resolve().parents[1] / "deploy" / "slurm" / "regrade.sbatch"
EXPORTED = "drift_detective"  # graded from a Gradescope export zip; the others from folders of notebooks


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the local Slurm runs its daemons as root (SlurmUser=root)")
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def course(built, tmp_path_factory) -> Path:
    return write_course(built, tmp_path_factory.mktemp("course"), built.names, EXPORTED)


@pytest.fixture(scope="module")
def one_machine(built, course, tmp_path_factory) -> dict[str, bytes]:
    """Each assignment's grades.csv from one unsharded run."""
    out = tmp_path_factory.mktemp("one-machine")
    return {name: grade_batch(name, [input_of(course, name)], out / name, workers=2).read_bytes()
            for name in built.names}


def _submit(slurm: LocalSlurm, course: Path, out: Path, *names: str, **env: str) -> tuple[str, str]:
    """Run the recipe on the "login node" (for ``names``, default all); returns the array's and the merge job's ids."""
    done = slurm.run("bash", str(RECIPE), str(course), str(out), *names, env={
        "OPSGRADE": str(Path(sys.executable).parent / "opsgrade"), "SHARDS": "4",
        "SBATCH_ARGS": "--cpus-per-task=1 --mem-per-cpu=100M", **env})
    grading, merging = done.stdout.split("job array ")[1].split("_")[0], done.stdout.split("merge: job ")[1].strip()
    return grading, merging


def _assert_merged_like_one_machine(slurm: LocalSlurm, out: Path, merging: str, expected: dict[str, bytes]):
    assert slurm.wait_ended(merging, 1200) == {merging: "COMPLETED"}, (out / f"opsgrade-merge-{merging}.out")
    assert sorted(p.parent.name for p in out.glob("*/grades.csv")) == sorted(expected)
    for name, grades in expected.items():
        assert (out / name / "grades.csv").read_bytes() == grades, name
        assert (out / name / "report.html").stat().st_size > 0


def test_array_and_merge_job_give_one_machines_grades(slurm, course, one_machine, tmp_path):
    out = tmp_path / "out"
    grading, merging = _submit(slurm, course, out)
    assert slurm.wait_ended(grading, 1200) == dict.fromkeys("0123", "COMPLETED")
    _assert_merged_like_one_machine(slurm, out, merging, one_machine)
    records = {p.relative_to(out).as_posix() for p in out.glob("*/_shards/*.json")}
    assert records == {f"{name}/_shards/shard-{i}-of-4.json" for name in one_machine for i in range(1, 5)}


def _stamps(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.glob("*/*/results.json")}


def test_cancelled_task_resubmitted_alone_gives_one_machines_grades(slurm, course, one_machine, tmp_path):
    """Three assignments (the export zip among them), to keep the suite lean; task 2 is cancelled after its first."""
    names = sorted(one_machine)[:3]
    assert EXPORTED in names
    one_machine = {name: one_machine[name] for name in names}
    out = tmp_path / "out"
    grading, merging = _submit(slurm, course, out, *names)
    first = names[0]
    started = out / first / "_shards" / "shard-3-of-4.json"  # task 2 has finished its first assignment
    deadline = time.monotonic() + 1200
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert started.exists(), slurm.jobs(grading)
    slurm.run("scancel", f"{grading}_2")
    states = slurm.wait_ended(grading, 1200)
    assert states["2"] == "CANCELLED" and all(states[t] == "COMPLETED" for t in "013"), states
    assert slurm.wait_ended(merging, 120)[merging] == "CANCELLED"  # afterok can no longer be satisfied
    last = sorted(one_machine)[-1]
    assert not (out / last / "grades.csv").exists()
    with pytest.raises(MergeRefused, match="shard 3/4 is missing"):
        merge(last, [input_of(course, last)], out / last)

    kept = _stamps(out)
    _, merging = _submit(slurm, course, out, *names, ARRAY="2")
    _assert_merged_like_one_machine(slurm, out, merging, one_machine)
    after = _stamps(out)
    assert {path: after[path] for path in kept} == kept  # nothing graded before the cancel was graded again
    regraded = {path.split("/")[0] + "/" + path.split("/")[1] for path in set(after) - set(kept)}
    share = {f"{name}/{job.id}" for name in one_machine
             for job in shard(discover([input_of(course, name)], name, out / name), "3/4")}
    assert regraded and regraded <= share
