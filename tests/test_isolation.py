"""Operating-system isolation of student code, proved with the in-process audit hook switched off.

Every attack below is a cell appended to the blank student notebook; what it
obtains (``loot``) is either executed (to forge answers from a peer's
solution) or thrown back in an exception message, where it would show in the
student's hints if the wall had a hole. The corpus is graded in one local
batch per isolation mode, in a subprocess:

* ``root``: the grader runs as root (as Gradescope's harness does) and each
  child drops to its own uid, plus Landlock, seccomp and a network namespace;
* ``unprivileged``: the grader runs as an ordinary user created by the test
  (a TA's laptop): Landlock and seccomp only.

``OPSGRADE_AUDIT_HOOK=0`` removes the PEP 578 hook, so only the kernel's
walls stand between the attacks and the grader. After each batch: no score
above the blank notebook's, no hidden text in any output, no file of the
grader, the reference, the installation or the batch's output changed, no
process left behind, and a valid results.json for every submission.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
from procscope import ProcessScope, describe, processes_of_uids

import grader
import opsmath
from grader.sandbox.isolation import TASKS_PER_CHILD

A = "drift_detective"
REPO = Path(grader.__file__).resolve().parent.parent
SUITE = REPO / "grader" / "suites" / f"test_{A}.py"
DRIFT = Path(opsmath.__file__).resolve().parent / "drift.py"
SITE = Path(json.__file__).parent.parent  # the standard library: a planted module there would be imported by everyone
PURELIB = Path(sysconfig.get_paths()["purelib"])  # site-packages of the grader's environment
TOOL_CACHES = {".ruff_cache", ".pytest_cache", ".hypothesis"}
"""Written into the repository by the test run itself (other tests run alongside under xdist); never importable."""
MARKERS = ("Hidden suite: Drift Detective", "Distribution-drift statistics: PSI, KL")
IMMORTAL = "613"  # `sleep 613` is what an immortal-process attack would leave running
TA_USER = "opsgrade-ta"
FIRST_CELL = {"inherited_fds"}
"""Attacks placed before every cell of the notebook: what they see is what student code first sees."""
DISK_MIB = 48
"""The child's disk budget in these batches (``OPSGRADE_DISK_BYTES``)."""
IPC_KEY = {"root": 0x0B5E1900, "unprivileged": 0x0B5E1901}

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="needs root (to create the test user and a mount namespace)")

