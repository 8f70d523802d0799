"""The hidden suites are fair: every mistake below loses points, no acceptable alternative loses any (issue 12).

Mutants are edits of the solution notebooks written from the notebooks' own
instructions, one per promise of issue 12: magics and Black-formatted
continuation lines, ties at quantile edges (``np.percentile``), an equivalent
closed form, the degenerate and far-out inputs the notebooks promise, the
types they ask for (a Python ``int``/``bool``/``tuple``; NumPy values where
allowed), and error carried forward (a mistake upstream loses only its own
question). All mutants of an assignment are graded in one batch (2 workers).

Measured on these 27 mutants with the grader before issue 12 (main at 90e7d3b):
4 of 14 mistakes lost points (the others scored full marks), 4 of 13 acceptable
alternatives were penalised (Black-formatted ``!=``/``%`` lines 3 and 7 points,
``np.percentile`` 1.5 and 1), and the two cascades cost 6 (``cost_rate``) and 11
(``manual_toil`` per pair) points. After: 14 of 14 lose points, 0 of 13 are
penalised, the cascades cost 2 and 3 (their own question only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.batch import grade_batch
from grader.examples import make_variant

BLACK_CELL = """%matplotlib inline
%load_ext autoreload
!echo "shell escapes are neutralised"
files = !ls
_parity = (7
    % 2)
_differs = (1
    != 2)
