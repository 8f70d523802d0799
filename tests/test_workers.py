"""The batch's worker pool on its own: lost tasks, slow tasks, workers that cannot start, nothing left running."""

from __future__ import annotations

import os
import time

import pytest
from process_watch import alive, descendants

from grader import workers


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
