"""Grading throughput and cost: our runner against otter's own runner, measured side by side.

One command (see README): builds a realistic batch for every assignment, grades it with
``opsgrade``'s batch runner at 1 and at all workers, grades a subset with ``otter run`` one
after another (otter's only Docker-free path) using the *same* hidden tests through
``bench/otter_bridge.py``, checks the scores agree on non-hostile submissions, and prints and
writes (``bench/results/``) throughput, ratio, median/p95 seconds, peak memory, and the share
of time spent in hidden hypothesis properties.

    python bench/run.py [--per-assignment 40] [--otter-per-assignment 5] [--workers 1,2] [--repeats 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.build import build_assignment, source_assignments  # noqa: E402
from grader.examples import load_variants, make_variant, set_track  # noqa: E402
from grader.runner import collect_questions  # noqa: E402
from grader.studentkit import materialise  # noqa: E402

TRACKS = ["cloud_titan", "edge_guardian", "mobile_nomad", "tiny_pioneer"]
OTTER_TIMEOUT = 90.0  # otter run has no time limit of its own; a normal run takes 3-11 s here
OTTER_ATTEMPTS = 3  # an otter run that hangs on a non-hostile notebook is retried (see run_otter)
HOSTILE = {
    "os_exit": "import os\nos._exit(0)\n",
    "corrupted": None,
}


def make_batch(name: str, n: int, dest: Path, seed: int = 2026) -> list[dict]:
    """``n`` submissions: ~40% solutions (random tracks), ~40% wrong variants, ~10% blank, ~10% broken."""
    rng = random.Random(f"{seed}-{name}")
    solution = json.loads((ROOT / "solutions" / f"{name}.ipynb").read_text())
    for cell in solution["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    blank = json.loads((ROOT / "dist" / name / "student" / f"{name}.ipynb").read_text())
    variants = load_variants(name)
    dest.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        r = rng.random()
        track = rng.choice(TRACKS)
        if r < 0.4:
            kind, nb = "solution", set_track(solution, track)
        elif r < 0.8 and variants:
            variant = rng.choice(sorted(variants))
            kind, nb = f"variant:{variant}", set_track(make_variant(solution, variants[variant]), track)
        elif r < 0.9:
            kind, nb = "blank", blank
        else:
            trick = rng.choice(sorted(HOSTILE))
            kind = f"hostile:{trick}"
            if HOSTILE[trick] is None:
                path = dest / f"{name}-{i:03d}.ipynb"
                path.write_bytes(b'{"cells": [')
                rows.append({"assignment": name, "id": path.stem, "kind": kind, "path": path})
                continue
            nb = json.loads(json.dumps(set_track(solution, track)))
            nb["cells"].append({"cell_type": "code", "metadata": {}, "source": HOSTILE[trick], "outputs": [],
                                "execution_count": None})
        path = dest / f"{name}-{i:03d}.ipynb"
        path.write_text(json.dumps(nb))
        rows.append({"assignment": name, "id": path.stem, "kind": kind, "path": path})
    return rows


def otter_zip(name: str, dest: Path) -> Path:
    """An otter autograder zip whose hidden tests call our suite's tests through the bridge."""
    questions: dict[str, list[dict]] = {}
    for q in collect_questions(name):
        questions.setdefault(q["question"], []).append(q)
    kit = Path(tempfile.mkdtemp())
    materialise(name, kit)
    path = dest / f"{name}-otter-autograder.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("otter_config.json", json.dumps({"lang": "python", "zips": False, "pdf": False,
                                                     "assignment_name": name}))
        for q, tests in questions.items():
            body = ["from otter.test_files import test_case", "", "OK_FORMAT = False", f"name = {q!r}",
                    f"points = {sum(t['max_score'] for t in tests)!r}", ""]
            for k, t in enumerate(tests):
                body += [f"@test_case(points={t['max_score']!r}, hidden=True)", f"def test_{k}(env):",
                         "    import sys",
                         f"    sys.path.insert(0, {str(ROOT / 'bench')!r})",
                         "    from otter_bridge import run_hidden_test",
                         f"    run_hidden_test({name!r}, {t['test']!r}, env)", ""]
            zf.writestr(f"tests/{q}.py", "\n".join(body))
        for f in kit.iterdir():
            zf.write(f, f"files/{f.name}")
    shutil.rmtree(kit)
    return path


