"""Hostile and broken submissions: each gets a clear result, no unearned points, and the batch completes.

Every hostile notebook is compared with an *honest* counterpart: a hostile
trick may never score more than the same code without the trick.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grader.batch import grade_batch
from grader.examples import make_variant

A = "drift_detective"
MONITOR = 3.0  # the monitor_memory question (hardware): does not call psi, so psi tricks leave it earned
FULL = 12.0 + MONITOR
RAISING_PSI = '''def psi(expected, actual, eps=1e-4):
    raise ValueError("not implemented")
'''
ZERO_PSI = '''def psi(expected, actual, eps=1e-4):
    return 0.0
'''


def _append(nb: dict, *sources: str) -> dict:
    nb = json.loads(json.dumps(nb))
    for src in sources:
        nb["cells"].append({"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None})
    return nb


def _psi(body: str) -> dict:
    return {"replace": {"def psi(": "def psi(expected, actual, eps=1e-4):\n" + body}}


CASES = {
    # name: (builder(solution) -> notebook JSON or raw bytes, expected score, text the output must mention)
    "honest_raising_psi": (lambda s: make_variant(s, {"replace": {"def psi(": RAISING_PSI}}), 3.0 + MONITOR,
                           "not implemented"),
    "honest_zero_psi": (lambda s: make_variant(s, {"replace": {"def psi(": ZERO_PSI}}), None, ""),
    "reads_hidden_tests": (lambda s: _append(
        s, "import grader.suites\n",
        "txt = open(__import__('glob').glob('/**/suites/test_drift_detective.py', recursive=True)[0]).read()\n"),
        FULL, "Forbidden access"),
    "psi_reads_reference": (lambda s: make_variant(s, _psi(
        "    try:\n        import opsmath\n        return opsmath.psi(expected, actual)\n"
        "    except ImportError:\n        pass\n" + "\n".join(RAISING_PSI.splitlines()[1:]) + "\n")), 3.0 + MONITOR,
        "opsmath"),
    "monkeypatches_numpy_math": (lambda s: _append(make_variant(s, {"replace": {"def psi(": ZERO_PSI}}),
        "import numpy as np, math, builtins\nnp.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n"
        "math.isclose = lambda *a, **k: True\nbuiltins.float = lambda *a: 0.0\n"), "honest_zero_psi", ""),
    "sys_exit_cell": (lambda s: _append(s, "import sys\nsys.exit(0)\n"), FULL, "sys.exit"),
    "os_exit_cell": (lambda s: _append(s, "import os\nos._exit(0)\n"), FULL, "exited"),
    "infinite_loop_cell": (lambda s: _append(s, "while True:\n    pass\n"), FULL, "no answer within"),
    "huge_allocation_cell": (lambda s: _append(s, "import numpy as np\nx = np.ones(int(50e9 / 8))\n"), FULL,
                             "allocate"),
    "psi_os_exit": (lambda s: make_variant(s, _psi("    import os\n    os._exit(0)\n")), 3.0 + MONITOR, "exited"),
    "psi_infinite_loop": (lambda s: make_variant(s, _psi("    while True:\n        pass\n")), 3.0 + MONITOR,
                          "no answer"),
    "psi_huge_allocation": (lambda s: make_variant(s, _psi("    return float(np.ones(int(50e9 / 8)).sum())\n")),
                            3.0 + MONITOR,
                            "allocate"),
    # NaN fails every psi-based check; drift_status(NaN) falls through to "significant", which happens to be
    # this track's live_status, but a track answer earns only through a real attempt upstream (a NaN psi is none),
    # so only the prediction, drift_status and monitor points stay.
    "psi_returns_nan": (lambda s: make_variant(s, _psi("    return float('nan')\n")), 3.0 + MONITOR, "NaN"),
    "psi_rigged_equality": (lambda s: make_variant(s, _psi(
        "    class Any(float):\n        def __eq__(self, o): return True\n        def __ne__(self, o): return False\n"
        "    return Any(-1.0)\n")), None, ""),
    "kills_parent": (lambda s: _append(s, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"), FULL,
                     "not allowed"),
    "syntax_error_cell": (lambda s: _append(s, "def broken(:\n    pass\n"), FULL, "SyntaxError"),
    "corrupted_json": (lambda s: b'{"cells": [ {"cell_type": "code", "source": "def psi(', 0.0, "corrupted"),
    "no_code_cells": (lambda s: {"cells": [{"cell_type": "markdown", "source": "hi", "metadata": {}}], "metadata": {},
                                 "nbformat": 4, "nbformat_minor": 5}, 0.0, "no code cells"),
}


@pytest.fixture(scope="module")
def graded(built, fast_limits, tmp_path_factory) -> dict[str, dict]:
    solution = json.loads((built.solutions / f"{A}.ipynb").read_text())
    folder = tmp_path_factory.mktemp("hostile")
    for name, (make, _, _) in CASES.items():
        content = make(solution)
        data = content if isinstance(content, bytes) else json.dumps(content).encode()
        (folder / f"{name}.ipynb").write_bytes(data)
    out = tmp_path_factory.mktemp("hostile-out")
    grade_batch(A, [folder], out, workers=2)
    return {name: json.loads((out / name / "results.json").read_text()) for name in CASES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_submission_gets_a_clear_result_and_no_unearned_points(graded, name):
    result = graded[name]
    _, expected, mention = CASES[name]
    if isinstance(expected, str):  # never more than the honest counterpart
        assert result["score"] <= graded[expected]["score"]
    elif expected is not None:
        assert result["score"] == pytest.approx(expected), json.dumps(result, indent=1)[:3000]
    text = result["output"] + "\n".join(t["output"] for t in result["tests"])
    assert mention in text, text[:2000]
    assert all(t["score"] <= t["max_score"] for t in result["tests"])
    assert {t["visibility"] for t in result["tests"]} <= {"visible", "after_published", "hidden"}


def test_rigged_objects_earn_nothing_on_psi(graded):
    psi_tests = [t for t in graded["psi_rigged_equality"]["tests"] if t["question"] == "psi"]
    assert psi_tests and all(t["score"] == 0 for t in psi_tests)


def test_batch_wrote_a_row_for_every_submission(graded, tmp_path):
    assert len(graded) == len(CASES)
    assert all("score" in r and isinstance(r["tests"], list) for r in graded.values())


def test_sandbox_cannot_read_grader_files(tmp_path):
    from grader.plugin import protected_paths
    from grader.sandbox.parent import Limits, Sandbox

    target = Path(__import__("grader").__file__).parent / "suites" / "test_drift_detective.py"
    cells = [f"def peek():\n    return open({str(target)!r}).read()[:50]\n"]
    with Sandbox(cells, protected=protected_paths(), limits=Limits(cell_seconds=5, call_seconds=5)) as box:
        with pytest.raises(Exception, match="does not allow"):
            box.call("peek")
        assert any("read" in v for v in box.violations)


def test_time_limits_are_counted_for_the_report(graded):
    """The instructor report's "timeouts" status comes from this count, not from reading hint texts."""
    from grader.report import status_of

    counts = {name: graded[name]["extra_data"].get("timeouts") for name in CASES if name not in (
        "corrupted_json", "no_code_cells")}
    assert counts["infinite_loop_cell"] >= 1 and counts["psi_infinite_loop"] >= 1
    assert counts["honest_raising_psi"] == 0 and counts["os_exit_cell"] == 0 and counts["syntax_error_cell"] == 0
    assert status_of(graded["psi_infinite_loop"]) == "timeouts"
    assert status_of(graded["honest_raising_psi"]) != "timeouts"


