"""Which processes a test started: a pids cgroup of the test's own, which no descendant can leave.

Scanning all of ``/proc`` for sandbox uids finds other graders' children on a shared host (other test runs, other
users): a test must look only at what its own command started. The command runs inside a fresh cgroup (v1 ``pids``
hierarchy or cgroup v2, whichever this host offers and root may write); every process it starts, however it
detaches (``setsid``, double fork, reparented to init), stays a member, since moving out needs write access to a
cgroup owned by root. Without a writable cgroup the scope falls back to the sandbox uids the batch recorded.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

__all__ = ["ProcessScope", "describe", "processes_of_uids"]

_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))


class ProcessScope:
    """A cgroup for one test's command; ``wrap`` the command, then ask for ``members`` after it ends.

    Parameters
    ----------
    label : str
        Part of the cgroup's name (shows in ``/proc/<pid>/cgroup`` when debugging).
    """

    def __init__(self, label: str) -> None:
        self.path: Path | None = None
        name = f"opsgrade-test-{label}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        for root in _ROOTS:
            if (root / "cgroup.procs").is_file():
                try:
                    (root / name).mkdir()
                except OSError:
                    continue
                self.path = root / name
                break

    def wrap(self, cmd: list[str]) -> list[str]:
        """``cmd`` started inside the cgroup (unchanged when no cgroup could be made)."""
        if self.path is None:
            return cmd
        return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.path), *cmd]

    def members(self, settle: float = 0.0) -> list[int]:
        """Processes still in the cgroup (empty when there is no cgroup).

        ``settle`` seconds are allowed for processes already on their way out (a forkserver that saw its
        parent leave) before the answer counts.
        """
        if self.path is None:
            return []
        deadline = time.monotonic() + settle
        while True:
            try:
                pids = [int(x) for x in (self.path / "cgroup.procs").read_text().split()]
            except OSError:
                return []
            if not pids or time.monotonic() >= deadline:
                return pids
            time.sleep(0.1)

    def close(self) -> None:
        """Kill whatever is left and remove the cgroup."""
        if self.path is None:
            return
        for _ in range(50):
            pids = self.members()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.1)
        try:
            self.path.rmdir()
        except OSError:
            pass


def describe(pid: int) -> str:
    """``pid uid=... cmdline`` for an assertion message."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return f"{pid} (gone)"
    return f"{pid} uid={uid} {cmdline[:80]}"


def processes_of_uids(uids: set[int]) -> list[int]:
    """Live processes whose real uid is one of ``uids`` (each sandbox child's uid is its own: no other grader's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        uid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:")))
        if uid in uids:
            found.append(int(entry.name))
    return found
