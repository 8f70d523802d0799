"""Local regrade of many submissions: parallel, resumable, Gradescope-identical.

Every submission is graded by :func:`grader.runner.grade_notebook`, the
function Gradescope's ``run_autograder`` calls, in a pool of long-lived
worker processes (each keeps its imports and its sandbox forkserver warm).

Integrity of an interrupted or changed batch:

* ``DIR/<submission>/results.json`` is written atomically (temporary file,
  ``fsync``, rename) and only for a grading that ran to its end; it records a
  *fingerprint* of everything that produced it (the submission's bytes, the
  grader and reference sources, the limits). Resume trusts a result only when
  it is complete, final and carries the fingerprint the batch would produce
  now; anything else (a changed suite, a grader error, a half-written file)
  is graded again.
* Workers (:mod:`grader.workers`) run in their own session and ignore the
  terminal's Ctrl-C; the parent turns SIGINT and SIGTERM, at any moment,
  start-up included, into an orderly stop that kills every worker's process
  group (worker, sandbox forkserver, children) within seconds, and workers die
  with the parent if it is killed (``PDEATHSIG``). Their temporary files live
  in the batch's scratch root (:class:`grader.scratch.ScratchRoot`), removed
  when the batch ends however it ends.
* ``DIR/grades.csv`` is removed when a batch starts work and rewritten
  atomically from the result files when it ends, so it never disagrees
  with them.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import io
import json
import os
import re
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.shards import Shard

__all__ = ["Batch", "BatchError", "CourseResult", "Job", "course_inputs", "discover", "fingerprint", "grade_batch",
           "grade_course", "shard", "write_grades_csv"]

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

FINGERPRINT_ENV = ("OPSGRADE_HYPOTHESIS_PROFILE", "OPSGRADE_ISOLATION", "OPSGRADE_REQUIRE_ISOLATION")
"""Switches that change results, hence enter every fingerprint (besides the code and the limits)."""


@dataclass(frozen=True)
class Job:
    """One submission to grade: an id (the output folder name), a notebook, and who submitted it.

    ``meta`` holds the first submitter's ``name``, ``email`` and ``sid`` and, for a
    Gradescope export, ``submitters``: every member of a group submission (a list
    of dicts with the same three keys), each of whom gets a row in ``grades.csv``.
    """

    id: str
    notebook: Path | None
    meta: dict[str, Any] = field(default_factory=dict)
    problem: str = ""
    """Why it cannot be graded (an export entry was refused): its result is this message, "ungradable"."""


def _safe(name: str) -> str:
    return _SAFE.sub("_", name).strip("_") or "submission"


def _export_jobs(zip_path: Path, assignment: str, workdir: Path) -> list[Job]:
    """Jobs from a Gradescope "Export Submissions" zip, read by :func:`grader.exports.read_export`.

    A submission whose entries were refused becomes a job with a ``problem`` (graded as that message); one whose
    metadata could not be used keeps its notebook and loses only its names (``metadata_note``).
    """
    from grader.exports import ExportError, read_export

    try:
        found = read_export(zip_path, workdir, assignment)
    except ExportError as exc:
        raise BatchError(str(exc)) from None
    jobs = []
    for item in found:
        meta: dict[str, Any] = dict(item.people[0]) if item.people else {"name": "", "email": "", "sid": ""}
        if item.people:
            meta["submitters"] = item.people
        if item.note:
            meta["metadata_note"] = item.note
        meta.update(item.times)
        jobs.append(Job(_safe(item.folder), item.notebook, meta, item.problem))
    return jobs


def discover(inputs: Iterable[str | os.PathLike], assignment: str, workdir: Path) -> list[Job]:
    """Turn notebooks, folders and Gradescope export zips into jobs with unique, stable ids."""
    jobs: list[Job] = []
    for item in inputs:
        path = Path(item)
        if path.is_file() and path.suffix == ".zip":
            jobs += _export_jobs(path, assignment, workdir)
        elif path.is_file():
            jobs.append(Job(_safe(path.stem), path))
        elif path.is_dir():
            for nb in sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts):
                rel = nb.relative_to(path).with_suffix("")
                jobs.append(Job(_safe("__".join(rel.parts)), nb))
        else:
            raise FileNotFoundError(f"no such submission: {path}")
    seen: dict[str, int] = {}
    unique = []
    for job in jobs:
        n = seen.get(job.id, 0)
        seen[job.id] = n + 1
        unique.append(job if n == 0 else dataclasses.replace(job, id=f"{job.id}-{n + 1}"))
    return unique


def shard(jobs: list[Job], spec: str | Shard | None) -> list[Job]:
    """Deterministic subset ``i/n`` (1-based, or ``auto`` from a scheduler: :mod:`grader.shards`) of ``jobs``."""
    from grader.shards import resolve

    part = resolve(spec)
    if part is None:
        return jobs
    ordered = sorted(jobs, key=lambda j: j.id)
    return [job for k, job in enumerate(ordered) if k % part.count == part.index - 1]


@functools.cache
def _code_digest() -> str:
    """Digest of the grader, the hidden suites, the student kits and the reference library, as they are on disk."""
    import importlib.util

    import grader
    from grader.originality import CACHE

    opsmath_dir = importlib.util.find_spec("opsmath").submodule_search_locations[0]  # located, not imported
    digest = hashlib.sha256()
    for package in (Path(grader.__file__).parent, Path(opsmath_dir)):
        for path in sorted(package.rglob("*")):
            # the protected-bodies cache is derived from the sources hashed here: writing it changes no grade
            if path.is_file() and path.suffix in {".py", ".ini", ".json", ".j2", ".html", ".css"} \
                    and "__pycache__" not in path.parts and path != CACHE:
                digest.update(str(path.relative_to(package.parent)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(assignment: str, notebook: Path | None) -> str:
    """What a result depends on: submission bytes, assignment, grader and reference sources, limits.

    Two gradings with the same fingerprint must give the same result (the
    grader is deterministic), so resume may keep a result whose fingerprint
    matches and must regrade one whose fingerprint does not.
    """
    import grader
    from grader.sandbox.parent import Limits

    digest = hashlib.sha256()
    digest.update(f"{assignment}\0{grader.__version__}\0{_code_digest()}\0".encode())
    digest.update(repr(Limits.from_env()).encode())
    for var in FINGERPRINT_ENV:
        digest.update(f"\0{var}={os.environ.get(var, '')}".encode())
    if notebook is not None:
        try:
            digest.update(b"\0" + hashlib.sha256(Path(notebook).read_bytes()).hexdigest().encode())
        except OSError as exc:
            digest.update(f"\0unreadable:{exc.errno}".encode())
    return digest.hexdigest()[:32]


def _done(results_path: Path, expected: str | None = None) -> bool:
    """Whether resume may keep ``results_path``: complete, final, and (if given) of fingerprint ``expected``."""
    try:
        data = json.loads(results_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not (isinstance(data, dict) and "score" in data and isinstance(data.get("tests"), list)):
        return False
    extra = data.get("extra_data") or {}
    if not extra.get("final", False):
        return False
    return expected is None or extra.get("fingerprint") == expected


class _JobTimeout(Exception):
    """A submission's grading outlived its whole budget in the worker (parent-side analysis included)."""


