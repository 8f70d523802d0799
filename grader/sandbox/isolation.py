"""Operating-system isolation of the child that runs student code.

The wall between student code and everything else is built from kernel
mechanisms, applied in the child after it is forked and before any student
code runs (:func:`confine`):

``uid``
    When the grader runs as root (Gradescope's harness does), the child drops
    to an unprivileged user of its own (uid ``UID_BASE + pid``: no two live
    children share one) with no supplementary groups. It then cannot read
    files that are not readable by others, write the grader's files, signal
    or trace the grader. Used only when the Python installation is readable
    by that user (otherwise lazy imports of the standard library would fail);
    :func:`install_readable_by_others` checks it.
``landlock``
    A Landlock ruleset (Linux >= 5.13, unprivileged): the child may read only
    the Python installation and system libraries, and read and write only its
    own fresh working directory. The grader, the hidden suites, ``opsmath``,
    ``.git``, other submissions, the batch's output folder and ``/proc`` are
    out of reach, whatever path, directory file descriptor or race is used.
    Landlock also forbids tracing processes outside the child's domain.
``seccomp``
    A seccomp filter (libseccomp): no new processes (``fork``, ``vfork``,
    ``clone`` without ``CLONE_THREAD``, ``execve``), no ``ptrace``,
    ``process_vm_readv``/``writev``, no new namespaces or mounts, no sockets,
    no signals to other processes, no ``chmod``/``chown`` and no kernel
    facilities a notebook has no use for (``bpf``, ``io_uring``, keyrings...).
``netns``
    As root, the child leaves the network namespace (no interfaces but a
    downed loopback).
``pdeathsig``
    The child is killed when the process that forked it dies, so no student
    process outlives its grading.

Each mechanism that is missing on a kernel is reported (:class:`Applied`)
and shows in the submission's result as a warning: the grader degrades
loudly, never silently. The PEP 578 audit hook installed afterwards by
:mod:`grader.sandbox.child` is a second layer that explains refusals; it is
not the wall.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "UID_BASE",
    "Applied",
    "Plan",
    "confine",
    "die_with_parent",
    "harden_parent",
    "install_readable_by_others",
    "lock_down",
    "plan",
    "read_roots",
]

UID_BASE = 200_000
"""Children run as ``UID_BASE + pid`` when the grader is root: unused by real accounts, unique per live child."""

_SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/etc", "/opt/conda")
_DEVICES_READ = ("/dev/urandom", "/dev/random", "/dev/zero")
_DEVICES_RW = ("/dev/null",)

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38
_CLONE_NEWNET = 0x40000000
_CLONE_THREAD = 0x00010000

# Denied outright (EPERM). Names unknown to the running architecture are skipped.
_DENIED_SYSCALLS = (
    # new programs and processes (clone is filtered by its flags below)
    "fork", "vfork", "execve", "execveat",
    # other processes' memory and handles
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    # namespaces, mounts, roots
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    # network
    "socket", "socketpair",
    # file metadata Landlock does not mediate
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
    "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
    "utime", "utimes", "utimensat", "futimesat", "mknod", "mknodat",
    "name_to_handle_at", "open_by_handle_at",
    # kernel facilities a notebook never needs
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "keyctl", "add_key", "request_key", "fanotify_init", "inotify_init", "inotify_init1",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "syslog", "vhangup", "iopl", "ioperm", "personality",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid",
    "capset", "seccomp",
)


@dataclass(frozen=True)
class Plan:
    """What :func:`confine` will do in the child (decided in the trusted parent).

    Attributes
    ----------
    workdir : str
        The child's private working directory (read, write, create, delete).
    read_roots : tuple of str
        Directories and files the child may read (the Python installation,
        system libraries), none of which contains a protected path.
    drop_uid : bool
        Switch to an unprivileged uid of the child's own (root only).
    require : tuple of str
        Mechanisms that must be in force; if one fails the child refuses to
        run student code (``OPSGRADE_REQUIRE_ISOLATION``, comma-separated).
    """

    workdir: str
    read_roots: tuple[str, ...]
    drop_uid: bool
    require: tuple[str, ...] = ()


@dataclass
class Applied:
    """What the child actually put in force, and what it could not."""

    layers: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    uid: int | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain data for the parent (layers in force, missing ones with the reason)."""
        return {"layers": list(self.layers), "missing": dict(self.missing), "uid": self.uid}


