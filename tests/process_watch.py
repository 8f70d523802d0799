"""Watch a batch from outside: every process it started, every ``/dev/shm`` object and scratch root it used.

Other processes on the machine (other test workers, other graders) use
``/dev/shm`` and ``/tmp`` too, so a before/after listing would blame the batch
for their files. The watch samples, while the batch runs, only what belongs
to it: the descendants of its process, the ``/dev/shm`` files those
processes map (POSIX semaphores and shared memory live there), and the
scratch roots named after its process id. Afterwards, all of them must be
gone.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

SCRATCH_BASES = ("/tmp", "/var/tmp", "/dev/shm")


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(root: int) -> set[int]:
    """Every living descendant of ``root`` (not ``root`` itself)."""
    children = _children()
    found, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """The ones of ``pids`` that still run (zombies count as gone)."""
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def shm_inodes(pids: set[int]) -> set[int]:
    """Inodes of the ``/dev/shm`` files mapped by ``pids``.

    Inodes, not names: a semaphore is mapped under the temporary name glibc
    created it with (``sem.XXXXXX``, since deleted) and lives on under its real
    name (``sem.mp-...``), a hard link to the same inode.
    """
    found = set()
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        for line in maps.splitlines():
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and fields[5].startswith("/dev/shm/"):
                found.add(int(fields[4]))
    return found


def shm_files(inodes: set[int]) -> set[str]:
    """The ``/dev/shm`` files that are one of ``inodes``."""
    found = set()
    with os.scandir("/dev/shm") as entries:
        for entry in entries:
            try:
                if entry.inode() in inodes:
                    found.add(entry.path)
            except OSError:
                continue
    return found


def scratch_roots(pid: int, bases: tuple[str, ...]) -> set[str]:
    """Scratch roots a batch of process ``pid`` made under ``bases``."""
    found = set()
    for base in bases:
        try:
            found |= {str(p) for p in Path(base).glob(f"opsgrade-batch-{pid}-*")}
        except OSError:
            continue
    return found


class Watch:
    """Sample a process tree every ``interval`` seconds in a thread, from ``start()`` until ``stop()``.

    Attributes
    ----------
    processes, shm, roots : set
        Every descendant seen, the inode of every ``/dev/shm`` file they mapped, every scratch root of the batch.
    """

    def __init__(self, pid: int, bases: tuple[str, ...] = SCRATCH_BASES, interval: float = 0.05) -> None:
        self.pid, self.bases, self.interval = pid, bases, interval
        self.processes: set[int] = set()
        self.shm: set[int] = set()
        self.roots: set[str] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        family = descendants(self.pid)
        self.processes |= family
        self.shm |= shm_inodes(family | {self.pid})
        self.roots |= scratch_roots(self.pid, self.bases)

    def _run(self) -> None:
        while not self._done.is_set():
            self._sample()
            self._done.wait(self.interval)

    def start(self) -> Watch:
        self._sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def left_behind(self, grace: float = 10.0) -> dict[str, set]:
        """What is still there ``grace`` seconds after the batch ended at the latest: processes, shm files, roots."""
        deadline = time.monotonic() + grace
        while True:
            left = {"processes": alive(self.processes), "shm": shm_files(self.shm),
                    "roots": {r for r in self.roots | scratch_roots(self.pid, self.bases) if os.path.exists(r)}}
            if not any(left.values()) or time.monotonic() > deadline:
                return left
            time.sleep(0.2)
