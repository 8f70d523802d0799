"""One CPU for a grading process and its sandbox child: they take turns, so they gain nothing from two.

The grader and its sandboxed child talk in strict turns (a request, then its reply): while one computes, the
other waits. On two CPUs each turn wakes a sleeping process on the *other* CPU, and that wake-up costs far more than
the turn itself in a virtual machine (measured here on a 2-vCPU VM, 9,082 round trips over 34 submissions: 5.1 s of
waiting on two CPUs, 2.8 s when the pair shares one; the whole grading 17.7 s against 15.1 s). So the grading
process (a batch worker, or Gradescope's one grader) and every sandbox child it starts keep to one CPU:

* worker ``k`` of a batch takes the ``k``-th CPU it may use (round robin), so two workers never share one; a lone
  grader (Gradescope's, or one in a test) keeps the CPU it is running on;
* the grader pins itself when it starts its first sandbox child, after its imports: the sandbox's forkserver, which
  imports in parallel with it, stays free to use any CPU;
* the child pins itself to the CPU it is given before any student code runs (it is forked by the forkserver, whose
  CPUs it would otherwise inherit).

Only the CPUs the process may already use (its affinity mask: a container's cpuset, a Slurm allocation) are chosen
from; a machine with one CPU, a kernel that refuses, or ``OPSGRADE_PIN_CPU=0`` leaves everything as it was. Pinning
changes no result, only time: the kernel's load balancer still moves other (unpinned) processes, a CPU hog included,
off a busy CPU.
"""

from __future__ import annotations

import functools
import os

__all__ = ["WORKER_ENV", "cpu_for_sandbox", "pin"]

WORKER_ENV = "OPSGRADE_WORKER_NUMBER"
"""Set by :mod:`grader.workers` in each worker: its number in the batch, which picks its CPU."""


def _allowed() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return []


def _current_cpu() -> int | None:
    """The CPU this process last ran on (``/proc/self/stat``, field 39)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return None


@functools.cache
def cpu_for_sandbox() -> int | None:
    """Pin this grading process to one CPU, the first time it starts a sandbox, and return that CPU (``None``:
    not pinned). Its sandbox children pin themselves to it (:func:`pin`)."""
    if os.environ.get("OPSGRADE_PIN_CPU", "1") == "0":
        return None
    allowed = _allowed()
    if len(allowed) < 2:
        return None
    number = os.environ.get(WORKER_ENV, "")
    if number.isdigit():
        cpu = allowed[int(number) % len(allowed)]
    else:
        current = _current_cpu()
        cpu = current if current in allowed else allowed[0]
    return cpu if pin(cpu) else None


def pin(cpu: int | None) -> bool:
    """Keep this process to ``cpu`` (``None``: leave it); whether it now is."""
    if cpu is None:
        return False
    try:
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError, ValueError):  # a CPU outside the cgroup's set, not Linux
        return False
    return True
