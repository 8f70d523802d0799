"""Real components for the tests that need them, from Debian packages (installed with apt-get when missing)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def ensure(binaries: tuple[str, ...], packages: tuple[str, ...]) -> str:
    """The path of the first of ``binaries`` found, after installing ``packages`` with apt-get if none is.

    Installing needs root and apt-get (the package lists are refreshed once when the first try fails); a test
    that cannot have the component is skipped with the command that would install it.
    """
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])  # daemons live in sbin

    def found() -> str | None:
        return next((path for name in binaries if (path := shutil.which(name, path=search))), None)

    if path := found():
        return path
    command = ["apt-get", "install", "-y", *packages]
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(f"{binaries[0]} is missing and this user cannot install it ({' '.join(command)})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(command, env=env, capture_output=True).returncode:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(command, env=env, capture_output=True, check=True)
    path = found()
    assert path, f"{' '.join(command)} installed no {binaries[0]}"
    return path
