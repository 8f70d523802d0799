"""A grader and its sandbox child keep to one CPU (grader.sandbox.affinity): they take turns, never run together."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

TWO_CPUS = len(os.sched_getaffinity(0)) >= 2

SCRIPT = textwrap.dedent("""
    import json, os, sys
    from grader.plugin import protected_paths
    from grader.sandbox.parent import Limits, Sandbox
    cells = ["import os\\nmine = sorted(os.sched_getaffinity(0))\\n"]
    with Sandbox(cells, protected=protected_paths(), limits=Limits(cell_seconds=20, call_seconds=10)) as box:
        child = box.get("mine")
    print(json.dumps({"grader": sorted(os.sched_getaffinity(0)), "child": child}))
""")


def _affinities(**env: str) -> dict[str, list[int]]:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                         env={**os.environ, **env}, check=True)
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not TWO_CPUS, reason="needs two CPUs to choose from")
def test_a_lone_grader_and_its_child_share_one_cpu():
    seen = _affinities()
    assert len(seen["grader"]) == 1 and seen["child"] == seen["grader"]


@pytest.mark.skipif(not TWO_CPUS, reason="needs two CPUs to choose from")
def test_workers_take_different_cpus_in_turn():
    allowed = sorted(os.sched_getaffinity(0))
    for number in (0, 1, len(allowed) + 1):
        seen = _affinities(OPSGRADE_WORKER_NUMBER=str(number))
        assert seen["grader"] == seen["child"] == [allowed[number % len(allowed)]]


def test_switched_off_or_a_single_cpu_leaves_affinity_alone():
    allowed = sorted(os.sched_getaffinity(0))
    seen = _affinities(OPSGRADE_PIN_CPU="0")
    assert seen["grader"] == allowed and seen["child"] == allowed
    one = allowed[-1:]
    script = f"import os; os.sched_setaffinity(0, {set(one)!r}); exec(compile({SCRIPT!r}, 'script', 'exec'))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert f'"grader": {one}' in out.stdout and f'"child": {one}' in out.stdout


def test_a_cpu_outside_the_allowed_set_is_refused_quietly():
    from grader.sandbox.affinity import pin

    before = os.sched_getaffinity(0)
    assert pin(None) is False
    assert pin(10_000) is False  # no such CPU: nothing changes, no error
    assert os.sched_getaffinity(0) == before