# -- planning (parent) -----------------------------------------------------------------------------------------


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _expand(root: str, protected: tuple[str, ...], depth: int = 0) -> list[str]:
    """``root`` itself, or (when it holds a protected path) its children minus the protected ones."""
    if any(_inside(p, root) for p in protected if p != root) and depth < 6:
        out: list[str] = []
        try:
            entries = sorted(os.listdir(root))
        except OSError:
            return []
        for name in entries:
            child = os.path.join(root, name)
            if any(_inside(child, p) for p in protected):
                continue
            out += _expand(child, protected, depth + 1)
        return out
    if any(_inside(root, p) for p in protected):
        return []
    return [root]


def read_roots(protected: Iterable[str] = ()) -> tuple[str, ...]:
    """Paths the child may read: the interpreter, its standard library and site-packages, system libraries.

    A root that contains a protected path (the project installed into
    site-packages, a virtual environment inside the repository) is replaced by
    its children, so the protected path stays out of reach.
    """
    protected_real = tuple(os.path.realpath(p) for p in protected)
    candidates: list[str] = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    paths = sysconfig.get_paths()
    candidates += [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths]
    candidates += [p for p in sys.path if p and p.endswith(("site-packages", "dist-packages"))]
    candidates.append(os.path.dirname(os.path.realpath(sys.executable)))
    candidates += list(_SYSTEM_READ) + list(_DEVICES_READ)
    out: list[str] = []
    for path in candidates:
        if not path or not os.path.exists(path):
            continue
        real = os.path.realpath(path)
        for root in {path, real}:
            for item in _expand(os.path.abspath(root), protected_real):
                if item not in out:
                    out.append(item)
    return tuple(out)


def install_readable_by_others() -> bool:
    """Whether an unprivileged user can import from this Python installation.

    Every directory from ``/`` down to the standard library and site-packages
    must be searchable by others, and the standard library readable.
    """
    paths = sysconfig.get_paths()
    targets = [paths.get("stdlib"), paths.get("purelib"), paths.get("platlib"), os.path.realpath(sys.executable)]
    for target in filter(None, targets):
        real = os.path.realpath(target)
        parts = real.split(os.sep)
        for i in range(2, len(parts) + 1):
            prefix = os.sep.join(parts[:i]) or os.sep
            try:
                mode = os.stat(prefix).st_mode
            except OSError:
                return False
            if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
                return False
        try:
            if not os.stat(real).st_mode & stat.S_IROTH:
                return False
        except OSError:
            return False
    return True


def plan(workdir: str, protected: Iterable[str] = ()) -> Plan:
    """Decide the isolation for a child working in ``workdir``.

    ``OPSGRADE_ISOLATION`` may force a mode for testing: ``auto`` (default),
    ``uid`` (require the uid drop), ``landlock`` (no uid drop even as root).
    """
    mode = os.environ.get("OPSGRADE_ISOLATION", "auto").strip().lower()
    require = tuple(x for x in os.environ.get("OPSGRADE_REQUIRE_ISOLATION", "").replace(" ", "").split(",") if x)
    is_root = os.geteuid() == 0
    if mode == "uid":
        drop = True
        require = tuple(dict.fromkeys((*require, "uid")))
    elif mode == "landlock":
        drop = False
    else:
        drop = is_root and install_readable_by_others()
    return Plan(workdir=os.path.realpath(workdir), read_roots=read_roots(protected), drop_uid=drop, require=require)


# -- applying (child) ------------------------------------------------------------------------------------------


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> bool:
    import ctypes

    libc = _libc()
    return libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0


def _chown_tree(root: str, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(base, name), uid, gid, follow_symlinks=False)


def _drop_uid(workdir: str, applied: Applied) -> None:
    uid = UID_BASE + os.getpid()
    _chown_tree(workdir, uid, uid)
    os.chmod(workdir, 0o700)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:  # pragma: no cover - kernel refused silently
        raise OSError(errno.EPERM, "uid drop did not take effect")
    applied.uid = uid
    applied.layers.append("uid")


def _leave_network(applied: Applied) -> None:
    if os.geteuid() != 0:
        applied.missing["netns"] = "needs root; sockets are refused by seccomp instead"
        return
    libc = _libc()
    if libc.unshare(_CLONE_NEWNET) == 0:
        applied.layers.append("netns")
    else:
        import ctypes

        applied.missing["netns"] = os.strerror(ctypes.get_errno())


