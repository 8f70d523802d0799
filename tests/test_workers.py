"""The batch's worker pool on its own: lost tasks, slow tasks, workers that cannot start, nothing left running."""

from __future__ import annotations

import itertools
import os
import time

import pytest
from process_watch import alive, descendants

from grader import workers
from grader.sandbox.affinity import WORKER_ENV


def square(x: int) -> int:
    return x * x


def die(x: int) -> int:
    os._exit(3)


def sleep(x: int) -> int:
    time.sleep(x)
    return x


def nothing() -> None:
    return None


def broken() -> None:
    raise ImportError("no such module: the worker's start failed")


def _run(tasks: dict, **kwargs) -> tuple[dict, dict]:
    done, lost = {}, {}
    workers.run(tasks, 2, nothing, on_done=done.__setitem__, on_lost=lost.__setitem__, **kwargs)
    return done, lost


def _own_workers_gone(before: set[int]) -> bool:
    return not {p for p in alive(descendants(os.getpid()) - before)
                if b"resource_tracker" not in open(f"/proc/{p}/cmdline", "rb").read()}


def test_a_task_that_kills_its_worker_twice_is_lost_and_the_others_are_done():
    before = descendants(os.getpid())
    done, lost = _run({f"t{k}": (square, (k,)) for k in range(5)} | {"killer": (die, (0,))})
    assert done == {f"t{k}": k * k for k in range(5)}
    assert list(lost) == ["killer"] and "exit code 3" in lost["killer"]
    assert _own_workers_gone(before)


def test_a_task_over_its_time_loses_its_worker():
    done, lost = _run({"slow": (sleep, (60,)), "quick": (square, (3,))}, task_seconds=1.0)
    assert done == {"quick": 9} and "more than 1 s" in lost["slow"]


def test_a_worker_whose_start_fails_stops_the_run_before_any_task():
    before = descendants(os.getpid())
    done: dict = {}
    with pytest.raises(workers.WorkerStartError, match="could not start: ImportError: no such module"):
        workers.run({"a": (square, (2,))}, 2, broken, on_done=done.__setitem__)
    assert done == {} and _own_workers_gone(before)


_GROUP: list = []


def remember_group(log: str, kind: str) -> None:
    _GROUP.append(kind)
    with open(log, "a") as fh:
        fh.write(f"{kind} {time.monotonic()}\n")


def where(x: int) -> tuple[int, str, str, float, float]:
    """Which worker ran a task: its pid, the group it was started for, its slot, and when it ran."""
    start = time.monotonic()
    time.sleep(0.05)
    return os.getpid(), _GROUP[-1], os.environ[WORKER_ENV], start, time.monotonic()


def test_a_worker_runs_one_group_and_a_replacement_keeps_its_slot(tmp_path):
    """A course's assignments: each worker is started for one group, runs that group's tasks only, and is replaced
    in its own slot (its CPU) when its group runs out; a group smaller than the pool does not hold a worker back."""
    before = descendants(os.getpid())
    sizes = {"a": 1, "b": 6, "c": 5, "d": 4}
    tasks = {f"{g}{k}": (where, (k,)) for g, n in sizes.items() for k in range(n)}
    done: dict = {}
    log = tmp_path / "starts"
    workers.run(tasks, 2, remember_group, (str(log),), on_done=done.__setitem__, group=lambda key: key[0])
    assert set(done) == set(tasks)
    groups_of: dict[int, set[str]] = {}
    for key, (pid, started_for, *_) in done.items():
        assert started_for == key[0], key
        groups_of.setdefault(pid, set()).add(key[0])
    assert all(len(g) == 1 for g in groups_of.values())
    assert {slot for _, _, slot, *_ in done.values()} == {"0", "1"}
    moments = sorted(moment for *_, start, end in done.values() for moment in ((start, 1), (end, -1)))
    running = [sum(step for _, step in moments[:k + 1]) for k in range(len(moments))]
    # a successor started early waits for its turn: never three tasks at once (two at once is not asserted: on a
    # loaded machine a slow second start can leave every task to run alone, and the two slots are checked above)
    assert max(running) <= 2
    starts = [line.split()[0] for line in log.read_text().splitlines()]
    assert starts.count("a") == 1  # one task: one worker; the other started for "b" at once
    assert len(starts) <= len(sizes) + 2, starts  # every group started once, and at most two joined late
    assert _own_workers_gone(before)


