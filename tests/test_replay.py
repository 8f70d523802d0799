"""Properties replayed on their recorded examples grade exactly as Hypothesis's own runs (:mod:`grader.replay`).

The oracle throughout is Hypothesis itself: the same property run by Hypothesis (``OPSGRADE_REPLAY=0``, or a plain
call of the ``@given`` function) and replayed must call its body on the same examples in the same order, end at the
same example, and raise the same exception.
"""

from __future__ import annotations

import json
import pickle
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure

import opsmath
from grader import replay
from grader.batch import grade_batch
from grader.checks import GraderError
from grader.examples import materialise_examples, set_track

GRADING = settings(derandomize=True, database=None, deadline=None, max_examples=25, report_multiple_bugs=False,
                   suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.reuse, Phase.generate))


class Boom(AssertionError):
    """A failing check."""


def _property(fail_when=lambda seen, value: False, *, explicit=(), profile=GRADING):
    """A fresh ``@given`` property logging each call's (fixture, drawn values) and failing when ``fail_when``."""
    seen: list[bytes] = []

    def test_values(student, values, ratio):
        seen.append(pickle.dumps((student, values, ratio, random.random(), float(np.random.random()))))
        if fail_when(seen, (values, ratio)):
            raise Boom(f"wrong for {values!r}, {ratio!r}")

    test = given(st.lists(st.integers(-1000, 1000), max_size=6), st.floats(0, 1))(test_values)
    for case in reversed(explicit):
        test = example(*case)(test)
    return profile(test), seen


def _live(test, seen):
    """Hypothesis's own run: the calls it made and what it raised."""
    seen.clear()
    try:
        test(student="fixture")
    except BaseException as exc:
        return list(seen), exc
    return list(seen), None


def _replayed(test, seen):
    """The replay's calls and what it raised; the global generators are left as they were found, as Hypothesis
    leaves them (the replay seeds them once for all examples and only reseeds between two)."""
    seen.clear()
    record = replay.recording(test, ["student"])
    assert record is not None
    random.seed(1234)
    np.random.seed(4321)
    before = random.getstate(), np.random.get_state()
    try:
        replay.replay(test, record, {"student": "fixture"})
    except BaseException as exc:
        return list(seen), exc
    finally:
        assert random.getstate() == before[0]
        after = np.random.get_state()
        assert after[0] == before[1][0] and (after[1] == before[1][1]).all() and after[2:] == before[1][2:]
    return list(seen), None


def _same(live, replayed):
    (live_calls, live_exc), (calls, exc) = live, replayed
    assert calls == live_calls
    assert type(exc) is type(live_exc)
    if isinstance(live_exc, FlakyFailure):
        assert [str(e) for e in exc.exceptions] == [str(e) for e in live_exc.exceptions]
    else:
        assert str(exc) == str(live_exc)


def test_a_passing_property_replays_the_examples_hypothesis_draws_in_its_order():
    test, seen = _property()
    live = _live(test, seen)
    assert live[1] is None and len(live[0]) >= 20
    _same(live, _replayed(test, seen))
    assert len(replay.recording(test, ["student"]).examples) == len(live[0])


def test_a_failing_example_ends_the_run_where_hypothesis_ends_it_and_is_run_once_more():
    # fails from the 7th example on: Hypothesis runs 7, then the 7th again, and raises that second run's exception
    test, seen = _property(lambda seen, value: len(seen) >= 7)
    live = _live(test, seen)
    assert isinstance(live[1], Boom) and len(live[0]) == 8 and live[0][-1] == live[0][-2]
    _same(live, _replayed(test, seen))


def test_an_example_failing_only_once_is_flaky_as_in_hypothesis():
    test, seen = _property(lambda seen, value: len(seen) == 5)
    live = _live(test, seen)
    assert isinstance(live[1], FlakyFailure)
    _same(live, _replayed(test, seen))


def test_an_explicit_example_fails_at_once_without_a_second_run():
    test, seen = _property(lambda seen, value: value[0] == [13], explicit=(([1, 2], 0.5), ([13], 0.25), ([7], 0.0)))
    live = _live(test, seen)
    assert isinstance(live[1], Boom) and len(live[0]) == 2
    _same(live, _replayed(test, seen))


def test_the_examples_are_fresh_copies_for_every_notebook():
    def mutate(seen, value):
        value[0].append(99)  # a test that changes its inputs must not change the next notebook's
        return False

    test, seen = _property(mutate)
    first = _replayed(test, seen)
    assert first == _replayed(test, seen)


def test_what_cannot_be_replayed_is_left_to_hypothesis(monkeypatch):
    @GRADING
    @given(st.data())
    def draws_inside(student, data):
        data.draw(st.integers())

    assert replay.enabled(draws_inside) and replay.recording(draws_inside, ["student"]) is None

    shrinking = settings(GRADING, phases=tuple(Phase))
    assert not replay.enabled(_property(profile=shrinking)[0])
    assert not replay.enabled(_property(profile=settings(GRADING, derandomize=False))[0])
    assert not replay.enabled(_property(profile=settings(GRADING, report_multiple_bugs=True))[0])
    assert not replay.enabled(lambda student: None)
    monkeypatch.setenv("OPSGRADE_REPLAY", "0")
    assert not replay.enabled(_property()[0])


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_assume_in_a_replayed_body_is_a_grader_error_not_a_silent_difference():
    @GRADING
    @given(st.integers(0, 10))
    def assumes(student, n):
        assume(n > 100)  # never true: Hypothesis would draw other examples instead

    record = replay.Recording(explicit=0, examples=(pickle.dumps({"n": 3}),))
    with pytest.raises(GraderError, match="assume"):
        replay.replay(assumes, record, {"student": None})