_text = "100% of %s" % "cells"
"""

# assignment -> mutant -> {"kind": "mistake" | "alternative", "replace" / "insert", "why", optional "only"}
# "only": the questions allowed to lose points (error carried forward: the rest must keep theirs)
MUTANTS: dict[str, dict[str, dict[str, Any]]] = {
    "drift_detective": {
        "percentile_edges": {
            "kind": "alternative",
            "why": "np.percentile instead of np.quantile: edges differ in the last bit, ties may change sides",
            "replace": {"def psi_from_samples(": '''def psi_from_samples(train, live, bins=10):
    train = np.asarray(train, dtype=float)
    live = np.asarray(live, dtype=float)
    edges = np.unique(np.percentile(train, np.linspace(0, 100, bins + 1)))
    inner = edges[1:-1] if len(edges) >= 3 else edges[:1]
    k = len(inner) + 1
    counts = [np.bincount(np.searchsorted(inner, x, side="right"), minlength=k) for x in (train, live)]
    return psi(*counts)
'''},
        },
        "black_formatted_status": {
            "kind": "alternative",
            "why": "Black-formatted continuation lines starting with != and %, magics at the top of the cell",
            "replace": {"def drift_status(": '''%matplotlib inline
!echo checking
def drift_status(psi_value):
    band = int(psi_value >= 0.1) + int(
        psi_value > 0.2
    )
    band = (band
        % 3)
    if (band
        != 0):
        return "investigate" if band == 1 else "significant"
    return "stable"
'''},
        },
        "numpy_float_psi": {
            "kind": "alternative",
            "why": "psi returns np.float64 (a float subclass: 'a Python float' holds)",
            "replace": {"def psi(": '''def psi(expected, actual, eps=1e-4):
    def prop(c):
        p = np.asarray(c, dtype=float)
        p = p / p.sum()
        if (p == 0).any():
            p = np.where(p == 0, eps, p)
            p = p / p.sum()
        return p
    e, a = prop(expected), prop(actual)
    return np.sum((a - e) * np.log(a / e))
'''},
        },
        "magic_cell": {"kind": "alternative", "why": "a cell of magics and operator continuation lines",
                       "insert": BLACK_CELL},
        "literal_recipe_degenerate": {
            "kind": "mistake",
            "why": "inner = edges[1:-1] always: constant training data gives one bin and PSI 0",
            "before": "not tested",
            "replace": {"def psi_from_samples(": '''def psi_from_samples(train, live, bins=10):
    train = np.asarray(train, dtype=float)
    live = np.asarray(live, dtype=float)
    edges = np.unique(np.quantile(train, np.linspace(0, 1, bins + 1)))
    inner = edges[1:-1]
    k = max(len(edges) - 1, 1)
    counts = [np.bincount(np.searchsorted(inner, x, side="right"), minlength=k) for x in (train, live)]
    return psi(*counts)
'''},
        },
        "psi_no_smoothing_ecf": {
            "kind": "mistake",
            "why": "psi without smoothing: psi loses points; psi_from_samples too, only where that psi gives NaN/inf "
                   "(never carried forward); the track answers are right given that psi",
            "only": {"psi", "psi_from_samples"},
            "replace": {"def psi(": '''def psi(expected, actual, eps=1e-4):
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e, a = e / e.sum(), a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))
'''},
        },
    },
    "retraining_roi": {
        "closed_form_exact": {
            "kind": "alternative",
            "why": "the notebook's closed form with Lambert W instead of numerical minimisation",
            "replace": {"from scipy.optimize import minimize_scalar": '''from scipy.special import lambertw


def exact_retrain_interval(C, Q, V, A0, lam):
    k = C * lam / (Q * V * A0)
    x = -1 - lambertw(-(1 - k) / np.e, -1).real
    return float(x / lam)


T_exact = exact_retrain_interval(C, Q, V, A0, lam)
'''},
        },
        "numpy_float_staleness": {
            "kind": "alternative",
            "why": "staleness_cost returns np.float64 for a number ('a float': np.float64 is one)",
            "replace": {"def staleness_cost(": '''def staleness_cost(T, Q, V, A0, lam):
    days = np.asarray(T, dtype=float)
    x = lam * days
    series = 0.5 * lam * days**2 * (1 - x / 3 + x**2 / 12)
    with np.errstate(divide="ignore", invalid="ignore"):
        formula = days - (1 - np.exp(-x)) / lam
    loss = Q * V * A0 * np.where(x < 1e-3, series, formula)
    return np.float64(loss) if loss.ndim == 0 else loss
'''},
        },
        "magic_cell": {"kind": "alternative", "why": "a cell of magics and operator continuation lines",
                       "insert": BLACK_CELL},
        "optimum_capped_at_200_days": {
            "kind": "mistake",
            "why": "minimises over (1e-3, 200) days: wrong for the optima up to 1,000 days the notebook promises",
            "before": "caught by nothing (strategies reached about 170 days)",
            "replace": {"from scipy.optimize import minimize_scalar": '''from scipy.optimize import minimize_scalar


def exact_retrain_interval(C, Q, V, A0, lam):
    result = minimize_scalar(lambda T: cost_rate(T, C, Q, V, A0, lam), bounds=(1e-3, 200), method="bounded",
                             options={"xatol": 1e-9})
    return float(result.x)


T_exact = exact_retrain_interval(C, Q, V, A0, lam)
'''},
        },
        "cost_rate_wrong_ecf": {
            "kind": "mistake",
            "why": "cost_rate forgets to divide C by T: only cost_rate loses points (error carried forward)",
            "before": "12/18: exact_optimum, current_cost_ratio and cheaper_policy lost too",
            "only": {"cost_rate"},
            "carried": True,
            "replace": {"def cost_rate(": '''def cost_rate(T, C, Q, V, A0, lam):
    days = np.asarray(T, dtype=float)
    rate = staleness_cost(days, Q, V, A0, lam) / days + C
    return float(rate) if np.ndim(rate) == 0 else rate
'''},
        },
    },
    "platform_roi": {
        "black_formatted_break_even": {
            "kind": "alternative",
            "why": "Black-formatted continuation lines starting with != and %",
            "replace": {"def break_even_models(": '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    n = np.arange(1, 1_000_001)
    manual = hourly_cost * manual_toil(n, heterogeneity=heterogeneity)
    platform = capex + hourly_cost * platform_toil(n)
    hits = np.flatnonzero(manual >= platform)
    chunk = (hits.size
        % 1_000_003)
    if (chunk
        != 0):
        return int(n[hits[0]])
    return None
'''},
        },
        "magic_cell": {"kind": "alternative", "why": "a cell of magics and operator continuation lines",
                       "insert": BLACK_CELL},
        "strict_inequality": {
            "kind": "mistake",
            "why": "manual > platform: a tie, which the notebook says counts, is missed",
            "before": "caught by nothing (no tested decision had a tie)",
            "replace": {"def break_even_models(": '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    n = np.arange(1, 1_000_001)
    hits = np.flatnonzero(hourly_cost * manual_toil(n, heterogeneity=heterogeneity)
                          > capex + hourly_cost * platform_toil(n))
    return int(n[hits[0]]) if hits.size else None
'''},
        },
        "search_stops_at_100k": {
            "kind": "mistake",
            "why": "searches N up to 100,000 instead of 1,000,000",
            "before": "caught by nothing (every tested N* was below 1,000)",
            "replace": {"def break_even_models(": '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    n = np.arange(1, 100_001)
    hits = np.flatnonzero(hourly_cost * manual_toil(n, heterogeneity=heterogeneity)
                          >= capex + hourly_cost * platform_toil(n))
    return int(n[hits[0]]) if hits.size else None
'''},
        },
        "float_n_star": {
            "kind": "mistake",
            "why": "returns N* as a float (80.0) where the notebook asks for a Python int",
            "before": "passed: check_equal accepted 80.0 for 80",
            "replace": {"def break_even_models(": '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    n = np.arange(1, 1_000_001)
    hits = np.flatnonzero(hourly_cost * manual_toil(n, heterogeneity=heterogeneity)
                          >= capex + hourly_cost * platform_toil(n))
    return float(n[hits[0]]) if hits.size else None
'''},
        },
        "numpy_int_n_star": {
            "kind": "mistake",
            "why": "returns np.int64 where the notebook asks for a Python int",
            "before": "passed: the codec turned np.int64 into int",
            "replace": {"def break_even_models(": '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    n = np.arange(1, 1_000_001)
    hits = np.flatnonzero(hourly_cost * manual_toil(n, heterogeneity=heterogeneity)
                          >= capex + hourly_cost * platform_toil(n))
    return n[hits[0]] if hits.size else None
'''},
        },
        "per_pair_ecf": {
            "kind": "mistake",
            "why": "dependency term c N(N-1)/2: only manual_toil loses points (error carried forward)",
            "before": "4/15",
            "only": {"manual_toil"},
            "carried": True,
            "replace": {"def manual_toil(": '''def manual_toil(n, alert_hours=20, deploy_hours=1, dependency_hours=0.5,
                heterogeneity=1.0):
    n = np.asarray(n, dtype=float)
    n_log_n = np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)
    return alert_hours * n + deploy_hours * n_log_n + heterogeneity * dependency_hours * n * (n - 1) / 2
'''},
        },
    },
    "slice_deployment": {
        "magic_cell": {"kind": "alternative", "why": "a cell of magics and operator continuation lines",
                       "insert": BLACK_CELL},
        "worst_as_list": {
            "kind": "mistake",
            "why": "worst_slice returns a list where the notebook asks for the tuple (name, accuracy)",
            "before": "passed: the codec turned tuples into lists",
            "replace": {"def worst_slice(": '''def worst_slice(metrics):
    name = metrics["accuracy"].idxmin()
    return [str(name), float(metrics.loc[name, "accuracy"])]
'''},
        },
        "gate_numpy_bool": {
            "kind": "mistake",
            "why": "rollout_gate returns np.bool_ where the notebook asks for a Python bool",
            "before": "passed: the codec turned np.bool_ into bool",
            "replace": {"def rollout_gate(": '''def rollout_gate(old, new, target_slice, tolerance=0.01,
                 min_samples=100):
    enough = (old["n"] >= min_samples).all() & (new["n"] >= min_samples).all()
    fixed = new.loc[target_slice, "accuracy"] - old.loc[target_slice, "accuracy"] > 0
    others = [s for s in old.index if s != target_slice]
    drops = old.loc[others, "accuracy"] - new.loc[others, "accuracy"]
    return enough & fixed & (drops <= tolerance + 1e-12).all()
'''},
        },
        "shortfall_new_table_only": {
            "kind": "mistake",
            "why": "checks the sample floor in the new table only",
            "before": "caught by only one random case at most",
            "replace": {"def rollout_gate(": '''def rollout_gate(old, new, target_slice, tolerance=0.01,
                 min_samples=100):
    enough = bool((new["n"] >= min_samples).all())
    fixed = bool(new.loc[target_slice, "accuracy"] - old.loc[target_slice, "accuracy"] > 0)
    others = [s for s in old.index if s != target_slice]
    drops = old.loc[others, "accuracy"] - new.loc[others, "accuracy"]
    return enough and fixed and bool((drops <= tolerance + 1e-12).all())
'''},
        },
    },
    "canary_duration": {
        "magic_cell": {"kind": "alternative", "why": "a cell of magics and operator continuation lines",
                       "insert": BLACK_CELL},
        "float_sample_size": {
            "kind": "mistake",
            "why": "canary_sample_size returns a float where the notebook asks for a Python int",
            "before": "passed: check_equal accepted 459.0 for 459",
            "replace": {"def canary_sample_size(": '''def canary_sample_size(confidence, failure_rate):
    log_miss = math.log1p(-confidence)
    log_clean = math.log1p(-failure_rate)
    n = max(1, math.ceil(log_miss / log_clean))
    while n > 1 and log_clean * (n - 1) <= log_miss:
        n = n - 1
    while log_clean * n > log_miss:
        n = n + 1
    return float(n)
'''},
        },
    },
    "ensemble_lockdown": {
        "magic_cell": {"kind": "alternative", "why": "a cell of magics and operator continuation lines",
                       "insert": BLACK_CELL},
        "missing_is_not_empty": {
            "kind": "mistake",
            "why": "version_changed compares the raw fields: a missing version differs from \"\"",
            "before": "caught only when a random pair happened to have it",
            "replace": {"def contract_diff(": '''def contract_diff(trained_on, serving):
    old = {str(item[0]): str(item[1]) for item in trained_on["features"]}
    new = {str(item[0]): str(item[1]) for item in serving["features"]}
    shared_old = [name for name in old if name in new]
    shared_new = [name for name in new if name in old]
    return {
        "missing": [name for name in old if name not in new],
        "extra": [name for name in new if name not in old],
        "dtype_changed": [name for name in shared_old if old[name] != new[name]],
        "reordered": shared_old != shared_new,
        "version_changed": (trained_on.get("extractor"), trained_on.get("version"))
                           != (serving.get("extractor"), serving.get("version")),
    }
'''},
        },
        "percentile_edges": {
            "kind": "alternative",
            "why": "np.percentile instead of np.quantile (heavy ties in the generated samples)",
            "replace": {"def psi_from_samples(": '''def psi_from_samples(train, live, bins=10):
    def proportions(counts, eps=1e-4):
        p = counts / counts.sum()
        if (p == 0).any():
            p = np.where(p == 0, eps, p)
            p = p / p.sum()
        return p

    train = np.asarray(train, dtype=float)
    live = np.asarray(live, dtype=float)
    edges = np.unique(np.percentile(train, np.linspace(0, 100, bins + 1)))
    inner = edges[1:-1] if len(edges) >= 3 else edges[:1]
    k = len(inner) + 1
    e = proportions(np.bincount(np.searchsorted(inner, train, side="right"), minlength=k).astype(float))
    a = proportions(np.bincount(np.searchsorted(inner, live, side="right"), minlength=k).astype(float))
    return float(np.sum((a - e) * np.log(a / e)))
'''},
        },
    },
}


def write_mutants(name: str, solution: dict[str, Any], folder: Path) -> None:
    """Write every mutant of ``name`` (and the solution) as notebooks in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "solution.ipynb").write_text(json.dumps(solution))
    for mutant, spec in MUTANTS[name].items():
        nb = make_variant(solution, {"replace": spec.get("replace", {})})
        if "insert" in spec:
            first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
            nb["cells"].insert(first + 1, {"cell_type": "code", "execution_count": None, "id": "fairness-insert",
                                           "metadata": {}, "outputs": [], "source": spec["insert"]})
        (folder / f"{mutant}.ipynb").write_text(json.dumps(nb))