# Each attack sets `loot` to whatever it managed to obtain (text), or to the error that stopped it.
ATTACKS = {
    "dirfd_suite": """
fd = os.open({suites!r}, os.O_RDONLY | os.O_DIRECTORY)
loot = os.read(os.open("test_drift_detective.py", os.O_RDONLY, dir_fd=fd), 4000).decode()
""",
    "bytes_path": """
loot = open({drift!r}.encode(), "rb").read(4000).decode()
""",
    "proc_self_root": """
loot = open("/proc/self/root" + {drift!r}).read(4000)
""",
    "git_objects": """
import zlib
found = []
for base, dirs, files in os.walk({git!r}):
    for name in files:
        try:
            data = zlib.decompress(open(os.path.join(base, name), "rb").read())
        except Exception:
            continue
        if b"Hidden suite" in data:
            found.append(data[:4000].decode("utf-8", "replace"))
loot = found[0] if found else "nothing readable in .git"
""",
    "path_race": """
import threading
open("harmless.txt", "w").write("harmless")
stop = []
def flip():
    while not stop:
        for target in ("harmless.txt", {suite!r}):
            try:
                os.remove("link")
            except OSError:
                pass
            try:
                os.symlink(target, "link")
            except OSError:
                pass
t = threading.Thread(target=flip)
t.start()
loot = "race lost"
for _ in range(3000):
    try:
        text = open("link").read()
    except OSError:
        continue
    if "Hidden" in text:
        loot = text
        break
stop.append(1)
t.join()
""",
    "proc_mem": """
pid = os.getppid()
maps = open(f"/proc/{{pid}}/maps").read().splitlines()
mem = open(f"/proc/{{pid}}/mem", "rb")
loot = "nothing"
for line in maps:
    lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
    try:
        mem.seek(lo)
        chunk = mem.read(min(hi - lo, 1 << 20))
    except OSError:
        continue
    at = chunk.find(b"Hidden suite")
    if at >= 0:
        loot = chunk[at:at + 4000].decode("utf-8", "replace")
        break
""",
    "subprocess_cat": """
import subprocess
loot = subprocess.run(["cat", {suite!r}], capture_output=True, text=True).stdout
""",
    "raw_fork_exec": """
pid = os.fork()
if pid == 0:
    fd = os.open("stolen.txt", os.O_WRONLY | os.O_CREAT)
    os.dup2(fd, 1)
    os.execv("/bin/cat", ["cat", {suite!r}])
os.waitpid(pid, 0)
loot = open("stolen.txt").read()
""",
    "lowlevel_spawn": """
import _posixsubprocess, subprocess
r, w = os.pipe()
loot = str(os.posix_spawn("/bin/cat", ["cat", {suite!r}], dict(os.environ), file_actions=[(os.POSIX_SPAWN_DUP2, w, 1)]))
os.close(w)
loot = os.read(r, 4000).decode()
""",
    "peer_solution": """
import json as _json
peer = _json.load(open({peer!r}))
for cell in peer["cells"]:
    if cell["cell_type"] == "code":
        src = "".join(cell["source"])
        try:
            exec(compile(src, "peer", "exec"), globals())
        except Exception:
            pass
loot = "FORGED"
""",
    "tamper_grader": """
errors = []
for path, text in (({suite!r}, "\\ndef test_free_points():\\n    pass\\n"),
                   ({drift!r}, "\\npsi = lambda *a, **k: 0.0\\n"),
                   ({site!r} + "/sitecustomize.py", "import os\\n"), ({site!r} + "/zz_evil.pth", "import os\\n"),
                   ({purelib!r} + "/zz_evil.pth", "import os\\n"), ({repo!r} + "/conftest.py", "import os\\n"),
                   ({repo!r} + "/sitecustomize.py", "import os\\n")):
    try:
        with open(path, "a") as fh:
            fh.write(text)
        errors.append("wrote " + path)
    except OSError as exc:
        errors.append(repr(exc))
loot = "; ".join(errors)
""",
    "forge_results": """
import subprocess
forged = _json_text = '{{"score": 999, "tests": [], "output": "forged"}}'
errors = []
for path in ({out!r} + "/tamper_grader/results.json", {out!r} + "/forge_results/results.json"):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").write(forged)
        errors.append("wrote " + path)
    except OSError as exc:
        errors.append(repr(exc))
try:
    subprocess.Popen(["sh", "-c", f"sleep 3; echo '{{forged}}' > {out}/forge_results/results.json"],
                     start_new_session=True)
    errors.append("spawned a delayed writer")
except OSError as exc:
    errors.append(repr(exc))
loot = "; ".join(errors)
""",
    "fifo_in_output": """
errors = []
for path in ({out!r} + "/fifo_in_output/results.json", {out!r} + "/grades.csv"):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.mkfifo(path)
        errors.append("fifo at " + path)
    except OSError as exc:
        errors.append(repr(exc))
loot = "; ".join(errors)
""",
    "immortal_process": """
import subprocess
try:
    subprocess.Popen(["sleep", "{immortal}"], start_new_session=True)
    loot = "spawned"
except OSError as exc:
    loot = repr(exc)
try:
    if os.fork() == 0:
        os.setsid()
        while True:
            pass
except OSError as exc:
    loot += repr(exc)
""",
    "signal_and_trace": """
import ctypes, signal
errors = []
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
        errors.append(f"killed {{pid}}")
    except OSError as exc:
        errors.append(repr(exc))
libc = ctypes.CDLL(None, use_errno=True)
errors.append("ptrace=" + str(libc.ptrace(16, os.getppid(), 0, 0)))  # PTRACE_ATTACH
loot = "; ".join(errors)
""",
    "network": """
import socket
s = socket.create_connection(("127.0.0.1", 22), timeout=1)
loot = "connected"
""",
    "signal_by_fcntl": """
import fcntl, signal, struct
r, w = os.pipe()
done, refusals = [], set()
me = os.getpid()
for route in ("fcntl", "ioctl"):
    for pid in [os.getppid()] + [p for p in range(max(2, me - 300), me + 300) if p != me]:
        try:
            if route == "fcntl":
                fcntl.fcntl(r, 10, signal.SIGKILL)  # F_SETSIG
                fcntl.fcntl(r, fcntl.F_SETFL, os.O_ASYNC | os.O_NONBLOCK)
                fcntl.fcntl(r, 8, pid)  # F_SETOWN: the kernel signals pid when data arrives
            else:
                fcntl.ioctl(r, 0x8901, struct.pack("i", pid))  # FIOSETOWN
                fcntl.ioctl(r, 0x5452, struct.pack("i", 1))  # FIOASYNC
            os.write(w, b"x")
            os.read(r, 1)
            done.append(pid)
        except OSError as exc:
            refusals.add(type(exc).__name__)
loot = f"owner set for {{len(done)}} processes; refused: {{sorted(refusals)}}"
""",
    "inherited_fds": """
import stat
fds = []
for fd in range(4096):
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        continue
    fds.append(f"{{fd}}:{{stat.S_IFMT(mode):o}}")
    if stat.S_ISFIFO(mode):  # the resource tracker's pipe: its reader unlinks what is registered, at batch end
        try:
            os.write(fd, b"REGISTER:/{victim}:shared_memory\\n" * 20)
        except OSError:
            pass
loot = "FDS " + " ".join(fds)
""",
    "sysv_ipc": """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
made = [f"shm={{libc.shmget({ipc_key}, 16 << 20, 0o1666)}}", f"msg={{libc.msgget({ipc_key}, 0o1666)}}",
        f"sem={{libc.semget({ipc_key}, 1, 0o1666)}}"]
loot = "IPC " + " ".join(made)
""",
    "outlive_the_batch": """
import ctypes, signal
libc = ctypes.CDLL(None, use_errno=True)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
out = []
try:
    os.setsid()
    out.append("setsid")
except OSError as exc:
    out.append("setsid refused")
out.append("pdeathsig0=" + str(libc.prctl(1, 0, 0, 0, 0)))
loot = "LIFE " + " ".join(out)
""",
    "thread_bomb": """
import threading
hold = threading.Event()
started = 0
try:
    for _ in range(3000):
        threading.Thread(target=hold.wait, daemon=True).start()
        started += 1
except BaseException:
    pass
loot = f"THREADS {{started}}"
""",
    "disk_fill": """
out = []
try:
    fd = os.open("reserved", os.O_WRONLY | os.O_CREAT)
    os.posix_fallocate(fd, 0, 1 << 30)
    out.append("fallocated 1 GiB")
except OSError as exc:
    out.append("fallocate refused")
written = 0
chunk = b"x" * (1 << 20)
try:
    for i in range(8):
        with open(f"fill{{i}}", "wb") as fh:
            for _ in range(16):
                fh.write(chunk)
                written += len(chunk)
except OSError:
    pass
fd = os.open(".", os.O_RDONLY)
depth = 0
try:
    for depth in range(3000):
        os.mkdir("d", dir_fd=fd)
        sub = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = sub
    os.mkdir("locked", 0, dir_fd=fd)
except OSError:
    pass
loot = "DISK " + " ".join(out) + f" wrote {{written >> 20}} MiB, depth {{depth}}"
""",
    "what_the_child_sees": """
import sys, multiprocessing, multiprocessing.process as mpp
seen = [("argv", repr(sys.argv) + repr(getattr(sys, "orig_argv", []))), ("environment", repr(dict(os.environ))),
        ("sys.path", repr(sys.path)), ("multiprocessing", repr(mpp.ORIGINAL_DIR)),
        ("import finders", repr([(k, getattr(f, "path", "")) for k, f in list(sys.path_importer_cache.items())]))]
frame, depth = sys._getframe(), 0
while frame is not None and depth < 60:
    seen.append((f"frame {{frame.f_code.co_name}}", frame.f_code.co_filename))
    seen += [(f"frame {{frame.f_code.co_name}} {{k}}", repr(v)[:20000]) for k, v in list(frame.f_locals.items())]
    frame, depth = frame.f_back, depth + 1
for name, mod in list(sys.modules.items()):
    seen.append((f"module {{name}}", str(getattr(mod, "__file__", "")) + repr(getattr(mod, "__spec__", ""))))
leaked = sorted({{f"{{secret}} in {{label}}" for secret, where in {secrets!r}.items() for label, text in seen
                 if where[::-1] in text}})  # reversed: the paths are not in this cell's source
try:
    os.stat({secrets[suite]!r}[::-1])
    stat_result = "stat works"
except OSError as exc:
    stat_result = "stat refused"
loot = f"SEEN leaked={{leaked}} {{stat_result}}"
""",
    "log_flood": """
for _ in range(100000):
    try:
        open({suite!r})
    except OSError:
        pass
for _ in range(2000):
    print("x" * 1000)
loot = "flooded"
""",
}

