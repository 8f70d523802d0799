"""Where the grader's temporary files and sockets go, and how they are removed whatever happened.

* :func:`use_short_socket_dir` points :mod:`multiprocessing`'s own temporary
  directory, where the sandbox's forkserver binds its ``AF_UNIX`` socket, at a
  base short enough for a socket path (the kernel's limit is 108 bytes on
  Linux, 104 on macOS): a long ``TMPDIR`` must not stop the sandbox.
* :class:`ScratchRoot` is one batch's private temporary root: every worker's
  temporary files (sandbox working folders, kit copies, multiprocessing's
  directory and socket) go below it, and it is removed when the batch ends,
  however its workers ended. A batch killed outright (``SIGKILL``) cannot
  remove its own root; the next batch removes it (the root's lock is free).
* :func:`remove_tree` removes a folder even where a sandboxed child took the
  permissions off the folders it made.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
from pathlib import Path

__all__ = ["SOCKET_PATH_MAX", "ScratchRoot", "fits_socket", "remove_tree", "socket_safe_base", "use_short_socket_dir"]

SOCKET_PATH_MAX = 103
"""Longest ``AF_UNIX`` socket path used (macOS's 104-byte ``sun_path`` less its NUL; Linux allows 107)."""
_MP_SOCKET_TAIL = len("/pymp-xxxxxxxx/listener-xxxxxxxx")
"""What multiprocessing appends to its base: its own temporary folder and the forkserver's socket name."""
_ROOT_PREFIX = "opsgrade-batch-"
_LOCK = ".lock"


def fits_socket(base: str | os.PathLike, extra: int = 0) -> bool:
    """Whether multiprocessing's socket fits below ``base`` (plus ``extra`` bytes of folders in between)."""
    return len(os.fsencode(os.fspath(base))) + extra + _MP_SOCKET_TAIL <= SOCKET_PATH_MAX


def socket_safe_base(extra: int = 0) -> str:
    """A writable temporary base below which multiprocessing's socket fits (with ``extra`` bytes of folders).

    The user's temporary directory (``TMPDIR``) when it is short enough, else the
    first short one of ``/tmp``, ``/var/tmp`` and ``/dev/shm``.

    Raises
    ------
    OSError
        When none is both short enough and writable.
    """
    for base in (tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
        if fits_socket(base, extra) and os.path.isdir(base) and os.access(base, os.W_OK | os.X_OK):
            return base
    raise OSError(f"no writable temporary directory short enough for a socket path (TMPDIR={tempfile.gettempdir()})")


def use_short_socket_dir() -> str:
    """Make multiprocessing's temporary directory (the forkserver's socket) short enough; returns it.

    Call before the forkserver starts. Multiprocessing creates its directory
    once per process, under :func:`tempfile.gettempdir`; when that is too long
    for a socket path, it is created under :func:`socket_safe_base` instead.

    Raises
    ------
    OSError
        When multiprocessing's directory already exists with a path too long.
    """
    from multiprocessing import util

    saved = tempfile.tempdir
    try:
        if not fits_socket(tempfile.gettempdir()):
            tempfile.tempdir = socket_safe_base()
        path = util.get_temp_dir()
    finally:
        tempfile.tempdir = saved
    if not fits_socket(os.path.dirname(path)):
        raise OSError(f"multiprocessing's temporary directory {path} is too long for the sandbox's socket")
    return path


def _writable_again(function: object, path: str, excinfo: object) -> None:
    """``rmtree`` error handler: give the owner back the rights a child took away, then retry."""
    parent = os.path.dirname(path)
    with contextlib.suppress(OSError):
        os.chmod(parent, stat.S_IRWXU)
    with contextlib.suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, stat.S_IRWXU)
            shutil.rmtree(path, onerror=_give_up)
        else:
            os.unlink(path)


def _give_up(function: object, path: str, excinfo: object) -> None:
    return None


def remove_tree(path: str | os.PathLike) -> None:
    """Remove ``path`` and everything below it, restoring the owner's rights where they were taken away."""
    if not os.path.lexists(path):
        return
    with contextlib.suppress(OSError):
        os.chmod(path, stat.S_IRWXU)
    shutil.rmtree(path, onerror=_writable_again)


class ScratchRoot:
    """A batch's private temporary root, locked while the batch lives and removed when it ends.

    Parameters
    ----------
    base : path, optional
        Where the root goes; default :func:`socket_safe_base` (room left for a
        worker's folder, so that every worker's socket fits below the root).
    """

    def __init__(self, base: str | os.PathLike | None = None) -> None:
        self.base = Path(base) if base is not None else Path(socket_safe_base(extra=40))
        self.path: Path | None = None
        self._lock: int | None = None

    def __enter__(self) -> ScratchRoot:
        reap_stale(self.base)
        # locked before it takes the name reap_stale looks for, so that no other batch ever sees it unlocked
        fresh = tempfile.mkdtemp(prefix=f".{_ROOT_PREFIX}new-", dir=self.base)
        self._lock = os.open(os.path.join(fresh, _LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.path = Path(self.base) / f"{_ROOT_PREFIX}{os.getpid()}-{os.path.basename(fresh)[-8:]}"
        os.rename(fresh, self.path)
        os.chmod(self.path, 0o711)  # a sandbox child under its own uid must reach its working folder below
        return self

    def folder(self, name: str) -> Path:
        """A folder of the root for one worker (traversable by a sandbox child, listable by the grader only)."""
        assert self.path is not None, "ScratchRoot used outside its with-block"
        folder = self.path / name
        folder.mkdir(mode=0o711, exist_ok=True)
        os.chmod(folder, 0o711)
        return folder

    def __exit__(self, *exc: object) -> None:
        if self.path is not None:
            remove_tree(self.path)
            self.path = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def reap_stale(base: str | os.PathLike) -> list[str]:
    """Remove the roots under ``base`` that no living batch holds (batches killed before they could); returns them."""
    removed = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(_ROOT_PREFIX):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                continue
            fd = os.open(os.path.join(entry.path, _LOCK), os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a living batch holds it
            os.close(fd)
            continue
        try:
            remove_tree(entry.path)
            removed.append(entry.path)
        finally:
            os.close(fd)
    return removed
