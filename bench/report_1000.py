"""Time ``opsgrade report`` on 1,000 synthetic submissions made by perturbing real graded ones.

Needs a gradebook of the bundled examples and their notebooks, as ``opsgrade demo`` leaves them
(``dist/demo-gradebook/<name>`` and ``dist/examples/<name>``). Each synthetic submission copies a
random real one: its results.json with every test's outcome flipped with probability ``--flip``
(a newly failed test takes a hint another submission got for it), a random grading time, and its
notebook with every name in the answer cells renamed and, in about half the answer cells, one extra
statements of random shape, so no two notebooks are alike; about 1 % are planted near-duplicates of an
earlier synthetic notebook (names renamed again). Then the full report (table, figures,
report.html, exports, similarity over all notebooks, variant signatures) runs as a subprocess and
its wall time is printed, median of ``--repeats`` runs.

Usage::

    .venv/bin/python bench/report_1000.py [--assignment drift_detective] [--n 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NAME = re.compile(r"(?<!\.)\b(?!(?:def|return|for|in|if|else|elif|and|or|not|import|from|as|np|float|int|len|range|zip|"
                  r"True|False|None|psi|print|dict|list|sorted|set|min|max|sum|abs|lambda|while|with|try|except|"
                  r"is|pass|yield|class|assert|break|continue|global|raise|del)\b)([a-z_][a-z0-9_]*)\b(?!\s*\()")


def _perturb_results(base: dict, hints: dict[str, list[str]], rng: random.Random, flip: float, sid: str) -> dict:
    data = json.loads(json.dumps(base))
    for test in data["tests"]:
        if rng.random() >= flip:
            continue
        if test["score"] >= test["max_score"]:
            test["score"], test["status"] = 0.0, "failed"
            test["output"] = rng.choice(hints.get(test["name"]) or ["wrong answer"])
        else:
            test["score"], test["status"], test["output"] = test["max_score"], "passed", ""
    data["score"] = round(sum(t["score"] for t in data["tests"]), 6)
    data["execution_time"] = round(rng.uniform(0.2, 2.5), 3)
    data["extra_data"]["submission"] = sid
    return data


def _expression(rng: random.Random, terms: int = 8) -> str:
    """A random arithmetic expression: its token shape, not only its names, differs between notebooks."""
    parts = [str(rng.randrange(1, 9))]
    for _ in range(terms - 1):
        term = rng.choice(["x", "len(x)", "(x + 1)", "x[0]", "abs(x)", "2"])
        parts.append(f" {rng.choice('+-*/%')} {term}")
    return "".join(parts).replace("x", "np.pi")


def _perturb_notebook(nb: dict, starter: set[str], rng: random.Random, k: int, extra: bool = True) -> dict:
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if " ".join(source.split()) in starter or not source.strip():
            continue
        names: dict[str, str] = {}

        def rename(match: re.Match, names: dict[str, str] = names) -> str:
            return names.setdefault(match.group(1), f"{match.group(1)[:2]}{rng.randrange(10**6)}")

        source = NAME.sub(rename, source)
        if extra and rng.random() < 0.7 and "\n    return" in source:
            extra = "".join(f"    tmp_{k}_{j} = {_expression(rng)}\n" for j in range(3))
            source = source.replace("\n    return", "\n" + extra + "    return", 1)
        cell["source"] = source
        cell["outputs"] = []
    return nb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="drift_detective")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--flip", type=float, default=0.08)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--copies", type=float, default=0.01, help="share of planted near-duplicates")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--tmp", default=None, help="where the synthetic gradebook goes (deleted at the end)")
    parser.add_argument("--keep", default=None, help="copy the synthetic gradebook and notebooks here")
    args = parser.parse_args()
    name = args.assignment
    graded = REPO / "dist" / "demo-gradebook" / name
    notebooks = REPO / "dist" / "examples" / name
    starter_path = REPO / "dist" / name / "student" / f"{name}.ipynb"
    if not graded.exists() or not notebooks.exists():
        sys.exit("run `opsgrade demo` first (it writes dist/demo-gradebook/ and dist/examples/)")
    real = {p.parent.name: json.loads(p.read_text()) for p in sorted(graded.glob("*/results.json"))}
    sources = {k: json.loads((notebooks / f"{k}.ipynb").read_text())
               for k in real if (notebooks / f"{k}.ipynb").exists()}
    starter_nb = json.loads(starter_path.read_text())
    starter = {" ".join("".join(c["source"]).split()) for c in starter_nb["cells"] if c["cell_type"] == "code"}
    hints: dict[str, list[str]] = {}
    for data in real.values():
        for t in data["tests"]:
            if t["score"] < t["max_score"] and t["output"]:
                hints.setdefault(t["name"], []).append(t["output"])
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="report-bench-", dir=args.tmp) as tmp:
        out, subs = Path(tmp) / "out", Path(tmp) / "subs"
        subs.mkdir()
        make_start = time.perf_counter()
        for i in range(args.n):
            sid = f"s{i:04d}"
            base = rng.choice(sorted(sources))
            copy_of = i - 1 - rng.randrange(min(i, 50)) if i and rng.random() < args.copies else None
            (out / sid).mkdir(parents=True)
            (out / sid / "results.json").write_text(json.dumps(_perturb_results(real[base], hints, rng, args.flip,
                                                                                sid)))
            if copy_of is None:
                nb = _perturb_notebook(sources[base], starter, rng, i)
            else:  # a planted near-duplicate: another synthetic notebook with its names renamed again
                nb = _perturb_notebook(json.loads((subs / f"s{copy_of:04d}.ipynb").read_text()), starter, rng, i,
                                       extra=False)
            (subs / f"{sid}.ipynb").write_text(json.dumps(nb))
        made = time.perf_counter() - make_start
        command = [str(Path(sys.executable).parent / "opsgrade"), "report", str(out), "--submissions", str(subs),
                   "--variants", str(graded), "--starter", str(starter_path)]
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            proc = subprocess.run(command, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if proc.returncode:
                sys.exit(proc.stdout[-2000:] + proc.stderr[-2000:])
        if args.keep:
            shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
        summary = [line for line in proc.stdout.splitlines() if "mistake groups" in line]
        size = sum(p.stat().st_size for p in subs.glob("*.ipynb")) / 2**20
        print(f"{args.n} synthetic {name} submissions ({size:.0f} MB of notebooks, made in {made:.1f} s): "
              f"opsgrade report {statistics.median(times):.2f} s median of {args.repeats} "
              f"({', '.join(f'{t:.2f}' for t in times)}); {summary[0].strip() if summary else ''}; "
              f"report.html {(out / 'report.html').stat().st_size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
