"""Gradescope's harness, emulated: setup.sh on an Ubuntu-22.04-like PATH, then run_autograder on five submissions.

A temporary root is laid out as Gradescope lays out ``/autograder`` (``source/`` holding the unzipped autograder,
``submission/``, ``results/``, ``run_autograder`` at the root, working directory the root). ``setup.sh`` runs with a
Python 3.10 ``python3`` first on ``PATH`` (what Ubuntu 22.04 ships) and ``OPSGRADE_SETUP_PYTHON`` pointing at an
interpreter of the build environment's minor version (no machine here may download one). Each submission's
``results.json`` is then compared with what :func:`grader.runner.grade_notebook` gives in this process.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from grader.examples import load_variants, make_variant

A = "drift_detective"
SETUP = Path(__file__).resolve().parent.parent / "grader" / "autograder_files" / "setup.sh"
BUILD_MINOR = f"{sys.version_info.major}.{sys.version_info.minor}"


def _python(minor: str) -> str | None:
    """A Python ``minor`` interpreter (pyenv's, or one on PATH): 3.10 stands in for Ubuntu 22.04's python3, 3.12 for
    Ubuntu 24.04's."""
    found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{minor}.*/bin/python3")))
    return found[-1] if found else shutil.which(f"python{minor}")


def _base_python() -> str:
    """The interpreter this virtual environment was made from: the build environment's Python."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _uv() -> str | None:
    return shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


# -- interpreter selection (setup.sh --plan: decides, installs nothing) -------------------------------------------


def _plan(tmp_path: Path, env_extra: dict[str, str], minor: str = BUILD_MINOR) -> subprocess.CompletedProcess:
    root = tmp_path / "root"
    (root / "source").mkdir(parents=True, exist_ok=True)
    (root / "source" / "python-version").write_text(minor + "\n")
    env = {k: v for k, v in os.environ.items() if k != "OPSGRADE_SETUP_PYTHON"}
    env.update({"OPSGRADE_AUTOGRADER_ROOT": str(root), **env_extra})
    return subprocess.run(["bash", str(SETUP), "--plan"], capture_output=True, text=True, env=env, timeout=60)


def _fake_python(tmp_path: Path, version: str) -> Path:
    """An executable that answers setup.sh's version question with ``version``."""
    path = tmp_path / f"fake-python-{version}"
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def test_plan_without_override_provisions_the_build_minor_with_uv(tmp_path):
    old = _fake_python(tmp_path, "3.10")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(old)  # the image's python3 is older than the build's: never used for the venv
    proc = _plan(tmp_path, {"PATH": f"{bin_dir}:{os.environ['PATH']}"}, minor="3.11")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["uv", "3.11"]


def test_plan_uses_an_override_of_the_build_minor(tmp_path):
    python = _fake_python(tmp_path, "3.12")
    proc = _plan(tmp_path, {"OPSGRADE_SETUP_PYTHON": str(python)}, minor="3.12")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["python", str(python)]


def test_plan_refuses_an_override_of_another_minor(tmp_path):
    python = _fake_python(tmp_path, "3.10")
    proc = _plan(tmp_path, {"OPSGRADE_SETUP_PYTHON": str(python)}, minor="3.11")
    assert proc.returncode != 0
    assert "3.10" in proc.stderr and "3.11" in proc.stderr
    assert proc.stdout.strip() == ""


def test_plan_refuses_an_override_that_does_not_run(tmp_path):
    proc = _plan(tmp_path, {"OPSGRADE_SETUP_PYTHON": str(tmp_path / "no-such-python")})
    assert proc.returncode != 0
    assert "does not run" in proc.stderr


def test_a_failing_setup_step_ends_the_log_with_what_failed_and_what_to_do(tmp_path):
    """The interpreter download fails (a uv that cannot download): the log shows uv's own error and ends naming the
    step and the remedy, not an unrelated warning."""
    root = tmp_path / "root"
    (root / "source").mkdir(parents=True)
    (root / "source" / "python-version").write_text("3.11\n")
    (root / "source" / "requirements.lock").write_text("numpy==1.26.4\n")
    uv = tmp_path / "uv"
    uv.write_text("#!/bin/sh\necho \"error: Failed to download cpython-3.11 (simulated: no network)\" >&2\nexit 2\n")
    uv.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "OPSGRADE_SETUP_PYTHON"}
    env.update({"OPSGRADE_AUTOGRADER_ROOT": str(root), "OPSGRADE_UV": str(uv)})
    proc = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert any("Failed to download cpython-3.11" in line for line in lines)  # the tool's own error is shown
    assert lines[-2] == "setup.sh: FAILED while installing Python 3.11 with uv (a python-build-standalone download) " \
                        "(exit status 2)."
    assert lines[-1].startswith("setup.sh: what to do: the interpreter download failed") and \
        "OPSGRADE_SETUP_PYTHON" in lines[-1]
    assert not (root / "venv").exists()


