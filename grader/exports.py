"""Gradescope "Export Submissions" zips, read so that no export can stop a batch or fill a disk.

An export holds one folder per submission and ``submission_metadata.yml``
(who submitted what). Only the notebooks and that file are extracted, and
every entry is checked first:

* a name that is absolute, climbs out (``..``) or holds a NUL or backslash,
  two entries with the same name, a notebook larger than its limit, one
  compressed more than :attr:`ExportLimits.max_ratio` to one (a zip bomb), one
  that would take the extraction over its total budget (at most half the free
  space), one that cannot be read: the *submission* holding it gets a clear
  "not graded" result naming the entry, and the others are graded;
* ``submission_metadata.yml`` is read without YAML tags or aliases (no
  billion laughs), within a size limit; metadata that cannot be used (or an
  entry of it that is not a mapping) costs only the names, with a note;
* an export with more entries than :attr:`ExportLimits.max_members`, or a
  file that is not a zip at all, is an :class:`ExportError`: nothing in it can
  be graded safely.

The extraction lives in ``<workdir>/_exports/<name>-<digest>`` (the digest of
the zip's bytes: a new export of the same name is read again) with a manifest
of what was found, so ``opsgrade report`` reads it back without extracting.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import struct
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grader.scratch import remove_tree

__all__ = ["ExportError", "ExportLimits", "Exported", "load_metadata", "read_export"]

log = logging.getLogger(__name__)

METADATA = "submission_metadata.yml"
_MANIFEST = ".opsgrade-export.json"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CHUNK = 1 << 20


class ExportError(ValueError):
    """The export as a whole cannot be read (not a zip, too many entries)."""


@dataclass(frozen=True)
class ExportLimits:
    """Bounds on reading one export (environment: ``OPSGRADE_EXPORT_MAX_MEMBERS``, ``..._MAX_FILE_BYTES``,
    ``..._MAX_TOTAL_BYTES``, ``..._MAX_RATIO``, ``..._MAX_METADATA_BYTES``)."""

    max_members: int = 200_000
    max_file_bytes: int = 256 * 2**20
    max_total_bytes: int = 8 * 2**30
    max_ratio: float = 200.0
    max_metadata_bytes: int = 32 * 2**20
    ratio_from_bytes: int = 2**20
    """Members smaller than this are not judged by their ratio (a short, repetitive notebook compresses well)."""

    @classmethod
    def from_env(cls) -> ExportLimits:
        """Defaults, overridden by the environment."""
        base, env = cls(), os.environ.get
        return cls(
            max_members=int(env("OPSGRADE_EXPORT_MAX_MEMBERS", base.max_members)),
            max_file_bytes=int(env("OPSGRADE_EXPORT_MAX_FILE_BYTES", base.max_file_bytes)),
            max_total_bytes=int(env("OPSGRADE_EXPORT_MAX_TOTAL_BYTES", base.max_total_bytes)),
            max_ratio=float(env("OPSGRADE_EXPORT_MAX_RATIO", base.max_ratio)),
            max_metadata_bytes=int(env("OPSGRADE_EXPORT_MAX_METADATA_BYTES", base.max_metadata_bytes)),
        )


@dataclass
class Exported:
    """One submission folder of an export.

    Attributes
    ----------
    folder : str
        Its folder name in the export (``submission_123``).
    notebook : Path or None
        Where its notebook was extracted (``None``: none found, or refused).
    people : list of dict
        Its submitters' ``name``, ``email`` and ``sid``, from the metadata.
    problem : str
        Why it cannot be graded (an entry was refused); empty when it can.
    note : str
        What was wrong with its metadata (names missing), empty when nothing.
    """

    folder: str
    notebook: Path | None = None
    people: list[dict[str, str]] = field(default_factory=list)
    problem: str = ""
    note: str = ""


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry_count(path: Path) -> int | None:
    """Entries the zip's end record declares, read before :mod:`zipfile` loads its whole directory."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 65_557))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    count = struct.unpack("<H", tail[at + 10:at + 12])[0]
    locator = tail.rfind(b"PK\x06\x07", 0, at)
    if count == 0xFFFF and locator >= 0:  # zip64: the count is in the zip64 end record the locator points to
        offset = struct.unpack("<Q", tail[locator + 8:locator + 16])[0]
        with open(path, "rb") as fh:
            fh.seek(offset)
            record = fh.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) >= 40:
            count = struct.unpack("<Q", record[32:40])[0]
    return count


def _unsafe(name: str) -> str:
    """Why an entry name may not be used as a path (empty when it may)."""
    if "\x00" in name or "\\" in name:
        return "its name holds a NUL or a backslash"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "its name is an absolute path"
    if ".." in name.split("/"):
        return "its name leads out of the export (..)"
    return ""


def _parts(name: str) -> list[str]:
    return [p for p in name.split("/") if p not in ("", ".")]


