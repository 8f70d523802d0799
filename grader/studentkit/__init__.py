"""Files shipped beside every student notebook: constants and plotting helpers.

Nothing here computes an answer. ``tracks.json`` holds the four tracks'
constants (generated from :data:`opsmath.TRACKS`, values only), ``labkit.py``
loads them and styles figures, and ``<assignment>_kit.py`` builds an
assignment's seeded scenario data and draws its figure from numbers the
student's own functions computed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

__all__ = ["KIT_DIR", "materialise", "support_files"]

KIT_DIR = Path(__file__).parent


def support_files(assignment: str) -> list[Path]:
    """The helper modules shipped with ``assignment`` (without ``tracks.json``)."""
    files = [KIT_DIR / "labkit.py"]
    kit = KIT_DIR / f"{assignment}_kit.py"
    if kit.exists():
        files.append(kit)
    return files


def tracks_json() -> str:
    """The constants file: every track as plain JSON, keys sorted, stable bytes."""
    from opsmath.tracks import TRACKS, track_constants

    return json.dumps({key: track_constants(key) for key in sorted(TRACKS)}, indent=1, sort_keys=True) + "\n"


def materialise(assignment: str, dest: str | Path) -> list[Path]:
    """Write ``tracks.json`` and copy the helper modules into ``dest``; returns the paths."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    target = dest / "tracks.json"
    target.write_text(tracks_json(), encoding="utf-8")
    written.append(target)
    for f in support_files(assignment):
        shutil.copyfile(f, dest / f.name)
        written.append(dest / f.name)
    return written
