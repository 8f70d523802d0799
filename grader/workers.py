"""The batch's worker processes: started, fed and stopped by the parent's one thread.

A small pool instead of :class:`concurrent.futures.ProcessPoolExecutor`,
because a batch must end, whenever it is interrupted, within seconds and
leave nothing behind:

* no threads in the parent (the executor's manager thread, joined at exit,
  kept an interrupted parent asleep for good) and no semaphores (the
  executor's queues leave ``/dev/shm/sem.mp-*`` behind when their process is
  killed): each worker has one pipe, and the parent waits on the pipes and
  the workers' exit sentinels together;
* a worker is born with the stop signals blocked (inherited from the
  parent, which blocks them only while it starts one), moves into its own
  session, ignores the terminal's Ctrl-C and dies with the parent
  (``PDEATHSIG``); stopping the batch kills each worker's whole process group
  (worker, sandbox forkserver, sandbox children);
* a worker's temporary files go to its own folder of the batch's
  :class:`grader.scratch.ScratchRoot`;
* tasks may come in *groups* (a course's assignments): a worker takes tasks of
  one group only, from its start (``init`` is told the group: it loads that
  group's libraries) to the group's end, when it is stopped and a fresh worker
  starts for the next group, in the same slot (the same CPU); so a worker holds
  one group's libraries at a time, and what it grades never depends on the
  groups graded before;
* a worker that cannot start makes the batch fail with
  :class:`WorkerStartError` once the tasks already running have ended (their
  results stand; no task is charged for it, none starts after it), while a
  worker lost during a task (killed, crashed, over its time) costs that task
  one of its attempts.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import tempfile
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any

__all__ = ["WorkerStartError", "run"]

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
_MESSAGE_CHARS = 2000
_START_RETRIES = 2
LEAD = 2
"""In a run with groups, a worker whose group has this many tasks or fewer left waiting gets its successor started
beside it (the next group's worker: about 1 s of imports, forkserver and suite collection, which then waits for a
turn). Measured on 6 x 6 submissions, one worker: 11.5 s with the successor started only when it is needed, 10.2 s
with 2, 10.0 s with 4, 9.7-10.4 s for one worker kept for the whole course."""
START_SECONDS = 300.0
"""A worker not ready this long after it was started (imports, forkserver) is killed as one that could not start."""


class WorkerStartError(RuntimeError):
    """A worker could not start (or died starting): the batch cannot grade anything."""


def _serve(conn: Any, number: int, folder: str | None, init: Callable[..., None], init_args: tuple) -> None:
    """Worker main: own session, temporary folder, ``init``, then run tasks until told to stop."""
    from grader.sandbox.affinity import WORKER_ENV

    os.environ[WORKER_ENV] = str(number)  # which CPU it and its sandboxes keep to (grader.sandbox.affinity)
    os.setsid()  # the terminal's Ctrl-C reaches the parent only; the parent stops workers as whole groups
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # blocked since birth (see _start)
    from grader.sandbox.isolation import die_with_parent

    die_with_parent()
    if folder is not None:
        os.environ["TMPDIR"] = folder
        tempfile.tempdir = folder
    try:
        init(*init_args)
    except BaseException as exc:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        conn.send(("init-error", text[-_MESSAGE_CHARS:]))
        return
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        key, fn, args = message
        try:
            value = fn(*args)
        except Exception as exc:
            conn.send(("failed", key, f"{type(exc).__name__}: {exc}"[:_MESSAGE_CHARS]))
            continue
        conn.send(("done", key, value))


@dataclass
class _Worker:
    proc: Any
    conn: Any
    number: int
    group: Hashable = None
    ready: bool = False
    key: str | None = None
    since: float = field(default_factory=time.monotonic)
    lost: str = ""
    retired: bool = False
    """Stopped by the parent because its group has no task left for it (not a death: nothing is charged)."""
    parked: bool = False
    """Ready, and waiting for its turn: started early for the next group while its predecessor (the worker in its
    slot) still grades."""


def _deadline(worker: _Worker, task_seconds: float | None) -> float | None:
    """When ``worker`` is overdue: starting for :data:`START_SECONDS`, or on its task for ``task_seconds``."""
    if not worker.ready:
        return worker.since + START_SECONDS
    if worker.key is not None and task_seconds is not None:
        return worker.since + task_seconds
    return None


def _start(ctx: Any, number: int, folder: str | None, init: Callable[..., None], init_args: tuple,
           group: Hashable = None) -> _Worker:
    """Start worker ``number`` (its slot: which CPU it keeps to) for ``group``; the stop signals stay blocked until
    it is recorded (and in the worker, until set up)."""
    from grader.sandbox.parent import without_main_module

    parent_end, child_end = ctx.Pipe(duplex=True)
    proc = ctx.Process(target=_serve, args=(child_end, number, folder, init, init_args),
                       name=f"opsgrade-worker-{number}")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        with without_main_module():  # workers need nothing from the CLI's script (typer, rich)
            proc.start()
        return _Worker(proc, parent_end, number, group)
    finally:
        child_end.close()
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _kill(worker: _Worker) -> None:
    """SIGKILL the worker's process group (its forkserver and sandbox children) and the worker itself."""
    pid = worker.proc.pid
    if pid is None:
        return
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _stop_all(workers: list[_Worker]) -> None:
    """Kill every worker's group and reap it; stop signals wait until this is done."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        for worker in workers:
            _kill(worker)
        for worker in workers:
            worker.proc.join(timeout=10)
            worker.conn.close()
        workers.clear()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _Queue:
    """The tasks waiting, per group (a single group ``None`` without grouping), each group in the tasks' order."""

    def __init__(self, keys: Iterable[str], group: Callable[[str], Hashable] | None) -> None:
        self._group = group or (lambda key: None)
        self._waiting: dict[Hashable, deque[str]] = {}
        for key in keys:
            self._waiting.setdefault(self._group(key), deque()).append(key)

    def __len__(self) -> int:
        return sum(map(len, self._waiting.values()))

    def waiting(self, kind: Hashable) -> int:
        """How many tasks of group ``kind`` are waiting."""
        return len(self._waiting.get(kind, ()))

    def take(self, kind: Hashable) -> str | None:
        """The first task waiting of group ``kind``, or ``None``."""
        waiting = self._waiting.get(kind)
        return waiting.popleft() if waiting else None

    def put_back(self, key: str) -> None:
        """``key`` again, first of its group (a task that lost its worker)."""
        self._waiting.setdefault(self._group(key), deque()).appendleft(key)

    def next_group(self, served: set[Hashable], other_than: Hashable = None) -> Hashable:
        """The group a new worker should take: the first with tasks waiting and no worker in ``served``, else the
        one with the most tasks waiting (``None`` when nothing waits); never ``other_than`` (a successor's choice
        leaves out its predecessor's group, which that one finishes)."""
        waiting = {kind: len(keys) for kind, keys in self._waiting.items() if keys and kind != other_than}
        free = [kind for kind in waiting if kind not in served]
        if free:
            return free[0]
        return max(waiting, key=waiting.__getitem__) if waiting else None


