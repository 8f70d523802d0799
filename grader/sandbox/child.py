"""The sandboxed child: runs notebook cells and answers calls, nothing else.

This module is the only project code loaded in the process that executes
student code. It is preloaded (with the scientific stack) in a forkserver,
so a fresh child starts in milliseconds. Before any student code runs, the
child

* moves into a private working directory and points ``TMPDIR`` there;
* caps its address space, CPU time and file sizes with ``setrlimit``;
* puts itself behind the operating system's walls
  (:func:`grader.sandbox.isolation.confine`: its own unprivileged uid when
  the grader is root, Landlock, seccomp, no network, death with its parent);
* keeps nothing of the grader in reach (:func:`_seal`): only stdio and its
  protocol socket stay open, the environment, ``argv`` and ``sys.path`` are
  scrubbed, the multiprocessing authkey replaced; the grader's code objects
  carry no file names (:func:`_anonymise`, in the forkserver);
* installs an audit hook (PEP 578) as a second layer that names refused
  accesses (reads of the grader and reference library, writes outside the
  working directory, new processes, signals, ``ctypes``, sockets, garbage
  collector walks, imports of ``opsmath``/``grader``) so that the result can
  explain them. The hook is not the wall: code in the same process can get
  around it, the kernel's checks it cannot.

The child never sees hidden tests or expected values: the parent sends
inputs and receives outputs as JSON (:mod:`grader.sandbox.codec`).
"""

from __future__ import annotations

import ast
import builtins
import io
import os
import resource  # for every child's limits and seal: imported once, by the forkserver
import sys
import traceback
import types
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from grader.sandbox import affinity  # noqa: E402
from grader.sandbox.codec import MAX_VIOLATIONS, dumps, from_plain, loads, to_plain  # noqa: E402

PRELOAD = ("numpy", "pandas", "scipy.stats", "scipy.special", "matplotlib.pyplot", "ipywidgets")
"""Modules the forkserver imports once so children start warm (see ``parent._context``).

Imported by the forkserver only: the trusted parent imports this module for
``serve`` and must not pay for the scientific stack a second time.
"""

for _mod in ("landlock", "pyseccomp"):  # loaded before the walls go up (pyseccomp runs ldconfig to find its library)
    try:
        __import__(_mod)
    except Exception:  # pragma: no cover - reported by isolation.confine
        pass

from grader.sandbox.isolation import Plan, confine  # noqa: E402
from grader.sandbox.statements import bound_names  # noqa: E402

