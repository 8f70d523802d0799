"""What each graded value is computed from, derived from the source notebook's solution code.

Error carried forward needs, for a graded function or notebook variable, the
expected value *given the student's own upstream work*. Nothing here is
written by hand per question: the source notebook
(``assignments/<name>/<name>.ipynb``, shipped on the grader's side of the
wall, never to students) is parsed with :mod:`ast`, and

* every top-level statement says which names it binds and which it reads
  (a function's parameters and locals are its own);
* a name is *student work* when a solution block (``# BEGIN SOLUTION`` or a
  ``# SOLUTION`` line) binds it, or when it is computed from student work;
* the *upstream* of a graded name is the graded student work it reads,
  directly or through helpers and intermediate variables that are not graded
  themselves (those are recomputed on the way).

:func:`recompute` then runs the solution's own code **in this trusted
process** (never in the sandbox, where student code runs) with each upstream
name bound to the student's version (functions as sandbox call proxies,
variables as the student's values) and everything else (NumPy, track
constants, given helpers) bound to the reference notebook's own values.
"""

from __future__ import annotations

import ast
import atexit
import builtins
import contextlib
import functools
import importlib
import io
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox.statements import bound_names

__all__ = ["Program", "compared_names", "graded_names", "program", "recompute", "reference_namespace"]

REPO = Path(__file__).resolve().parent.parent
CHOSEN = "TRACK"
"""The track is chosen, not computed: the recomputation always uses the student's own choice."""
_OUTPUT_CALLS = frozenset({"print", "display", "interactive"})


@dataclass(frozen=True)
class Statement:
    """One top-level statement of the source notebook."""

    index: int
    code: Any  # compiled, filename "<solution cell N>"
    binds: frozenset[str]
    reads: frozenset[str]
    solution: bool
    output_only: bool  # a bare print/display/interactive call: skipped when the reference runs
    function: bool  # a ``def``


@dataclass
class Program:
    """The source notebook of one assignment as statements and a dependency map."""

    assignment: str
    statements: list[Statement]

    @functools.cached_property
    def definers(self) -> dict[str, list[int]]:
        """Name -> the statements that bind it (in order)."""
        out: dict[str, list[int]] = {}
        for s in self.statements:
            for name in s.binds:
                out.setdefault(name, []).append(s.index)
        return out

    @functools.cached_property
    def student_work(self) -> frozenset[str]:
        """Names bound by a solution block, or computed (transitively) from such names."""
        work = {n for s in self.statements if s.solution for n in s.binds} - {CHOSEN}
        changed = True
        while changed:
            changed = False
            for s in self.statements:
                if s.reads & work and not s.binds <= work:
                    work |= s.binds - {CHOSEN}
                    changed = True
        return frozenset(work)

    def is_function(self, name: str) -> bool:
        """Whether the notebook defines ``name`` with ``def``."""
        return any(self.statements[i].function for i in self.definers.get(name, []))

    def reads(self, name: str) -> frozenset[str]:
        """Top-level names the definition of ``name`` reads (its own statements only)."""
        found: set[str] = set()
        for i in self.definers.get(name, []):
            found |= self.statements[i].reads
        return frozenset(found - {name})

    def upstream(self, name: str, graded: frozenset[str] | set[str]) -> tuple[str, ...]:
        """Graded student work that the value of ``name`` is computed from, through non-graded intermediates."""
        return self.plan(name, graded)[0]

    def plan(self, name: str, graded: frozenset[str] | set[str]) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """(upstream graded names, statements to run again) for recomputing ``name``.

        The statements are those of the non-graded student work on the way (a
        helper function, an intermediate variable) and those of ``name``
        itself, in notebook order.
        """
        upstream: list[str] = []
        rerun: set[int] = set(self.definers.get(name, []))
        seen = {name}
        pending = list(self.reads(name))
        while pending:
            used = pending.pop()
            if used in seen or used not in self.student_work:
                continue
            seen.add(used)
            if used in graded:
                upstream.append(used)
                continue
            rerun.update(self.definers.get(used, []))
            pending.extend(self.reads(used))
        return tuple(sorted(upstream)), tuple(sorted(rerun))


def _solution_marked(source: str, node: ast.stmt) -> bool:
    lines = source.splitlines()[node.lineno - 1:(node.end_lineno or node.lineno)]
    return any("BEGIN SOLUTION" in line or line.rstrip().endswith("# SOLUTION") for line in lines)


def _reads(node: ast.stmt) -> frozenset[str]:
    """Names a statement reads from the notebook's namespace.

    A function's parameters and locals are its own; at top level only the
    parameters of nested lambdas and functions are (``x = x + 1`` reads ``x``).
    """
    loads: set[str] = set()
    stores: set[str] = set()
    params: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loads if isinstance(sub.ctx, ast.Load) else stores).add(sub.id)
        elif isinstance(sub, ast.arg):
            params.add(sub.arg)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)) and sub is not node:
            stores.update((a.asname or a.name).split(".")[0] for a in sub.names)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return frozenset(loads - stores - params)
    return frozenset(loads - params)


