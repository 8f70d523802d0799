"""Interrupted, killed and changed batches never leave a grade that resume trusts wrongly.

A real ``opsgrade grade`` batch runs in a subprocess and is interrupted at a
random moment (several seeds) by a terminal's Ctrl-C, SIGTERM, SIGKILL of the
parent or SIGKILL of a worker. Every process of the batch must be gone within
seconds (but for a killed worker, which the batch replaces), and a rerun must
produce exactly the grades of an uninterrupted run.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from grader.batch import _done, fingerprint, grade_batch
from grader.examples import materialise_examples

A = "drift_detective"
ENV = {**os.environ, "MPLBACKEND": "Agg"}


def _cli(folder: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "grader.cli", "grade", "-a", A, str(folder), "-o", str(out), "--workers", "2"]


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as fh:
        return {row["submission"]: row for row in csv.DictReader(fh)}


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.fixture(scope="module")
def submissions(built, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("interrupt-in")
    materialise_examples(A, folder, solutions=built.solutions, dist=built.dist)
    solution = (folder / "solution.ipynb").read_text()
    for k in range(4):  # more work, so that interruptions land mid-batch
        (folder / f"solution_copy{k}.ipynb").write_text(solution)
    return folder


@pytest.fixture(scope="module")
def reference(submissions, tmp_path_factory) -> dict[str, dict[str, str]]:
    out = tmp_path_factory.mktemp("interrupt-ref")
    subprocess.run(_cli(submissions, out), env=ENV, check=True, capture_output=True, timeout=600)
    return _grades(out)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_interrupted_batch_resumes_to_the_uninterrupted_grades(submissions, reference, tmp_path, seed):
    rng = np.random.default_rng(seed)
    how = ["sigint-group", "sigterm", "sigkill-parent", "sigkill-worker"][seed - 1]
    delay = float(rng.uniform(2.0, 9.0))
    out = tmp_path / "out"
    proc = subprocess.Popen(_cli(submissions, out), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(delay)
    family = _descendants(proc.pid)
    if how == "sigint-group":  # what a terminal's Ctrl-C does: the whole foreground process group
        os.killpg(proc.pid, signal.SIGINT)
    elif how == "sigterm":
        proc.send_signal(signal.SIGTERM)
    elif how == "sigkill-parent":
        proc.kill()
    else:
        workers = [p for p in family if Path(f"/proc/{p}/stat").exists()
                   and int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1]) == proc.pid]
        if workers:
            os.kill(sorted(workers)[0], signal.SIGKILL)
    if how == "sigkill-worker":
        assert proc.wait(timeout=600) == 0  # the batch replaces the worker and finishes
    else:
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _alive(family) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(family), f"{how}: processes left behind"
        if proc.returncode != 0:
            assert not (out / "grades.csv").exists(), "an interrupted batch must not leave a grades.csv behind"
    rerun = subprocess.run(_cli(submissions, out), env=ENV, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert _grades(out) == reference, f"{how} after {delay:.1f} s"


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
