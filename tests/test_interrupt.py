"""Interrupted, killed and changed batches never leave a grade that resume trusts wrongly.

A real ``opsgrade grade`` batch runs in a subprocess, beside a CPU hog, and is
interrupted at a moment drawn from a fixed seed, in the start-up window (CLI
imports, workers spawning, forkservers preloading) or mid-batch, by a
terminal's Ctrl-C, SIGTERM, SIGKILL of the parent or SIGKILL of a worker. Every
process of the batch must be gone within seconds (but for a killed worker,
which the batch replaces), with no ``/dev/shm`` object or scratch root left
behind, and a rerun must produce exactly the grades of an uninterrupted run.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from process_watch import SCRATCH_BASES, Watch, descendants

from grader.batch import _done, fingerprint, grade_batch
from grader.examples import materialise_examples

A = "drift_detective"
ENV = {**os.environ, "MPLBACKEND": "Agg"}


def _cli(folder: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "grader.cli", "grade", "-a", A, str(folder), "-o", str(out), "--workers", "2"]


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as fh:
        return {row["submission"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def submissions(built, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("interrupt-in")
    materialise_examples(A, folder, solutions=built.solutions, dist=built.dist)
    solution = (folder / "solution.ipynb").read_text()
    for k in range(120):  # enough work that every case's window (up to 9 s) lands mid-batch: about 13 s under a CPU hog
        (folder / f"solution_copy{k}.ipynb").write_text(solution)
    return folder


@pytest.fixture(scope="module")
def reference(submissions, tmp_path_factory) -> dict[str, dict[str, str]]:
    out = tmp_path_factory.mktemp("interrupt-ref")
    subprocess.run(_cli(submissions, out), env=ENV, check=True, capture_output=True, timeout=600)
    return _grades(out)


CASES = {  # seed: (how, earliest, latest moment of the interruption, in seconds after the start)
    1: ("sigint-group", 2.0, 9.0),
    2: ("sigterm", 2.0, 9.0),
    3: ("sigkill-parent", 2.0, 9.0),
    4: ("sigkill-worker", 2.0, 9.0),
    # the start-up window: the CLI importing, workers spawning and importing, forkservers preloading
    5: ("sigint-group", 0.0, 4.0),
    6: ("sigint-group", 0.0, 4.0),
    7: ("sigterm", 0.0, 4.0),
    8: ("sigkill-worker", 0.5, 3.0),
}


@pytest.fixture
def cpu_hog():
    """A busy process beside the batch, as on a loaded machine (interrupts land while workers wait for a core)."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield hog
    hog.kill()
    hog.wait()


def _workers(parent: int) -> list[int]:
    """The batch's workers: children of the parent that lead their own session (the resource tracker does not)."""
    found = []
    for pid in descendants(parent):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and int(fields[3]) == pid:
            found.append(pid)
    return sorted(found)


def _watched(cmd: list[str]) -> tuple[subprocess.Popen, Watch]:
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    return proc, Watch(proc.pid, (*SCRATCH_BASES, tempfile.gettempdir())).start()


@pytest.mark.parametrize("seed", sorted(CASES))
def test_interrupted_batch_resumes_to_the_uninterrupted_grades(submissions, reference, tmp_path, seed, cpu_hog):
    rng = np.random.default_rng(seed)
    how, earliest, latest = CASES[seed]
    delay = float(rng.uniform(earliest, latest))
    out = tmp_path / "out"
    proc, watch = _watched(_cli(submissions, out))
    time.sleep(delay)
    if how == "sigint-group":  # what a terminal's Ctrl-C does: the whole foreground process group
        os.killpg(proc.pid, signal.SIGINT)
    elif how == "sigterm":
        proc.send_signal(signal.SIGTERM)
    elif how == "sigkill-parent":
        proc.kill()
    else:
        deadline = time.monotonic() + 60
        while not _workers(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = _workers(proc.pid)
        if workers:
            os.kill(workers[0], signal.SIGKILL)
    try:
        if how == "sigkill-worker":
            assert proc.wait(timeout=600) == 0  # the batch replaces the worker and finishes
        else:
            proc.wait(timeout=20)  # within seconds, whatever the moment (start-up included)
            if proc.returncode != 0:
                assert not (out / "grades.csv").exists(), "an interrupted batch must not leave a grades.csv behind"
    finally:
        watch.stop()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    left = watch.left_behind()
    if how == "sigkill-parent":  # a batch killed outright cannot remove its scratch root: the next one does
        assert left["processes"] == set() and left["shm"] == set(), f"{how}: left behind {left}"
    else:
        assert left == {"processes": set(), "shm": set(), "roots": set()}, f"{how} after {delay:.1f} s: {left}"
    rerun, again = _watched(_cli(submissions, out))
    assert rerun.wait(timeout=600) == 0
    again.stop()
    assert _grades(out) == reference, f"{how} after {delay:.1f} s"
    assert watch.left_behind() == again.left_behind() == {"processes": set(), "shm": set(), "roots": set()}


def test_half_written_and_non_final_results_are_regraded(submissions, reference, tmp_path):
    out = tmp_path / "out"
    grade_batch(A, [submissions], out, workers=2)
    (out / "blank" / "results.json").write_text('{"score": 12, "tests": [')  # power loss mid-write, no rename
    data = json.loads((out / "solution" / "results.json").read_text())
    data["extra_data"]["final"] = False
    data["score"] = 0.0
    (out / "solution" / "results.json").write_text(json.dumps(data))
    grade_batch(A, [submissions], out, workers=2)
    assert _grades(out) == reference


def test_changed_grader_regrades_instead_of_reusing(submissions, tmp_path, monkeypatch):
    out = tmp_path / "out"
    seen: list[str] = []
    grade_batch(A, [submissions / "strict_bands.ipynb"], out, workers=1)
    path = out / "strict_bands" / "results.json"
    old = json.loads(path.read_text())["extra_data"]["fingerprint"]
    assert _done(path, fingerprint(A, submissions / "strict_bands.ipynb"))
    monkeypatch.setenv("OPSGRADE_CELL_SECONDS", "29")  # any input of the grading changes the fingerprint
    grade_batch(A, [submissions / "strict_bands.ipynb"], out, workers=1,
                progress=lambda done, total, label: seen.append(label))
    assert json.loads(path.read_text())["extra_data"]["fingerprint"] != old
    assert any("stale" in label for label in seen), seen


def test_fingerprint_covers_the_submission_bytes(submissions, tmp_path):
    nb = tmp_path / "x.ipynb"
    nb.write_bytes((submissions / "blank.ipynb").read_bytes())
    first = fingerprint(A, nb)
    nb.write_bytes(nb.read_bytes() + b" ")
    assert fingerprint(A, nb) != first
    assert fingerprint(A, nb) == fingerprint(A, nb)
