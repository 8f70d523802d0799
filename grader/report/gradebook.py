"""Reading a gradebook: the ``results.json`` files, each submission's status, and who submitted it.

A result that cannot be read (a half-written file, JSON nested too deeply for the decoder, a file too large to
load) is never dropped: it becomes one row of the report with a note saying why, so one bad file cannot take the
whole class's report down with it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["MAX_RESULTS_BYTES", "STATUSES", "UNGRADED", "load_results", "people", "read_json", "status_of"]

STATUSES = ("ok", "cell-errors", "timeouts", "ungradable", "grader-error")
UNGRADED = ("ungradable", "grader-error", "missing")
"""Statuses of submissions that say nothing about the items (left out of item analysis and mistakes)."""
MAX_RESULTS_BYTES = 20 * 2**20
"""A results.json larger than this is not loaded (the grader's own results are well under 1 MB)."""
_TIMEOUT = re.compile(r"no answer within|timed out|CPU time limit", re.IGNORECASE)


def read_json(path: Path, limit: int) -> tuple[Any, str]:
    """``(data, "")`` for a JSON file, or ``(None, why)`` when it is missing, too large, nested too deeply or invalid.

    Parameters
    ----------
    path : Path
        The file.
    limit : int
        Largest size read, in bytes; a larger file is refused before it is read.
    """
    try:
        size = path.stat().st_size
        if size > limit:
            return None, f"{path.name} is {size / 2**20:.0f} MB, more than the {limit / 2**20:.0f} MB read"
        text = path.read_bytes().decode("utf-8")
        return json.loads(text), ""
    except RecursionError:
        return None, f"{path.name} is nested too deeply to read"
    except MemoryError:
        return None, f"{path.name} does not fit in memory"
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, f"{path.name} could not be read ({type(exc).__name__})"


def _unreadable(why: str) -> dict[str, Any]:
    return {"score": 0.0, "tests": [], "output": why, "execution_time": 0.0,
            "extra_data": {"status": "ungradable", "report_note": why}}


def load_results(folder: str | Path) -> dict[str, dict[str, Any]]:
    """Submission id → results.json content, for every ``<folder>/<id>/results.json``.

    A file that cannot be read gives an ``ungradable`` zero-score entry whose ``extra_data.report_note`` says why.
    """
    out = {}
    for path in sorted(Path(folder).glob("*/results.json")):
        data, why = read_json(path, MAX_RESULTS_BYTES)
        if not isinstance(data, dict) or not isinstance(data.get("tests", []), list):
            data = _unreadable(why or "results.json is not a results object")
        out[path.parent.name] = data
    return out


def status_of(results: dict[str, Any]) -> str:
    """``ok``, ``cell-errors``, ``timeouts``, ``ungradable`` or ``grader-error`` for one result.

    ``timeouts`` is derived: a graded submission in which a cell or a call ran into a time
    limit (an infinite loop), which the runner records as a cell error or a failed test and
    counts in ``extra_data.timeouts``. Results written before that count existed are read
    from their notes and hints instead.
    """
    extra = results.get("extra_data") or {}
    status = extra.get("status", "ok")
    if status in UNGRADED:
        return status
    if "timeouts" in extra:
        return "timeouts" if extra["timeouts"] else status
    texts = [results.get("output") or ""] + [t.get("output") or "" for t in results.get("tests", [])]
    if any(_TIMEOUT.search(str(t)) for t in texts):
        return "timeouts"
    return status


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, str | int | float) and not isinstance(value, bool) else ""


def people(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Submission id → who submitted it, from the export metadata ``opsgrade grade`` recorded in each result.

    Returns
    -------
    dict
        ``name``, ``email``, ``sid`` (the first submitter's), ``members`` (every submitter of a group
        submission, each a dict of the same three keys), ``created_at``, ``late`` and ``label``: how the page
        names the submission (``"Ada Lovelace (ada@uni.edu, SID 123) · submission_1"``, or the id alone when
        the gradebook has no metadata).
    """
    out = {}
    for sid, data in results.items():
        extra = data.get("extra_data") or {}
        members = [{key: _text(m.get(key)) for key in ("name", "email", "sid")}
                   for m in extra.get("submitters") or [] if isinstance(m, dict)]
        first = {key: _text(extra.get(key)) for key in ("name", "email", "sid")}
        if not any(first.values()) and members:
            first = dict(members[0])
        members = members or ([first] if any(first.values()) else [])
        names = []
        for m in members:
            contact = ", ".join(x for x in (m["email"], f"SID {m['sid']}" if m["sid"] else "") if x)
            names.append(f"{m['name'] or m['email'] or m['sid']}" + (f" ({contact})" if contact and m["name"] else ""))
        label = f"{' & '.join(names)} · {sid}" if names else sid
        out[sid] = {**first, "members": members, "created_at": _text(extra.get("created_at")),
                    "late": _text(extra.get("lateness")), "label": label}
    return out
