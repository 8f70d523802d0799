"""Which part of a batch this process grades, and the record a shard leaves when it has graded it.

A batch too big for one machine is split into ``n`` shards (every ``n``-th
submission by sorted id, :func:`grader.batch.shard`), graded side by side
into one shared output folder, then merged (:mod:`grader.merge`). The shard
is given as ``i/n`` (1-based: ``1/4`` … ``4/4``) or as ``auto``, read from the
cluster scheduler's environment (:func:`from_environment`):

* **Slurm job arrays**: ``SLURM_ARRAY_TASK_ID``. With ``OPSGRADE_SHARDS=n``
  set, the task id *is* the 0-based shard number (``--array=0-(n-1)``, or any
  subset of it when some tasks are resubmitted); without it, the array itself
  is the split: its size (``SLURM_ARRAY_TASK_COUNT``) is ``n`` and ids count
  from its first one (``SLURM_ARRAY_TASK_MIN``, in steps of
  ``SLURM_ARRAY_TASK_STEP``), so ``--array=0-3`` and ``--array=1-4`` both give
  the shards ``1/4`` … ``4/4``.
* **Kubernetes Indexed Jobs**: ``JOB_COMPLETION_INDEX`` (0-based) with
  ``OPSGRADE_SHARDS`` set by the manifest to the Job's ``completions``.

When a shard has run to its end it writes ``OUT/_shards/shard-<i>-of-<n>.json``
(atomically): which submissions it graded with which fingerprint, which of
them hit a grader error (a result that is not final: the shard is not done,
and ``opsgrade grade`` exits with status 3 so the scheduler sees it), and the
suite version and settings it graded with, so the merge can say which shard
is missing, unfinished, stale or from another version. A shard never writes
``grades.csv``: only the merge does.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MANIFESTS", "Shard", "ShardError", "from_environment", "parse", "record", "resolve", "suite_settings",
           "suite_version", "unfinished"]

MANIFESTS = "_shards"
"""Folder of the output folder where finished shards leave their record (ids never start with ``_``)."""


class ShardError(ValueError):
    """A shard specification (or a scheduler environment) that names no shard."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based), and where that came from (for messages)."""

    index: int
    count: int
    source: str = ""

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise ShardError(f"shard {self.index}/{self.count}: need 1 <= i <= n")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse(spec: str) -> Shard:
    """``"i/n"`` (1-based) as a :class:`Shard`; ``0/n`` is refused with the fix, never taken as shard ``n``."""
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise ShardError(f"--shard must look like 1/4 (or auto), got {spec!r}") from None
    if n >= 1 and i == 0:
        raise ShardError(f"--shard {spec}: shards count from 1 (1/{n} … {n}/{n}); a scheduler's 0-based index "
                         f"needs --shard auto (or i+1)")
    return Shard(i, n, f"--shard {spec}")


def _int(environ: Mapping[str, str], name: str) -> int | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ShardError(f"{name}={value!r} is not an integer") from None


def _pinned(index_var: str, index: int, count: int) -> Shard:
    if count < 1:
        raise ShardError(f"OPSGRADE_SHARDS={count}: need at least 1 shard")
    if not 0 <= index < count:
        raise ShardError(f"{index_var}={index} is outside 0..{count - 1}: with OPSGRADE_SHARDS={count} the index is "
                         f"the 0-based shard number")
    return Shard(index + 1, count, f"{index_var}={index}, OPSGRADE_SHARDS={count}")


def _slurm(environ: Mapping[str, str], task: int) -> Shard:
    pinned = _int(environ, "OPSGRADE_SHARDS")
    if pinned is not None:
        return _pinned("SLURM_ARRAY_TASK_ID", task, pinned)
    first, last = _int(environ, "SLURM_ARRAY_TASK_MIN"), _int(environ, "SLURM_ARRAY_TASK_MAX")
    step = _int(environ, "SLURM_ARRAY_TASK_STEP") or 1
    if first is None or last is None:
        raise ShardError("SLURM_ARRAY_TASK_ID is set without SLURM_ARRAY_TASK_MIN/MAX: set OPSGRADE_SHARDS to the "
                         "number of shards")
    count = _int(environ, "SLURM_ARRAY_TASK_COUNT") or (last - first) // step + 1
    if step < 1 or (last - first) != (count - 1) * step or (task - first) % step:
        raise ShardError(f"the array's ids ({first}..{last}, {count} tasks) are not one evenly spaced range: submit "
                         f"--array=0-{count - 1}, or set OPSGRADE_SHARDS")
    return Shard((task - first) // step + 1, count,
                 f"SLURM_ARRAY_TASK_ID={task} of {count} (ids {first}..{last})")


