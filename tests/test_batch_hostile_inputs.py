"""Batches that cannot be broken: hostile exports, replies, environments and worker failures.

Each case runs in a real batch beside an honest classmate (the solution): the
classmate keeps exactly its full score, the bad input gets one clear result
(or, where nothing could be graded, the batch stops with a clear message and
exit status 2), and nothing the batch started is left running or on disk.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from process_watch import Watch, alive, descendants, scratch_roots

A = "drift_detective"
FULL = 15.0


def _cli(inputs: list[Path], out: Path, workers: int = 2) -> list[str]:
    return [sys.executable, "-m", "grader.cli", "grade", "-a", A, *map(str, inputs), "-o", str(out),
            "--workers", str(workers)]


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as fh:
        return {row["submission"]: row for row in csv.DictReader(fh)}


def _results(out: Path, job: str) -> dict:
    return json.loads((out / job / "results.json").read_text())


def _run_watched(cmd: list[str], env: dict[str, str], on_start=None) -> tuple[int, str, Watch]:
    """Run a batch in its own session, watching its processes, shared memory and scratch roots."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    watch = Watch(proc.pid).start()
    try:
        if on_start:
            on_start(proc)
        output, _ = proc.communicate(timeout=600)  # a hang guard, not a speed check
    finally:
        watch.stop()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, output, watch


def _assert_nothing_left(watch: Watch, tmpdir: Path | None = None) -> None:
    left = watch.left_behind()
    assert left == {"processes": set(), "shm": set(), "roots": set()}, left
    assert watch.roots, "the batch's scratch root was never seen: the watch looked in the wrong place"
    if tmpdir is not None:
        assert sorted(tmpdir.rglob("*")) == [], "temporary files left in TMPDIR"


def _cell(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}


@pytest.fixture(scope="module")
def solution(built) -> dict:
    return json.loads((built.solutions / f"{A}.ipynb").read_text())


# -- 1. a long TMPDIR ---------------------------------------------------------------------------------------------


