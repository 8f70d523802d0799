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
    Argument filters close the routes by which the kernel signals a process
    for the child (``F_SETOWN``, ``F_SETSIG``, ``O_ASYNC``, ``FIOSETOWN``,
    ``SIOCSPGRP``...), deny System V IPC and POSIX message queues,
    ``setsid``/``setpgid``, ``fallocate`` and any change of the death signal.
``scope``
    Landlock scoping (ABI 6, Linux 6.12): no signal by any route and no
    abstract unix socket reaches a process outside the child's domain.
``netns``, ``ipcns``, ``mountns`` (and ``userns`` without root)
    The child leaves the network namespace (no interfaces but a downed
    loopback) and the IPC namespace (its SysV objects die with it); in its
    own mount namespace its working directory is a size-limited tmpfs
    (``disk``: nothing left behind, no disk filled) and every protected
    directory is covered by an empty one (``hide``: ``os.stat`` finds nothing).
    Without root these come from an unprivileged user namespace, whose
    capabilities are dropped before student code runs.
``tasks``
    ``RLIMIT_NPROC`` counted under a uid (root) or user namespace of the
    child's own caps its threads at :data:`TASKS_PER_CHILD`.
``pdeathsig``
    The child is killed when the process that forked it dies, and cannot
    change that; it cannot create processes, so nothing of it outlives its
    grading.

Each mechanism that is missing on a kernel is reported (:class:`Applied`)
and shows in the submission's result as a warning: the grader degrades
loudly, never silently. A mechanism the kernel offers that could not be set
up (``Applied.failed``) is a grader error: the parent raises
:class:`WallFailed` and no student code is graded. The PEP 578 audit hook installed afterwards by
:mod:`grader.sandbox.child` is a second layer that explains refusals; it is
not the wall.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import struct
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DISK_BYTES",
    "TASKS_PER_CHILD",
    "UID_BASE",
    "Applied",
    "Plan",
    "WallFailed",
    "confine",
    "die_with_parent",
    "harden_parent",
    "install_readable_by_others",
    "lock_down",
    "make_workdir",
    "plan",
    "read_roots",
    "remove_tree",
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
    # System V IPC and POSIX message queues: kernel objects that outlive the child and cross batches and uids
    "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
    "semctl", "ipc", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    # leaving the process group the batch kills; reserving disk beyond the file-size limit
    "setsid", "setpgid", "fallocate",
)

# fcntl commands and ioctls that make the kernel signal a process chosen by the caller (seccomp's kill filter never
# sees those signals) or touch a terminal: F_SETOWN, F_SETSIG, F_SETOWN_EX, F_SETLEASE, F_NOTIFY; FIOSETOWN,
# SIOCSPGRP, FIOASYNC, TIOCSPGRP, TIOCSTI. Compared on the low 32 bits (the kernel reads an unsigned int).
_DENIED_FCNTL = (8, 10, 15, 1024, 1026)
_DENIED_IOCTL = (0x8901, 0x8902, 0x5452, 0x5410, 0x5412)
_O_ASYNC = 0o20000
_F_SETFL = 4
_LOW32 = 0xFFFFFFFF

TASKS_PER_CHILD = 64
"""Threads (each takes a PID) one child may run: a thread bomb stops there, not at the grader's own limit."""
DISK_BYTES = 128 * 2**20
"""Default size of the child's private tmpfs working directory (``OPSGRADE_DISK_BYTES``)."""
DISK_INODES = 20_000
"""Files and directories the child may create in it."""

_CLONE_NEWNS = 0x00020000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 1, 2, 4, 8, 0x4000, 0x40000
_SYS_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture (new syscalls share one table)
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET = 1
_LANDLOCK_SCOPE_SIGNAL = 2