def _grade_job(assignment: str, job: Job, out: str, fp: str | None = None) -> tuple[str, float]:
    """Worker: grade one job and write its results.json.

    A result is *final* when the grading ran to its end, whatever the
    submission did; a grader error is written (so the gradebook shows it) but
    not final, so resume tries it again. Interrupts are never recorded as a
    result: ``KeyboardInterrupt`` and ``SystemExit`` propagate.
    """
    from grader.runner import grade_notebook, write_results, zero_results
    from grader.sandbox.parent import Limits

    path = Path(out) / job.id / "results.json"
    final = True
    budget = Limits.from_env().submission_seconds + 120.0

    expired: list[bool] = []

    def expire(signum: int, frame: object) -> None:
        # KeyboardInterrupt is the one exception pytest does not turn into a test failure; workers ignore the
        # real SIGINT, so here it can only mean this budget
        expired.append(True)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        try:
            if job.problem:
                results = zero_results(assignment, job.problem)
                results["extra_data"]["status"] = "ungradable"
            elif job.notebook is None:
                results = zero_results(assignment, "No .ipynb notebook was found in the submission.")
                results["extra_data"]["status"] = "ungradable"
            else:
                results = grade_notebook(assignment, job.notebook)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if expired:
            raise _JobTimeout
    except (_JobTimeout, KeyboardInterrupt):
        if not expired:
            raise
        results = zero_results(assignment, f"The submission could not be graded within its {budget:g} s budget.")
        results["extra_data"]["status"] = "timeout"
    except Exception as exc:
        results = zero_results(assignment, f"The grader failed on this submission: {type(exc).__name__}: {exc}")
        results["extra_data"]["status"] = "grader-error"
        final = False
    finally:
        signal.signal(signal.SIGALRM, previous)
    results["extra_data"]["submission"] = job.id
    results["extra_data"].update({k: v for k, v in job.meta.items() if v})
    results["extra_data"]["fingerprint"] = fp or fingerprint(assignment, job.notebook)
    results["extra_data"]["final"] = final
    write_results(results, path)
    _return_free_memory()
    return job.id, float(results["score"])


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or ``None`` (another C library, not Linux)."""
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None


def _return_free_memory() -> None:
    """Give the heap's free pages back to the system after a submission (glibc keeps them otherwise).

    A submission's recomputation can briefly hold tens of megabytes of arrays in many small blocks; once freed,
    glibc keeps most of them mapped, so a worker that graded platform_roi stayed about 80 MB larger for the rest of
    a course. Trimming costs a few milliseconds a submission and changes no result.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _init_worker(preloads: dict[str, list[str]], assignment: str) -> None:
    """Worker start (after :mod:`grader.workers` gave it its session and folder): undumpable, warm sandbox.

    A worker grades one assignment (:func:`grader.workers.run`'s groups). ``preloads[assignment]``: what its
    sandbox's forkserver imports (:func:`grader.sandbox.preload.modules_for` of that assignment's submissions).
    The assignment's suite is configured and collected here, while the forkserver imports: a worker started early
    for the next assignment of a course does this beside its predecessor's last submission. A suite that cannot be
    collected is left to the first submission, whose result reports it (a grader error, graded again on resume).
    """
    from grader.sandbox.isolation import harden_parent

    harden_parent()
    os.environ.setdefault("MPLBACKEND", "Agg")
    from grader.sandbox.parent import prestart

    prestart(preloads[assignment])
    from grader.runner import suite_items

    try:
        suite_items(assignment)
    except Exception:  # reported by the first submission's grading, as it was without this warm-up
        pass


