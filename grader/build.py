"""Generate student notebooks, executed solutions and Gradescope autograder zips.

``opsgrade build`` runs, for each ``assignments/<name>/<name>.ipynb``:

1. merge ``assignments/assign_config.yml`` into the notebook's own
   ``# ASSIGNMENT CONFIG`` cell and run ``otter assign`` on it;
2. copy the student notebook and its support files (``tracks.json``,
   ``labkit.py``, ``<name>_kit.py``) to ``dist/<name>/student/``;
3. execute the solution notebook with nbclient into ``solutions/<name>.ipynb``
   and save its figures as ``solutions/<name>_fig<k>.png``;
4. write ``dist/<name>/autograder/<name>-autograder.zip``: our
   ``run_autograder``/``setup.sh``, the lock file ``requirements.lock`` (exact
   versions of every package the grader imports at grading time, transitive
   ones included, read from the build environment) and ``python-version``
   (the build environment's Python minor version, which ``setup.sh``
   provisions), the ``grader`` and ``opsmath`` packages and
   ``otter_config.json``, with fixed timestamps so that the same sources and
   environment give byte-identical files.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat
import yaml

from grader.studentkit import materialise

__all__ = [
    "REPO",
    "autograder_zip",
    "build_assignment",
    "check_sources",
    "execute_notebook",
    "lock_file",
    "python_version",
    "runtime_closure",
    "source_assignments",
    "uv_version",
]

REPO = Path(__file__).resolve().parent.parent
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
RUNTIME = ("numpy", "scipy", "pandas", "matplotlib", "hypothesis", "pytest")
"""Distributions the grader imports while grading (the roots of the lock file's closure)."""
OPTIONAL_RUNTIME = ("landlock", "pyseccomp")
"""Sandbox dependencies locked only when the build environment has them."""
GRADESCOPE = Path(__file__).parent / "autograder_files"


def source_assignments(root: Path = REPO / "assignments") -> list[str]:
    """Assignment names that have a source notebook ``assignments/<name>/<name>.ipynb``."""
    return sorted(p.parent.name for p in root.glob("*/*.ipynb") if p.stem == p.parent.name)


GUARD = "use opsgrade build"
"""How the key starts that every source's ``# ASSIGNMENT CONFIG`` carries so that a bare ``otter assign`` on the
source refuses with a message naming ``opsgrade build`` (otter rejects unknown keys); the build removes it."""


def read_notebook(path: Path) -> Any:
    """A notebook as :mod:`nbformat` objects, every cell given an id first (``cell-NNN`` by position when it has
    none), so a hand-edited notebook builds without nbformat's ``MissingIDFieldWarning``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for i, cell in enumerate(data.get("cells", [])):
        if isinstance(cell, dict) and not cell.get("id"):
            cell["id"] = f"cell-{i:03d}"
    return nbformat.reads(json.dumps(data), as_version=4)


def _merged_source(name: str, root: Path, dest: Path) -> Path:
    """Copy the source notebook with the shared assign config merged in (and the ``otter assign`` guard removed)."""
    nb = read_notebook(root / name / f"{name}.ipynb")
    shared = yaml.safe_load((root / "assign_config.yml").read_text(encoding="utf-8")) or {}
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("# ASSIGNMENT CONFIG"):
            own = yaml.safe_load(cell.source.split("\n", 1)[1]) or {}
            own = {k: v for k, v in own.items() if not str(k).startswith(GUARD)}
            merged = {**shared, **own}
            merged["files"] = sorted({*merged.get("files", []), "tracks.json", "labkit.py", f"{name}_kit.py"})
            cell.source = "# ASSIGNMENT CONFIG\n" + yaml.safe_dump(merged, sort_keys=True)
            break
    else:
        raise ValueError(f"{name}: the source notebook has no '# ASSIGNMENT CONFIG' cell")
    out = dest / f"{name}.ipynb"
    nbformat.write(nb, out)
    return out


STUDENT_PACKAGES = ("jupyterlab", "otter-grader", "numpy", "matplotlib", "ipywidgets")
"""What every student notebook needs to open and run locally (JupyterLab to open it, otter for ``grader.check``,
sliders for figures)."""
STUDENT_BOUNDS = {"jupyterlab": "jupyterlab>=4.0"}
"""Lower bounds for student packages this project does not itself depend on."""
STUDENT_OPTIONAL = ("pandas", "scipy")
"""Added to a notebook's ``requirements-student.txt`` when the notebook or its kit imports them."""


def _otter_config() -> dict[str, Any]:
    return json.loads((REPO / "otter_config.json").read_text(encoding="utf-8"))


def student_requirements(name: str, notebook: Path) -> str:
    """``requirements-student.txt`` for assignment ``name``: the packages opening ``notebook`` needs.

    Versions are the lower bounds this project declares (students' machines
    and Colab bring their own versions); otter-grader is pinned exactly,
    because the public checks embedded in the notebook use its format.
    """
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    declared = {canonicalize_name(r.name): r for r in map(Requirement, metadata.requires("mlops-autograder") or [])
                if r.marker is None}
    kit = Path(__file__).parent / "studentkit" / f"{name}_kit.py"
    text = notebook.read_text(encoding="utf-8").replace("\\n", "\n") + (kit.read_text(encoding="utf-8")
                                                                        if kit.exists() else "")
    wanted = [*STUDENT_PACKAGES, *(p for p in STUDENT_OPTIONAL if f"import {p}" in text or f"from {p}" in text)]
    lines = [f"# Packages the {name} notebook needs on your own machine, in a fresh virtual environment:",
             "#   python3 -m venv .venv && .venv/bin/pip install -r requirements-student.txt && .venv/bin/jupyter lab",
             "# (Windows: .venv\\Scripts\\pip and .venv\\Scripts\\jupyter)"]
    for pkg in wanted:
        req = declared.get(canonicalize_name(pkg))
        lines.append(str(req) if req is not None else STUDENT_BOUNDS.get(pkg, pkg))
    return "\n".join(lines) + "\n"


def submission_section(name: str, config: dict[str, Any] | None = None) -> str:
    """Markdown of the "How to submit" section that ends every student notebook (one template for all)."""
    config = _otter_config() if config is None else config
    support = ["tracks.json", "labkit.py", f"{name}_kit.py"]
    files = ", ".join(f"`{f}`" for f in support)
    url = (config.get("student_files_url") or "").rstrip("/")
    if url:
        fetch = ("run this in a new code cell first: `!wget -q " + " ".join(f"{url}/{name}/{f}" for f in
                 [*support, "requirements-student.txt"]) + " && pip install -q -r requirements-student.txt`")
    else:
        fetch = (f"open the Files panel (folder icon on the left), upload {files} and `{name}.ipynb` itself "
                 "(`grader.check` reads its checks from the file), then run "
                 f"`!pip install -q otter-grader=={metadata.version('otter-grader')}` in a new code cell")
    visibility = {
        "after_published": "the hidden tests' scores and hints appear when your instructor publishes the grades",
        "after_due_date": "the hidden tests' scores and hints appear after the due date",
        "visible": "the hidden tests' scores and hints appear at once",
        "hidden": "the hidden tests' scores are for your instructor only",
    }.get(str(config.get("hidden_test_visibility", "after_published")), "")
    summary = ("Within a minute Gradescope shows a **Submission received** line: how many questions your notebook "
               "answers and whether the public checks (`grader.check`) pass. " if config.get("submission_summary",
                                                                                          True) else "")
    return f"""## How to submit

1. **Run every cell from the top** (*Run All*) and check that `grader.check("...")` passes for each question.
   The grader runs your notebook from a fresh start, so a cell that only worked because of something you ran
   earlier and later deleted will fail there.
2. **Save** the notebook (*File → Save*; in Colab *File → Download → Download .ipynb*).
3. **Upload** `{name}.ipynb` to the assignment on Gradescope (only the notebook: not the support files, not a PDF).
4. **What happens next:** {summary}Your score comes from hidden tests; {visibility}. You may resubmit as often as
   you like before the deadline; the last submission counts. If a cell fails while grading, the message names the
   cell by its first line.

**Working on your own machine?** Keep {files} beside this notebook and install what it needs with
`pip install -r requirements-student.txt` (shipped beside it), then open it in JupyterLab (`jupyter lab`), classic
Notebook (`jupyter notebook`) or VS Code (Jupyter extension; pick the environment you installed into as the kernel).
**Google Colab:** {fetch}. For the sliders in Colab, also run
`from google.colab import output; output.enable_custom_widget_manager()`.
"""


CHECKS_PASSED = ("These public checks are sanity checks only: the hidden tests on Gradescope decide your score "
                 "(they try many more inputs).")
"""What a student reads under "passed!" (otter's ``success_message`` of a question's last public check)."""


def annotate_checks(source: str) -> str:
    """A question's public checks, as otter embeds them, made to say what the student's function returned.

    Every ``assert`` without a message that calls one of the test's parameters (the student's functions) or reads
    one (a notebook variable) gets the message ``"f(args) returned <repr>."`` / ``"x is <repr>."`` (evaluated only
    when the assertion fails, so a passing check calls nothing twice), and the last ``@test_case(...)`` gets
    :data:`CHECKS_PASSED` as its success message. A source that does not parse is returned unchanged.

    Examples
    --------
    >>> out = annotate_checks("@test_case(points=0)\\ndef test_a(f):\\n    assert f(1) == 2\\n")
    >>> out.splitlines()[0] == f"@test_case(points=0, success_message={CHECKS_PASSED!r})"
    True
    >>> print(out.split("\\n", 1)[1])
    def test_a(f):
        assert f(1) == 2, 'f(1) returned ' + repr(f(1)) + '.'
    <BLANKLINE>
    """
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = [line.encode("utf-8") for line in source.split("\n")]
    inserts: list[tuple[int, int, str]] = []  # (line index, byte column, text)
    last_decorator = None
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        for deco in fn.decorator_list:
            if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "test_case":
                last_decorator = deco
        params = {a.arg for a in fn.args.args}
        for node in ast.walk(fn):
            if not isinstance(node, ast.Assert) or node.msg is not None:
                continue
            inside = list(ast.walk(node.test))
            called = {id(c.func) for c in inside if isinstance(c, ast.Call)}
            calls = [ast.get_source_segment(source, c) for c in inside if isinstance(c, ast.Call)
                     and isinstance(c.func, ast.Name) and c.func.id in params]
            values = dict.fromkeys(n.id for n in inside if isinstance(n, ast.Name) and n.id in params
                                   and id(n) not in called)  # a notebook variable the check reads
            parts = [f"{(seg + ' returned ')!r} + repr({seg})" for seg in calls if seg and "\n" not in seg]
            parts += [f"{(name + ' is ')!r} + repr({name})" for name in values]
            if parts:
                # ends with "." so that otter's quote-stripping of the message keeps the repr's closing quote
                inserts.append((node.end_lineno - 1, node.end_col_offset, ", " + " + '; ' + ".join(parts) + " + '.'"))
    if last_decorator is not None:
        comma = ", " if last_decorator.args or last_decorator.keywords else ""
        inserts.append((last_decorator.end_lineno - 1, last_decorator.end_col_offset - 1,
                        f"{comma}success_message={CHECKS_PASSED!r}"))
    for row, col, text in sorted(inserts, reverse=True):
        lines[row] = lines[row][:col] + text.encode("utf-8") + lines[row][col:]
    return "\n".join(line.decode("utf-8") for line in lines)


def _annotate_student_checks(path: Path) -> None:
    """Rewrite the public checks otter embedded in the student notebook with :func:`annotate_checks`."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    tests = nb.get("metadata", {}).get("otter", {}).get("tests", {}) or {}
    for question, src in tests.items():
        tests[question] = annotate_checks("".join(src) if isinstance(src, list) else str(src))
    path.write_text(json.dumps(nb), encoding="utf-8")


def _append_submission_section(path: Path, name: str) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": submission_section(name)})
    path.write_text(json.dumps(nb), encoding="utf-8")


def _normalise_notebook(path: Path) -> None:
    """Stable bytes: sorted keys, ids by position, no execution counts or outputs."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb.get("cells", [])):
        cell["id"] = f"cell-{i:03d}"
        if cell.get("cell_type") == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def execute_notebook(path: Path, cwd: Path, out: Path, timeout: int = 300) -> list[Path]:
    """Execute ``path`` top to bottom in ``cwd``; save it to ``out`` and its PNG figures beside it."""
    from nbclient import NotebookClient

    nb = read_notebook(path)
    env_before = {k: os.environ.get(k) for k in ("LABKIT_HEADLESS", "MPLBACKEND")}
    os.environ["LABKIT_HEADLESS"] = "1"
    os.environ.pop("MPLBACKEND", None)  # let ipykernel use the inline backend
    try:
        # the kernel's own log stays at errors: its "running over TCP without encryption" warning is about a kernel
        # on this machine talking to this process, not something an instructor can act on
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                       extra_arguments=["--IPKernelApp.log_level=ERROR"]).execute()
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    figures = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                fig = out.with_name(f"{out.stem}_fig{len(figures) + 1}.png")
                fig.write_bytes(base64.b64decode(data["image/png"]))
                figures.append(fig)
    return figures