class WallFailed(RuntimeError):
    """A wall the kernel offers could not be put up: a fault of the grader's set-up, never the student's."""


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
    hide : tuple of str
        Protected directories covered by an empty read-only tmpfs in the
        child's mount namespace, so that even ``os.stat`` (which Landlock does
        not mediate) finds nothing inside them.
    disk_bytes : int
        Size of the child's private tmpfs working directory.
    """

    workdir: str
    read_roots: tuple[str, ...]
    drop_uid: bool
    require: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    disk_bytes: int = DISK_BYTES


@dataclass
class Applied:
    """What the child actually put in force, and what it could not."""

    layers: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    uid: int | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain data for the parent: layers in force, missing ones (the kernel lacks them) and failed ones
        (the kernel offers them but the set-up failed: a grader error) with the reason."""
        return {"layers": list(self.layers), "missing": dict(self.missing), "failed": dict(self.failed),
                "uid": self.uid}


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
    protected = tuple(protected)
    disk = int(os.environ.get("OPSGRADE_DISK_BYTES", DISK_BYTES))
    return Plan(workdir=os.path.realpath(workdir), read_roots=read_roots(protected), drop_uid=drop, require=require,
                hide=tuple(os.path.realpath(p) for p in protected if os.path.isdir(p)), disk_bytes=disk)


def _reachable_by_others(path: str) -> bool:
    """Every directory from ``/`` down to ``path`` is searchable by other users."""
    parts = os.path.realpath(path).split(os.sep)
    for i in range(2, len(parts) + 1):
        try:
            if not os.stat(os.sep.join(parts[:i])).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def make_workdir(prefix: str = "opsgrade-") -> str:
    """A fresh working directory for one child, where the child's own uid can reach it.

    As root the child runs under another uid: a ``TMPDIR`` below a folder
    only root may enter (``/root/tmp``) would leave its working directory
    unreachable and its Landlock rule impossible. The system's ``/tmp`` is
    used instead in that case.
    """
    import tempfile

    base = tempfile.gettempdir()
    if os.geteuid() == 0 and not _reachable_by_others(base):
        base = next((d for d in ("/tmp", "/var/tmp", "/dev/shm") if os.path.isdir(d) and _reachable_by_others(d)),
                    base)
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def remove_tree(path: str | os.PathLike) -> None:
    """Remove ``path`` whatever the child left in it; never raises.

    Iterative and descriptor-based: a tree 100,000 directories deep (deeper
    than ``PATH_MAX`` and than Python's recursion limit), directories without
    read or search permission and symlinks are all removed; nothing outside
    ``path`` is followed.
    """
    path = os.fspath(path)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            os.unlink(path)
            return
        os.chmod(path, 0o700)
        fd = os.open(path, flags)
    except OSError:
        return
    names: list[str] = []  # the directories entered below ``path``, in order
    try:
        while True:
            entered = False
            for name in os.listdir(fd):
                try:
                    if stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                        try:
                            os.rmdir(name, dir_fd=fd)
                            continue
                        except OSError:
                            pass
                        os.chmod(name, 0o700, dir_fd=fd)  # the child is gone: nothing swaps it for a symlink
                        sub = os.open(name, flags, dir_fd=fd)
                        os.close(fd)
                        fd, entered = sub, True
                        names.append(name)
                        break
                    os.unlink(name, dir_fd=fd)
                except OSError:
                    continue
            if entered:
                continue
            if not names:
                break
            up = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = up
            try:
                os.rmdir(names.pop(), dir_fd=fd)
            except OSError:
                return  # something we cannot remove (another user's file): stop rather than loop
    except OSError:
        pass
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        os.rmdir(path)
    except OSError:
        pass


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
    import resource

    uid = UID_BASE + os.getpid()
    _chown_tree(workdir, uid, uid)
    os.chmod(workdir, 0o700)
    os.setgroups([])
    # counted per uid, and this uid is the child's alone: a thread bomb stops here, not at the grader's limit
    resource.setrlimit(resource.RLIMIT_NPROC, (TASKS_PER_CHILD, TASKS_PER_CHILD))
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:  # pragma: no cover - kernel refused silently
        raise OSError(errno.EPERM, "uid drop did not take effect")
    applied.uid = uid
    applied.layers += ["uid", "tasks"]