class _NoAliasLoader:
    """Built on demand (PyYAML is imported only for exports): a safe loader that refuses anchors and aliases."""

    cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.cls is None:
            import yaml

            class Loader(yaml.SafeLoader):
                def compose_node(self, parent: Any, index: Any) -> Any:
                    if self.check_event(yaml.AliasEvent):
                        raise yaml.composer.ComposerError(None, None, "YAML aliases are not accepted",
                                                          self.peek_event().start_mark)
                    return super().compose_node(parent, index)

            cls.cls = Loader
        return cls.cls


def load_metadata(path: Path, limit: int) -> tuple[dict[str, Any], str]:
    """``submission_metadata.yml`` as a mapping, and a note on why it is empty when it could not be used."""
    import yaml

    try:
        size = path.stat().st_size
        if size > limit:
            return {}, f"{METADATA} is {size} bytes, over the {limit}-byte limit"
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoAliasLoader.get())
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return {}, f"{METADATA} could not be read ({type(exc).__name__}: {reason[:200]})"
    if data is None:
        return {}, ""
    if not isinstance(data, dict):
        return {}, f"{METADATA} is a {type(data).__name__}, not a mapping of submissions"
    return data, ""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value[:200]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)[:200]
    return ""


def _people(entry: Any) -> tuple[list[dict[str, str]], str]:
    """Submitters of one metadata entry, and a note when the entry cannot be used."""
    if entry is None:
        return [], ""
    if not isinstance(entry, dict):
        return [], f"its entry in {METADATA} is a {type(entry).__name__}, not a mapping"
    submitters = entry.get(":submitters", entry.get("submitters"))
    if submitters is None:
        return [], ""
    if not isinstance(submitters, list):
        return [], f"its submitters in {METADATA} are not a list"
    people = [{key: _text(person.get(f":{key}", person.get(key, ""))) for key in ("name", "email", "sid")}
              for person in submitters if isinstance(person, dict)]
    return people, ""