TRAILER = '''
def psi(expected, actual, eps=1e-4):
    raise ValueError("LOOT: " + str(loot)[:1500])

def psi_from_samples(train, live, bins=10):
    raise ValueError("LOOT: " + str(loot)[:1500])

def drift_status(psi_value):
    raise ValueError("LOOT: " + str(loot)[:1500])
'''


def _attack_cell(body: str) -> str:
    return "import os\nloot = 'nothing'\ntry:\n" + "\n".join("    " + line for line in body.strip().splitlines()) + \
        "\nexcept BaseException as exc:\n    loot = 'refused: ' + repr(exc)\n"


def _notebook(cells: list[str]) -> dict:
    return {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                      for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _originality_bomb() -> dict:
    body = "\n".join(f"    v{i} = expected[{i % 7}] * actual[{i % 5}] + eps * {i}" for i in range(12))
    cells = [f"def f{k}(expected, actual, eps=1e-4):\n{body}\n    return v0\n" for k in range(3000)]
    return _notebook(["\n".join(cells[i:i + 300]) for i in range(0, 3000, 300)])


def _tree_digest(*roots: Path) -> str:
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            # bytecode, and the caches the grader itself writes on its first runs: the canonical protected bodies,
            # the hidden properties' kept examples (grader.replay; another test's first grading may write them)
            name = path.name.lstrip(".")
            if "__pycache__" in path.parts or name.startswith("_protected_bodies.json") or ".examples.pickle" in name:
                continue
            st = path.lstat()
            digest.update(f"{path}\0{st.st_mode:o}\0".encode())
            if path.is_file() and not path.is_symlink():
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _site_listing() -> list[str]:
    """Names on the grader's import path where a planted module or ``.pth`` file would run in the grader."""
    return sorted(str(p) for root in (SITE, PURELIB, REPO) for p in root.iterdir()
                  if not (root == REPO and p.name in TOOL_CACHES))


def _python_prefix_command(cmd: list[str], scratch: Path) -> list[str]:
    """Run ``cmd`` where the interpreter is reachable by other users.

    On Gradescope the grader's Python lives in a world-readable place. Here it
    may sit under ``/root`` (mode 0700): the command then runs in a private
    mount namespace whose ``/root`` shows only the interpreter's folder, with
    mode 0711. Nothing outside the namespace changes.
    """
    base = Path(sys.base_prefix).resolve()
    home = Path("/root")
    if home in base.parents and not os.stat(home).st_mode & 0o001:
        top = home / base.relative_to(home).parts[0]
        fake = Path(tempfile.mkdtemp(prefix="opsgrade-fakeroot-", dir=scratch))  # removed with scratch
        fake.chmod(0o711)
        (fake / top.name).mkdir()
        script = f"mount --bind {top} {fake / top.name} && mount --rbind {fake} {home} && exec \"$@\""
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *cmd]
    return cmd


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
        return pwd.getpwnam(name)