def _output_only(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return isinstance(node, ast.Expr)
    func = node.value.func
    if isinstance(func, ast.Name):
        return func.id in _OUTPUT_CALLS or func.id.startswith(("draw_", "show_", "plot"))
    root = func
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and root.id in ("plt", "ax", "fig")


def source_notebook(assignment: str) -> Path:
    """The assignment's source notebook (in the repository, or in the autograder zip's hidden part)."""
    return REPO / "assignments" / assignment / f"{assignment}.ipynb"


@functools.cache
def program(assignment: str) -> Program:
    """Parse the source notebook of ``assignment`` (test cells left out)."""
    nb = json.loads(source_notebook(assignment).read_text(encoding="utf-8"))
    statements: list[Statement] = []
    for k, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else str(cell["source"])
        if "BEGIN TEST CONFIG" in source:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a cell with IPython syntax: never part of an answer's computation
            continue
        for node in tree.body:
            code = compile(ast.Module(body=[node], type_ignores=[]), f"<solution cell {k}>", "exec")
            binds = frozenset(bound_names(node))
            statements.append(Statement(len(statements), code, binds, _reads(node), _solution_marked(source, node),
                                        _output_only(node), isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))))
    return Program(assignment, statements)


@functools.cache
def graded_names(assignment: str) -> frozenset[str]:
    """Names the hidden suite grades: the string named by every ``compare``/``compare_answer`` call in it."""
    from grader.suites import suite_path

    return compared_names(suite_path(assignment).read_text(encoding="utf-8"))