def _landlock(plan: Plan, applied: Applied) -> None:
    try:
        import landlock
        from landlock import FSAccess
    except Exception as exc:  # pragma: no cover - dependency missing
        applied.missing["landlock"] = f"the landlock package is not importable ({exc})"
        return
    try:
        abi = landlock.landlock_abi_version()
        handled = FSAccess.all()
        ruleset = landlock.Ruleset(restrict_rules=handled)
        read_dir = FSAccess.READ_FILE | FSAccess.READ_DIR | FSAccess.EXECUTE
        read_file = FSAccess.READ_FILE | FSAccess.EXECUTE
        for path in plan.read_roots:
            try:
                ruleset.allow(path, rules=read_dir if os.path.isdir(path) else read_file)
            except OSError:
                continue
        for path in _DEVICES_RW:
            if os.path.exists(path):
                ruleset.allow(path, rules=FSAccess.READ_FILE | FSAccess.WRITE_FILE)
        ruleset.allow(plan.workdir, rules=handled)
        ruleset.apply()
    except Exception as exc:
        applied.missing["landlock"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return
    applied.layers.append(f"landlock(abi {abi})")


def _seccomp(applied: Applied) -> None:
    try:
        import pyseccomp as seccomp
    except Exception as exc:
        applied.missing["seccomp"] = f"libseccomp is not available ({type(exc).__name__}: {exc})"
        return
    try:
        deny = seccomp.ERRNO(errno.EPERM)
        flt = seccomp.SyscallFilter(seccomp.ALLOW)
        for name in _DENIED_SYSCALLS:
            try:
                flt.add_rule(deny, name)
            except (OSError, ValueError):
                continue  # not a syscall on this architecture
        # threads yes (CLONE_THREAD set), processes no; clone3 hides its flags in memory: make libc fall back
        flt.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, _CLONE_THREAD, 0))
        try:
            flt.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        except (OSError, ValueError):
            pass
        me = os.getpid()
        flt.add_rule(deny, "kill", seccomp.Arg(0, seccomp.NE, me))
        flt.add_rule(deny, "tgkill", seccomp.Arg(0, seccomp.NE, me))
        flt.load()
    except Exception as exc:
        applied.missing["seccomp"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return
    applied.layers.append("seccomp")


def confine(plan: Plan) -> Applied:
    """Apply ``plan`` to the calling process (the child). Irreversible.

    Order matters: leave the network and drop the uid while still root, then
    ``no_new_privs``, Landlock, and seccomp last (it forbids the calls the
    steps before it need).

    Raises
    ------
    PermissionError
        When a mechanism named in ``plan.require`` could not be put in force.
    """
    applied = Applied()
    _leave_network(applied)
    if plan.drop_uid:
        try:
            _drop_uid(plan.workdir, applied)
        except OSError as exc:
            applied.missing["uid"] = str(exc)
    elif os.geteuid() == 0:
        applied.missing["uid"] = "the Python installation is not readable by other users; kept root"
    else:
        applied.missing["uid"] = "not root (the grader's own user is already unprivileged)"
    if _prctl(_PR_SET_PDEATHSIG, 9):  # after the uid change, which clears it
        applied.layers.append("pdeathsig")
    _prctl(_PR_SET_DUMPABLE, 0)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    _landlock(plan, applied)
    _seccomp(applied)
    absent = [name for name in plan.require if not any(layer.startswith(name) for layer in applied.layers)]
    if absent:
        raise PermissionError(f"required isolation not available: {', '.join(absent)} ({applied.missing})")
    return applied


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL the calling process when its parent dies (a killed batch takes its workers)."""
    import signal

    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def lock_down(*paths: str | os.PathLike) -> list[str]:
    """As root, make ``paths`` (the autograder's source and results) accessible to root only.

    The second wall on Gradescope: even where the kernel lacks Landlock, a
    child running under its own uid cannot read the hidden suites or write the
    results. Returns the paths changed; does nothing for a non-root grader.
    """
    changed: list[str] = []
    if os.geteuid() != 0:
        return changed
    for path in paths:
        try:
            mode = os.stat(path).st_mode
            if mode & 0o077:
                os.chmod(path, stat.S_IMODE(mode) & 0o700)
                changed.append(os.fspath(path))
        except OSError:
            continue
    return changed


def harden_parent() -> None:
    """Make the calling (trusted) process undumpable: its memory is not readable through ``/proc``."""
    _prctl(_PR_SET_DUMPABLE, 0)
