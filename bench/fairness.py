"""Fairness corpus table: how the hidden suites grade realistic mistakes and acceptable alternatives.

Grades every mutant of ``tests/fairness/<assignment>.py`` (one batch per assignment, 2 workers) and prints, per
assignment: mistakes killed (lost at least one point), alternatives penalised (lost any point), cascades
(mistakes that lost points outside the questions they declare), and error-carried-forward credits (tests that
passed with an "error carried forward" note). Targets: >= 99 % killed, 0 penalised, 0 cascades.

    .venv/bin/python bench/fairness.py [--only drift_detective,...] [--corpus all|project|heldout] [--solutions DIR]
                                       [--verbose] [--lenient]

``--lenient`` skips (and names) mutants whose edit does not apply, to measure an older version of the project with
today's corpus (e.g. a checkout of main before issue 18: ``PYTHONPATH=that/checkout``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fairness import ASSIGNMENTS, CORPORA, grade_corpus, load_mutants, verdicts  # noqa: E402


def _solutions(given: Path | None, scratch: Path) -> Path:
    if given is not None:
        return given
    from grader.build import build_assignment

    for name in ASSIGNMENTS:
        build_assignment(name, dist=scratch / "dist", solutions=scratch / "solutions", execute=True)
    return scratch / "solutions"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated assignments (default: all six)")
    parser.add_argument("--solutions", type=Path, help="folder of executed solution notebooks (default: build them)")
    parser.add_argument("--corpus", default="all", choices=("all", *CORPORA),
                        help="project: tests/fairness/<name>.py; heldout: tests/fairness/heldout/<name>.py")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--verbose", action="store_true", help="print every problem, not only the table")
    parser.add_argument("--lenient", action="store_true",
                        help="skip mutants whose edit does not apply (measuring an older version of the notebooks)")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(ASSIGNMENTS)
    rows, problems, known, survivors = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="opsgrade-fairness-") as tmp:
        scratch = Path(tmp)
        solutions = _solutions(args.solutions, scratch)
        for name in names:
            mutants = load_mutants(name, args.corpus)
            graded = grade_corpus(name, solutions, scratch / name, mutants, workers=args.workers,
                                  strict=not args.lenient)
            skipped = sorted(set(mutants) - set(graded))
            if skipped:
                problems.append(f"{name}: {len(skipped)} mutant(s) do not apply to these notebooks: {skipped}")
            vs = verdicts(name, graded, mutants)
            mistakes = [v for v in vs if v.kind == "mistake"]
            alternatives = [v for v in vs if v.kind == "alternative"]
            known += [f"{name}/{v.name}: {mutants[v.name]['known_cascade']}" for v in mistakes
                      if v.cascade and mutants[v.name].get("known_cascade")]
            survivors += [f"{name}/{v.name}: {mutants[v.name]['known_survivor']}" for v in mistakes
                          if not v.killed and mutants[v.name].get("known_survivor")]
            rows.append((name, len(mistakes), sum(v.killed for v in mistakes), len(alternatives),
                         sum(v.penalised for v in alternatives), sum(bool(v.cascade) for v in mistakes),
                         sum(v.carried for v in vs)))
            problems += [p for v in vs for p in v.problems]
    header = ("assignment", "mistakes", "killed", "killed %", "alternatives", "penalised", "cascades", "ECF credits")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    totals = [0] * 6
    for name, m, k, a, p, c, e in rows:
        totals = [t + x for t, x in zip(totals, (m, k, a, p, c, e), strict=True)]
        print(f"{name} | {m} | {k} | {100 * k / max(m, 1):.1f} | {a} | {p} | {c} | {e}")
    m, k, a, p, c, e = totals
    print(f"**all** | {m} | {k} | {100 * k / max(m, 1):.1f} | {a} | {p} | {c} | {e}")
    if known:
        print(f"\n{len(known)} of the cascades are limits of error carried forward named in the corpus (known_cascade)"
              + (":" if args.verbose else ""))
        if args.verbose:
            for line in known:
                print(" -", line)
    if survivors:
        print(f"\n{len(survivors)} of the mistakes not killed are limits of grading by value named in the corpus "
              "(known_survivor)" + (":" if args.verbose else ""))
        if args.verbose:
            for line in survivors:
                print(" -", line)
    if problems:
        print(f"\n{len(problems)} problem(s)" + (":" if args.verbose else " (--verbose lists them)"))
        if args.verbose:
            for line in problems:
                print(" -", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