class _Stop(BaseException):
    """SIGTERM (or SIGHUP) received by the batch's parent."""


class BatchError(RuntimeError):
    """Nothing could be graded (a worker could not start, an export is not a zip): a clear message, no grades."""


def course_inputs(folder: str | os.PathLike, names: Iterable[str] = ()) -> list[tuple[str, Path]]:
    """The assignments of a course folder, as ``deploy/each-assignment.sh`` reads it: ``FOLDER/<assignment>.zip``
    (a Gradescope export; it wins over a folder of the same name) or ``FOLDER/<assignment>/`` (notebooks).

    ``names``: these, in this order (one that is in neither form is given as its folder, which
    :func:`grade_course` reports as missing while it grades the others); by default every entry named like an
    assignment with a hidden suite, in name order (other files and folders are not assignments and are left alone).

    Raises
    ------
    FileNotFoundError
        When ``folder`` is not a folder.
    """
    from grader.suites import assignments

    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"no such course folder: {root}")

    def entry(name: str) -> Path:
        zipped = root / f"{name}.zip"
        return zipped if zipped.is_file() else root / name

    if names:
        return [(name, entry(name)) for name in dict.fromkeys(names)]
    return [(name, entry(name)) for name in assignments() if entry(name).exists()]


def grade_batch(
    assignment: str,
    inputs: Iterable[str | os.PathLike],
    out: str | os.PathLike,
    workers: int | None = None,
    shard_spec: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Path:
    """Grade every submission in ``inputs`` into ``out``; returns the path of ``grades.csv``.

    Submissions whose ``results.json`` already exists and is valid are not
    regraded (resume). ``workers`` defaults to the number of cores. With
    ``shard_spec`` (``"i/n"`` or ``"auto"``, :mod:`grader.shards`) only that
    shard is graded, and its record ``out/_shards/shard-i-of-n.json`` is
    written and returned instead of ``grades.csv`` (``opsgrade merge`` writes
    that once every shard has finished).

    Raises
    ------
    BatchError
        When nothing could be graded: no grades are written, ``grades.csv`` is absent.
    """
    from grader.suites import suite_path

    suite_path(assignment)  # fail early on an unknown assignment
    course = grade_course([Batch(assignment, tuple(inputs), Path(out))], workers, shard_spec, progress,
                          strict=True)
    return course.written[assignment]


@dataclass(frozen=True)
class Batch:
    """One assignment's part of a course regrade: its inputs (notebooks, folders, export zips) and output folder."""

    assignment: str
    inputs: tuple[str | os.PathLike, ...]
    out: Path


@dataclass
class CourseResult:
    """What :func:`grade_course` wrote: per assignment ``grades.csv`` (or the shard's record), or why not."""

    written: dict[str, Path] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def grade_course(
    batches: Iterable[Batch],
    workers: int | None = None,
    shard_spec: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    *,
    strict: bool = False,
) -> CourseResult:
    """Grade several assignments' submissions with one pool of workers (each batch as :func:`grade_batch` would).

    Every assignment still gets its own output folder, results, fingerprints, ``grades.csv`` or shard record,
    identical to a :func:`grade_batch` of that assignment alone. A worker grades one assignment at a time
    (:func:`grader.workers.run`'s groups): it holds that assignment's suite, reference and libraries only, and its
    sandbox's forkserver preloads only what that assignment's notebooks use; when the assignment has nothing left
    for it, a fresh worker takes the next one, started beside it while it grades its last few submissions. So a
    course's peak memory is one assignment's, not the six assignments' together (measured over 6 x 40 submissions,
    one worker: 263-282 MB against 390-408 MB with one worker kept for the whole course, in the same wall time),
    what a worker grades never depends on the assignments graded before, and the CLI and the pool start once.

    An assignment whose inputs cannot be read (an unknown name, a missing path, an export that is not a zip) is
    left out and named in :attr:`CourseResult.failed`; the others are graded (with ``strict``, as
    :func:`grade_batch`, its error is raised before anything is graded). A worker that cannot start raises
    :class:`BatchError` once the submissions being graded have their results: those graded before it are kept
    (its message says how many), and nothing more is graded. Each assignment's ``grades.csv`` (or shard record) is
    written as soon as its last submission has a result, so a course stopped midway keeps the assignments it
    finished.
    """
    from grader.shards import record, resolve
    from grader.suites import suite_path

    batches = list(batches)
    if len({b.assignment for b in batches}) < len(batches):
        raise ValueError("an assignment appears twice in the course: give each one batch (several inputs)")
    part = resolve(shard_spec)  # before any work: a wrong --shard or scheduler environment fails here
    result = CourseResult()
    plans: list[tuple[Batch, list[Job], dict[str, str], list[Job]]] = []
    for batch in batches:
        try:
            suite_path(batch.assignment)
            # discover refuses a missing input before anything is written (an export is extracted below out/, made
            # as needed): an assignment absent from the course leaves no empty folder behind
            jobs = shard(discover(batch.inputs, batch.assignment, batch.out), part)
            batch.out.mkdir(parents=True, exist_ok=True)
        except (BatchError, ValueError, OSError) as exc:
            if strict:
                raise
            result.failed[batch.assignment] = str(exc)
            continue
        prints = {job.id: fingerprint(batch.assignment, job.notebook) for job in jobs}
        todo = [j for j in jobs if not _done(batch.out / j.id / "results.json", prints[j.id])]
        plans.append((batch, jobs, prints, todo))
    total = sum(len(jobs) for _, jobs, _, _ in plans)
    finished = total - sum(len(todo) for *_, todo in plans)
    stale = sum((b.out / j.id / "results.json").exists() for b, _, _, todo in plans for j in todo)
    if progress:
        label = "resuming" if finished else "starting"
        progress(finished, total, f"{label}; {stale} stale or incomplete result(s) to regrade" if stale else label)
    workers = max(1, workers or os.cpu_count() or 1)
    tasks = [(b.assignment, job, b.out, prints[job.id]) for b, _, prints, todo in plans for job in todo]
    by_name = {batch.assignment: (batch, jobs, prints) for batch, jobs, prints, _ in plans}
    left = {batch.assignment: len(todo) for batch, *_, todo in plans}

    def finish(assignment: str) -> None:
        """An assignment all of whose submissions have a result: its gradebook (or its shard's record) now, so a
        course stopped later keeps it."""
        batch, jobs, prints = by_name[assignment]
        if part is not None:  # grades.csv is the merge's (grader.merge): a shard only records that it finished
            result.written[assignment] = record(assignment, part, prints, batch.out)
        else:
            result.written[assignment] = write_grades_csv(assignment, jobs, batch.out)

    def graded(assignment: str) -> None:
        left[assignment] -= 1
        if not left[assignment]:
            finish(assignment)

    for batch, *_, todo in plans:
        if todo:  # rewritten when its last submission is graded; never left disagreeing with results
            (batch.out / "grades.csv").unlink(missing_ok=True)
    for name, count in left.items():
        if not count:
            finish(name)
    if tasks:

        def stop(signum: int, frame: object) -> None:
            raise _Stop(signum)

        handlers = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            _run_pool(tasks, workers, finished, total, progress, graded)
        except _Stop as exc:
            raise SystemExit(128 + int(exc.args[0])) from None
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
    result.written = {name: result.written[name] for name in by_name}  # in the course's order
    return result


def _run_pool(tasks: list[tuple[str, Job, Path, str]], workers: int, finished: int, total: int,
              progress: Callable[[int, int, str], None] | None, graded: Callable[[str], None]) -> int:
    """Grade ``tasks`` (assignment, job, output folder, fingerprint) on worker processes whose temporary files all
    live in one scratch root, removed at the end.

    A submission that loses its worker twice (crash, kill, over its budget) gets a non-final "worker crashed"
    result; a worker that cannot start is a :class:`BatchError`. Every worker is dead when this returns or raises.
    ``graded(assignment)`` is called once for each submission that has its result.
    """
    from grader import workers as pool
    from grader.sandbox.parent import Limits
    from grader.sandbox.preload import modules_for
    from grader.scratch import ScratchRoot

    notebooks: dict[str, list[Path]] = {}
    for assignment, job, _, _ in tasks:
        notebooks.setdefault(assignment, []).extend([job.notebook] if job.notebook is not None else [])
    preloads = {assignment: modules_for(paths, assignment) for assignment, paths in notebooks.items()}
    several = len({assignment for assignment, *_ in tasks}) > 1
    keyed = {(f"{assignment}/{job.id}" if several else job.id): (assignment, job, out, fp)
             for assignment, job, out, fp in tasks}
    work = {key: (_grade_job, (assignment, job, str(out), fp)) for key, (assignment, job, out, fp) in keyed.items()}
    count = finished

    def done(key: str, value: object) -> None:
        nonlocal count
        count += 1
        graded(keyed[key][0])
        if progress:
            progress(count, total, key)

    def lost(key: str, reason: str) -> None:
        assignment, job, out, fp = keyed[key]
        _record_failure(assignment, job, out, fp, reason)
        done(key, None)

    budget = Limits.from_env().submission_seconds + 120.0 + 60.0  # the worker's own alarm, then a margin
    try:
        scratch = ScratchRoot()
    except OSError as exc:  # no temporary directory where a socket path fits
        raise BatchError(f"{exc}; nothing was graded") from None
    with scratch:
        try:
            # a worker per assignment at a time: it holds that assignment's suite, reference and libraries only
            pool.run(work, min(workers, len(work)), _init_worker, (preloads,), on_done=done, on_lost=lost,
                     folder=lambda number: str(scratch.folder(f"w{number}")), task_seconds=budget,
                     group=lambda key: keyed[key][0])
        except pool.WorkerStartError as exc:
            graded_now = count - finished
            if not graded_now:
                raise BatchError(f"{exc}; nothing was graded") from None
            # a course's later assignment, whose worker starts mid-run: what was graded before it stands
            raise BatchError(f"{exc}; the {graded_now} submission(s) graded before it are kept, with the gradebook of "
                             "every assignment finished: run the same command again to grade the rest") from None
    return count


def _record_failure(assignment: str, job: Job, out: Path, fp: str, reason: str = "") -> None:
    from grader.runner import write_results, zero_results

    message = "The grading worker crashed on this submission" + (f" ({reason})." if reason else ".")
    results = zero_results(assignment, message)
    results["extra_data"].update({"status": "grader-error", "submission": job.id, **job.meta, "fingerprint": fp,
                                  "final": False})
    write_results(results, out / job.id / "results.json")


def _question_columns(assignment: str, results: list[dict]) -> list[str]:
    """Question columns in suite order, read from the results themselves.

    Every results.json (zero-score ones included) lists all hidden tests in suite
    order, so the parent need not import the suite (about 2 s of serial start-up per
    batch); it collects the suite only when no result lists any test.
    """
    listed = [[t["question"] for t in data.get("tests") or [] if isinstance(t, dict) and t.get("question")]
              for data in results]
    listed.sort(key=len, reverse=True)  # the fullest list fixes the order; others can only add to it
    columns = list(dict.fromkeys(q for names in listed for q in names))
    if columns:
        return columns
    from grader.runner import collect_questions

    return list(dict.fromkeys(q["question"] for q in collect_questions(assignment)))


def _submitters(job: Job) -> list[dict[str, str]]:
    """Who gets a row for ``job``: every submitter of a group submission, else the job's own name/email/sid."""
    people = [p for p in job.meta.get("submitters") or [] if isinstance(p, dict)]
    return people or [{key: str(job.meta.get(key, "")) for key in ("name", "email", "sid")}]


def write_grades_csv(assignment: str, jobs: list[Job], out: Path) -> Path:
    """One row per submitter (a group submission gives each member a row with the group's scores): name, email,
    SID, submission time and lateness (from an export's metadata), one column per question, total, status, error
    (written atomically)."""
    from grader.results import question_points

    loaded = []
    for job in sorted(jobs, key=lambda j: j.id):
        try:
            results = json.loads((out / job.id / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            results = {"score": 0.0, "tests": [], "output": "missing results", "extra_data": {"status": "missing"}}
        loaded.append((job, results))
    questions = _question_columns(assignment, [results for _, results in loaded])
    rows = []
    for job, results in loaded:
        per_q = question_points(results)
        extra = results.get("extra_data", {})
        scores = {q: f"{per_q.get(q, (0.0, 0.0))[0]:g}" for q in questions}
        scores["total"] = f"{float(results.get('score', 0.0)):g}"
        scores["max"] = f"{sum(m for _, m in per_q.values()):g}"
        scores["status"] = extra.get("status", "ok")
        scores["error"] = (results.get("output") or "").splitlines()[0][:200] if results.get("output") else ""
        for person in _submitters(job):
            rows.append({"submission": job.id, "name": person.get("name", ""), "email": person.get("email", ""),
                         "sid": person.get("sid", ""), "created_at": str(job.meta.get("created_at", "")),
                         "lateness": str(job.meta.get("lateness", "")), **scores})
    buffer = io.StringIO()
    fields = ["submission", "name", "email", "sid", "created_at", "lateness", *questions, "total", "max", "status",
              "error"]
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = out / "grades.csv"
    tmp = path.with_name(".grades.csv.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    return path