def runtime_closure(roots: tuple[str, ...] = RUNTIME, optional: tuple[str, ...] = OPTIONAL_RUNTIME) -> dict[str, str]:
    """Every distribution the grading runtime needs, with its installed version.

    Walks ``Requires-Dist`` from ``roots`` (and from those of ``optional``
    that are installed) through :mod:`importlib.metadata`, evaluating
    environment markers for the running interpreter and following requested
    extras, so transitive dependencies are included.

    Returns
    -------
    dict
        Canonical distribution name -> installed version, sorted by name.
    """
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    todo: list[tuple[str, frozenset[str]]] = [(r, frozenset()) for r in roots]
    for name in optional:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        todo.append((name, frozenset()))
    found: dict[str, str] = {}
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if (key, extras) in done:
            continue
        done.add((key, extras))
        dist = metadata.distribution(name)  # raises if the build environment lacks a runtime dependency
        found[key] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is not None and not any(
                req.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            ):
                continue
            todo.append((req.name, frozenset(req.extras)))
    return dict(sorted(found.items()))


def lock_file() -> str:
    """``requirements.lock``: ``name==version`` for :func:`runtime_closure`, with the Python it was built on."""
    header = [
        "# Generated by opsgrade build from the build environment; installed with --no-deps by setup.sh.",
        f"# python {sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro} ({sys.platform})",
    ]
    return "\n".join([*header, *(f"{k}=={v}" for k, v in runtime_closure().items())]) + "\n"