def compared_names(suite_text: str) -> frozenset[str]:
    """The string named by every ``compare``/``compare_answer`` call of a suite's source."""
    names = set()
    for node in ast.walk(ast.parse(suite_text)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("compare", "compare_answer") and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            names.add(node.args[1].value)
    return frozenset(names)


# -- the reference notebook, run in this (trusted) process ---------------------------------------------------------
_TRACKS_DIR: list[str] = []


def _tracks_file() -> str:
    if not _TRACKS_DIR:
        from grader.studentkit import tracks_json

        folder = tempfile.mkdtemp(prefix="opsgrade-reference-")
        atexit.register(shutil.rmtree, folder, True)
        Path(folder, "tracks.json").write_text(tracks_json(), encoding="utf-8")
        _TRACKS_DIR.append(folder)
    return str(Path(_TRACKS_DIR[0], "tracks.json"))


DEFERRED = frozenset({"scipy.stats", "scipy.optimize"})
"""Modules the reference notebook imports that the recomputation imports only when it uses them: ``scipy.stats``
costs about 0.7 s and ``scipy.optimize`` 0.3 s of a cold grading run, and most runs never call the one solution
function that needs them (it is recomputed only for a wrong answer downstream of it)."""


def _importer() -> Callable[..., Any]:
    """``__import__`` that finds the notebook's support modules (``labkit``, ``<name>_kit``) in the grader, and defers
    the modules of :data:`DEFERRED` (``from scipy import stats``, ``from scipy.optimize import minimize_scalar``) to
    their first use."""
    original = builtins.__import__

    def importer(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and (name == "labkit" or name.endswith("_kit")):
            module = importlib.import_module(f"grader.studentkit.{name}")
            if name == "labkit" and fromlist and "load_track" in fromlist:
                return _LabkitView(module)
            return module
        if level == 0 and fromlist and name in DEFERRED:
            return _FromDeferred(name)
        if level == 0 and fromlist and any(f"{name}.{item}" in DEFERRED for item in fromlist):
            return _FromDeferred(name, original(name, globals, locals, (), level))
        return original(name, globals, locals, fromlist, level)

    return importer


class _Deferred:
    """``module`` (or its attribute ``attr``), imported on first use: an attribute read or a call."""

    def __init__(self, module: str, attr: str | None = None) -> None:
        self._where = (module, attr)

    def _target(self) -> Any:
        module, attr = self._where
        real = sys.modules.get(module)
        if real is None:
            with uncapped():  # scipy's BLAS maps its buffers at import: it spins, never failing, when it cannot
                real = importlib.import_module(module)
        return real if attr is None else getattr(real, attr)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target()(*args, **kwargs)


class _FromDeferred:
    """What ``from <name> import ...`` reads its names from when some of them are (or are in) a deferred module:
    ``from scipy import stats`` gives a deferred ``scipy.stats``; ``from scipy.optimize import minimize_scalar`` a
    deferred ``minimize_scalar``; any other name comes from the module ``loaded`` itself."""

    def __init__(self, name: str, loaded: Any = None) -> None:
        self._name, self._loaded = name, loaded

    def __getattr__(self, item: str) -> Any:
        if self._loaded is None:
            return _Deferred(self._name, item)
        if f"{self._name}.{item}" in DEFERRED:
            return _Deferred(f"{self._name}.{item}")
        return getattr(self._loaded, item)


class _LabkitView:
    """``labkit`` with ``load_track`` reading the grader's own constants file (not the working directory's)."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.load_track = functools.partial(module.load_track, path=_tracks_file())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


@functools.lru_cache(maxsize=16)
def reference_namespace(assignment: str, track: str) -> Mapping[str, Any]:
    """The source notebook's top-level names after running it for ``track`` (output calls skipped).

    A statement that fails here (a figure, say) is left out, as the sandbox does; the names it binds are unbound.
    """
    ns: dict[str, Any] = {"__name__": "__reference__",
                          "__builtins__": {**vars(builtins), "__import__": _importer()}}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for s in program(assignment).statements:
            if s.output_only:
                continue
            try:
                exec(s.code, ns)
            except Exception:
                for name in s.binds:
                    ns.pop(name, None)
            if CHOSEN in s.binds:
                ns[CHOSEN] = track
    return ns


def recompute(assignment: str, track: str, name: str, bindings: Mapping[str, Any], graded: frozenset[str],
              call: tuple[tuple[Any, ...], dict[str, Any]] | None = None) -> Any:
    """The value of ``name`` computed by the solution's own code with ``bindings`` in place of its upstream.

    Parameters
    ----------
    assignment, track : str
        Which reference notebook, run for which track.
    name : str
        A graded function (then ``call`` gives its arguments) or notebook variable.
    bindings : mapping
        Upstream name -> the version to use (the student's proxy or value; the reference's for the self-check).
    graded : frozenset of str
        The names the suite grades (see :func:`graded_names`).
    """
    prog = program(assignment)
    _, rerun = prog.plan(name, graded)
    ns = dict(reference_namespace(assignment, track))
    ns.update(bindings)
    with memory_capped():
        for index in rerun:
            exec(prog.statements[index].code, ns)
        if call is not None:
            args, kwargs = call
            return ns[name](*args, **kwargs)
        return ns[name]


RECOMPUTE_BYTES = 512 * 2**20
"""Address space the recomputation may add to the grader's own: the solution's code, run on what the student's
functions return, can be asked for far more (``np.arange(upper)`` after ``team_capacity_models`` doubled ``upper``
through a toil 10,000 times too small: 2 GB, an out-of-memory kill of the whole grading in a 768 MB container).

Not tighter: the cap counts from the process's present size, which depends on what its allocator kept mapped from
earlier submissions, so a cap near what a right recomputation needs (platform_roi's ``break_even_models`` evaluates
a million fleet sizes, about 100 MB) would let one submission's credit depend on the ones graded before it. Modules
first imported inside the block (:data:`DEFERRED`) are imported outside the cap (:func:`uncapped`)."""

_CAPS: list[tuple[int, tuple[int, int] | None]] = []
"""The open :func:`memory_capped` blocks, innermost last: their ``extra`` and the limit to restore (``None``: left
as it was)."""


def _lower_cap(extra: int) -> tuple[int, int] | None:
    """Lower the soft ``RLIMIT_AS`` to the process's present size plus ``extra``; the limit to restore, or ``None``
    when it was left alone (already as tight, or it cannot be read or set)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm", encoding="ascii") as fh:
            size = int(fh.read().split()[0]) * resource.getpagesize()
        cap = size + extra
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft != resource.RLIM_INFINITY and soft <= cap:
            return None
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError):
        return None
    return soft, hard


def _restore_cap(saved: tuple[int, int] | None) -> None:
    if saved is not None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, saved)


@contextlib.contextmanager
def memory_capped(extra: int = RECOMPUTE_BYTES) -> Any:
    """Lower the soft ``RLIMIT_AS`` to the process's present size plus ``extra`` for the block, then restore it: an
    allocation past it raises ``MemoryError`` there (the recomputation fails: no error carried forward), instead of
    growing the trusted process. Does nothing where the limit cannot be read or set."""
    saved = _lower_cap(extra)
    _CAPS.append((extra, saved))
    try:
        yield
    finally:
        _CAPS.pop()
        _restore_cap(saved)


@contextlib.contextmanager
def uncapped() -> Any:
    """Inside :func:`memory_capped`, lift its limit for the block (a library's first import), then cap again from
    the process's new size. Outside it, nothing."""
    if not _CAPS or _CAPS[-1][1] is None:
        yield
        return
    extra, saved = _CAPS[-1]
    _restore_cap(saved)
    try:
        yield
    finally:
        _CAPS[-1] = (extra, _lower_cap(extra))