def test_a_copy_padded_past_the_analysis_budget_is_still_found():
    """Functions named like a protected one are compared first: padding cannot push a copy past the budget."""
    import inspect

    import opsmath.drift
    from grader.originality import MAX_FUNCTIONS, copied_functions

    pad = "\n".join(f"def pad{i}(a, b):\n    return a + b * {i}\n" for i in range(MAX_FUNCTIONS + 50))
    assert copied_functions([pad, inspect.getsource(opsmath.drift.psi)]) == {"psi": "opsmath.drift.psi"}


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet="ab(): =+*xyz", min_size=1, max_size=60), st.text(alphabet="ab(): =+*xyz", min_size=1,
                                                                           max_size=60))
@example("def f(a, b): return a + b * x", "def f(a, b): return a + b * y")  # similar: the ratio decides
@example("def f(a, b): return a + b * x", "def f(a, b): return a + b * x + z")
@example("def f(a, b): return a + b * x", "x * b + a nruter :)b ,a(f fed")  # same letters: only the ratio refuses
def test_the_similarity_bounds_change_no_verdict(a, b):
    """The cheap bounds in front of SequenceMatcher.ratio never reject a pair the ratio itself would accept."""
    import difflib

    from grader.originality import SIMILARITY, _similar

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    assert _similar(a, b) == (matcher.ratio() >= SIMILARITY)
    assert _similar(a, b) == _similar(a, b)  # the cached character counts give the same answer again