_DENIED_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "os.kill",
        "os.killpg",
        "signal.pthread_kill",
        "ctypes.dlopen",
        "ctypes.dlsym",
        "ctypes.cdata",
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "urllib.Request",
        "gc.get_referrers",
        "gc.get_referents",
        "gc.get_objects",
        "resource.setrlimit",
        "resource.prlimit",
        "sys._current_frames",
        "pty.spawn",
        "webbrowser.open",
    }
)
_MUTATING_EVENTS = frozenset(
    {"os.remove", "os.rename", "os.rmdir", "os.truncate", "os.chmod", "os.chown", "os.symlink", "os.link",
     "os.utime", "os.mkdir", "shutil.rmtree", "shutil.move", "shutil.copyfile", "shutil.copytree"}
)
_LISTING_EVENTS = frozenset({"os.listdir", "os.scandir", "glob.glob", "os.walk", "os.chdir"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _install_guard(workdir: str, protected: tuple[str, ...]) -> list[str]:
    """Install the audit hook; returns the (append-only) list of violations.

    At most ``MAX_VIOLATIONS`` distinct ones are kept, so a loop of refused
    accesses cannot flood the parent.
    """
    violations: list[str] = []
    seen: set[str] = set()

    def record(text: str) -> None:
        if text not in seen and len(seen) < MAX_VIOLATIONS:
            seen.add(text)
            violations.append(text)

    realpath = os.path.realpath
    sep = os.sep
    workdir = realpath(workdir)
    allowed_write = (workdir, "/dev/null")

    def inside(path: str, roots: tuple[str, ...]) -> bool:
        return any(path == r or path.startswith(r + sep) for r in roots)

    def resolve(path: Any) -> str | None:
        if isinstance(path, int):
            return None
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        if not isinstance(path, str):
            try:
                path = os.fspath(path)
            except TypeError:
                return None
            if isinstance(path, bytes):
                path = path.decode("utf-8", "replace")
        return realpath(path)

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path = resolve(args[0])
            if path is None:
                return
            if inside(path, protected):
                record("read of a protected file")
                raise PermissionError("the grader does not allow access to this path")
            mode, flags = args[1], args[2]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing and not inside(path, allowed_write):
                raise PermissionError("writing outside the working directory is not allowed")
        elif event == "import":
            name = args[0] or ""
            if name in ("opsmath", "grader") or name.startswith(("opsmath.", "grader.")):
                record(f"import {name}")
                raise ImportError(f"importing {name!r} is not allowed in a submission")
        elif event in _DENIED_EVENTS:
            raise PermissionError(f"{event} is not allowed while grading")
        elif event in _MUTATING_EVENTS:
            for arg in args[:2]:
                path = resolve(arg) if isinstance(arg, (str, bytes, os.PathLike)) else None
                if path is not None and not inside(path, allowed_write):
                    raise PermissionError(f"{event} outside the working directory is not allowed")
        elif event in _LISTING_EVENTS:
            path = resolve(args[0]) if args and isinstance(args[0], (str, bytes, os.PathLike)) else None
            if path is not None and inside(path, protected):
                record("listing of a protected folder")
                raise PermissionError("the grader does not allow access to this path")
        elif event == "object.__setattr__" and args and args[0] is hook:
            raise PermissionError("the grader's guard cannot be modified")

    sys.addaudithook(hook)
    return violations


def _limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    try:
        with open("/proc/self/status") as fh:
            vm = next((int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:")), 0)
    except OSError:
        vm = 0
    limits = [
        (resource.RLIMIT_AS, vm + memory_bytes),
        (resource.RLIMIT_CPU, cpu_seconds),
        (resource.RLIMIT_FSIZE, 64 * 2**20),
        (resource.RLIMIT_CORE, 0),
    ]
    for kind, value in limits:
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass



class _Nothing:
    """No-op stand-in for otter's ``grader`` object and IPython's ``display``."""

    def __getattr__(self, name: str) -> Any:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _Nothing:
        return self

    def __repr__(self) -> str:
        return "<not available while grading>"


def _install_stubs() -> None:
    otter = types.ModuleType("otter")
    otter.Notebook = _Nothing()  # type: ignore[attr-defined]
    sys.modules["otter"] = otter
    builtins.display = lambda *a, **k: None  # type: ignore[attr-defined]
    plt = sys.modules.get("matplotlib.pyplot")  # not imported for it: MPLBACKEND=Agg already makes show() a no-op
    if plt is not None:
        plt.show = lambda *a, **k: None


class _Capped(io.StringIO):
    """A stdout replacement that silently stops growing after a cap."""

    def __init__(self, cap: int = 20_000) -> None:
        super().__init__()
        self.cap = cap

    def write(self, s: str) -> int:
        if self.tell() < self.cap:
            super().write(s[: self.cap - self.tell()])
        return len(s)


def describe_exception(exc: BaseException) -> str:
    """``"TypeError: ..."``: how a student's exception is reported (the trusted parent describes its own alike)."""
    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r}): the code called sys.exit()"
    lines = traceback.format_exception_only(type(exc), exc)
    return "".join(lines).strip()[-800:]


def _origin(exc: BaseException) -> str:
    """Name of the notebook function (``<module>`` for a cell's own code) in whose code ``exc`` was raised.

    The innermost frame of the traceback that runs notebook code (a ``<cell N>`` file) names it; ``""`` when
    none does. Error carried forward compares it with where the recomputation through the same upstream fails.
    """
    found, tb = "", BaseException.__dict__["__traceback__"].__get__(exc)  # not a property the class overrides
    while isinstance(tb, types.TracebackType):
        code = tb.tb_frame.f_code
        if code.co_filename.startswith("<cell "):
            found = code.co_name
        tb = tb.tb_next
    return found[:200]


def _enter_sandbox(conn: Any, config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Limits, walls, audit hook, then nothing of the grader left in reach: returns (isolation, violations).

    A wall that is required but missing, or that the kernel offers but could
    not be set up (``failed``), means no student code runs at all.
    """
    _limit_resources(int(config.get("memory_bytes", 2**31)), int(config.get("cpu_seconds", 300)))
    plan = Plan(**config["plan"])
    try:
        isolation = confine(plan).as_dict()
    except PermissionError as exc:  # a required wall is missing: run no student code at all
        isolation = {"layers": [], "missing": {"required": str(exc)}, "refused": True}
    if isolation.get("failed"):
        failed = "; ".join(f"{k}: {v}" for k, v in sorted(isolation["failed"].items()))
        isolation.update(refused=True, missing={**isolation["missing"], "required": f"wall set-up failed ({failed})"})
    if config.get("audit_hook", True):
        violations = _install_guard(plan.workdir, tuple(os.path.realpath(p) for p in config.get("protected", ())))
    else:  # tests only: prove that the operating system's walls hold without the hook
        violations = []
    _seal(conn.fileno(), plan)
    return isolation, violations


_KEPT_ENVIRONMENT = ("LANG", "LC_ALL", "LC_CTYPE", "MPLBACKEND", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                     "MKL_NUM_THREADS", "PYTHONHASHSEED")


def _seal(keep_fd: int, plan: Plan) -> None:
    """Leave student code nothing of the grader: descriptors, environment, argv, paths, authkey.

    Only stdio (``/dev/null``) and the protocol socket stay open: the
    multiprocessing resource tracker's pipe (whose unconfined reader would
    unlink names a child registers) and anything else inherited from the
    forkserver are closed. The environment keeps only locale and thread
    settings; ``sys.argv``, ``sys.orig_argv``, ``sys.path`` and ``sys.path_importer_cache`` lose the
    grader's command line and folders; the multiprocessing authkey is replaced.
    """
    import multiprocessing.process as mp_process
    from multiprocessing import resource_tracker

    sys.stdin = open(0, closefd=False)  # fd 0 is /dev/null; the forkserver's stdin object is closed below
    highest = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, highest if 0 < highest < 1 << 20 else 1 << 20)  # close_range where libc has it
    tracker = resource_tracker._resource_tracker
    tracker._fd, tracker._pid = None, None
    kept = {k: os.environ[k] for k in _KEPT_ENVIRONMENT if k in os.environ}
    os.environ.clear()
    os.environ.update(kept, HOME=plan.workdir, TMPDIR=plan.workdir, PATH="/usr/bin:/bin", OPSGRADE_SANDBOX="1")
    sys.argv = [""]
    sys.orig_argv = [sys.executable]
    readable = (plan.workdir, *plan.read_roots)

    def inside(path: object) -> bool:
        return isinstance(path, str) and bool(path) and any(
            path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in readable)

    sys.path[:] = [p for p in sys.path if inside(p)]
    # the finders of the grader's own folders go (their cached listings name its files); those of the folders the
    # child may read anyway stay, warm: emptying the whole cache freed about 90 finders and their listings in every
    # child (1.5 ms of a sandbox's start, and the next imports listed those folders again)
    for key in [k for k in sys.path_importer_cache if not inside(k)]:
        del sys.path_importer_cache[key]
    mp_process.current_process().authkey = os.urandom(32)
    mp_process.ORIGINAL_DIR = plan.workdir
    _forget_start_up()


_START_UP_KEYS = frozenset({"authkey", "sys_path", "sys_argv", "dir", "orig_dir", "main_path", "init_main_from_path"})


def _forget_start_up() -> None:
    """Empty what multiprocessing's start-up frames still hold (the parent's authkey, argv, folders, preloads)."""
    frame = sys._getframe(1)
    while frame is not None:
        if "multiprocessing" in frame.f_code.co_filename:
            for name, value in frame.f_locals.items():
                if isinstance(value, dict) and _START_UP_KEYS & set(value):
                    value.clear()
                elif isinstance(value, list) and name in ("sys_path", "preload"):
                    value.clear()
        frame = frame.f_back


def _anonymise(prefix: str = "grader") -> None:
    """Strip the grader's file names from its modules and code objects (forkserver only).

    Student code can walk frames up to :func:`serve`; the file names it
    would find there say where the grader keeps its files. Landlock keeps the
    files unreadable; this keeps their location unsaid.
    """

    def recode(code: types.CodeType) -> types.CodeType:
        consts = tuple(recode(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
        return code.replace(co_filename=f"<{prefix}>", co_consts=consts)

    def fix(obj: Any) -> None:
        fn = getattr(obj, "__func__", obj)
        if isinstance(fn, types.FunctionType) and not fn.__code__.co_filename.startswith("<"):
            fn.__code__ = recode(fn.__code__)
        elif isinstance(obj, property):
            for part in (obj.fget, obj.fset, obj.fdel):
                fix(part)

    for name, module in list(sys.modules.items()):
        if not (name == prefix or name.startswith(prefix + ".")) or module is None:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__ == name:
                for member in list(vars(value).values()):
                    fix(member)
            elif getattr(value, "__module__", None) == name:
                fix(value)
        module.__file__ = f"<{name}>"
        module.__cached__ = None
        module.__loader__ = None
        if hasattr(module, "__path__"):
            module.__path__ = []
        if module.__spec__ is not None:
            module.__spec__ = None


def run_cell(request: dict[str, Any], namespace: dict[str, Any], progress: Any) -> list[dict[str, Any]]:
    """Run a cell's top-level statements one by one; returns the statements that raised.

    A statement that raises leaves the names it binds undefined (so what later
    statements compute from them fails in turn, and nothing else does); the
    cell's later statements still run. Statements listed in the request's
    ``skip`` (they crashed or raised in an earlier run) are not run, and their
    names are unbound in the same way. ``progress(k)`` is called before
    statement ``k`` runs, so the parent knows which one a crash interrupted.
    Line numbers are the cell's own.
    """
    filename = f"<cell {request.get('index', '?')}>"
    try:
        tree = ast.parse(request["source"], filename)
    except SyntaxError as exc:
        return [{"statement": -1, "line": exc.lineno or 1, "error": describe_exception(exc)}]
    skip = set(request.get("skip") or ())
    failures: list[dict[str, Any]] = []
    for k, statement in enumerate(tree.body):
        if k in skip:
            _unbind(statement, namespace)
            continue
        progress(k)
        try:
            exec(compile(ast.Module(body=[statement], type_ignores=[]), filename, "exec"), namespace)
        except BaseException as exc:
            _unbind(statement, namespace)
            failures.append({"statement": k, "line": statement.lineno, "error": describe_exception(exc),
                             "origin": _origin(exc)})
    return failures


def _unbind(statement: ast.stmt, namespace: dict[str, Any]) -> None:
    for name in bound_names(statement):
        namespace.pop(name, None)


def serve(conn: Any, config: dict[str, Any]) -> None:
    """Child main loop: set up the sandbox, then answer requests until EOF.

    Requests (JSON): ``{"id", "op": "exec", "source", "index"}``,
    ``{"id", "op": "call", "name", "args", "kwargs"}``, ``{"id", "op": "get", "name"}``,
    ``{"id", "op": "names"}``, ``{"id", "op": "violations"}``.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the batch's business, not the child's
    workdir = config["workdir"]
    os.chdir(workdir)
    os.environ["OPSGRADE_SANDBOX"] = "1"  # labkit skips interactive figures while grading (TMPDIR, HOME: _seal)
    sys.dont_write_bytecode = True
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    _install_stubs()
    for name in [m for m in sys.modules if m == "opsmath" or m.startswith(("opsmath.", "grader.suites"))]:
        del sys.modules[name]
    send, recv = conn.send_bytes, conn.recv_bytes
    affinity.pin(config.get("cpu"))  # the grader's CPU (it waits while this child computes), before any wall
    isolation, violations = _enter_sandbox(conn, config)
    config.clear()  # the protected paths and the plan stay out of reach of frame walks (the Process holds it)
    sys.path.insert(0, workdir)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    reported = 0

    while True:
        try:
            request = loads(recv())
        except (EOFError, OSError):
            os._exit(0)
        except Exception:
            continue
        rid = request.get("id")
        op = request.get("op")
        reply: dict[str, Any] = {"id": rid, "ok": True}
        buffer = _Capped()
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = buffer
        try:
            if isolation.get("refused") and op in ("exec", "call", "get"):
                raise PermissionError(f"student code not run: {isolation['missing']['required']}")
            if op == "isolation":
                reply["value"] = isolation
            elif op == "exec":
                reply["value"] = run_cell(request, namespace,
                                          lambda k, rid=rid: send(dumps({"id": None, "progress": [rid, k]})))
            elif op == "call":
                fn = namespace.get(request["name"])
                if fn is None:
                    reply.update(ok=False, kind="missing", error=f"{request['name']} is not defined")
                elif not callable(fn):
                    reply.update(ok=False, kind="missing", error=f"{request['name']} is not a function")
                else:
                    args = from_plain(request.get("args", []))
                    kwargs = from_plain(request.get("kwargs", {}))
                    reply["value"] = to_plain(fn(*args, **kwargs))
            elif op == "get":
                if request["name"] in namespace:
                    reply["value"] = to_plain(namespace[request["name"]])
                else:
                    reply.update(ok=False, kind="missing", error=f"{request['name']} is not defined")
            elif op == "names":
                reply["value"] = sorted(k for k in namespace if not k.startswith("_"))
            elif op == "violations":
                reply["value"] = list(violations)
            else:
                reply.update(ok=False, kind="protocol", error=f"unknown op {op!r}")
        except BaseException as exc:
            reply.update(ok=False, kind="exception", error=describe_exception(exc), origin=_origin(exc))
        finally:
            sys.stdout, sys.stderr = old_out, old_err
        reply["stdout"] = buffer.getvalue()[-2000:]
        if len(violations) > reported:
            reply["violations"] = violations[reported:]
            reported = len(violations)
        try:
            payload = dumps(reply)
        except (TypeError, ValueError) as exc:
            payload = dumps({"id": rid, "ok": False, "kind": "exception", "error": f"unencodable result: {exc}"})
        try:
            send(payload)
        except (OSError, ValueError):
            os._exit(0)


def _preloaded_by_forkserver() -> bool:
    """Whether this import is the forkserver's preload (not a trusted process, nor a worker forked by a forkserver)."""
    frame: types.FrameType | None = sys._getframe()
    names = set()
    while frame is not None:
        if frame.f_code.co_filename.endswith(os.path.join("multiprocessing", "forkserver.py")):
            names.add(frame.f_code.co_name)
        frame = frame.f_back
    return "main" in names and "_serve_one" not in names


def _ready_forkserver() -> None:
    """What every child would otherwise redo, done once in the forkserver (the last module it imports), whose
    memory each child is a ``fork`` of.

    * The seccomp filter program, built with a placeholder for the pid
      (:func:`grader.sandbox.isolation._filter_template`): a child writes its pid into a copy instead of building
      117 rules and generating the program (about 3.5 ms of its start).
    * A frozen heap: a child's first full garbage collection would walk, and so write to, the header of every
      object the forkserver imported (numpy, pandas, the codec: hundreds of thousands), copying the pages they sit
      on into the child. :func:`gc.freeze` moves them to the permanent generation, which collections skip; what a
      child makes is collected as before.
    """
    import gc

    from grader.sandbox.isolation import _filter_template

    _filter_template()
    gc.collect()
    gc.freeze()


if _preloaded_by_forkserver():  # in the forkserver only: a trusted process keeps its file names and its heap
    _ready_forkserver()
    _anonymise()