def from_environment(environ: Mapping[str, str] | None = None) -> Shard:
    """The shard a Slurm array task or a Kubernetes Indexed Job's pod should grade.

    Raises
    ------
    ShardError
        When neither scheduler's index is set, or the index and count do not
        name one shard of an evenly split batch.
    """
    environ = os.environ if environ is None else environ
    task = _int(environ, "SLURM_ARRAY_TASK_ID")
    if task is not None:
        return _slurm(environ, task)
    index = _int(environ, "JOB_COMPLETION_INDEX")
    if index is not None:
        pinned = _int(environ, "OPSGRADE_SHARDS")
        if pinned is None:
            raise ShardError("JOB_COMPLETION_INDEX is set but OPSGRADE_SHARDS is not: set it in the manifest to the "
                             "Job's completions")
        return _pinned("JOB_COMPLETION_INDEX", index, pinned)
    if _int(environ, "SLURM_JOB_ID") is not None:
        raise ShardError("--shard auto in a Slurm job that is not an array: submit it with --array=0-(n-1)")
    raise ShardError("--shard auto needs a scheduler's index: SLURM_ARRAY_TASK_ID (a Slurm job array) or "
                     "JOB_COMPLETION_INDEX with OPSGRADE_SHARDS (a Kubernetes Indexed Job); neither is set")


def resolve(spec: str | Shard | None, environ: Mapping[str, str] | None = None) -> Shard | None:
    """``None`` (the whole batch), a :class:`Shard`, ``"auto"`` or ``"i/n"`` as a :class:`Shard` or ``None``."""
    if spec is None or isinstance(spec, Shard):
        return spec
    spec = spec.strip()
    if not spec:
        return None
    return from_environment(environ) if spec.lower() == "auto" else parse(spec)


def suite_version() -> dict[str, str]:
    """The grader's version and the digest of the grader, suites, kits and reference it grades with."""
    import grader
    from grader.batch import _code_digest

    return {"grader": grader.__version__, "code": _code_digest()[:16]}


def suite_settings() -> dict[str, str]:
    """The limits and switches that enter every result's fingerprint besides the code."""
    from grader.batch import FINGERPRINT_ENV
    from grader.sandbox.parent import Limits

    return {"limits": repr(Limits.from_env()), **{var: os.environ.get(var, "") for var in FINGERPRINT_ENV}}


def manifest_path(out: Path, shard: Shard) -> Path:
    """Where shard ``shard`` records that it finished."""
    return out / MANIFESTS / f"shard-{shard.index}-of-{shard.count}.json"


def record(assignment: str, shard: Shard, prints: Mapping[str, str], out: Path) -> Path:
    """Write the record of a shard that ran to its end: its submissions' fingerprints, the suite version and
    settings, and which submissions hit a grader error (``unfinished``: the merge waits until a rerun grades them)."""
    from grader.results import write_results

    path = manifest_path(out, shard)
    write_results({
        "assignment": assignment, "shard": str(shard), "index": shard.index, "count": shard.count,
        "source": shard.source, "host": socket.gethostname(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "suite": suite_version(), "settings": suite_settings(), "submissions": dict(sorted(prints.items())),
        "unfinished": _not_final(out, prints),
    }, path)
    return path


def unfinished(record_path: Path) -> list[str]:
    """Submissions of a shard whose result is not final (a grader error, e.g. a required wall missing)."""
    return list(load(record_path).get("unfinished") or [])


def _not_final(out: Path, ids: Iterable[str]) -> list[str]:
    left = []
    for job_id in ids:
        try:
            extra = json.loads((out / job_id / "results.json").read_text(encoding="utf-8")).get("extra_data") or {}
        except (OSError, ValueError, AttributeError):
            extra = {}
        if not extra.get("final"):
            left.append(job_id)
    return sorted(left)


def load(path: Path) -> dict[str, Any]:
    """A shard's record, or ``{}`` when it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
