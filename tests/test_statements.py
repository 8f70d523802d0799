"""Cells run statement by statement: a failing line costs only what depends on it."""

from __future__ import annotations

import pytest

from grader.plugin import protected_paths
from grader.sandbox.parent import Limits, Sandbox, StudentCrash, StudentMissing

CELLS = [
    "import os\nbase = 2\n",
    "ok_before = base + 1\nbroken = 1 / 0\nfrom_broken = broken + 1\nok_after = base * 10\n",
    "base = 3\nbase = undefined_name\nafter_unbind = 5\n",
    "def stays():\n    return 'defined'\n\nos._exit(3)\nafter_crash = 7\n",
    "last = ok_after + after_crash\n",
]


@pytest.fixture(scope="module")
def box():
    with Sandbox(CELLS, protected=protected_paths(), limits=Limits(cell_seconds=10, call_seconds=5)) as sandbox:
        yield sandbox


def test_a_raising_statement_costs_only_its_own_targets_and_what_follows_from_them(box):
    assert box.get("ok_before") == 3
    assert box.get("ok_after") == 20
    for name in ("broken", "from_broken"):
        with pytest.raises(StudentMissing):
            box.get(name)
    failures = box.cell_results[1].failures
    assert [(f.line, f.error.split(":")[0]) for f in failures] == [(2, "ZeroDivisionError"), (3, "NameError")]


def test_a_statement_that_raises_unbinds_the_names_it_assigns(box):
    with pytest.raises(StudentMissing):
        box.get("base")  # its earlier value is gone, as if the failing line had deleted it
    assert box.get("after_unbind") == 5


def test_a_crashing_statement_is_left_out_and_the_cell_goes_on(box):
    result = box.cell_results[3]
    assert not result.ok and result.line == 4 and "StudentCrash" in result.error
    assert box.call("stays") == "defined"
    assert box.get("after_crash") == 7
    assert box.get("last") == 27  # computed in the replacement child from replayed statements
    assert box.restarts == 1


def test_replay_after_a_crash_in_a_call_keeps_statement_level_state():
    cells = ["x = 1\ny = 1 / 0\nz = 3\n", "def die():\n    import os\n    os._exit(1)\n"]
    with Sandbox(cells, protected=protected_paths(), limits=Limits(cell_seconds=10, call_seconds=5)) as sandbox:
        with pytest.raises(StudentCrash):
            sandbox.call("die")
        assert sandbox.restarts == 1
        assert (sandbox.get("x"), sandbox.get("z")) == (1, 3)
        with pytest.raises(StudentMissing):
            sandbox.get("y")


def test_a_raising_line_in_a_track_cell_costs_only_the_answers_computed_from_it(built, tmp_path):
    import json

    from grader.examples import make_variant
    from grader.runner import grade_notebook

    name = "ensemble_lockdown"
    solution = json.loads((built.solutions / f"{name}.ipynb").read_text())
    raising = ("def feature_skew(train, serving, bins=10):\n"
               "    raise ValueError('columns differ')\n")
    path = tmp_path / f"{name}.ipynb"
    path.write_text(json.dumps(make_variant(solution, {"replace": {"def feature_skew(": raising}})))
    results = grade_notebook(name, path)
    lost = [t["name"] for t in results["tests"] if t["score"] < t["max_score"]]
    by_name = {t["name"]: t for t in results["tests"]}
    assert any("skewed for your track" in n for n in lost)
    for answer in ("accuracy_drop for your track", "fingerprint_v1 for your track",
                   "compatible_after_upgrade"):
        test = next(t for n, t in by_name.items() if answer in n)
        assert test["score"] == test["max_score"], test
    failure = next(line for line in results["output"].splitlines() if "ValueError" in line)
    assert 'line 11 "skew_v2 = feature_skew(snapshot_v1, serving_v2)' in failure and "columns differ" in failure