def grade_mutants(name: str, solutions: Path, dest: Path) -> dict[str, dict[str, Any]]:
    """Grade the solution and every mutant of ``name`` in one batch; mutant → results.json."""
    solution = json.loads((solutions / f"{name}.ipynb").read_text(encoding="utf-8"))
    write_mutants(name, solution, dest / "in")
    grade_batch(name, [dest / "in"], dest / "out", workers=2)
    return {p.parent.name: json.loads(p.read_text()) for p in (dest / "out").glob("*/results.json")}


def _lost(results: dict[str, Any]) -> dict[str, float]:
    lost: dict[str, float] = {}
    for t in results["tests"]:
        if t["score"] < t["max_score"]:
            lost[t["question"]] = lost.get(t["question"], 0.0) + t["max_score"] - t["score"]
    return lost


def _problems(name: str, mutant: str, results: dict[str, Any]) -> list[str]:
    """What is unfair about the grading of one mutant (empty when fair)."""
    spec = MUTANTS[name].get(mutant, {"kind": "alternative", "why": "the solution"})
    if results["extra_data"]["status"] == "ungradable":
        return [f"{name}/{mutant}: ungradable: {results['output']}"]
    lost = _lost(results)
    errors = [t["name"] for t in results["tests"] if t["status"] == "grader-error"]
    if errors:
        return [f"{name}/{mutant}: grader errors {errors}"]
    if spec["kind"] == "alternative":
        if lost:
            return [f"{name}/{mutant} ({spec['why']}) is acceptable but lost {lost}: " + "; ".join(
                t["output"][:300] for t in results["tests"] if t["score"] < t["max_score"])]
        return []
    if not lost:
        return [f"{name}/{mutant} ({spec['why']}) lost no points"]
    if "only" in spec and not set(lost) <= spec["only"]:
        return [f"{name}/{mutant} cascades beyond {spec['only']}: {lost}"]
    notes = [t["output"] for t in results["tests"] if t["score"] == t["max_score"] and t["output"]]
    if spec.get("carried") and not any("error carried forward" in n for n in notes):
        return [f"{name}/{mutant}: no test says it carried error forward"]
    return []