# -- the whole harness ---------------------------------------------------------------------------------------------


def _freeze(python: str) -> str:
    return subprocess.run([python, "-m", "pip", "freeze", "--all"], capture_output=True, text=True,
                          timeout=120).stdout


def _layout_root(built, root: Path) -> Path:
    """``root`` laid out as Gradescope lays out /autograder: the unzipped zip in ``source/``, ``run_autograder`` at
    the root, empty ``submission/`` and ``results/``."""
    with zipfile.ZipFile(built.dist / A / "autograder" / f"{A}-autograder.zip") as zf:
        zf.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):  # extractall drops the executable bits Gradescope keeps
        (root / "source" / name).chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


@pytest.fixture(scope="module")
def harness(built, tmp_path_factory):
    """One setup.sh run shared by every case: the root, and the environment run_autograder is called with."""
    py310 = _python("3.10")
    if py310 is None:
        pytest.skip("no Python 3.10 interpreter to stand in for Ubuntu 22.04's python3")
    root = _layout_root(built, tmp_path_factory.mktemp("gradescope") / "autograder")
    bin_dir = root.parent / "image-bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(py310)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSGRADE_", "PYTHON", "VIRTUAL_ENV"))}
    env.update({"PATH": f"{bin_dir}:{env['PATH']}", "OPSGRADE_AUTOGRADER_ROOT": str(root)})
    setup_env = {**env, "OPSGRADE_SETUP_PYTHON": _base_python(),
                 "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv"))}
    if _uv():
        setup_env["OPSGRADE_UV"] = _uv()
    before = _freeze(py310)
    proc = subprocess.run(["bash", "source/setup.sh"], cwd=root, env=setup_env, capture_output=True, text=True,
                          timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _freeze(py310) == before, "setup.sh changed the image interpreter's packages"
    return root, env


def test_setup_builds_the_locked_environment_on_the_build_minor(harness):
    root, _ = harness
    python = root / "venv" / "bin" / "python"
    probe = ("import json, sys; from importlib import metadata; "
             "print(json.dumps(['%d.%d' % sys.version_info[:2], {d.metadata['Name'].lower().replace('_', '-'): "
             "d.version for d in metadata.distributions()}]))")
    minor, installed = json.loads(subprocess.run([str(python), "-c", probe], capture_output=True, text=True,
                                                 check=True).stdout)
    assert minor == BUILD_MINOR
    lock = [line.split("==") for line in (root / "source" / "requirements.lock").read_text().splitlines()
            if line and not line.startswith("#")]
    assert {"numpy", "scipy", "pandas", "matplotlib", "hypothesis", "pytest", "python-dateutil"} <= {n for n, _ in lock}
    for name, version in lock:
        assert version == metadata.version(name), f"lock pins {name} {version}, the build env has another"
        assert installed.get(name) == version, f"{name}: venv has {installed.get(name)}, lock {version}"


def _corrupted() -> bytes:
    return b'{"cells": [{"cell_type": "code", "source": "x = 1'


@pytest.fixture(scope="module")
def cases(built) -> dict[str, bytes | None]:
    solution = json.loads((built.solutions / f"{A}.ipynb").read_text())
    variants = load_variants(A)
    variant = sorted(variants)[0]
    return {
        "solution": json.dumps(solution).encode(),
        "blank": (built.dist / A / "student" / f"{A}.ipynb").read_bytes(),
        f"variant-{variant}": json.dumps(make_variant(solution, variants[variant])).encode(),
        "corrupted": _corrupted(),
        "empty": None,
    }


def _run(root: Path, env: dict[str, str], data: bytes | None, extra: dict[str, str] | None = None) -> dict:
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder)
        (root / folder).mkdir()
    if data is not None:
        (root / "submission" / f"{A}.ipynb").write_bytes(data)
    proc = subprocess.run(["./run_autograder"], cwd=root, env={**env, **(extra or {})}, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


@pytest.mark.parametrize("case", ["solution", "blank", "variant", "corrupted", "empty"])
def test_run_autograder_matches_local_grading(harness, cases, case, tmp_path):
    from grader.runner import grade_notebook, zero_results

    root, env = harness
    key = next(k for k in cases if k == case or k.startswith(f"{case}-"))
    data = cases[key]
    remote = _run(root, env, data)
    if data is None:
        local = zero_results(A, "No .ipynb notebook was found in the submission.")
    else:
        path = tmp_path / f"{A}.ipynb"
        path.write_bytes(data)
        local = grade_notebook(A, path)
    assert remote["score"] == local["score"], key
    hidden = [t for t in remote["tests"] if t.get("question")]
    assert [(t["name"], t["score"], t["max_score"]) for t in hidden] == [
        (t["name"], t["score"], t["max_score"]) for t in local["tests"]]
    assert remote["extra_data"]["status"] == local["extra_data"]["status"]
    assert isinstance(remote["execution_time"], float) and remote["execution_time"] > 0
    summary = remote["tests"][0]
    assert summary["name"] == "Submission received" and summary["visibility"] == "visible"
    assert summary["max_score"] == 0 and "question" not in summary
    checks = json.loads((root / "source" / "public_checks.json").read_text())
    if case == "solution":
        assert remote["score"] == sum(t["max_score"] for t in hidden) > 0
        assert f"public checks passed on {len(checks)} of {len(checks)}" in summary["output"]
    if case == "blank":
        assert f"0 of {len(checks)} questions with public checks answered" in summary["output"]
    if case in ("corrupted", "empty"):
        assert remote["score"] == 0
        assert "could not be run" in summary["output"] and summary["status"] == "failed"
        assert remote["output"].splitlines()[0] in summary["output"]  # the reason, where the student looks first
    else:
        assert summary["status"] == "passed"


def _processes_under(root: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cwd = os.readlink(proc / "cwd")
            except OSError:
                continue
            if cwd == str(root) or cwd.startswith(f"{root}/"):
                pids.append(int(proc.name))
    return pids


def test_grading_that_never_ends_leaves_a_valid_zero_result(harness, cases):
    root, env = harness
    nb = json.loads(cases["solution"])
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "while True:\n    pass\n", "outputs": [],
                        "execution_count": None})
    results = _run(root, env, json.dumps(nb).encode(),
                   {"OPSGRADE_GRADING_SECONDS": "3", "OPSGRADE_CELL_SECONDS": "300",
                    "OPSGRADE_SUBMISSION_SECONDS": "300"})
    assert results["score"] == 0
    assert results["extra_data"]["status"] == "unfinished"
    assert "did not finish" in results["output"] and "3 s" in results["output"]
    meta = json.loads((root / "source" / "assignment.json").read_text())
    hidden = [t for t in results["tests"] if t.get("question")]
    assert [t["name"] for t in hidden] == [f"{q['question']}: {q['title']}" for q in meta["questions"]]
    assert all(t["score"] == 0 for t in hidden)
    assert _processes_under(root) == [], "the grader's process group outlived its budget"