def read_export(zip_path: str | os.PathLike, workdir: str | os.PathLike, assignment: str,
                limits: ExportLimits | None = None) -> list[Exported]:
    """The submissions of a Gradescope export zip, extracted below ``workdir/_exports`` (once per distinct zip).

    Raises
    ------
    ExportError
        When the file is not a readable zip or has more entries than the limit.
    """
    zip_path = Path(zip_path)
    limits = limits or ExportLimits.from_env()
    try:
        digest = _digest(zip_path)
    except OSError as exc:
        raise ExportError(f"{zip_path} cannot be read: {exc}") from None
    target = Path(workdir) / "_exports" / f"{_SAFE.sub('_', zip_path.stem).strip('_') or 'export'}-{digest[:12]}"
    if not (target / _MANIFEST).is_file():
        partial = target.with_name(f"{target.name}.partial-{os.getpid()}")  # shards may extract one zip at once
        remove_tree(partial)
        partial.mkdir(parents=True)
        try:
            base, found = _extract(zip_path, partial, limits)
            manifest = {"base": base, "submissions": [asdict(item) for item in found]}
            (partial / _MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
            if not (target / _MANIFEST).is_file():  # else another shard's extraction got there first: keep it
                remove_tree(target)
                try:
                    os.replace(partial, target)
                except OSError:
                    if not (target / _MANIFEST).is_file():
                        raise
        finally:
            remove_tree(partial)
    return _load_manifest(target, assignment)


def _load_manifest(target: Path, assignment: str) -> list[Exported]:
    """The submissions recorded in an extraction's manifest, each with its notebook for ``assignment``."""
    from grader.gradescope import find_notebook

    try:
        manifest = json.loads((target / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"the extraction in {target} cannot be read back ({exc})") from None
    root = target.joinpath(*manifest["base"])
    found = []
    for entry in manifest["submissions"]:
        item = Exported(entry["folder"], None, entry["people"], entry["problem"], entry["note"])
        if not item.problem and (root / item.folder).is_dir():
            item.notebook = find_notebook(root / item.folder, assignment)
        found.append(item)
    return found


def _extract(zip_path: Path, dest: Path, limits: ExportLimits) -> tuple[list[str], list[Exported]]:
    """Extract the metadata and the notebooks of ``zip_path`` into ``dest``.

    Returns the folder holding the submission folders (as path parts) and what each submission folder holds
    (its notebook is looked up later, per assignment).
    """
    count = _entry_count(zip_path)
    if count is not None and count > limits.max_members:
        raise ExportError(f"{zip_path.name} has {count} entries, more than the limit of {limits.max_members}")
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ExportError(f"{zip_path.name} is not a readable zip file ({exc})") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise ExportError(f"{zip_path.name} has {len(members)} entries, more than the limit of "
                              f"{limits.max_members}")
        reader = _Reader(zip_path.name, archive, dest, limits)
        for member in members:
            reader.take(member)
        return reader.base, reader.finish()


class _Reader:
    """One pass over an export's entries: attribute each to its submission folder, extract what grading needs."""

    def __init__(self, label: str, archive: zipfile.ZipFile, dest: Path, limits: ExportLimits) -> None:
        self.label, self.archive, self.dest, self.limits = label, archive, dest, limits
        # at the top or in the export's one folder, the shallowest: a student's own file of that name is not it
        metas = sorted((m for m in archive.infolist() if not _unsafe(m.filename) and len(_parts(m.filename)) <= 2
                        and _parts(m.filename)[-1:] == [METADATA]), key=lambda m: (len(_parts(m.filename)), m.filename))
        self.metadata = metas[0] if metas else None
        self.metadata_note = ""
        self.base = _parts(self.metadata.filename)[:-1] if self.metadata else []
        self.folders: dict[str, Exported] = {}
        self.seen: set[str] = set()
        self.budget = min(limits.max_total_bytes, shutil.disk_usage(dest).free // 2)

    def folder_of(self, name: str) -> str | None:
        """The submission folder an entry belongs to (read up to a ``..``), if any."""
        parts = name.split("/")
        climbs = ".." in parts
        parts = [p for p in parts[:parts.index("..") if climbs else len(parts)] if p not in ("", ".")]
        depth = len(self.base)
        inside = depth + (0 if climbs or name.endswith("/") else 1)  # a file's last part is not its folder
        if parts[:depth] == self.base and len(parts) > inside:
            return parts[depth]
        return None

    def refuse(self, folder: str | None, name: str, why: str) -> None:
        """The submission holding entry ``name`` is not graded, and says why."""
        if folder is None:
            log.warning("%s: entry %r skipped: %s", self.label, name[:200], why)
            return
        item = self.folders.setdefault(folder, Exported(folder))
        if not item.problem:
            item.problem = (f"The export's entry {name[:200]!r} was refused: {why}. This submission was not graded; "
                            "grade it from a clean export or by hand.")

    def take(self, member: zipfile.ZipInfo) -> None:
        """Check one entry; extract it when it is the metadata or a submission's notebook."""
        name = member.filename
        folder = self.folder_of(name)
        why = _unsafe(name)
        if why:
            self.refuse(folder, name, why)
            return
        if folder is not None:
            self.folders.setdefault(folder, Exported(folder))
        if member.is_dir():
            return
        key = "/".join(_parts(name)).casefold()
        duplicate = key in self.seen
        self.seen.add(key)
        is_metadata = self.metadata is not None and key == "/".join(_parts(self.metadata.filename)).casefold()
        is_notebook = folder is not None and name.endswith(".ipynb") and ".ipynb_checkpoints" not in _parts(name)
        if is_metadata:
            if duplicate:
                self.metadata, self.metadata_note = None, f"{METADATA} appears twice in the export"
                return
            problem = _member_problem(member, self.limits, self.budget, self.limits.max_metadata_bytes)
            problem = problem or self.extract(member)
            if problem:
                self.metadata, self.metadata_note = None, f"{METADATA} was refused: {problem}"
        elif is_notebook:
            problem = "the export holds two entries of that name" if duplicate else \
                _member_problem(member, self.limits, self.budget, self.limits.max_file_bytes)
            problem = problem or self.extract(member)
            if problem:
                self.refuse(folder, name, problem)

    def extract(self, member: zipfile.ZipInfo) -> str:
        """Write ``member`` below the destination; why it could not be (empty when it was)."""
        path = self.dest.joinpath(*_parts(member.filename))
        try:
            self.budget -= _copy(self.archive, member, path, min(member.file_size, self.budget))
            return ""
        except _TooLarge as exc:
            problem = str(exc)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError) as exc:
            problem = f"it cannot be read from the zip ({type(exc).__name__}: {str(exc)[:200]})"
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return problem

    def finish(self) -> list[Exported]:
        """Every submission folder, with its submitters (or a note on why they are missing)."""
        metadata: dict[str, Any] = {}
        if self.metadata is not None:
            metadata, self.metadata_note = load_metadata(self.dest.joinpath(*_parts(self.metadata.filename)),
                                                         self.limits.max_metadata_bytes)
        if self.metadata_note:
            log.warning("%s: %s; its submissions are graded without names", self.label, self.metadata_note)
        for folder, item in self.folders.items():
            item.people, note = _people(metadata.get(folder))
            item.note = self.metadata_note or note
        return [self.folders[name] for name in sorted(self.folders)]


class _TooLarge(Exception):
    """An entry held more bytes than it declared or than the budget left."""


def _member_problem(member: zipfile.ZipInfo, limits: ExportLimits, budget: int, largest: int) -> str:
    """Why ``member`` may not be extracted, judged from its declared sizes (empty when it may)."""
    size, packed = member.file_size, max(1, member.compress_size)
    if size > largest:
        return f"it is {size} bytes, over the {largest}-byte limit for one file"
    if size >= limits.ratio_from_bytes and size > limits.max_ratio * packed:
        return f"it is compressed {size // packed}:1, more than {limits.max_ratio:g}:1 (a zip bomb?)"
    if size > budget:
        return "the export's extraction budget (total size, at most half the free disk space) was used up"
    return ""


def _copy(archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path, limit: int) -> int:
    """Stream ``member`` to ``path``, never writing more than ``limit`` bytes whatever its header claims."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with archive.open(member) as source, open(path, "xb") as sink:
        while block := source.read(_CHUNK):
            written += len(block)
            if written > limit:
                raise _TooLarge(f"it holds more than the {limit} bytes it may (its header says {member.file_size})")
            sink.write(block)
    return written