def test_every_mistake_loses_points_and_no_alternative_does(built, tmp_path):
    """One test, so that a single xdist worker grades the mutants (one batch of 2 workers per assignment)."""
    problems = []
    for name in MUTANTS:
        if name not in built.names:
            continue
        graded = grade_mutants(name, built.solutions, tmp_path / name)
        assert set(graded) == {"solution", *MUTANTS[name]}, sorted(graded)
        for mutant, results in graded.items():
            problems += _problems(name, mutant, results)
    assert not problems, "\n".join(problems)


# -- types, hints and blame, without grading a notebook ------------------------------------------------------
def test_an_int_answer_must_be_a_python_int_and_the_hint_says_why():
    from grader.checks import GradingFailure, check_equal

    with pytest.raises(GradingFailure, match=r"returned 2995\.0 \(float\); the notebook asks for a Python int"):
        check_equal(2995.0, 2995, call="n_star")
    with pytest.raises(GradingFailure, match=r"np\.int64\(2995\) \(numpy\.int64\).*Python int"):
        check_equal(np.int64(2995), 2995, call="n_star")
    with pytest.raises(GradingFailure, match=r"Python bool"):
        check_equal(np.bool_(True), True, call="gate")
    with pytest.raises(GradingFailure, match=r"returned 2996; expected 2995$"):
        check_equal(2996, 2995, call="n_star")
    with pytest.raises(GradingFailure):
        check_equal(True, 1, call="n")  # a bool is not an int answer
    check_equal(2995, 2995, call="n_star")
    check_equal(np.int64(3), 3, call="table column n", numpy_ok=True)  # where the notebook allows NumPy values
    check_equal(np.bool_(False), False, call="x", numpy_ok=True)
    check_equal(("a", 1), ("a", 1), call="pair")
    with pytest.raises(GradingFailure):
        check_equal(["a", 1], ("a", 1), call="pair")