# -- the default path: no interpreter given, setup.sh fetches uv and a uv-managed Python -----------------------------


def _managed_python_archive(dest: Path) -> Path | None:
    """This environment's base interpreter packed as a python-build-standalone ``install_only`` archive.

    uv downloads such archives from GitHub on Gradescope; no machine here may, so the test serves one from disk
    through ``UV_PYTHON_DOWNLOADS_JSON_URL``. ``None`` when the base interpreter is not a self-contained prefix
    (a distribution's ``/usr`` cannot be packed).
    """
    import tarfile

    prefix = Path(sys.base_prefix)
    stdlib = prefix / "lib" / f"python{BUILD_MINOR}"
    if str(prefix) in ("/", "/usr", "/usr/local") or not (stdlib / "os.py").is_file():
        return None
    skipped = {stdlib / name for name in ("test", "idlelib", "tkinter", "lib2to3", "ensurepip")}

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        path = prefix / Path(info.name).relative_to("python")
        if path in skipped or "__pycache__" in path.parts or path.name.startswith("config-"):
            return None
        if stdlib / "site-packages" in path.parents:  # the packages of whoever built this machine
            return None
        return info

    archive = dest / f"cpython-{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        for part in ("bin", "lib", "include"):
            tar.add(prefix / part, arcname=f"python/{part}", filter=keep)
    return archive