def _sysv_keys() -> set[int]:
    keys = set()
    for kind in ("shm", "msg", "sem"):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        keys |= {int(line.split()[0]) for line in lines if line.split()}
    return keys


def _remove_sysv(key: int) -> None:
    subprocess.run(["ipcrm", "-M", str(key), "-Q", str(key), "-S", str(key)], capture_output=True, check=False)


@pytest.fixture(scope="module", params=["root", "unprivileged"])
def attacked(request, built) -> dict:
    mode = request.param
    work = Path(tempfile.mkdtemp(prefix=f"opsgrade-isolation-{mode}-"))
    work.chmod(0o755)
    inputs, out = work / "in", work / "out"
    inputs.mkdir()
    out.mkdir()
    peer = inputs / "peer_solution_owner.ipynb"
    shutil.copy(built.solutions / f"{A}.ipynb", peer)
    blank = json.loads((built.dist / A / "student" / f"{A}.ipynb").read_text())
    tmp = work / "tmp"  # the batch's TMPDIR: the children's working directories, and nothing after the batch
    tmp.mkdir()
    tmp.chmod(0o755)  # reachable by the children's uids (an unreachable one has its own test below)
    victim = Path("/dev/shm") / f"opsgrade-victim-{mode}-{os.getpid()}"
    victim.write_text("the grader's shared memory")
    victim.chmod(0o600)
    secrets = {name: str(path)[::-1] for name, path in (("grader folder", REPO / "grader"), ("opsmath folder",
               DRIFT.parent), ("output folder", out), ("input folder", inputs), ("suite", SUITE))}
    paths = {"suites": str(SUITE.parent), "suite": str(SUITE), "drift": str(DRIFT), "git": str(REPO / ".git"),
             "peer": str(peer), "site": str(SITE), "out": str(out), "immortal": IMMORTAL,
             "purelib": str(PURELIB), "repo": str(REPO), "victim": victim.name, "ipc_key": IPC_KEY[mode],
             "secrets": secrets}
    for name, body in ATTACKS.items():
        nb = json.loads(json.dumps(blank))
        attack = _notebook([_attack_cell(body.format(**paths))])["cells"]
        nb["cells"] = attack + nb["cells"] if name in FIRST_CELL else nb["cells"] + attack
        nb["cells"] += _notebook([TRAILER])["cells"]
        (inputs / f"{name}.ipynb").write_text(json.dumps(nb))
        shutil.copy(peer, inputs / f"{name}_classmate.ipynb")  # graded beside and after the attack
    (inputs / "blank.ipynb").write_text(json.dumps(blank))
    (inputs / "originality_bomb.ipynb").write_text(json.dumps(_originality_bomb()))
    env = {**os.environ, "OPSGRADE_AUDIT_HOOK": "0", "OPSGRADE_CELL_SECONDS": "15", "OPSGRADE_CALL_SECONDS": "3",
           "OPSGRADE_SUBMISSION_SECONDS": "60", "MPLBACKEND": "Agg", "TMPDIR": str(tmp),
           "OPSGRADE_DISK_BYTES": str(DISK_MIB * 2**20)}
    cmd = [sys.executable, "-m", "grader.cli", "grade", "-a", A, str(inputs), "-o", str(out), "--workers", "2"]
    if mode == "root":
        env["OPSGRADE_ISOLATION"] = "uid"  # fail closed if the uid drop is not possible
        env["OPSGRADE_REQUIRE_ISOLATION"] = "uid,landlock,seccomp,netns"
    else:
        user = _ensure_user(TA_USER)
        for path in (work, inputs, out, tmp, victim):
            os.chown(path, user.pw_uid, user.pw_gid)
        for path in inputs.iterdir():
            os.chown(path, user.pw_uid, user.pw_gid)
        env.update(HOME=str(work), OPSGRADE_REQUIRE_ISOLATION="landlock,seccomp")
        cmd = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *cmd]
    before = (_tree_digest(REPO / "grader", REPO / "opsmath"), _site_listing())
    scope = ProcessScope(f"isolation-{mode}")
    try:
        proc = subprocess.run(scope.wrap(_python_prefix_command(cmd, work)), env=env, cwd=str(REPO),
                              capture_output=True, text=True, timeout=600)
        after = (_tree_digest(REPO / "grader", REPO / "opsmath"), _site_listing())
        results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")}
        uids = {r["extra_data"].get("isolation", {}).get("uid") for r in results.values()} - {None}
        left = set(scope.members(settle=5.0)) if scope.path else set(processes_of_uids(uids))
        data = {"mode": mode, "proc": proc, "results": results, "before": before, "after": after, "out": out,
                "strays": [describe(pid) for pid in sorted(left)], "victim_kept": victim.exists(),
                "sysv_left": IPC_KEY[mode] in _sysv_keys(), "tmp_left": sorted(p.name for p in tmp.iterdir())}
        yield data
    finally:
        scope.close()
        _remove_sysv(IPC_KEY[mode])
        victim.unlink(missing_ok=True)
        if not os.environ.get("OPSGRADE_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


def test_batch_completes_with_a_valid_result_for_every_submission(attacked):
    proc = attacked["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = {*ATTACKS, *(f"{name}_classmate" for name in ATTACKS), "blank", "peer_solution_owner",
                "originality_bomb"}
    assert set(attacked["results"]) == expected
    for name, result in attacked["results"].items():
        assert result["extra_data"]["final"] is True, name
        assert all(0 <= t["score"] <= t["max_score"] for t in result["tests"]), name
    grades = (attacked["out"] / "grades.csv").read_text()
    assert grades.count("\n") == len(expected) + 1


def test_every_wall_was_in_force(attacked):
    """The children report the layers they put up; a missing one would have refused to run (fail closed)."""
    for name, result in attacked["results"].items():
        layers = result["extra_data"].get("isolation", {}).get("layers", [])
        wanted = {"landlock", "seccomp"} | ({"uid", "netns"} if attacked["mode"] == "root" else set())
        assert wanted <= {layer.split("(")[0] for layer in layers}, (name, layers)


@pytest.mark.parametrize("attack", [*sorted(ATTACKS), "originality_bomb"])
def test_attack_scores_no_more_than_the_blank_notebook(attacked, attack):
    assert attacked["results"][attack]["score"] <= attacked["results"]["blank"]["score"] == 0
    assert attacked["results"]["peer_solution_owner"]["score"] > 0  # the peer really had points to steal


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_no_hidden_text_reaches_the_student(attacked, attack):
    text = json.dumps(attacked["results"][attack])
    assert "LOOT: " in text or attack in {"peer_solution"}, "the attack's report did not come back"
    for marker in MARKERS:
        assert marker not in text


def test_nothing_changed_on_disk(attacked):
    assert attacked["after"] == attacked["before"]
    out = attacked["out"]
    assert not any(p.is_fifo() for p in out.rglob("*"))
    assert json.loads((out / "forge_results" / "results.json").read_text())["score"] == 0


def test_no_process_outlives_the_batch(attacked):
    """Scoped to this batch: its own cgroup (or, without one, the uids its children recorded), never all of /proc."""
    assert attacked["strays"] == []


def _loot(attacked: dict, attack: str, tag: str) -> str:
    text = json.dumps(attacked["results"][attack])
    match = re.search(rf"LOOT: {tag} ([^\\\"]*)", text)
    assert match, f"{attack}: no report in {text[:1500]}"
    return match.group(1)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_classmate_graded_beside_the_attack_keeps_exactly_its_score(attacked, attack):
    classmate = attacked["results"][f"{attack}_classmate"]
    full = sum(t["max_score"] for t in classmate["tests"])
    assert full > 0
    assert classmate["score"] == full == attacked["results"]["peer_solution_owner"]["score"], classmate["output"]


def test_no_signal_reaches_another_process(attacked):
    text = json.dumps(attacked["results"]["signal_by_fcntl"])
    assert "LOOT: owner set for 0 processes" in text, text[:1500]


def test_only_stdio_and_the_protocol_socket_reach_student_code(attacked):
    fds = _loot(attacked, "inherited_fds", "FDS").split()
    assert fds[:3] == ["0:20000", "1:20000", "2:20000"]  # /dev/null
    assert len(fds) == 4 and fds[3].endswith(":140000"), fds  # the protocol socket, nothing else
    assert attacked["victim_kept"], "the grader's shared memory was unlinked through an inherited descriptor"


def test_sysv_ipc_is_refused_and_leaves_nothing(attacked):
    assert _loot(attacked, "sysv_ipc", "IPC") == "shm=-1 msg=-1 sem=-1"
    assert not attacked["sysv_left"]


def test_the_child_cannot_change_how_it_dies(attacked):
    assert _loot(attacked, "outlive_the_batch", "LIFE") == "setsid refused pdeathsig0=-1"


def test_threads_are_capped_per_child(attacked):
    assert int(_loot(attacked, "thread_bomb", "THREADS")) < TASKS_PER_CHILD


def test_disk_is_capped_and_nothing_is_left_behind(attacked):
    report = _loot(attacked, "disk_fill", "DISK")
    assert report.startswith("fallocate refused"), report
    assert int(re.search(r"wrote (\d+) MiB", report).group(1)) <= DISK_MIB
    assert int(re.search(r"depth (\d+)", report).group(1)) > 100  # the deep tree was made, and is gone:
    assert attacked["tmp_left"] == []


def test_the_child_learns_nothing_of_where_the_grader_lives(attacked):
    assert _loot(attacked, "what_the_child_sees", "SEEN") == "leaked=[] stat refused"


def _graded_alone(built, work: Path, env_extra: dict[str, str]) -> dict:
    """The solution graded alone in a batch as root with the uid drop required, in a subprocess."""
    inputs, out = work / "in", work / "out"
    inputs.mkdir()
    out.mkdir()
    shutil.copy(built.solutions / f"{A}.ipynb", inputs / "solution.ipynb")
    env = {**os.environ, "OPSGRADE_ISOLATION": "uid", "OPSGRADE_REQUIRE_ISOLATION": "uid,landlock,seccomp",
           "MPLBACKEND": "Agg", **env_extra}
    cmd = [sys.executable, "-m", "grader.cli", "grade", "-a", A, str(inputs), "-o", str(out), "--workers", "1"]
    proc = subprocess.run(_python_prefix_command(cmd, work), env=env, cwd=str(REPO), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "solution" / "results.json").read_text())