def test_hints_print_inputs_at_full_precision():
    from grader.checks import check_close, describe_call

    text = describe_call("f", (0.1 + 0.2, np.array([1, 2]), [1e-300, float("inf")], np.float32(0.5), (1,)),
                         {"bins": 3})
    assert text == ("f(0.30000000000000004, np.array([1, 2], dtype=np.int64), [1e-300, inf], np.float32(0.5), (1,), "
                    "bins=3)")
    long = np.random.default_rng(0).normal(size=100).tolist()
    assert describe_call("g", (long,)) == "g([" + ", ".join(repr(float(v)) for v in long) + "])"
    from grader.checks import GradingFailure

    with pytest.raises(GradingFailure, match=r"returned 1\.0000000001; expected 1\.0 "):
        check_close(1.0000000001, 1.0, call="h()", rel=1e-12)


def test_a_fault_in_the_reference_is_a_grader_error_not_a_wrong_answer(built, monkeypatch):
    import opsmath
    from grader.runner import grade_notebook

    real = opsmath.break_even_models

    def broken(*args, **kwargs):
        n = real(*args, **kwargs)
        return None if n is None else n + 1

    monkeypatch.setattr(opsmath, "break_even_models", broken)
    results = grade_notebook("platform_roi", built.solutions / "platform_roi.ipynb")
    lab = next(t for t in results["tests"] if "N* = 80" in t["name"])
    assert lab["status"] == "grader-error" and lab["output"].startswith("internal grading error, not your answer")
    # every other test that used the broken function: a grader error too (error carried forward recomputes N*
    # through the reference's own toils, which disagrees with the broken N*), never a wrong answer
    lost = [t for t in results["tests"] if t["score"] < t["max_score"]]
    assert len(lost) >= 4 and all(t["status"] == "grader-error" for t in lost), [(t["name"], t["status"]) for t in lost]
    assert f"Internal grading error in {len(lost)} test(s)" in results["output"]
