"""What a sandbox child inherits from its forkserver instead of redoing it, and that it is what it would have made.

The forkserver imports :mod:`grader.sandbox.child` last; that import readies what every child is a fork of
(``child._ready_forkserver``): the seccomp program with a placeholder for the pid, and a frozen heap. A child then
writes its pid into a copy of the program, and keeps the import finders of the folders it may read anyway.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import grader
import opsmath
from grader.sandbox import isolation

REPO = Path(grader.__file__).resolve().parent.parent


@pytest.mark.parametrize("pid", [1, 2, 4242, 31337, 2**22 - 1])
def test_the_childs_seccomp_program_is_the_one_libseccomp_generates_for_its_pid(pid):
    """The program built once with a placeholder, with ``pid`` written in, equals the one libseccomp generates for
    the same rules built for ``pid`` (what ``seccomp_load`` gave the kernel before), byte for byte."""
    pyseccomp = pytest.importorskip("pyseccomp")
    template = isolation._filter_template()
    assert not isinstance(template, str), template
    program, slots = template
    assert slots and len(program) % 8 == 0
    assert isolation._with_pid(template, pid) == isolation._program(isolation._rules(pyseccomp, pid))
    assert isolation._with_pid(template, pid) != program  # the pid was written in: the placeholder is no pid


def _first_cell_sees(code: str, names: list[str]) -> dict:
    from grader.plugin import protected_paths
    from grader.sandbox.parent import Limits, Sandbox

    with Sandbox([code], protected=protected_paths(), limits=Limits(cell_seconds=20, call_seconds=5)) as box:
        assert box.cell_results[0].ok, box.cell_results[0].error
        return {name: box.get(name) for name in names}


def test_a_child_starts_from_the_readied_forkserver():
    """The forkserver imported the child module after the scientific stack, so the heap it froze there holds numpy;
    and the child's seccomp program came built: the child only read the cached template (a hit), the forkserver
    built it (the one miss)."""
    seen = _first_cell_sees(
        "import gc, sys\n"
        "frozen = gc.get_freeze_count()\n"
        "order = list(sys.modules)\n"
        "numpy_first = 'numpy' in order and order.index('numpy') < order.index('grader.sandbox.child')\n"
        "info = sys.modules['grader.sandbox.isolation']._filter_template.cache_info()\n"
        "built, reused = info.misses, info.hits\n",
        ["frozen", "numpy_first", "built", "reused"])
    assert seen["numpy_first"] and seen["frozen"] > 10_000, seen
    assert seen["built"] == 1 and seen["reused"] >= 1, seen


def test_the_import_finders_a_child_keeps_name_no_folder_of_the_grader():
    """The finders of the grader's folders (whose cached listings name its files) are gone; those of the Python
    installation stay (a child's next import does not list site-packages again)."""
    seen = _first_cell_sees(
        "import sys\n"
        "keys = [k for k in sys.path_importer_cache if isinstance(k, str)]\n"
        "paths = [str(getattr(f, 'path', '')) for f in sys.path_importer_cache.values()]\n",
        ["keys", "paths"])
    hidden = [str(REPO / "grader"), str(Path(opsmath.__file__).resolve().parent)]
    for text in seen["keys"] + seen["paths"]:
        assert text != str(REPO) and not any(text == h or text.startswith(h + os.sep) for h in hidden), text
    assert any("site-packages" in k or "python3" in k for k in seen["keys"]), seen["keys"]


def _seccomp_in_a_fork(template: object) -> str:
    """In a forked child: the filter put up by ``isolation._seccomp`` with ``template`` as the forkserver's, then a
    signal to the parent, one to itself and a fork tried; what happened, as text."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        outcome = "?"
        try:
            isolation._prctl(isolation._PR_SET_NO_NEW_PRIVS, 1)
            isolation._filter_template = lambda: template
            applied = isolation.Applied()
            isolation._seccomp(applied)
            tried = []
            attempts = (("parent", lambda: os.kill(os.getppid(), 0)), ("self", lambda: os.kill(os.getpid(), 0)),
                        ("fork", os.fork))
            for what, attempt in attempts:
                try:
                    if attempt() == 0:  # a fork that went through: the new process leaves at once
                        os._exit(0)
                    tried.append(f"{what} allowed")
                except PermissionError:
                    tried.append(f"{what} refused")
            outcome = f"{applied.layers} {applied.failed} " + ", ".join(tried)
        except BaseException as exc:
            outcome = f"error {exc!r}"
        finally:
            os.write(write, outcome.encode()[:4000])
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as fh:
        return fh.read().decode()


@pytest.mark.parametrize("made", ["template", "no template"])
def test_the_filter_a_child_puts_up_refuses_other_processes_either_way(made):
    """From the forkserver's template, or built and loaded by libseccomp when no template could be made: a signal
    to another process and a new process are refused, a signal to itself is not."""
    pytest.importorskip("pyseccomp")
    template = isolation._filter_template() if made == "template" else "failed: no template (tested)"
    assert not isinstance(isolation._filter_template(), str)
    assert _seccomp_in_a_fork(template) == "['seccomp'] {} parent refused, self allowed, fork refused"