def measure(cmd: list[str], timeout: float = 3600) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "measure.py"), str(timeout), *cmd],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ours(rows: list[dict], workers: int, work: Path) -> dict:
    """Grade every assignment's batch with `opsgrade grade`; wall time, per-submission timings, peak RSS."""
    out = work / f"ours-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    walls: dict[str, float] = {}
    peak = 0.0
    for name in sorted({r["assignment"] for r in rows}):
        folder = rows[0]["path"].parent.parent / name
        m = measure([sys.executable, "-m", "grader.cli", "grade", "-a", name, str(folder), "-o", str(out / name),
                     "--workers", str(workers)], timeout=3600)
        if m["returncode"] != 0:
            raise RuntimeError(f"opsgrade grade failed for {name}")
        walls[name] = m["seconds"]
        peak = max(peak, m["peak_rss_mb"])
    per = {}
    for r in rows:
        data = json.loads((out / r["assignment"] / r["id"] / "results.json").read_text())
        timing = data.get("extra_data", {}).get("timing", {})
        per[r["id"]] = {"score": data["score"], "seconds": data["execution_time"],
                        "property_seconds": timing.get("property_seconds", 0.0)}
    return {"wall_seconds": sum(walls.values()), "walls": walls, "peak_rss_mb": peak, "per_submission": per}


def combine_passes(passes: list[dict]) -> dict:
    """Median wall per assignment and median seconds per submission over repeated passes."""
    names = passes[0]["walls"]
    walls = {n: statistics.median(p["walls"][n] for p in passes) for n in names}
    per = {}
    for sid, first in passes[0]["per_submission"].items():
        per[sid] = {**first, **{k: statistics.median(p["per_submission"][sid][k] for p in passes)
                                for k in ("seconds", "property_seconds")}}
    return {"wall_seconds": sum(walls.values()), "walls": walls, "per_submission": per,
            "peak_rss_mb": max(p["peak_rss_mb"] for p in passes),
            "pass_wall_seconds": [p["wall_seconds"] for p in passes]}