def test_a_tmpdir_the_child_cannot_reach_costs_no_wall_and_no_point(built, tmp_path):
    """TMPDIR below a folder only root may enter: the child's working directory goes where its uid reaches."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / "tmp").mkdir()
    result = _graded_alone(built, tmp_path, {"TMPDIR": str(private / "tmp")})
    layers = {layer.split("(")[0] for layer in result["extra_data"]["isolation"]["layers"]}
    assert {"uid", "landlock", "seccomp"} <= layers
    assert result["score"] == sum(t["max_score"] for t in result["tests"]) > 0, result["output"]
    assert list((private / "tmp").iterdir()) == []


def test_a_wall_that_cannot_be_put_up_is_a_grader_error(built, tmp_path, monkeypatch):
    """The kernel offers Landlock but the rule cannot be made: the grader's fault, never a lower student score."""
    from grader.runner import grade_notebook
    from grader.sandbox import isolation
    from grader.sandbox.parent import Sandbox

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    real_plan = isolation.plan

    def broken_plan(workdir, protected=()):
        return dataclasses.replace(real_plan(workdir, protected), workdir=str(not_a_folder))

    monkeypatch.setattr(isolation, "plan", broken_plan)
    with pytest.raises(isolation.WallFailed, match="landlock"):
        Sandbox(["x = 1\n"]).start()
    with pytest.raises(RuntimeError, match="could not put up landlock"):
        grade_notebook(A, built.solutions / f"{A}.ipynb")
