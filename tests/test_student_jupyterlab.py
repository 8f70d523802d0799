"""A student's first hour, as a student has it: a fresh environment from ``requirements-student.txt``, JupyterLab,
a real browser.

The environment is a new virtual environment with exactly the packages of the shipped ``requirements-student.txt``
(installed with uv from the package registry: the same file the notebook tells students to ``pip install -r``,
about 3 s with a warm cache). JupyterLab from that environment serves the student folder; headless chromium, driven
over the DevTools protocol, opens the notebook as handed out and runs every cell (the setup cell must stop with a
two-line TRACK message naming its cell), then a notebook that answers one question wrongly and one rightly and runs
``grader.check`` on both (the failure must show what the function returned, the pass must say the checks are
sanity checks). Screenshots are kept with ``OPSGRADE_NOTEBOOK_SCREENSHOTS=DIR``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import DevTools

NAME = "drift_detective"
TOKEN = "opsgrade-test-token"


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert found, "uv (a dev dependency) is needed to build the student environment"
    return found


@pytest.fixture(scope="module")
def student_env(built, tmp_path_factory) -> Path:
    """A fresh virtual environment holding what requirements-student.txt lists, nothing else."""
    env = tmp_path_factory.mktemp("student-env") / "venv"
    requirements = built.dist / NAME / "student" / "requirements-student.txt"
    subprocess.run([_uv(), "venv", "-q", "--python", sys.executable, str(env)], check=True, timeout=120)
    proc = subprocess.run([_uv(), "pip", "install", "-q", "--python", str(env / "bin" / "python"), "-r",
                           str(requirements)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return env


def test_requirements_install_what_the_notebook_instructions_run(student_env, built):
    """`jupyter lab` (what the notebook's instructions say to run) exists in the fresh environment."""
    proc = subprocess.run([str(student_env / "bin" / "jupyter"), "lab", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and re.match(r"4\.", proc.stdout.strip()), proc.stderr
    section = json.loads((built.dist / NAME / "student" / f"{NAME}.ipynb").read_text())["cells"][-1]["source"]
    assert "pip install -r requirements-student.txt" in "".join(section) and "jupyter lab" in "".join(section)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(student_env, built, tmp_path_factory):
    """JupyterLab from the student environment, serving a copy of the student folder; yields (url, folder)."""
    folder = tmp_path_factory.mktemp("student-folder")
    shutil.copytree(built.dist / NAME / "student", folder, dirs_exist_ok=True)
    port = _free_port()
    home = tmp_path_factory.mktemp("student-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSGRADE_", "JUPYTER", "MPL", "PYTHON"))}
    env.update({"HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
                "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
                "PATH": f"{student_env / 'bin'}:{env.get('PATH', '')}"})
    log = open(home / "lab.log", "w")  # closed below, after the server
    proc = subprocess.Popen([str(student_env / "bin" / "jupyter"), "lab", "--no-browser", f"--port={port}",
                             "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", "--allow-root",
                             f"--ServerApp.root_dir={folder}", "--LabApp.expose_app_in_browser=True"],
                            cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (home / "lab.log").read_text()[-3000:]
                time.sleep(0.5)
        yield url, folder
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=20)
        log.close()


PANEL = "Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.context && w.context.path === {path!r})"
"""The notebook's panel (JupyterLab may restore other tabs from its workspace)."""


def _run_all(chromium: str, url: str, notebook: str, profile: Path, mark: str, shot: Path) -> tuple[str, list[str]]:
    """Open ``notebook`` in JupyterLab, run every cell (Run → Run All Cells), wait until an output shows ``mark``;
    returns the outputs' text and the console errors, and screenshots the output holding ``mark``."""
    page = DevTools(chromium, str(profile), size=(1280, 1400))
    panel = PANEL.format(path=notebook)
    try:
        page.call("Emulation.setFocusEmulationEnabled", enabled=True)  # headless has no focus; JupyterLab needs it
        page.call("Page.navigate", url=f"{url}/lab/tree/{notebook}?reset&token={TOKEN}")
        page.wait_for("window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell') !== null")
        page.wait_for(f"(() => {{ const p = {panel}; const k = p && p.sessionContext.session"
                      " && p.sessionContext.session.kernel; return k && k.status === 'idle'; })()")
        page.evaluate(f"window.jupyterapp.shell.activateById(({panel}).id)")
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells'), true")  # not awaited
        find = ("Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
                f".find(e => e.textContent.includes({mark!r}))")
        page.wait_for(f"!!({find})", timeout=120)
        time.sleep(1.0)  # let the last outputs render
        page.evaluate(f"({find}).scrollIntoView({{block: 'center'}})")
        time.sleep(0.5)
        text = page.evaluate("Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
                             ".map(e => e.innerText || e.textContent).join('\\n----\\n')")
        page.screenshot(str(shot))
        return str(text), page.console
    finally:
        page.close()


def _keep(shot: Path) -> None:
    if target := os.environ.get("OPSGRADE_NOTEBOOK_SCREENSHOTS"):
        shutil.copy(shot, Path(target) / shot.name)


def test_unset_track_stops_the_setup_cell_with_two_lines_in_jupyterlab(lab, chromium, tmp_path):
    url, _ = lab
    shot = tmp_path / "jupyterlab-track.png"
    text, console = _run_all(chromium, url, f"{NAME}.ipynb", tmp_path / "profile-a", "TrackError", shot)
    _keep(shot)
    error = next(block for block in text.split("\n----\n") if "TrackError" in block)
    lines = [line for line in error.strip().splitlines() if line.strip()]
    assert lines[0] == "TrackError: TRACK is not set.", error
    assert len(lines) == 2 and lines[1].startswith('In the cell that starts with "# Your track", write TRACK'), error
    assert "labkit.py" not in error and "Traceback" not in error
    assert console == [], console
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 30_000


def test_public_checks_show_the_returned_value_and_say_they_are_sanity_checks(lab, chromium, tmp_path):
    url, folder = lab
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    sources = ['import otter\ngrader = otter.Notebook("drift_detective.ipynb")',
               'def drift_status(psi_value):\n    return "Significant" if psi_value > 0.2 else "stable"',
               'grader.check("drift_status")',
               "import numpy as np\n\ndef psi(expected, actual, eps=1e-4):\n"
               "    e = np.asarray(expected, float) / np.sum(expected)\n"
               "    a = np.asarray(actual, float) / np.sum(actual)\n"
               "    e, a = np.where(e == 0, eps, e), np.where(a == 0, eps, a)\n"
               "    return float(np.sum((a - e) * np.log(a / e)))",
               'grader.check("psi")']
    notebook = {"cells": [{**cell, "source": s} for s in sources], "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "attempt.ipynb").write_text(json.dumps(notebook))
    shot = tmp_path / "jupyterlab-checks.png"
    text, console = _run_all(chromium, url, "attempt.ipynb", tmp_path / "profile-b", "psi passed", shot)
    _keep(shot)
    assert "AssertionError: drift_status(0.5) returned 'Significant'." in text, text
    assert "psi passed!" in text and "sanity checks only: the hidden tests on Gradescope decide your score" in text
    assert console == [], console