def _downloads_json(archive: Path, dest: Path) -> Path:
    """uv's download list with one entry: this machine's platform, the build's Python version, ``archive``."""
    import hashlib
    import platform

    v = sys.version_info
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())
    key = f"cpython-{v.major}.{v.minor}.{v.micro}-linux-{arch}-gnu"
    entry = {"name": "cpython", "arch": {"family": arch, "variant": None}, "os": "linux", "libc": "gnu",
             "major": v.major, "minor": v.minor, "patch": v.micro, "prerelease": "", "url": archive.as_uri(),
             "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(), "variant": None, "build": "local"}
    path = dest / "downloads.json"
    path.write_text(json.dumps({key: entry}))
    return path


@pytest.mark.parametrize(("image_minor", "image_pip"), [("3.10", True), ("3.10", False), ("3.12", True)],
                         ids=["ubuntu-22.04-python3-with-pip", "ubuntu-22.04-python3-without-pip",
                              "ubuntu-24.04-python3-with-pip"])
def test_setup_without_an_interpreter_fetches_uv_and_a_managed_python(built, tmp_path, image_minor, image_pip):
    """setup.sh's default path on an image whose python3 is 3.10 (Ubuntu 22.04) or 3.12 (24.04): uv from PyPI (with
    the image's pip, or, on an image without pip, as a wheel fetched by the standard library), a uv-managed interpreter
    of the build minor, the locked packages, nothing written outside the root, and a grade equal to local grading."""
    from grader.runner import grade_notebook

    image_python = _python(image_minor)
    if image_python is None:
        pytest.skip(f"no Python {image_minor} interpreter to stand in for the image's python3")
    if not image_pip:  # Ubuntu's python3 without the python3-pip package
        subprocess.run([image_python, "-m", "venv", "--without-pip", str(tmp_path / "nopip")], check=True, timeout=120)
        image_python = str(tmp_path / "nopip" / "bin" / "python3")
        assert subprocess.run([image_python, "-m", "pip", "--version"], capture_output=True).returncode != 0
    archive = _managed_python_archive(tmp_path)
    if archive is None:
        pytest.skip(f"the base interpreter at {sys.base_prefix} is not a self-contained prefix")
    root = _layout_root(built, tmp_path / "autograder")
    bin_dir = tmp_path / "image-bin"
    bin_dir.mkdir()
    # a wrapper, not a symlink: a symlink to the pip-less venv's python3 would start the base interpreter, with pip
    (bin_dir / "python3").write_text(f'#!/bin/sh\nexec "{image_python}" "$@"\n')
    (bin_dir / "python3").chmod(0o755)
    home = tmp_path / "home"  # the image's home: setup.sh must leave it as it found it
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSGRADE_", "PYTHON", "VIRTUAL_ENV", "UV_"))}
    env.update({"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home), "OPSGRADE_AUTOGRADER_ROOT": str(root)})
    setup_env = {**env, "UV_PYTHON_DOWNLOADS_JSON_URL": str(_downloads_json(archive, tmp_path)),
                 "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")),
                 "PIP_CACHE_DIR": str(Path.home() / ".cache" / "pip")}
    plan = subprocess.run(["bash", "source/setup.sh", "--plan"], cwd=root, env=setup_env, capture_output=True,
                          text=True, timeout=60)
    assert plan.stdout.split() == ["uv", BUILD_MINOR], plan.stderr
    before = _freeze(image_python) if image_pip else sorted(p.name for p in (tmp_path / "nopip").rglob("*"))
    proc = subprocess.run(["bash", "source/setup.sh"], cwd=root, env=setup_env, capture_output=True, text=True,
                          timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"(uv {BUILD_MINOR})" in proc.stderr
    assert ("pip unavailable" in proc.stderr) == (not image_pip)
    print(proc.stderr.strip().splitlines()[-1])  # "grader environment ready in N s": the figure for the README
    after = _freeze(image_python) if image_pip else sorted(p.name for p in (tmp_path / "nopip").rglob("*"))
    assert after == before, "setup.sh changed the image interpreter's packages"
    assert list(home.iterdir()) == [], f"setup.sh wrote into the image's home: {sorted(home.rglob('*'))}"
    fetched = subprocess.run([str(root / ".uv" / "bin" / "uv"), "--version"], capture_output=True, text=True,
                             check=True).stdout.split()[1]
    assert fetched == metadata.version("uv") == (root / "source" / "uv-version").read_text().strip(), \
        "setup.sh did not fetch the build environment's uv"
    python = root / "venv" / "bin" / "python"
    probe = "import sys; print(sys.base_prefix, '%d.%d' % sys.version_info[:2])"
    base, minor = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert minor == BUILD_MINOR
    assert Path(base).is_relative_to(root / ".uv" / "python"), f"the venv is not on the uv-managed interpreter: {base}"

    solution = json.loads((built.solutions / f"{A}.ipynb").read_text())
    remote = _run(root, env, json.dumps(solution).encode())
    local = grade_notebook(A, built.solutions / f"{A}.ipynb")
    assert remote["score"] == local["score"] == sum(t["max_score"] for t in local["tests"]) > 0


HOSTILE_CELL = '''
import ctypes, os, signal, stat
libc = ctypes.CDLL(None, use_errno=True)
for fd in range(3, 4096):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, b"REGISTER:/{victim}:shared_memory\\n" * 20)
    except OSError:
        pass
libc.shmget({key}, 16 << 20, 0o1666)
libc.msgget({key}, 0o1666)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
try:
    os.setsid()
except OSError:
    pass
libc.prctl(1, 0, 0, 0, 0)
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="root: the victim is root's file, the scope a cgroup")
def test_a_hostile_notebook_cut_off_by_the_budget_leaves_nothing(harness, cases):
    """Inherited descriptors, SysV IPC and a child that tries to outlive run_autograder, audit hook off: after the
    budget kills the grader, root's shared memory is intact, no IPC object and no process of this run is left, and
    the next submission gets exactly its score."""
    from procscope import ProcessScope, describe

    root, env = harness
    key = 0x0B5E1902
    victim = Path("/dev/shm") / f"opsgrade-victim-gradescope-{os.getpid()}"
    victim.write_text("root's shared memory")
    victim.chmod(0o600)
    nb = json.loads(cases["solution"])
    nb["cells"][:0] = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": HOSTILE_CELL.format(victim=victim.name, key=key)}]
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "while True:\n    pass\n", "outputs": [],
                        "execution_count": None})
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder)
        (root / folder).mkdir()
    (root / "submission" / f"{A}.ipynb").write_text(json.dumps(nb))
    scope = ProcessScope("gradescope")
    try:
        proc = subprocess.run(scope.wrap(["./run_autograder"]), cwd=root, capture_output=True, text=True, timeout=600,
                              env={**env, "OPSGRADE_GRADING_SECONDS": "8", "OPSGRADE_CELL_SECONDS": "300",
                                   "OPSGRADE_SUBMISSION_SECONDS": "300", "OPSGRADE_AUDIT_HOOK": "0"})
        assert proc.returncode == 0, proc.stderr
        assert json.loads((root / "results" / "results.json").read_text())["extra_data"]["status"] == "unfinished"
        assert [describe(pid) for pid in scope.members(settle=5.0)] == []
        assert victim.exists(), "root's shared memory was unlinked through an inherited descriptor"
        ipc = " ".join(Path(f"/proc/sysvipc/{kind}").read_text() for kind in ("shm", "msg"))
        assert f" {key} " not in f" {ipc} ".replace("\n", " ")
        classmate = _run(root, env, cases["solution"])  # the next submission graded on this machine
        assert classmate["score"] == sum(t["max_score"] for t in classmate["tests"] if t.get("question")) > 0
    finally:
        scope.close()
        victim.unlink(missing_ok=True)
        subprocess.run(["ipcrm", "-M", str(key), "-Q", str(key)], capture_output=True, check=False)
