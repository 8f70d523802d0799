"""Detect submissions that copy functions from :mod:`opsmath` or the grader.

Source is only parsed (``ast``), never executed, so this runs safely in the
trusted process. Each function body is canonicalised (docstring dropped,
local names renamed by first use) and compared with every function of the
protected packages; bodies long enough to be more than the obvious one-line
answer and at least 90 % similar are flagged.
"""

from __future__ import annotations

import ast
import difflib
import functools
import hashlib
import json
from collections import Counter
from pathlib import Path

__all__ = ["CACHE", "copied_functions", "defined_functions", "protected_bodies_cache"]

MIN_CANONICAL_CHARS = 200
SIMILARITY = 0.9
CACHE = Path(__file__).parent / "_protected_bodies.json"
"""Canonical protected bodies computed by ``opsgrade build`` (the autograder zip ships it): a cold run then
skips parsing every :mod:`opsmath` and suite file. Used only while the sources' digest still matches."""
MAX_FUNCTIONS = 400
"""Functions compared per submission: the analysis runs in the trusted parent and must have a budget."""
MAX_CANONICAL_CHARS = 20_000
"""Longer bodies are not compared (every protected body is far shorter, so the length bound rejects them anyway)."""


class _Renamer(ast.NodeTransformer):
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _new(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name(id=self._new(node.id), ctx=node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._new(node.arg)
        node.annotation = None
        return node


def _canonical(fn: ast.FunctionDef) -> str:
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    clone = ast.FunctionDef(name="f", args=fn.args, body=body or [ast.Pass()], decorator_list=[], returns=None,
                            type_params=[])
    clone = _Renamer().visit(ast.fix_missing_locations(clone))
    return ast.unparse(clone)


def _functions(source: str) -> dict[str, ast.FunctionDef]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    return {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def defined_functions(cells: list[str]) -> dict[str, int]:
    """Top-level function names → index of the last cell defining them."""
    out: dict[str, int] = {}
    for index, source in enumerate(cells):
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out[node.name] = index
    return out


def _protected_sources() -> list[Path]:
    import opsmath

    roots = [Path(opsmath.__file__).parent, Path(__file__).parent / "suites"]
    return [path for root in roots for path in sorted(root.rglob("*.py"))]


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(f"{path.parent.name}/{path.name}\0".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def protected_bodies_cache() -> str:
    """JSON for :data:`CACHE`: the canonical protected bodies and the digest of the sources they come from."""
    paths = _protected_sources()
    return json.dumps({"digest": _digest(paths), "bodies": _compute_bodies(paths)}, sort_keys=True) + "\n"


def _compute_bodies(paths: list[Path]) -> list[tuple[str, str]]:
    bodies = []
    for path in paths:
        for name, fn in _functions(path.read_text(encoding="utf-8")).items():
            canon = _canonical(fn)
            if len(canon) >= MIN_CANONICAL_CHARS:
                bodies.append((f"{path.parent.name}.{path.stem}.{name}", canon))
    return bodies


@functools.cache
def _protected_bodies() -> tuple[tuple[str, str], ...]:
    """The canonical protected bodies: from :data:`CACHE` while its digest matches the sources, else computed (about
    0.25 s, the largest part of a worker's first submission) and written to :data:`CACHE` for the next process, when
    the grader's folder is writable (:func:`grader.results.write_results`: workers starting together cannot leave a
    torn file)."""
    paths = _protected_sources()
    digest = _digest(paths)
    try:
        cached = json.loads(CACHE.read_text(encoding="utf-8"))
        if cached["digest"] == digest:
            return tuple((str(origin), str(body)) for origin, body in cached["bodies"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    bodies = _compute_bodies(paths)
    from grader.results import write_results

    try:
        write_results({"digest": digest, "bodies": bodies}, CACHE)
    except OSError:  # a read-only install: computed in each process
        pass
    return tuple(bodies)


@functools.lru_cache(maxsize=4096)
def _letters(text: str) -> Counter[str]:
    """Character counts of a canonical body (the protected ones are the same in every submission)."""
    return Counter(text)


def _similar(a: str, b: str) -> bool:
    """SequenceMatcher ratio ≥ SIMILARITY, with the cheap upper bounds tried first.

    The second bound is :meth:`difflib.SequenceMatcher.quick_ratio` (twice the characters the two share, counted
    with multiplicity, over their total length), computed here from character counts kept per body instead of by a
    matcher built for every pair.
    """
    shorter, longer = sorted((len(a), len(b)))
    if 2 * shorter / (shorter + longer) < SIMILARITY:
        return False
    shared = sum((_letters(a) & _letters(b)).values())
    if 2 * shared / (len(a) + len(b)) < SIMILARITY:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= SIMILARITY


def copied_functions(cells: list[str]) -> dict[str, str]:
    """Student function name → the protected function it copies.

    At most :data:`MAX_FUNCTIONS` are compared, and functions named like a
    protected one come first (the last definition of a name first, as that is
    the one graded): padding a notebook with hundreds of functions does not
    push a copied answer past the budget.
    """
    found: dict[str, str] = {}
    protected = _protected_bodies()
    names = {origin.rsplit(".", 1)[-1] for origin, _ in protected}
    defined = [(name, fn) for source in cells for name, fn in _functions(source).items()]
    named = [item for item in reversed(defined) if item[0] in names]
    others = [item for item in defined if item[0] not in names]
    for name, fn in [*named, *others][:MAX_FUNCTIONS]:
        if name in found:
            continue
        try:
            canon = _canonical(fn)
        except (RecursionError, MemoryError, ValueError):
            continue
        if not MIN_CANONICAL_CHARS <= len(canon) <= MAX_CANONICAL_CHARS:
            continue
        for origin, body in protected:
            if canon == body or _similar(canon, body):
                found[name] = origin
                break
    return found