def test_long_tmpdir_grades_the_class_exactly_and_leaves_it_empty(built, solution, tmp_path):
    """A TMPDIR of 100+ characters once made every worker die binding the forkserver's socket (every grade zero)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "alice.ipynb").write_text(json.dumps(solution))
    (folder / "bob.ipynb").write_bytes((built.dist / A / "student" / f"{A}.ipynb").read_bytes())
    tmpdir = tmp_path / ("t" * 110)
    tmpdir.mkdir()
    assert len(str(tmpdir)) > 110
    out = tmp_path / "out"
    code, output, watch = _run_watched(_cli([folder], out), {**os.environ, "TMPDIR": str(tmpdir)})
    assert code == 0, output[-3000:]
    rows = _rows(out)
    assert (float(rows["alice"]["total"]), rows["alice"]["status"]) == (FULL, "ok")
    assert float(rows["bob"]["total"]) == 0.0 and rows["bob"]["status"] == "cell-errors"
    _assert_nothing_left(watch, tmpdir)


# -- a worker that cannot start -----------------------------------------------------------------------------------


def test_a_worker_that_cannot_start_is_one_batch_error_with_exit_status_2(built, solution, tmp_path, monkeypatch):
    """No per-submission zeros for a fault of the grading machine: a message, status 2, no grades, nothing left."""
    from typer.testing import CliRunner

    from grader.batch import BatchError, grade_batch
    from grader.cli import app

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "alice.ipynb").write_text(json.dumps(solution))
    # the forkserver refuses a preload list that is not made of module names: the worker's start raises
    monkeypatch.setattr("grader.sandbox.preload.modules_for", lambda *args, **kwargs: [0])
    before = descendants(os.getpid())
    out = tmp_path / "out"
    with pytest.raises(BatchError, match=r"could not start.*nothing was graded"):
        grade_batch(A, [folder], out, workers=2)
    result = CliRunner().invoke(app, ["grade", "-a", A, str(folder), "-o", str(out), "-j", "2"])
    assert result.exit_code == 2, result.output
    assert "could not start" in result.output and "TypeError" in result.output
    assert not list(out.rglob("results.json")) and not (out / "grades.csv").exists()
    # multiprocessing's resource tracker serves this test process for its whole life; it is no worker of the batch
    assert not {p for p in alive(descendants(os.getpid()) - before) if b"resource_tracker" not in _cmdline(p)}
    assert not scratch_roots(os.getpid(), ("/tmp", "/var/tmp", "/dev/shm", str(Path(os.environ.get("TMPDIR", "/tmp")))))



def test_a_later_assignment_whose_worker_cannot_start_keeps_what_was_graded(built, solution, tmp_path, monkeypatch):
    """A course's second assignment gets its worker mid-run: when that worker cannot start, the submission being
    graded still gets its result, the first assignment keeps its gradebook, and the message says so."""
    from grader.batch import Batch, BatchError, grade_course
    from grader.sandbox import preload

    other = "retraining_roi"
    for name, notebook in ((A, solution), (other, json.loads((built.solutions / f"{other}.ipynb").read_text()))):
        (tmp_path / "in" / name).mkdir(parents=True)
        (tmp_path / "in" / name / "alice.ipynb").write_text(json.dumps(notebook))
    real = preload.modules_for
    # the forkserver refuses a preload list that is not made of module names: the second assignment's worker fails
    monkeypatch.setattr(preload, "modules_for", lambda paths, name: real(paths, name) if name == A else [0])
    before = descendants(os.getpid())
    out = tmp_path / "out"
    batches = [Batch(name, (tmp_path / "in" / name,), out / name) for name in (A, other)]
    kept_message = r"could not start.*TypeError.*the 1 submission\(s\) graded before it are kept"
    with pytest.raises(BatchError, match=kept_message):
        grade_course(batches, workers=1)
    kept = _results(out / A, "alice")
    assert kept["extra_data"]["final"] and kept["score"] == sum(t["max_score"] for t in kept["tests"]) > 0
    assert (out / A / "grades.csv").is_file() and not (out / other / "grades.csv").exists()
    assert not list((out / other).rglob("results.json"))
    assert not {p for p in alive(descendants(os.getpid()) - before) if b"resource_tracker" not in _cmdline(p)}

# -- 2. export zips ----------------------------------------------------------------------------------------------

PEOPLE = ("submission_1:\n  :submitters:\n  - :name: Alice A\n    :email: a@uni.edu\n    :sid: '1'\n"
          "submission_2:\n  :submitters:\n  - :name: Bob B\n    :email: b@uni.edu\n    :sid: '2'\n")
LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)) + \
    "submission_1:\n  :submitters:\n  - :name: *i\n    :email: *i\n    :sid: *i\n"


def _notebook_of(size: int, seed: int) -> bytes:
    """A valid notebook with no code, ``size`` bytes of incompressible markdown."""
    text = base64.b64encode(os.urandom(size * 3 // 4 + 3)).decode()[:size]
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": text}], "metadata": {},
                       "nbformat": 4, "nbformat_minor": 5}).encode()


@pytest.fixture(scope="module")
def exports(solution, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exports")
    good = json.dumps(solution).encode()
    marker = folder / "pwned"
    made = {}

    def export(name: str, metadata: str | None, entries: list[tuple[str, bytes]]) -> None:
        made[name] = folder / f"{name}.zip"
        with zipfile.ZipFile(made[name], "w", zipfile.ZIP_DEFLATED) as zf:
            if metadata is not None:
                zf.writestr("assignment_export/submission_metadata.yml", metadata)
            for member, data in entries:
                zf.writestr(member, data)

    base = "assignment_export/submission_"
    with pytest.warns(UserWarning, match="Duplicate name"):
        export("paths", PEOPLE + "submission_4: just a string\n", [
            (f"{base}1/{A}.ipynb", good),
            (f"{base}2/{A}.ipynb", good),
            (f"{base}2/../../../evil_climb.txt", b"x"),
            ("/tmp/evil_absolute.ipynb", good),
            (f"{base}3/{A}.ipynb", good),
            (f"{base}3/{A}.ipynb", b"{}"),
            (f"{base}4/{A}.ipynb", good),
        ])
    export("bombs", PEOPLE, [
        (f"{base}1/{A}.ipynb", good),
        (f"{base}2/{A}.ipynb", b'{"cells": []' + b" " * 4_000_000 + b"}"),  # 4 MB compressed about 1000:1
        (f"{base}3/{A}.ipynb", _notebook_of(6_000_000, 3)),  # over the 5 MB limit for one file
        (f"{base}4/{A}.ipynb", _notebook_of(2_500_000, 4)),
        (f"{base}5/{A}.ipynb", _notebook_of(1_000_000, 5)),  # over the 3 MB total budget
    ])
    export("aliases", LAUGHS, [(f"{base}1/{A}.ipynb", good)])
    export("tags", f"!!python/object/apply:os.system ['touch {marker}']\n", [(f"{base}1/{A}.ipynb", good)])
    export("listed", "- submission_1\n- submission_2\n", [(f"{base}1/{A}.ipynb", good)])
    return made


def test_hostile_exports_cost_only_their_own_submissions(exports, tmp_path):
    env = {**os.environ, "OPSGRADE_EXPORT_MAX_FILE_BYTES": "5000000", "OPSGRADE_EXPORT_MAX_TOTAL_BYTES": "3000000"}
    out = tmp_path / "out"
    code, output, watch = _run_watched(_cli(list(exports.values()), out), env)
    assert code == 0, output[-3000:]
    rows = _rows(out)
    # every export's honest classmate keeps exactly its full score
    for name, (row, who) in {"paths": ("submission_1", "Alice A"), "bombs": ("submission_1-2", "Alice A"),
                             "aliases": ("submission_1-3", ""), "tags": ("submission_1-4", ""),
                             "listed": ("submission_1-5", "")}.items():
        assert (float(rows[row]["total"]), rows[row]["status"], rows[row]["name"]) == (FULL, "ok", who), name

    def refused(row: str, why: str) -> None:
        assert (float(rows[row]["total"]), rows[row]["status"]) == (0.0, "ungradable"), row
        assert "was refused" in rows[row]["error"] and why in rows[row]["error"], rows[row]["error"]

    refused("submission_2", "leads out of the export")
    refused("submission_3", "two entries of that name")
    assert (float(rows["submission_4"]["total"]), rows["submission_4"]["name"]) == (FULL, "")
    assert "not a mapping" in _results(out, "submission_4")["extra_data"]["metadata_note"]
    assert "absolute path" in output  # an entry no submission holds is named on the terminal
    assert not [p for p in tmp_path.parent.rglob("evil_*")] and not Path("/tmp/evil_absolute.ipynb").exists()

    refused("submission_2-2", "compressed")
    refused("submission_3-2", "over the 5000000-byte limit")
    assert rows["submission_4-2"]["status"] == "ungradable" and "was refused" not in rows["submission_4-2"]["error"]
    refused("submission_5", "budget")
    extracted = sum(p.stat().st_size for p in (out / "_exports").rglob("*") if p.is_file())
    assert extracted < 3_000_000 + 5 * 200_000  # the budget, the honest notebooks and the metadata files

    for row, why in (("submission_1-3", "aliases"), ("submission_1-4", "python/object"),
                     ("submission_1-5", "not a mapping")):
        assert why in _results(out, row)["extra_data"]["metadata_note"], row
    assert not (exports["tags"].parent / "pwned").exists()
    assert rows.keys() == {"submission_1", "submission_2", "submission_3", "submission_4", "submission_1-2",
                           "submission_2-2", "submission_3-2", "submission_4-2", "submission_5", "submission_1-3",
                           "submission_1-4", "submission_1-5"}
    _assert_nothing_left(watch)


def test_an_input_that_is_not_a_zip_is_a_batch_error(solution, tmp_path):
    broken = tmp_path / "export.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "alice.ipynb").write_text(json.dumps(solution))
    out = tmp_path / "out"
    code, output, watch = _run_watched(_cli([folder, broken], out), dict(os.environ))
    assert code == 2, output[-3000:]
    assert "export.zip is not a readable zip file" in output
    assert not (out / "grades.csv").exists() and not list(out.rglob("results.json"))
    assert watch.left_behind() == {"processes": set(), "shm": set(), "roots": set()}


def test_an_entry_larger_than_its_header_says_is_cut_off(solution, tmp_path):
    """A forged header cannot make the extraction write more than the entry declared."""
    from grader.exports import read_export

    export = tmp_path / "forged.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"x/submission_1/{A}.ipynb", json.dumps(solution))
        zf.writestr(f"x/submission_2/{A}.ipynb", b" " * 20_000_000)
        zf.writestr("x/submission_metadata.yml", "{}")
    data = bytearray(export.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed size: local and central
        at = -1
        while (at := data.find(signature, at + 1)) >= 0:
            if int.from_bytes(data[at + offset:at + offset + 4], "little") == 20_000_000:
                data[at + offset:at + offset + 4] = (1000).to_bytes(4, "little")
    export.write_bytes(bytes(data))
    found = {item.folder: item for item in read_export(export, tmp_path / "work", A)}
    assert found["submission_1"].notebook is not None and not found["submission_1"].problem
    assert "was refused" in found["submission_2"].problem and found["submission_2"].notebook is None
    assert sum(p.stat().st_size for p in (tmp_path / "work").rglob("*") if p.is_file()) < 200_000


# -- 4 and 6. replies that fail to decode; nothing left whatever the submissions did ------------------------------

DEEP = '''import sys
_child = sys.modules["grader.sandbox.child"]
_deep = "[" * 100000 + "]" * 100000
_plain = _child.dumps
_child.dumps = lambda reply: ('{"id": %d, "ok": true, "value": %s}' % (reply["id"], _deep)).encode() \\
    if ONLY else _plain(reply)
'''
MISSHAPEN = '''import sys
_child = sys.modules["grader.sandbox.child"]
_plain = _child.dumps
_child.dumps = lambda reply: _plain({**reply, "value": {"__ndarray__": [1, 2, 3], "shape": [7, 7]},
                                     "error": [[["x"]]], "violations": 5}) if "value" in reply else _plain(reply)
'''


def test_undecodable_replies_and_killed_workers_leave_exact_grades_and_nothing_behind(solution, tmp_path):
    """Replies too deep or of the wrong shape are the submission's error; a worker killed mid-batch is replaced;
    whatever happened, no process, shared-memory object or temporary folder survives the batch."""
    folder = tmp_path / "in"
    folder.mkdir()
    extra = {
        "deep_every_reply": DEEP.replace("ONLY", "True"),  # its own cell's reply too: that cell fails, the rest works
        # every call's and variable's answer, not the cells' own statement reports (a cell whose report cannot be
        # read is replayed without the statement that broke it, as deep_every_reply shows): nothing earns points
        "deep_values": DEEP.replace("ONLY", '"value" in reply and not (isinstance(reply["value"], list) and all('
                                            'isinstance(v, dict) and "statement" in v for v in reply["value"]))'),
        "misshapen_values": MISSHAPEN,
        "os_exit": "import os\nos._exit(0)\n",
        "infinite_loop": "while True:\n    pass\n",
    }
    (folder / "alice.ipynb").write_text(json.dumps(solution))
    for name, source in extra.items():
        nb = json.loads(json.dumps(solution))
        nb["cells"].append(_cell(source))
        (folder / f"{name}.ipynb").write_text(json.dumps(nb))
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir), "OPSGRADE_CELL_SECONDS": "4", "OPSGRADE_CALL_SECONDS": "3"}
    out = tmp_path / "out"

    def kill_a_busy_worker(proc: subprocess.Popen) -> None:
        import time

        while not list(out.glob("*/results.json")) and proc.poll() is None:
            time.sleep(0.05)
        workers = sorted(p for p in descendants(proc.pid) if _stat(p)[1] == proc.pid and _stat(p)[3] == p)
        assert workers, "no worker to kill"  # a worker leads its own session; the resource tracker does not
        if workers:
            os.kill(workers[0], signal.SIGKILL)

    code, output, watch = _run_watched(_cli([folder], out), env, on_start=kill_a_busy_worker)
    assert code == 0, output[-3000:]
    rows = _rows(out)
    assert {name: float(row["total"]) for name, row in rows.items()} == {
        "alice": FULL, "deep_every_reply": FULL, "deep_values": 0.0, "misshapen_values": 0.0, "os_exit": FULL,
        "infinite_loop": FULL}
    assert "unreadable answer from the submission" in rows["deep_every_reply"]["error"]
    for name, text in (("deep_values", "unreadable answer"), ("misshapen_values", "unreadable value")):
        results = _results(out, name)
        assert results["extra_data"]["final"] and results["extra_data"]["status"] != "grader-error"
        assert all(t["score"] == 0 and t["status"] == "failed" for t in results["tests"])
        # every test that reached the submission says why; the track tests say TRACK could not be read
        said = [t["output"] for t in results["tests"] if "TRACK" not in t["output"]]
        assert len(said) >= 5 and all(text in output for output in said), said
    _assert_nothing_left(watch, tmpdir)


def _stat(pid: int) -> list[int]:
    """State-less fields of ``/proc/PID/stat`` after the name: ppid, pgrp, session (as ints, -1 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return [-1, int(fields[1]), int(fields[2]), int(fields[3])]
    except (OSError, IndexError, ValueError):
        return [-1, -1, -1, -1]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_an_undecodable_reply_through_run_autograder_costs_only_its_cell(built, solution, tmp_path):
    """Gradescope's path: a reply too deep while the notebook starts once raised out of the submission's start,
    so its sandbox was never closed and grading hung to the budget; now the cell fails and the rest is graded."""
    nb = json.loads(json.dumps(solution))
    nb["cells"].append(_cell(DEEP.replace("ONLY", "True")))
    root = tmp_path / "autograder"
    with zipfile.ZipFile(built.dist / A / "autograder" / f"{A}-autograder.zip") as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "submission" / f"{A}.ipynb").write_text(json.dumps(nb))
    env = {**os.environ, "OPSGRADE_AUTOGRADER_ROOT": str(root), "PYTHONPATH": str(root / "source")}
    proc = subprocess.Popen([sys.executable, "-m", "grader.gradescope"], cwd=root / "source", env=env,
                            start_new_session=True)
    watch = Watch(proc.pid).start()
    try:
        assert proc.wait(timeout=300) == 0  # a hang guard, not a speed check
    finally:
        watch.stop()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    results = json.loads((root / "results" / "results.json").read_text())
    hidden = [t for t in results["tests"] if t.get("question")]
    assert results["score"] == FULL and all(t["score"] == t["max_score"] for t in hidden)
    assert results["extra_data"]["status"] == "cell-errors"
    assert "unreadable answer from the submission" in results["output"]
    left = watch.left_behind()
    assert left["processes"] == set() and left["shm"] == set(), left