def test_a_task_that_loses_its_worker_goes_back_to_its_own_group(tmp_path):
    done, lost = {}, {}
    tasks = {"a-killer": (die, (0,)), **{f"b{k}": (where, (k,)) for k in range(3)}}
    workers.run(tasks, 2, remember_group, (str(tmp_path / "starts"),), on_done=done.__setitem__,
                on_lost=lost.__setitem__, group=lambda key: key[0])
    assert list(lost) == ["a-killer"] and "exit code 3" in lost["a-killer"]
    assert {key: value[1] for key, value in done.items()} == {f"b{k}": "b" for k in range(3)}


def test_the_next_group_is_the_first_without_a_worker_then_the_longest():
    queue = workers._Queue(["a1", "a2", "b1", "c1", "c2", "c3"], lambda key: key[0])
    assert queue.next_group(set()) == "a"
    assert queue.next_group({"a"}) == "b"
    assert queue.next_group({"a", "b", "c"}) == "c"  # all served: where most is waiting
    assert queue.next_group({"a", "b", "c"}, other_than="c") == "a"  # a successor never takes its predecessor's
    assert [queue.take("b"), queue.take("b")] == ["b1", None]
    queue.put_back("b1")
    assert queue.take("b") == "b1" and len(queue) == 5
    assert workers._Queue([], None).next_group(set()) is None


def nap(seconds: float) -> tuple[str, float, float]:
    start = time.monotonic()
    time.sleep(seconds)
    return os.environ[WORKER_ENV], start, time.monotonic()


def test_a_successor_waits_for_its_own_predecessor(tmp_path):
    """Both slots' successors are ready while slot 0 still grades its slow last task and slot 1 has just finished:
    slot 1's successor runs, slot 0's waits (two graders on one CPU would leave the other idle)."""
    tasks = {"a0": (nap, (2.0,)), "b0": (nap, (1.0,)), **{f"c{k}": (nap, (0.05,)) for k in range(6)}}
    done: dict = {}
    workers.run(tasks, 2, remember_group, (str(tmp_path / "starts"),), on_done=done.__setitem__,
                group=lambda key: key[0])
    assert set(done) == set(tasks)
    for slot in ("0", "1"):
        spans = sorted((start, end) for number, start, end in done.values() if number == slot)
        assert all(end <= later for (_, end), (later, _) in itertools.pairwise(spans)), (slot, spans)


def start_unless_b(log: str, kind: str) -> None:
    if kind == "b":
        raise ImportError("no such module: group b's start failed")
    remember_group(log, kind)


def test_a_worker_that_cannot_start_mid_run_stops_it_after_the_task_running(tmp_path):
    """Group b's worker starts (early) while group a's last task runs: its failure stops the run, but only once that
    task has its result; nothing of group b runs."""
    before = descendants(os.getpid())
    done: dict = {}
    tasks = {"a0": (nap, (3.0,)), **{f"b{k}": (nap, (0.0,)) for k in range(4)}}
    with pytest.raises(workers.WorkerStartError, match="could not start: ImportError: no such module: group b"):
        workers.run(tasks, 1, start_unless_b, (str(tmp_path / "starts"),), on_done=done.__setitem__,
                    group=lambda key: key[0])
    assert list(done) == ["a0"]
    assert _own_workers_gone(before)


def test_a_small_next_group_is_started_before_it_is_needed(tmp_path):
    """The next group's worker starts while the last task of the group before runs, even when the next group is
    smaller than the lead."""
    log = tmp_path / "starts"
    done: dict = {}
    workers.run({"a0": (nap, (1.5,)), "b0": (nap, (0.0,))}, 1, remember_group, (str(log),),
                on_done=done.__setitem__, group=lambda key: key[0])
    started = dict(line.split() for line in log.read_text().splitlines())
    assert float(started["b"]) < done["a0"][2]