def run(
    tasks: Mapping[str, tuple[Callable[..., Any], tuple]],
    workers: int,
    init: Callable[..., None],
    init_args: tuple = (),
    on_done: Callable[[str, Any], None] | None = None,
    on_lost: Callable[[str, str], None] | None = None,
    folder: Callable[[int], str] | None = None,
    task_seconds: float | None = None,
    attempts: int = 2,
    group: Callable[[str], Hashable] | None = None,
) -> None:
    """Run ``tasks`` (key → ``(function, args)``) on ``workers`` spawned worker processes.

    Parameters
    ----------
    tasks : mapping
        Module-level functions and picklable arguments, run as ``function(*args)``.
    workers : int
        Worker processes (at most one per task).
    init, init_args
        Run once in each worker before its first task; an exception there
        raises :class:`WorkerStartError` in the parent.
    on_done : callable, optional
        ``on_done(key, value)`` when a task returned ``value``.
    on_lost : callable, optional
        ``on_lost(key, reason)`` when a task lost its worker (or raised) ``attempts`` times.
    folder : callable, optional
        ``folder(number)``: the temporary folder of worker ``number`` (its ``TMPDIR``).
    task_seconds : float, optional
        Wall-clock limit of one task; a worker over it is killed (the task loses an attempt).
    group : callable, optional
        ``group(key)``: the group of a task (in a course, its assignment). A worker is started for one group, as
        ``init(*init_args, group)``, and takes that group's tasks only, in ``tasks``' order. A worker whose group
        has nothing left waiting is stopped, and a new one starts in its slot for the first group no worker is on
        (or, when every group waiting has one, for the group with the most tasks waiting): a group is started by as
        few workers as keep every slot busy. Without it, every worker runs ``init(*init_args)`` and takes any task.

    Every worker is dead when this returns or raises (``KeyboardInterrupt`` included).
    """
    ctx = mp.get_context("spawn")
    queue = _Queue(tasks, group)
    tries: Counter[str] = Counter()
    live: list[_Worker] = []
    started = start_deaths = 0
    failed = ""  # why a worker could not start: no task is given out any more, and the run raises once the rest end

    def spawn(slot: int | None = None, other_than: Hashable = None) -> None:
        """Start a worker in ``slot`` (by default the first free one: a replacement keeps the CPU of the one it
        replaces) for the group that needs one most, other than ``other_than``."""
        nonlocal started
        if slot is None:
            slot = min(free_slots())
        kind = queue.next_group({w.group for w in live}, other_than)
        args = init_args if group is None else (*init_args, kind)
        live.append(_start(ctx, slot, folder(started) if folder else None, init, args, kind))
        started += 1

    def free_slots() -> set[int]:
        return set(range(workers)) - {w.number for w in live}

    def give(worker: _Worker) -> None:
        """Send ``worker`` its next task; or nothing yet (a successor waits for its predecessor to finish), stop it
        (its group is done and others wait) or tell it to exit (nothing left)."""
        if failed:  # a worker could not start: nothing more is given out, the run stops once the tasks running end
            worker.key, worker.retired = None, True
            _kill(worker)
            return
        if any(w.key is not None for w in live if w.number == worker.number):
            worker.parked = True  # a successor runs nothing beside its predecessor: one grader per slot, per CPU
            return
        worker.parked = False
        key = queue.take(worker.group)
        if key is None and queue:  # its group is done, others wait: stopped, and a new worker started for them
            worker.key, worker.retired = None, True
            _kill(worker)
            return
        worker.key, worker.since = key, time.monotonic()
        try:
            worker.conn.send(None if key is None else (key, *tasks[key]))  # None: nothing left, the worker exits
        except OSError:  # it died after its last message: the task is not its fault
            worker.key, worker.lost = None, "the worker's pipe closed"
            if key is not None:
                queue.put_back(key)
            return
        left = queue.waiting(worker.group)
        if key is not None and group is not None and left <= LEAD and len(queue) > left \
                and sum(w.number == worker.number for w in live) == 1:
            spawn(worker.number, worker.group)  # its group nearly done: its successor starts now, beside it, and waits

    def dispatch() -> None:
        """Give a task to each successor that was waiting and whose predecessor is done."""
        for worker in list(live):
            if worker.parked:  # set only by give(), so only for a worker that is ready
                give(worker)

    def lose(key: str, reason: str) -> None:
        tries[key] += 1
        if tries[key] < attempts:
            queue.put_back(key)
        elif on_lost:
            on_lost(key, reason)

    try:
        for _ in range(min(workers, len(queue))):
            spawn()
        while live:
            deadlines = [_deadline(w, task_seconds) for w in live]
            due = [d for d in deadlines if d is not None]
            timeout = max(0.0, min(due) - time.monotonic()) + 0.1 if due else None
            ready = set(wait([w.conn for w in live] + [w.proc.sentinel for w in live], timeout))
            for worker in list(live):
                if worker.conn in ready:
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        message = None
                    if message is None:
                        worker.lost = worker.lost or "the worker's pipe closed"
                    elif message[0] == "init-error":
                        failed = failed or f"a grading worker could not start: {message[1]}"
                        worker.lost = "it could not start"
                    elif message[0] == "ready":
                        worker.ready = True
                        give(worker)
                        continue
                    else:
                        kind, key = message[0], message[1]
                        worker.key = None
                        if kind == "done":
                            if on_done:
                                on_done(key, message[2])
                        else:
                            lose(key, f"the grading worker failed: {message[2]}")
                        give(worker)
                        continue
                deadline = _deadline(worker, task_seconds)
                overdue = deadline is not None and time.monotonic() > deadline
                if overdue:
                    limit = task_seconds if worker.ready else START_SECONDS
                    worker.lost = f"the grading worker took more than {limit:g} s and was stopped"
                    _kill(worker)
                if worker.proc.sentinel in ready or overdue or worker.lost or worker.retired:
                    worker.proc.join(timeout=1)  # its exit code, when it exited on its own
                    _kill(worker)  # dead already, or its pipe is: either way nothing of it may stay
                    worker.proc.join(timeout=10)
                    worker.conn.close()
                    live.remove(worker)
                    if not worker.ready:
                        start_deaths += 1  # killed from outside while starting: tried again, a few times
                        if start_deaths > _START_RETRIES:
                            why = worker.lost if overdue else f"exit code {worker.proc.exitcode}"
                            failed = failed or f"grading workers kept dying while starting (last: {why})"
                    if worker.key is not None:
                        lose(worker.key, worker.lost if overdue else
                             f"the grading worker died (exit code {worker.proc.exitcode})")
                    if queue and free_slots() and not failed:
                        spawn()
            dispatch()
            if failed:
                for worker in live:
                    if worker.key is None and not worker.retired:  # idle, waiting for a turn, or still starting
                        worker.retired = True
                        _kill(worker)
    finally:
        _stop_all(live)
    if failed:
        raise WorkerStartError(failed)