def test_the_watch_sees_a_leaked_semaphore():
    """The checks above are not vacuous: a process group killed with its resource tracker leaks its semaphore."""
    code = "import multiprocessing as mp, time; lock = mp.get_context('spawn').Lock(); print('ok', flush=True); " \
           "time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True)
    watch = Watch(proc.pid).start()
    assert proc.stdout.readline().strip() == "ok"
    watch._sample()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    watch.stop()
    leaked = watch.left_behind(grace=1.0)["shm"]
    try:
        assert leaked and all(Path(p).name.startswith("sem.mp-") for p in leaked), leaked
    finally:
        for path in leaked:
            Path(path).unlink(missing_ok=True)


def test_a_start_that_fails_leaves_no_child_and_no_folder(built, tmp_path, monkeypatch):
    """Whatever breaks while a notebook starts, its sandbox child and folders are gone when the error arrives."""
    from grader.plugin import Submission
    from grader.sandbox.parent import Sandbox

    started: list[Sandbox] = []

    def fail(self: Sandbox, index: int, source: str) -> None:
        started.append(self)
        raise RuntimeError("injected")

    monkeypatch.setattr(Sandbox, "_run_cell", fail)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    with pytest.raises(RuntimeError, match="injected"):
        Submission(built.solutions / f"{A}.ipynb", A)
    (sandbox,) = started
    assert sandbox._proc is None and sandbox._workdir is None
    # its working folder and the kit folder are gone (multiprocessing's own folder serves the process for its life)
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("pymp-")] == []


def test_an_export_with_more_entries_than_the_limit_is_refused_whole(tmp_path, monkeypatch):
    """Counted from the zip's end record, before the whole central directory is loaded."""
    from grader.batch import BatchError, discover

    export = tmp_path / "many.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("x/submission_metadata.yml", "{}")
        for k in range(6):
            zf.writestr(f"x/submission_{k}/{A}.ipynb", "{}")
    monkeypatch.setenv("OPSGRADE_EXPORT_MAX_MEMBERS", "6")
    with pytest.raises(BatchError, match=r"many\.zip has 7 entries, more than the limit of 6"):
        discover([export], A, tmp_path / "out")
    assert not list((tmp_path / "out").rglob("*.ipynb"))
    monkeypatch.setenv("OPSGRADE_EXPORT_MAX_MEMBERS", "7")
    assert [job.id for job in discover([export], A, tmp_path / "out")] == [f"submission_{k}" for k in range(6)]