def test_the_examples_do_not_depend_on_what_the_process_imported_before(tmp_path, monkeypatch):
    """Hypothesis mixes literals of the "local" modules loaded so far into its draws; grading turns that off, so a
    module with many literals in the drawn range, imported between two draws of the same property, changes nothing."""
    import importlib
    import sys

    import grader.plugin  # noqa: F401 - the grading profile, as every hidden suite loads it

    before = replay.recording(_property()[0], ["student"])
    (tmp_path / "literals_for_replay.py").write_text(
        "VALUES = [" + ", ".join(str(n) for n in range(-999, 1000, 7)) + "]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("literals_for_replay")
    try:
        after = replay.recording(_property()[0], ["student"])
    finally:
        sys.modules.pop("literals_for_replay", None)
    assert after == before


def _graded(name: str, folder, out, monkeypatch, flag: str) -> dict[str, dict]:
    monkeypatch.setenv("OPSGRADE_REPLAY", flag)
    grade_batch(name, [folder], out, workers=2)
    results = {}
    for path in out.glob("*/results.json"):
        result = json.loads(path.read_text())
        result.pop("execution_time")
        result["extra_data"].pop("timing")
        results[path.parent.name] = result
    return results


def test_every_bundled_notebook_grades_the_same_replayed_or_run_by_hypothesis(built, tmp_path, monkeypatch):
    """Solutions on four tracks, blanks and every known-wrong variant of the six assignments: the same scores,
    hints and carried-forward notes with the properties replayed as with Hypothesis drawing their examples."""
    for name in built.names:
        folder = tmp_path / name
        materialise_examples(name, folder, solutions=built.solutions, dist=built.dist)
        solution = json.loads((built.solutions / f"{name}.ipynb").read_text())
        for track in sorted(opsmath.TRACKS):
            (folder / f"solution_{track}.ipynb").write_text(json.dumps(set_track(solution, track)))
        live = _graded(name, folder, tmp_path / f"{name}-live", monkeypatch, "0")
        replayed = _graded(name, folder, tmp_path / f"{name}-replayed", monkeypatch, "1")
        assert len(live) >= 8 and live.keys() == replayed.keys()
        for key in live:
            assert replayed[key] == live[key], f"{name}/{key}"


PROPERTY = '''
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

@settings(derandomize=True, database=None, deadline=None, max_examples=20, report_multiple_bugs=False,
          suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(st.lists({strategy}, max_size=5))
def test_kept(student, values):
    assert {check}
'''


def _load_suite(folder, name: str, check: str, strategy: str = "st.integers(0, 100)"):
    import importlib.util
    import sys

    path = folder / f"{name}.py"
    path.write_text(PROPERTY.replace("{check}", check).replace("{strategy}", strategy))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.test_kept


def test_a_new_process_reads_the_kept_examples_and_draws_again_when_the_test_changed(tmp_path, monkeypatch):
    monkeypatch.setattr(replay, "KEPT_UNDER", tmp_path)
    drawn = replay.recording(_load_suite(tmp_path, "test_kept_suite", "len(values) >= 0"), ["student"])
    assert (tmp_path / "test_kept_suite.examples.pickle").exists() and len(drawn.examples) >= 15

    draws = []
    record = replay._record

    def counted(function, fixtures):
        draws.append(function)
        return record(function, fixtures)

    monkeypatch.setattr(replay, "_STORED", {})  # as a new process
    monkeypatch.setattr(replay, "_record", counted)
    assert replay.recording(_load_suite(tmp_path, "test_kept_suite", "len(values) >= 0"), ["student"]) == drawn
    assert draws == []

    # the test's body changed: its digest (Hypothesis's seed) changed, so the kept examples are not its examples
    monkeypatch.setattr(replay, "_STORED", {})
    changed = replay.recording(_load_suite(tmp_path, "test_kept_suite", "len(values) <= 5"), ["student"])
    assert len(draws) == 1 and changed is not None and changed != drawn

    # the same body drawing from another strategy (Hypothesis's digest leaves decorators out; the key does not)
    monkeypatch.setattr(replay, "_STORED", {})
    other = replay.recording(_load_suite(tmp_path, "test_kept_suite", "len(values) <= 5", "st.integers(0, 50)"),
                             ["student"])
    assert len(draws) == 2 and other != changed


def test_every_autograder_zip_ships_the_examples_its_suite_will_look_for(built):
    """The keys the build wrote are the keys a run computes (same source, settings, fixtures, Hypothesis)."""
    import zipfile

    from grader.runner import suite_items

    for name in built.names:
        with zipfile.ZipFile(built.dist / name / "autograder" / f"{name}-autograder.zip") as zf:
            shipped = pickle.loads(zf.read(f"grader/suites/test_{name}.examples.pickle"))
        properties = {item.obj.__qualname__: item for item in suite_items(name) if replay.enabled(item.obj)}
        assert properties and shipped.keys() == properties.keys(), name
        for qualname, item in properties.items():
            key, record = shipped[qualname]
            assert key == replay._key(item.obj, list(item._fixtureinfo.argnames)), (name, qualname)
            assert record is not None and record.examples, (name, qualname)