def python_version() -> str:
    """The build interpreter's minor version (``"3.11"``): what ``setup.sh`` provisions on Gradescope."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def uv_version() -> str | None:
    """The build environment's uv version: the one ``setup.sh`` fetches on Gradescope (``None``: uv not installed,
    setup.sh then takes PyPI's newest)."""
    from importlib import metadata

    try:
        return metadata.version("uv")
    except metadata.PackageNotFoundError:
        return None


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(arcname, date_time=ZIP_DATE)
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _package_files(package: str) -> list[tuple[str, Path]]:
    root = REPO / package
    return sorted(
        (str(p.relative_to(REPO)), p)
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in {".py", ".ini", ".sh", ""}
    )


def public_checks(student_notebook: Path) -> dict[str, str]:
    """Question -> source of the public checks otter assign embedded in the student notebook's metadata."""
    if not student_notebook.exists():
        return {}
    nb = json.loads(student_notebook.read_text(encoding="utf-8"))
    tests = nb.get("metadata", {}).get("otter", {}).get("tests", {}) or {}
    return {str(q): "".join(src) if isinstance(src, list) else str(src) for q, src in sorted(tests.items())}


def autograder_zip(name: str, dest: Path, checks: dict[str, str] | None = None,
                   root: Path = REPO / "assignments") -> Path:
    """Write the Gradescope autograder zip for ``name`` (deterministic bytes).

    ``checks`` are the notebook's public checks (:func:`public_checks`), shipped as ``public_checks.json`` for the
    visible submission summary. The source notebook under ``root`` is shipped too (hidden side: error carried
    forward reads its solution code).
    """
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{name}-autograder.zip"
    from grader.runner import collect_questions

    meta = {"assignment": name, "questions": collect_questions(name)}
    with zipfile.ZipFile(path, "w") as zf:
        _add(zf, "run_autograder", (GRADESCOPE / "run_autograder").read_bytes(), executable=True)
        _add(zf, "setup.sh", (GRADESCOPE / "setup.sh").read_bytes(), executable=True)
        _add(zf, "requirements.lock", lock_file().encode())
        _add(zf, "python-version", (python_version() + "\n").encode())
        if uv_version():
            _add(zf, "uv-version", (uv_version() + "\n").encode())
        _add(zf, "otter_config.json", (REPO / "otter_config.json").read_bytes())
        _add(zf, "assignment.json", (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode())
        _add(zf, "public_checks.json", (json.dumps(checks or {}, indent=1, sort_keys=True) + "\n").encode())
        for package in ("grader", "opsmath"):
            for arcname, file in _package_files(package):
                _add(zf, arcname, file.read_bytes())
        # the source notebook: error carried forward recomputes expected values with its solution code, in the
        # grader's process (grader.dependencies); /autograder/source is on the grader's side of the wall
        source = root / name / f"{name}.ipynb"
        _add(zf, f"assignments/{name}/{name}.ipynb", source.read_bytes())
        from grader.originality import CACHE, protected_bodies_cache

        _add(zf, str(CACHE.relative_to(REPO)), protected_bodies_cache().encode())
        # the hidden properties' examples, drawn here so that a cold run reads them instead (grader.replay)
        from grader.replay import stored_examples
        from grader.runner import suite_items
        from grader.suites import suite_path

        examples = suite_path(name).with_name(f"{suite_path(name).stem}.examples.pickle")
        _add(zf, str(examples.relative_to(REPO)), stored_examples(suite_items(name)))
    return path


def check_sources(name: str, root: Path = REPO / "assignments", student: Path | None = None) -> None:
    """Refuse to build ``name`` when its source notebook, hidden suite and student notebook disagree.

    Raises
    ------
    grader.validate.BuildError
        Listing every problem (:func:`grader.validate.problems`): points that differ, question names that do not
        exist on the other side, questions without hidden tests, graded names missing from the student notebook.
    """
    from grader.runner import collect_questions
    from grader.suites import suite_path
    from grader.validate import BuildError, problems

    found = problems(name, root / name / f"{name}.ipynb", suite_path(name), collect_questions(name), student)
    if found:
        raise BuildError(f"{name}: not built, its sources disagree:\n" + "\n".join(f"  - {p}" for p in found))


def build_assignment(
    name: str,
    dist: Path = REPO / "dist",
    solutions: Path = REPO / "solutions",
    execute: bool = True,
    root: Path = REPO / "assignments",
) -> dict[str, Any]:
    """Build one assignment; returns the paths written."""
    with tempfile.TemporaryDirectory(prefix=f"opsgrade-build-{name}-") as tmp:
        tmp_path = Path(tmp)
        src = _merged_source(name, root, tmp_path)
        materialise(name, tmp_path)
        out = tmp_path / "out"
        proc = subprocess.run(
            [sys.executable, "-m", "otter", "assign", "--no-run-tests", "--no-pdfs", str(src), str(out)],
            capture_output=True, text=True, cwd=tmp_path,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"otter assign failed for {name}:\n{proc.stdout}\n{proc.stderr}")
        check_sources(name, root, out / "student" / f"{name}.ipynb")
        student_dir = dist / name / "student"
        if student_dir.exists():
            shutil.rmtree(student_dir)
        student_dir.mkdir(parents=True)
        shutil.copyfile(out / "student" / f"{name}.ipynb", student_dir / f"{name}.ipynb")
        _annotate_student_checks(student_dir / f"{name}.ipynb")
        _append_submission_section(student_dir / f"{name}.ipynb", name)
        _normalise_notebook(student_dir / f"{name}.ipynb")
        materialise(name, student_dir)
        (student_dir / "requirements-student.txt").write_text(
            student_requirements(name, student_dir / f"{name}.ipynb"), encoding="utf-8")
        solution_src = tmp_path / "solution.ipynb"
        shutil.copyfile(out / "autograder" / f"{name}.ipynb", solution_src)
        _normalise_notebook(solution_src)
        result: dict[str, Any] = {"student": student_dir / f"{name}.ipynb"}
        solution_out = solutions / f"{name}.ipynb"
        if execute:
            run_dir = tmp_path / "run"
            materialise(name, run_dir)
            shutil.copyfile(solution_src, run_dir / f"{name}.ipynb")  # otter's init cell reads it
            result["figures"] = execute_notebook(run_dir / f"{name}.ipynb", run_dir, solution_out)
        else:
            solution_out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(solution_src, solution_out)
        result["solution"] = solution_out
    result["autograder"] = autograder_zip(name, dist / name / "autograder",
                                          public_checks(dist / name / "student" / f"{name}.ipynb"), root)
    return result
