"""The merge step of a sharded batch: one ``grades.csv`` from every shard's results, or a refusal that says why.

Shards (:mod:`grader.shards`) grade into one shared output folder and each
leaves ``OUT/_shards/shard-<i>-of-<n>.json`` when it has finished. The merge
rediscovers the batch from the same inputs, recomputes every submission's
fingerprint with the code and settings it runs with, and writes
``grades.csv`` (:func:`grader.batch.write_grades_csv`, the very function a
single-machine run ends with, so the file is the same byte for byte) only
when every shard of the split has finished, each with this suite version and
these settings, over exactly its share of the submissions, and every result
is on disk with the fingerprint it would get now. Otherwise it refuses and
names the shard and the reason: missing (not finished), from another suite
version, run with other settings, over other submissions, or stale results
(the submission or the result changed after grading).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.batch import Job, discover, fingerprint, shard, write_grades_csv
from grader.shards import MANIFESTS, Shard, load, manifest_path, suite_settings, suite_version

__all__ = ["MergeRefused", "Problem", "check", "merge"]

_RECORD = re.compile(r"shard-(\d+)-of-(\d+)\.json")


@dataclass(frozen=True)
class Problem:
    """Why a merge is refused. ``kind``: missing, version, settings, submissions, stale or split."""

    kind: str
    message: str


class MergeRefused(Exception):
    """The shards do not yet (or cannot) make one gradebook; ``problems`` says which shard and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _names(ids: Iterable[str], limit: int = 5) -> str:
    ids = sorted(ids)
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _result_fingerprint(out: Path, job_id: str) -> str | None:
    """The fingerprint recorded in a submission's results.json (``None`` when absent or unreadable)."""
    try:
        data = json.loads((out / job_id / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "score" not in data or not isinstance(data.get("tests"), list):
        return None
    return (data.get("extra_data") or {}).get("fingerprint")


def _split(out: Path) -> tuple[int | None, list[Problem]]:
    """The number of shards the finished records agree on."""
    counts: dict[int, list[str]] = {}
    for path in sorted((out / MANIFESTS).glob("shard-*-of-*.json")):
        named = _RECORD.fullmatch(path.name)
        if named and int(named[2]) >= 1:
            counts.setdefault(int(named[2]), []).append(path.name)
    if not counts:
        return None, [Problem("missing", f"no shard has finished in {out} (no {MANIFESTS}/shard-<i>-of-<n>.json): "
                                         "run `opsgrade grade --shard i/n` (or auto) for every shard first")]
    if len(counts) > 1:
        listed = "; ".join(f"{n} shards: {', '.join(names)}" for n, names in sorted(counts.items()))
        return None, [Problem("split", f"{out / MANIFESTS} holds records of different splits ({listed}); remove "
                                       "the ones of the run you do not want to merge")]
    return next(iter(counts)), []


def _check_shard(assignment: str, part: Shard, expected: list[Job], prints: dict[str, str], out: Path,
                 version: dict[str, str], settings: dict[str, str]) -> list[Problem]:
    name = f"shard {part}"
    ids = {job.id for job in expected}
    path = manifest_path(out, part)
    if not path.exists():
        have = sum(_result_fingerprint(out, i) == prints[i] for i in ids)
        return [Problem("missing", f"{name} is missing: it has not finished ({have} of its {len(ids)} "
                                   f"submission(s) have a current result); run it again")]
    data = load(path)
    if not data or (data.get("index"), data.get("count")) != (part.index, part.count):
        return [Problem("missing", f"{name}: its record {path} is unreadable or not this shard's; run the shard "
                                   "again")]
    if data.get("assignment") != assignment:
        return [Problem("submissions", f"{name} graded another assignment ({data.get('assignment')!r}, "
                                       f"not {assignment!r})")]
    left = data.get("unfinished") or []
    if left:
        return [Problem("missing", f"{name} has not finished: {len(left)} submission(s) hit a grader error "
                                   f"({_names(left)}); run it again (or grade the whole folder without --shard to "
                                   "write grades.csv with them as grader errors)")]
    problems = []
    theirs = data.get("suite") or {}
    if theirs != version:
        problems.append(Problem("version", f"{name} is from another suite version: grader {theirs.get('grader')} "
                                           f"code {theirs.get('code')} (this merge: grader {version['grader']} "
                                           f"code {version['code']}); regrade it or merge with the code it used"))
    their_settings = data.get("settings") or {}
    changed = sorted(k for k in set(settings) | set(their_settings) if settings.get(k) != their_settings.get(k))
    if changed:
        problems.append(Problem("settings", f"{name} ran with other settings ({', '.join(changed)}): the shard had "
                                            f"{ {k: their_settings.get(k) for k in changed} }, this merge has "
                                            f"{ {k: settings.get(k) for k in changed} }"))
    graded = set(data.get("submissions") or {})
    if graded != ids:
        problems.append(Problem("submissions", f"{name} graded another set of submissions than this batch's share "
                                               f"({len(graded - ids)} not in it, {len(ids - graded)} missing): "
                                               "were the inputs the same?"))
    if problems:
        return problems
    stale = [i for i in ids if _result_fingerprint(out, i) != prints[i] or data["submissions"].get(i) != prints[i]]
    if stale:
        return [Problem("stale", f"{name} has {len(stale)} stale result(s) (the submission or its result changed "
                                 f"after grading): {_names(stale)}; run the shard again")]
    return []


def check(assignment: str, jobs: list[Job], out: Path) -> list[Problem]:
    """Everything that stops the shards in ``out`` from making one gradebook of ``jobs`` (empty: merge)."""
    count, problems = _split(out)
    if count is None:
        return problems
    version, settings = suite_version(), suite_settings()
    prints = {job.id: fingerprint(assignment, job.notebook) for job in jobs}
    for index in range(1, count + 1):
        part = Shard(index, count)
        problems += _check_shard(assignment, part, shard(jobs, part), prints, out, version, settings)
    return problems


def merge(assignment: str, inputs: Iterable[str | os.PathLike], out: str | os.PathLike, wait: float = 0.0,
          progress: Callable[[str], None] | None = None) -> Path:
    """Write ``out/grades.csv`` from the finished shards of the batch ``inputs``; returns its path.

    ``wait``: seconds to keep waiting for shards that have not finished yet
    (a merge started beside its shards, as in a Kubernetes namespace); any
    other problem refuses at once.

    Raises
    ------
    MergeRefused
        When a shard is missing (after ``wait``), stale, from another suite
        version or settings, or graded other submissions.
    """
    out = Path(out)
    deadline = time.monotonic() + wait
    jobs = discover(inputs, assignment, out)
    while True:
        problems = check(assignment, jobs, out)
        if not problems:
            return write_grades_csv(assignment, jobs, out)
        waiting = all(p.kind == "missing" for p in problems) and time.monotonic() < deadline
        if not waiting:
            raise MergeRefused(problems)
        if progress:
            progress(f"waiting for {len(problems)} shard(s): {problems[0].message}")
        time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