def _errno() -> int:
    import ctypes

    return ctypes.get_errno()


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _unshare(applied: Applied) -> bool:
    """Private network, IPC and mount namespaces (as root directly, otherwise inside a user namespace).

    Returns whether a mount namespace of the child's own is in force.
    """
    libc = _libc()
    flags = _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWNS
    if os.geteuid() == 0:
        if libc.unshare(flags) != 0:
            reason = os.strerror(_errno())
            for name in ("netns", "ipcns", "mountns"):
                applied.missing[name] = reason
            return False
    else:
        uid, gid = os.geteuid(), os.getegid()
        if libc.unshare(_CLONE_NEWUSER | flags) != 0:
            reason = f"no unprivileged user namespace ({os.strerror(_errno())}); sockets and SysV IPC are refused " \
                     "by seccomp instead"
            for name in ("netns", "ipcns", "mountns"):
                applied.missing[name] = reason
            return False
        # the same uid inside as outside: the namespace's capabilities are dropped once the mounts are made
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        applied.layers.append("userns")
    applied.layers += ["netns", "ipcns", "mountns"]
    return True


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    import ctypes

    def enc(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    if _libc().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        err = _errno()
        raise OSError(err, f"mount {fstype or ''} on {target}: {os.strerror(err)}")


def _private_mounts(plan: Plan, applied: Applied) -> None:
    """A size-limited tmpfs as the working directory, and protected directories covered by empty ones.

    The working directory's files (the trusted support files the parent
    copied) are carried over into the tmpfs. The tmpfs vanishes with the
    child's mount namespace: whatever the child writes, there is nothing to
    clean up and the child's disk use is capped at ``plan.disk_bytes``.
    """
    try:
        _mount("none", "/", None, _MS_REC | _MS_PRIVATE, None)
        carried = {}
        for entry in os.scandir(plan.workdir):
            if entry.is_file(follow_symlinks=False):
                with open(entry.path, "rb") as fh:
                    carried[entry.name] = fh.read()
        size = max(int(plan.disk_bytes), 1 << 20)
        _mount("tmpfs", plan.workdir, "tmpfs", _MS_NOSUID | _MS_NODEV,
               f"size={size},nr_inodes={DISK_INODES},mode=0700")
        for name, data in carried.items():
            with open(os.path.join(plan.workdir, name), "wb") as fh:
                fh.write(data)
        os.chdir(plan.workdir)  # the old working directory is the folder beneath the tmpfs
        applied.layers.append(f"disk({size // 2**20} MiB)")
    except OSError as exc:
        applied.missing["disk"] = str(exc)
        return
    for path in plan.hide:
        if _inside(plan.workdir, path) or any(_inside(root, path) for root in plan.read_roots):
            continue
        try:
            _mount("tmpfs", path, "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "size=4k,mode=0555")
        except OSError as exc:
            applied.missing["hide"] = str(exc)
    if plan.hide and "hide" not in applied.missing:
        applied.layers.append("hide")


def _drop_capabilities() -> None:
    """Give up the capabilities a user namespace grants its creator (no mounts, no namespace tricks after this)."""
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two Data structures
    data = (Data * 2)()
    if _libc().capset(ctypes.byref(header), data) != 0:
        raise OSError(_errno(), "capset failed")


def _cap_tasks_in_namespace(applied: Applied) -> None:
    """In a user namespace of its own, RLIMIT_NPROC counts only the child's tasks (Linux >= 5.14)."""
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (TASKS_PER_CHILD, TASKS_PER_CHILD))
        applied.layers.append("tasks")
    except (ValueError, OSError) as exc:
        applied.missing["tasks"] = str(exc)


def _landlock_ruleset(plan: Plan, applied: Applied) -> Any:
    """Build the Landlock ruleset while the child may still open every path it names (before the uid drop)."""
    try:
        import landlock
        from landlock import FSAccess
    except Exception as exc:  # pragma: no cover - dependency missing
        applied.missing["landlock"] = f"the landlock package is not importable ({exc})"
        return None
    try:
        abi = landlock.landlock_abi_version()
    except Exception as exc:  # the kernel lacks Landlock or a container forbids it
        applied.missing["landlock"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return None
    try:
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
    except Exception as exc:
        applied.failed["landlock"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return None
    return ruleset, abi


def _landlock_apply(prepared: Any, applied: Applied) -> None:
    if prepared is None:
        return
    ruleset, abi = prepared
    try:
        ruleset.apply()
    except Exception as exc:
        applied.failed["landlock"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return
    finally:
        try:
            os.close(ruleset._fd)
        except (OSError, AttributeError):
            pass
    applied.layers.append(f"landlock(abi {abi})")


def _landlock_scope(applied: Applied) -> None:
    """Landlock scoping (ABI 6): no signal, by any route (``kill``, ``F_SETOWN``...), and no abstract unix
    socket reaches a process outside the child's domain."""
    import ctypes

    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(ctypes.c_long(_SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 6:
        applied.missing["scope"] = f"Landlock ABI {abi} has no signal scoping (needs 6, Linux 6.12); " \
                                   "seccomp refuses the signalling calls instead"
        return

    class Attr(ctypes.Structure):
        _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                    ("scoped", ctypes.c_uint64)]

    attr = Attr(0, 0, _LANDLOCK_SCOPE_SIGNAL | _LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET)
    fd = libc.syscall(ctypes.c_long(_SYS_LANDLOCK_CREATE_RULESET), ctypes.byref(attr),
                      ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if fd < 0:
        applied.failed["scope"] = f"landlock_create_ruleset: {os.strerror(_errno())}"
        return
    try:
        if libc.syscall(ctypes.c_long(_SYS_LANDLOCK_RESTRICT_SELF), ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
            applied.failed["scope"] = f"landlock_restrict_self: {os.strerror(_errno())}"
            return
    finally:
        os.close(fd)
    applied.layers.append("scope")


_PID_PLACEHOLDER = 0x3FFFFFFF
"""Stands for the child's pid in the filter program built once (:func:`_filter_template`): no pid is this large
(``pid_max`` is at most 2**22), and no other constant of the filter is this number."""
_BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K: the only instruction the pid may appear in
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


def _rules(seccomp: Any, pid: int) -> Any:
    """The child's seccomp filter (libseccomp, not loaded): everything :data:`_DENIED_SYSCALLS` and the argument
    filters deny, and signals (``kill``, ``tgkill``) to any process but ``pid``."""
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
    flt.add_rule(deny, "kill", seccomp.Arg(0, seccomp.NE, pid))
    flt.add_rule(deny, "tgkill", seccomp.Arg(0, seccomp.NE, pid))
    _signal_routes(seccomp, flt, deny)
    return flt


def _program(flt: Any) -> bytes:
    """The BPF program libseccomp generates for ``flt`` (what ``seccomp_load`` would give the kernel)."""
    fd = os.memfd_create("opsgrade-seccomp")
    with os.fdopen(fd, "w+b") as fh:
        flt.export_bpf(fh)
        fh.seek(0)
        return fh.read()


@functools.cache
def _filter_template() -> tuple[bytes, tuple[int, ...]] | str:
    """The filter program with :data:`_PID_PLACEHOLDER` for the pid, and the instructions that hold it; or why it
    cannot be built (``"missing: ..."``: no libseccomp; ``"failed: ..."``: it refused a rule).

    Built once per process, at the forkserver's start (:func:`grader.sandbox.child._ready_forkserver`), so that
    a child only writes its pid into a copy and hands it to the kernel (:func:`_seccomp`): building the 117 rules and
    generating the program took 3.7 ms of each child's 7 ms of walls. The program is the one libseccomp generates for
    the child's own pid (``tests/test_sandbox_start.py`` compares them byte for byte).
    """
    try:
        import pyseccomp as seccomp
    except Exception as exc:
        return f"missing: libseccomp is not available ({type(exc).__name__}: {exc})"
    try:
        program = _program(_rules(seccomp, _PID_PLACEHOLDER))
    except Exception as exc:
        return "failed: " + f"{type(exc).__name__}: {exc}".splitlines()[0]
    if len(program) % 8:
        return "failed: the generated filter is not a whole number of instructions"
    instructions = [(i, *struct.unpack_from("=HBBI", program, i)) for i in range(0, len(program), 8)]
    slots = tuple(i for i, _, _, _, k in instructions if k == _PID_PLACEHOLDER)
    if not slots or any(code != _BPF_JEQ_K for i, code, _, _, k in instructions if k == _PID_PLACEHOLDER):
        return "failed: the generated filter does not compare the pid where expected"
    return program, slots


def _with_pid(template: tuple[bytes, tuple[int, ...]], pid: int) -> bytes:
    """The template's program comparing with ``pid``."""
    program, slots = template
    out = bytearray(program)
    for i in slots:
        struct.pack_into("=I", out, i + 4, pid)
    return bytes(out)


def _load_program(program: bytes) -> None:
    """Install a BPF filter program on the calling thread (``no_new_privs`` is already set): the ``prctl`` that
    libseccomp's ``seccomp_load`` makes with its default attributes."""
    import ctypes

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.addressof(buffer))
    libc = _libc()
    if libc.prctl(_PR_SET_SECCOMP, ctypes.c_ulong(_SECCOMP_MODE_FILTER), ctypes.byref(fprog), ctypes.c_ulong(0),
                  ctypes.c_ulong(0)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _seccomp(applied: Applied) -> None:
    """The child's seccomp filter, for its own pid: the forkserver's template with the pid written in, or, when no
    template could be made (libseccomp refused to export it, or generated a program whose pid slot was not where
    expected), the rules built and loaded by libseccomp here, as before the template."""
    template = _filter_template()
    if isinstance(template, str) and template.startswith("missing: "):
        applied.missing["seccomp"] = template.removeprefix("missing: ")
        return
    me = os.getpid()
    try:
        if isinstance(template, str) or not 0 < me < 2**31 or me == _PID_PLACEHOLDER:
            import pyseccomp as seccomp

            _rules(seccomp, me).load()
        else:
            _load_program(_with_pid(template, me))
    except Exception as exc:
        applied.failed["seccomp"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return
    applied.layers.append("seccomp")


def _signal_routes(seccomp: Any, flt: Any, deny: Any) -> None:
    """Argument filters: signals the kernel would send for the child, and the death signal it must keep."""
    for name in ("fcntl", "fcntl64"):
        try:
            for cmd in _DENIED_FCNTL:
                flt.add_rule(deny, name, seccomp.Arg(1, seccomp.MASKED_EQ, _LOW32, cmd))
            flt.add_rule(deny, name, seccomp.Arg(1, seccomp.MASKED_EQ, _LOW32, _F_SETFL),
                         seccomp.Arg(2, seccomp.MASKED_EQ, _O_ASYNC, _O_ASYNC))
        except (OSError, ValueError):
            continue
    for cmd in _DENIED_IOCTL:
        flt.add_rule(deny, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, _LOW32, cmd))
    flt.add_rule(deny, "prctl", seccomp.Arg(0, seccomp.MASKED_EQ, _LOW32, _PR_SET_PDEATHSIG))


def confine(plan: Plan) -> Applied:
    """Apply ``plan`` to the calling process (the child). Irreversible.

    Order matters: leave the network, IPC and mount namespaces and mount the
    private working directory while still privileged (root, or the creator
    of a user namespace), build the Landlock ruleset while every path can
    still be opened, drop the uid (or the namespace's capabilities), then
    ``no_new_privs``, Landlock and its signal scope, and seccomp last (it
    forbids the calls the steps before it need).

    Raises
    ------
    PermissionError
        When a mechanism named in ``plan.require`` could not be put in force.
    """
    applied = Applied()
    in_userns = os.geteuid() != 0
    if _unshare(applied):
        _private_mounts(plan, applied)
    else:
        applied.missing["disk"] = "no private mount namespace: the file-size limit applies per file only"
    prepared = _landlock_ruleset(plan, applied)
    if plan.drop_uid:
        try:
            _drop_uid(plan.workdir, applied)
        except OSError as exc:
            applied.failed["uid"] = str(exc)
    elif os.geteuid() == 0:
        applied.missing["uid"] = "the Python installation is not readable by other users; kept root"
    else:
        applied.missing["uid"] = "not root (the grader's own user is already unprivileged)"
    if in_userns and "userns" in applied.layers:
        try:
            _drop_capabilities()
        except OSError as exc:
            applied.failed["userns"] = str(exc)
        _cap_tasks_in_namespace(applied)
    elif "tasks" not in applied.layers:
        applied.missing["tasks"] = "no uid or user namespace of the child's own to count its tasks in"
    if _prctl(_PR_SET_PDEATHSIG, 9):  # after the uid change, which clears it
        applied.layers.append("pdeathsig")
    _prctl(_PR_SET_DUMPABLE, 0)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    _landlock_apply(prepared, applied)
    if prepared is not None:
        _landlock_scope(applied)
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
