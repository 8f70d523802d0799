"""``opsgrade``: build assignments, grade submissions, report on a gradebook."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

T = TypeVar("T")

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()


@app.command()
def build(
    assignment: list[str] = typer.Option(None, "--assignment", "-a", help="only these (default: all)"),
    dist: Path = typer.Option(Path("dist"), help="output folder for student notebooks and autograder zips"),
    solutions: Path = typer.Option(Path("solutions"), help="output folder for executed solution notebooks"),
    execute: bool = typer.Option(True, help="execute the solution notebooks (figures)"),
) -> None:
    """Generate student notebooks, executed solutions and Gradescope autograder zips."""
    from grader.build import build_assignment, source_assignments
    from grader.validate import BuildError

    names = assignment or source_assignments()
    for name in names:
        try:
            result = build_assignment(name, dist=dist.resolve(), solutions=solutions.resolve(), execute=execute)
        except BuildError as exc:
            console.print(f"[red]{exc}[/]", highlight=False)
            raise typer.Exit(1) from None
        figs = len(result.get("figures", []))
        console.print(f"[green]built[/] {name}: student, solution ({figs} figure(s)), {result['autograder'].name}")


@app.command()
def grade(
    submissions: list[Path] = typer.Argument(..., help=".ipynb files, folders, or Gradescope export zips"),
    assignment: str = typer.Option(..., "--assignment", "-a", help="assignment name, e.g. drift_detective"),
    out: Path = typer.Option(Path("gradebook"), "--out", "-o", help="output folder"),
    workers: int = typer.Option(0, "--workers", "-j", help="parallel workers (0 = all cores)"),
    shard: str = typer.Option(
        None, "--shard",
        help="grade only shard i/n of the submissions (1-based, e.g. 1/4), or 'auto' from a Slurm array task or a "
             "Kubernetes Indexed Job; writes OUT/_shards/shard-i-of-n.json, and `opsgrade merge` the grades.csv"),
) -> None:
    """Grade many submissions in parallel; writes OUT/<id>/results.json and OUT/grades.csv (resumable).

    When nothing could be graded (a worker could not start, an input is not a readable export) it says why and
    exits with status 2, writing no grades.
    """
    from grader.batch import grade_batch
    from grader.shards import ShardError, resolve, unfinished

    try:
        shard = resolve(shard)
    except ShardError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if shard is not None:
        console.print(f"shard {shard} ({shard.source})")

    csv_path = _graded(assignment, lambda progress: grade_batch(
        assignment, submissions, out, workers=workers or None, shard_spec=shard, progress=progress))
    console.print(f"wrote {csv_path}")
    if shard is not None and (left := unfinished(csv_path)):
        # a shard's scheduler must see the failure (the merge job waits on success): exit 3, rerun regrades these
        console.print(f"[red]shard {shard}: {len(left)} submission(s) hit a grader error, not a grade "
                      f"(first: {left[0]}); run this shard again after fixing the cause[/]")
        raise typer.Exit(3)


@app.command()
def course(
    folder: Path = typer.Argument(..., help="a course folder: FOLDER/<assignment>.zip (a Gradescope export) or "
                                            "FOLDER/<assignment>/ (notebooks) for each assignment"),
    out: Path = typer.Option(Path("gradebook"), "--out", "-o", help="output folder: OUT/<assignment>/ each"),
    assignment: list[str] = typer.Option(None, "--assignment", "-a", help="only these (default: every one found)"),
    workers: int = typer.Option(0, "--workers", "-j", help="parallel workers (0 = all cores)"),
    shard: str = typer.Option(None, "--shard", help="as for `opsgrade grade`: shard i/n of each assignment, or 'auto'"),
) -> None:
    """Grade every assignment of a course with one pool of workers; OUT/<assignment>/ as `opsgrade grade` writes it.

    The same results, fingerprints, grades.csv (or shard records) as one `opsgrade grade` per assignment, from one
    command (a worker takes one assignment at a time, the next one's starting while it finishes). An assignment
    whose inputs cannot be read is named and left out, the others are graded, and the exit status is 2; with
    --shard, exit 3 when a submission hit a grader error (as `grade`).
    """
    from grader.batch import Batch, course_inputs, grade_course
    from grader.shards import ShardError, resolve, unfinished

    try:
        shard = resolve(shard)
        found = course_inputs(folder, assignment or ())
    except (ShardError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(2) from None
    if not found:
        console.print(f"[red]no <assignment>.zip or <assignment>/ in {folder}[/]", highlight=False)
        raise typer.Exit(2)
    if shard is not None:
        console.print(f"shard {shard} ({shard.source})")
    result = _graded(", ".join(name for name, _ in found), lambda progress: grade_course(
        [Batch(name, (path,), out / name) for name, path in found], workers=workers or None, shard_spec=shard,
        progress=progress))
    left = []
    for name, path in result.written.items():
        console.print(f"wrote {path}")
        if shard is not None:
            left += [f"{name}/{job}" for job in unfinished(path)]
    for name, why in result.failed.items():
        console.print(f"[red]cannot grade {name}:[/] {why}", highlight=False)
    if result.failed:
        raise typer.Exit(2)
    if left:
        console.print(f"[red]shard {shard}: {len(left)} submission(s) hit a grader error, not a grade "
                      f"(first: {left[0]}); run this shard again after fixing the cause[/]")
        raise typer.Exit(3)


@app.command()
def merge(
    submissions: list[Path] = typer.Argument(..., help="the same inputs the shards were given"),
    assignment: str = typer.Option(..., "--assignment", "-a", help="assignment name, e.g. drift_detective"),
    out: Path = typer.Option(Path("gradebook"), "--out", "-o", help="the output folder the shards shared"),
    wait: float = typer.Option(0.0, help="seconds to wait for shards that have not finished yet"),
    html: bool = typer.Option(True, "--report/--no-report", help="also write the report (as `opsgrade report`)"),
) -> None:
    """Merge a sharded batch: OUT/grades.csv and the report, once every shard has finished with this suite version.

    Refuses (exit 1, naming the shard and the reason) when a shard is missing, stale, from another suite version or
    settings, or graded other submissions.
    """
    from grader.merge import MergeRefused
    from grader.merge import merge as merge_shards

    try:
        csv_path = merge_shards(assignment, submissions, out, wait=wait, progress=console.print)
    except MergeRefused as exc:
        console.print(f"[red]refusing to merge {out}:[/]")
        for problem in exc.problems:
            console.print(f"  {problem.message}", markup=False)
        raise typer.Exit(1) from None
    console.print(f"wrote {csv_path}")
    if html:
        report(folder=out, submissions=submissions, variants=None, starter=None, threshold=None, max_share=None,
               html=True)


def _graded(what: str, run: Callable[[Callable[[int, int, str], None]], T]) -> T:
    """``run(progress)`` under a progress bar for ``what``; a :class:`~grader.batch.BatchError` is printed and exits
    with status 2 (nothing graded); afterwards, what the run kept from an earlier one and graded now."""
    from grader.batch import BatchError

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False, refresh_per_second=4) as bar:
        task = bar.add_task(f"grading {what}", total=None)
        start: list[tuple[int, int, str]] = []  # the first report: results kept from an earlier run, and why

        def progress(done: int, total: int, label: str) -> None:
            if not start:
                start.append((done, total, label))
            bar.update(task, completed=done, total=total, description=f"grading {what} [dim]{label}[/]")

        try:
            value = run(progress)
        except BatchError as exc:
            bar.stop()
            console.print(f"[red]cannot grade {what}:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
    if start:
        console.print(_resume_line(*start[0]))
    return value


def _resume_line(kept: int, total: int, label: str) -> str:
    """What a (re)run did: results kept from an earlier run, and submissions graded now (stale ones among them)."""
    stale = label.split("; ", 1)[1].removesuffix(" to regrade") if "; " in label else ""
    graded = total - kept
    line = f"kept {kept} finished result(s) from an earlier run, graded {graded}" if kept else f"graded {graded}"
    return line + " submission(s)" + (f", {stale} among them" if stale else "")


@app.command()
def report(
    folder: Path = typer.Argument(..., help="a folder written by `opsgrade grade`"),
    submissions: list[Path] = typer.Option(
        None, "--submissions", "-s",
        help="the inputs given to `opsgrade grade` (notebooks, folders, export zips): enables similarity and "
             "predictions/reflections (repeatable)"),
    variants: Path = typer.Option(
        None, "--variants",
        help="folder where the bundled examples were graded (e.g. dist/demo-gradebook/NAME from `opsgrade demo`): "
             "names the variant behind each common mistake"),
    starter: Path = typer.Option(None, help="student notebook as handed out (default dist/NAME/student/NAME.ipynb)"),
    threshold: float = typer.Option(None, help="Jaccard index from which a pair is listed (default 0.5)"),
    max_share: int = typer.Option(None, help="ignore fingerprints found in more submissions than this (default 10)"),
    html: bool = typer.Option(True, "--html/--no-html", help="also write report.html, report.json, report_*.csv"),
) -> None:
    """Per-question table, PNG figures, and OUT/report.html (item analysis, mistakes, similarity, reflections)."""
    import time

    from grader.report import build_report, fmt_points, load_results, summarise, write_figures

    started = time.perf_counter()
    summary = summarise(load_results(folder))
    if not summary["submissions"]:
        console.print(f"[red]no results.json under {folder}[/]")
        raise typer.Exit(1)
    ungraded = summary["submissions"] - summary["graded"]
    table = Table(title=f"{folder}: {summary['submissions']} submissions, "
                        f"median total {summary['median_total']:g} / {fmt_points(summary['max_total'])}",
                  caption=f"means and medians over all {summary['submissions']} submissions"
                          + (f" ({ungraded} ungradable counted as 0; report.html's item analysis and mistakes use "
                             f"the {summary['graded']} graded)" if ungraded else ""))
    for col in ("question", "max", "mean", "median", "failures"):
        table.add_column(col, justify="left" if col == "question" else "right")
    for q, s in summary["questions"].items():
        table.add_row(q, fmt_points(s["max"]), f"{s['mean']:.2f}", fmt_points(s["median"]), str(s["failures"]))
    console.print(table)
    console.print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["statuses"].items())))
    pngs = write_figures(summary, folder)
    for path in pngs:
        console.print(f"wrote {path}")
    (folder / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    if html:
        data = build_report(folder, submissions=submissions or (), variants=variants, starter=starter,
                            threshold=threshold, max_share=max_share, figure_files=pngs)
        console.print(f"{len(data['mistakes'])} mistake groups, {len(data['similar_pairs'])} similar pair(s), "
                      f"{data['similarity']['notebooks']} notebooks read")
        for path in data["paths"]:
            console.print(f"wrote {path}")
    console.print(f"report took {time.perf_counter() - started:.2f} s")


@app.command()
def demo(
    dist: Path = typer.Option(Path("dist"), help="build output folder"),
    out: Path = typer.Option(Path("dist/demo-gradebook"), help="where the example gradebooks go"),
    build_first: bool = typer.Option(True, "--build/--no-build", help="build everything first"),
) -> None:
    """Build every assignment, then grade the bundled example submissions and print a gradebook."""
    from grader.batch import Batch, grade_course
    from grader.build import REPO, source_assignments
    from grader.examples import materialise_examples

    if build_first:
        build(assignment=None, dist=dist, solutions=REPO / "solutions", execute=True)
    table = Table(title="Example submissions: expected vs actual score")
    for col in ("assignment", "submission", "expected", "score", "max", "match"):
        table.add_column(col)
    all_ok = True
    batches, wanted = [], {}
    for name in source_assignments():
        examples_dir = dist.resolve() / "examples" / name
        if examples_dir.exists():
            shutil.rmtree(examples_dir)
        wanted[name] = materialise_examples(name, examples_dir, dist=dist.resolve())
        book = out / name
        if book.exists():
            shutil.rmtree(book)
        batches.append(Batch(name, (examples_dir,), book))
    grade_course(batches, workers=os.cpu_count(), strict=True)  # one pool for every assignment
    for name, examples in wanted.items():
        book = out / name
        for variant, (_, expected) in examples.items():
            data = json.loads((book / variant / "results.json").read_text(encoding="utf-8"))
            maximum = sum(t["max_score"] for t in data["tests"])
            want = maximum if expected is None else expected
            ok = abs(data["score"] - want) < 1e-9
            all_ok &= ok
            table.add_row(name, variant, f"{want:g}", f"{data['score']:g}", f"{maximum:g}",
                          "[green]yes[/]" if ok else "[red]NO[/]")
    console.print(table)
    if not all_ok:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