def test_removing_a_work_folder_cannot_fail(tmp_path):
    """What a child may leave where no private tmpfs holds its files: a tree deeper than PATH_MAX and the recursion
    limit, folders without permissions, a symlink out (whose target must survive)."""
    import os

    from grader.sandbox.isolation import remove_tree

    work = tmp_path / "work"
    work.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (work / "link").symlink_to(outside)
    (work / "link_dir").symlink_to(tmp_path)
    fd = os.open(work, os.O_RDONLY)
    for _ in range(3000):
        os.mkdir("d", dir_fd=fd)
        sub = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = sub
    with open(os.open("file", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as fh:
        fh.write("x")
    os.mkdir("locked", dir_fd=fd)
    os.close(fd)
    (work / "closed").mkdir()
    (work / "closed" / "inside").write_text("x")
    (work / "closed").chmod(0)
    remove_tree(work)
    assert not work.exists()
    assert outside.read_text() == "keep me" and tmp_path.is_dir()


def test_the_protected_bodies_are_computed_once_and_cached_for_the_next_process(tmp_path, monkeypatch):
    """The first process computes the canonical protected bodies and writes them (atomically) beside the grader; the
    next one reads them while the sources' digest matches, and computes them again when it does not."""
    from grader import originality

    cache = tmp_path / "_protected_bodies.json"
    monkeypatch.setattr(originality, "CACHE", cache)
    originality._protected_bodies.cache_clear()
    try:
        first = originality._protected_bodies()
        assert json.loads(cache.read_text())["bodies"] == [list(b) for b in first] and len(first) > 20
        assert [p.name for p in tmp_path.iterdir()] == [cache.name]  # no temporary file left
        originality._protected_bodies.cache_clear()
        monkeypatch.setattr(originality, "_compute_bodies", lambda paths: pytest.fail("computed again"))
        assert originality._protected_bodies() == first
        data = json.loads(cache.read_text())
        cache.write_text(json.dumps({**data, "digest": "stale"}))
        originality._protected_bodies.cache_clear()
        with pytest.raises(pytest.fail.Exception, match="computed again"):
            originality._protected_bodies()
    finally:
        originality._protected_bodies.cache_clear()


def test_the_protected_bodies_cache_enters_no_fingerprint(monkeypatch):
    """Writing the cache changes no batch fingerprint or shard's suite version (it is derived from sources they hash),
    and a grader run by another user never has to read it (a batch run as another user crashed on a 0600 cache)."""
    import pathlib

    from grader import batch, originality

    originality._protected_bodies()  # the cache exists where the grader's folder is writable
    read = []
    original = pathlib.Path.read_bytes
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: read.append(self) or original(self))
    batch._code_digest.__wrapped__()  # the sources as they are now, not the digest this process already took
    assert read and originality.CACHE not in read