def run_otter(rows: list[dict], work: Path, zips: dict[str, Path]) -> dict:
    per = {}
    peak = 0.0
    for r in rows:
        out = work / "otter" / r["id"]
        out.mkdir(parents=True, exist_ok=True)
        # otter run copies the submission's whole folder and its init cell then blocks when it finds several
        # notebooks there, so every submission gets a folder of its own.
        alone = work / "otter-in" / r["id"] / r["path"].name
        alone.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(r["path"], alone)
        # otter run executes the notebook with nbclient and no cell timeout; here about one run in six of the
        # *same* notebook never finishes (both kernel and client idle, a lost message), so a hang on a non-hostile
        # notebook is retried and counted; os._exit in a cell hangs it every time.
        hangs = 0
        for _ in range(OTTER_ATTEMPTS if not r["kind"].startswith("hostile") else 1):
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            m = measure([sys.executable, "-m", "otter", "run", "-a", str(zips[r["assignment"]]), "-o", str(out),
                         str(alone)], timeout=OTTER_TIMEOUT)
            if not m["timed_out"]:
                break
            hangs += 1
        score = None
        results = out / "results.json"
        if results.exists():
            data = json.loads(results.read_text())
            score = sum(t.get("score") or 0 for t in data.get("tests", []))
        per[r["id"]] = {"score": score, "seconds": m["seconds"], "peak_rss_mb": m["peak_rss_mb"],
                        "timed_out": m["timed_out"], "hangs": hangs}
        peak = max(peak, m["peak_rss_mb"])
    return {"per_submission": per, "peak_rss_mb": peak}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-assignment", type=int, default=40)
    parser.add_argument("--otter-per-assignment", type=int, default=5)
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 1}")
    parser.add_argument("--repeats", type=int, default=2, help="passes per worker count (medians are reported)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    names = source_assignments()
    for name in names:
        if not (ROOT / "solutions" / f"{name}.ipynb").exists() or not (ROOT / "dist" / name).exists():
            build_assignment(name)
    work = Path(tempfile.mkdtemp(prefix="opsgrade-bench-"))
    rows = []
    for name in names:
        rows += make_batch(name, args.per_assignment, work / "subs" / name)
    zips = {name: otter_zip(name, work) for name in names}
    workers = sorted({int(w) for w in args.workers.split(",")})
    # passes interleave worker counts (1, 2, 1, 2, ...) so a slow spell on the machine hits both alike
    passes: dict[int, list[dict]] = {w: [] for w in workers}
    for _ in range(args.repeats):
        for w in workers:
            passes[w].append(run_ours(rows, w, work))
    ours = {w: combine_passes(passes[w]) for w in workers}
    unstable = sorted(r["id"] for r in rows
                      if len({p["per_submission"][r["id"]]["score"] for ps in passes.values() for p in ps}) > 1)
    best = ours[max(workers)]
    subset = []
    for name in names:
        mine = [r for r in rows if r["assignment"] == name]
        subset += mine[: args.otter_per_assignment]
    otter = run_otter(subset, work, zips)

    report = {"machine": {"cores": os.cpu_count()}, "submissions": len(rows), "otter_subset": len(subset),
              "assignments": {}, "overall": {}}
    mismatches = []
    for r in subset:
        o = otter["per_submission"][r["id"]]["score"]
        m = best["per_submission"][r["id"]]["score"]
        if not r["kind"].startswith("hostile") and (o is None or abs(o - m) > 1e-9):
            mismatches.append({"id": r["id"], "kind": r["kind"], "ours": m, "otter": o})
    table = []
    for name in [*names, "overall"]:
        sel = [r for r in rows if name == "overall" or r["assignment"] == name]
        osel = [r for r in subset if name == "overall" or r["assignment"] == name]
        secs = [best["per_submission"][r["id"]]["seconds"] for r in sel]
        prop = sum(best["per_submission"][r["id"]]["property_seconds"] for r in sel)
        # a hung otter run (it has no time limit: os._exit in a cell leaves it waiting) is reported, not averaged
        osecs = [otter["per_submission"][r["id"]]["seconds"] for r in osel
                 if not otter["per_submission"][r["id"]]["timed_out"]]
        wall = best["walls"][name] if name != "overall" else best["wall_seconds"]  # one batch per assignment
        ours_rate = 60 * len(sel) / wall
        otter_rate = 60 / statistics.mean(osecs) if osecs else float("nan")
        entry = {
            "ours_submissions_per_min": ours_rate,
            "otter_submissions_per_min": otter_rate,
            "ratio": ours_rate / otter_rate if osecs else float("nan"),
            "ours_median_s": statistics.median(secs), "ours_p95_s": pct(secs, 0.95),
            "otter_median_s": statistics.median(osecs) if osecs else float("nan"),
            "otter_p95_s": pct(osecs, 0.95),
            "property_share": prop / sum(secs) if sum(secs) else 0.0,
        }
        report["assignments" if name != "overall" else "overall"][name] = entry
        table.append((name, entry))
    report["scaling"] = {str(w): {"wall_seconds": ours[w]["wall_seconds"],
                                  "submissions_per_min": 60 * len(rows) / ours[w]["wall_seconds"],
                                  "pass_wall_seconds": ours[w]["pass_wall_seconds"],
                                  "peak_rss_mb": ours[w]["peak_rss_mb"]} for w in workers}
    if len(workers) > 1:
        report["scaling"]["speedup"] = ours[min(workers)]["wall_seconds"] / ours[max(workers)]["wall_seconds"]
    report["otter_peak_rss_mb"] = otter["peak_rss_mb"]
    report["otter_timeouts"] = [r["id"] for r in subset if otter["per_submission"][r["id"]]["timed_out"]]
    report["otter_hangs_retried"] = sum(otter["per_submission"][r["id"]]["hangs"] for r in subset
                                        if not otter["per_submission"][r["id"]]["timed_out"])
    report["score_mismatches"] = mismatches
    report["scores_differing_between_passes"] = unstable

    print(f"\n{len(rows)} submissions ({args.per_assignment} per assignment); otter on {len(subset)} of them, "
          f"one after another; ours with {max(workers)} worker(s)")
    print(f"{'assignment':<20}{'ours/min':>10}{'otter/min':>11}{'ratio':>8}{'med s':>8}{'p95 s':>8}"
          f"{'otter med':>11}{'props':>7}")
    for name, e in table:
        print(f"{name:<20}{e['ours_submissions_per_min']:>10.1f}{e['otter_submissions_per_min']:>11.1f}"
              f"{e['ratio']:>8.1f}{e['ours_median_s']:>8.2f}{e['ours_p95_s']:>8.2f}{e['otter_median_s']:>11.2f}"
              f"{100 * e['property_share']:>6.0f}%")
    for w in workers:
        s = report["scaling"][str(w)]
        passes_txt = ", ".join(f"{x:.1f}" for x in s["pass_wall_seconds"])
        print(f"workers={w}: {s['wall_seconds']:.1f} s wall (median; passes {passes_txt}), "
              f"{s['submissions_per_min']:.1f} submissions/min, peak RSS of any grading process "
              f"{s['peak_rss_mb']:.0f} MB")
    if "speedup" in report["scaling"]:
        print(f"speed-up {min(workers)} -> {max(workers)} workers: {report['scaling']['speedup']:.2f}x")
    print(f"otter run peak RSS: {otter['peak_rss_mb']:.0f} MB; otter runs that hung and passed on retry: "
          f"{report['otter_hangs_retried']} (not timed); given up after the {OTTER_TIMEOUT:g} s limit: "
          f"{report['otter_timeouts'] or 'none'}")
    print(f"score mismatches on non-hostile submissions: {len(mismatches)}; submissions whose score differed "
          f"between our {args.repeats * len(workers)} passes: {len(unstable)}")
    for mm in mismatches:
        print("  mismatch:", mm)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmark.json").write_text(json.dumps(report, indent=1) + "\n")
    with (args.out / "benchmark.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["assignment", *table[0][1].keys()])
        for name, e in table:
            writer.writerow([name, *(f"{v:.4g}" for v in e.values())])
    print(f"wrote {args.out / 'benchmark.json'} and benchmark.csv")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
