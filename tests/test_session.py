"""One pytest session per suite and process (:mod:`grader.session`): every notebook graded as by a fresh run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader import runner
from grader.examples import load_variants, make_variant, set_track

A = "platform_roi"


def _strip(result: dict) -> dict:
    result = json.loads(json.dumps(result))
    result.pop("execution_time")
    result["extra_data"].pop("timing")
    return result


def _fresh(notebook: Path) -> dict:
    """The notebook graded by a process that has graded nothing before."""
    code = ("import json, sys; from grader.runner import grade_notebook; "
            f"print(json.dumps(grade_notebook({A!r}, sys.argv[1])))")
    done = subprocess.run([sys.executable, "-c", code, str(notebook)], capture_output=True, text=True, timeout=300,
                          check=True)
    return _strip(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def notebooks(built, tmp_path_factory) -> dict[str, Path]:
    """A variant credited by error carried forward, the solution on two tracks, the blank, another variant."""
    folder = tmp_path_factory.mktemp("session")
    solution = json.loads((built.solutions / f"{A}.ipynb").read_text())
    variants = load_variants(A)
    books = {
        "per_pair": make_variant(solution, variants["per_pair"]),
        "solution_tiny": set_track(solution, "tiny_pioneer"),
        "blank": json.loads((built.dist / A / "student" / f"{A}.ipynb").read_text()),
        "natural_log": make_variant(solution, variants["natural_log"]),
        "solution_cloud": set_track(solution, "cloud_titan"),
    }
    paths = {}
    for name, nb in books.items():
        paths[name] = folder / f"{name}.ipynb"
        paths[name].write_text(json.dumps(nb))
    return paths


def test_notebook_after_notebook_in_one_process_grades_as_a_fresh_process(notebooks):
    in_process = {name: _strip(runner.grade_notebook(A, path)) for name, path in notebooks.items()}
    assert any("error carried forward" in t["output"] for t in in_process["per_pair"]["tests"])
    for name, path in notebooks.items():  # notes, hints and scores of one notebook never reach the next
        assert in_process[name] == _fresh(path), name
    reporter = runner._SESSIONS[A].config.pluginmanager.get_plugin("terminalreporter")
    kept = sum(len(reports) for reports in reporter.stats.values())
    assert kept <= len(runner._SESSIONS[A].items) * 3  # one run's reports, not every notebook's


def test_an_interrupted_run_stops_its_sandbox_and_the_next_notebook_gets_a_new_session(notebooks, monkeypatch):
    from grader.plugin import Submission
    from grader.sandbox.parent import Sandbox

    runner.grade_notebook(A, notebooks["blank"])
    first = runner._SESSIONS[A]
    children: list[int] = []
    spawn = Sandbox._spawn

    def spawn_and_note(self):
        spawn(self)
        children.append(self._proc.pid)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Sandbox, "_spawn", spawn_and_note)
    monkeypatch.setattr(Submission, "call", interrupted)  # Ctrl-C while a test calls the student
    with pytest.raises(RuntimeError, match="did not run to its end"):
        runner.grade_notebook(A, notebooks["solution_tiny"])
    assert A not in runner._SESSIONS
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert children and not any(Path(f"/proc/{pid}").exists() for pid in children)
    monkeypatch.undo()
    again = _strip(runner.grade_notebook(A, notebooks["solution_tiny"]))
    assert runner._SESSIONS[A] is not first
    assert again == _fresh(notebooks["solution_tiny"]) and again["score"] == sum(
        t["max_score"] for t in again["tests"])
