"""Magic handling: the grader runs what Jupyter runs, with magics and shell escapes neutralised."""

from __future__ import annotations

import ast
import sys

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from grader.notebook import _clean, code_cells

PLAIN_CELLS = [
    # Black-formatted continuation lines that start with an operator IPython does not treat as a magic
    "a, b = 1, 2\nx = (\n    a\n    != b\n)\n",
    "a = 7\ny = (a\n    % 3)\n",
    "a = 7\nz = a \\\n    % 3\n",
    "def f(x):\n    return (x\n            % 3\n            != 0)\n",
    "def g(a, b):\n    return [\n        a\n        != b,\n        a\n        % 2,\n    ]\n",
    # % and ! inside strings and comments
    "s = '%d items' % 3\nt = '!important'\n",
    "doc = '''\n%not a magic\n!nor a shell escape\n'''\n",
    "# !ls would list files\nw = 1  # %matplotlib\n",
    "u = f'{5 % 3}!'\n",
]

# cell, the Python the grader must run for it
MAGIC_CELLS = [
    ("%matplotlib inline\nimport math\nr = math.sqrt(4)\n", "None\nimport math\nr = math.sqrt(4)\n"),
    ("!ls -la\nx = 1\n", "None\nx = 1\n"),
    ("files = !ls\nn = len(files)\n", "files = []\nn = len(files)\n"),
    ("%%bash\nrm -rf /\n", "None\n"),
    ("%%writefile helper.py\nprint('hi')\n", "None\n"),
    ("%load_ext autoreload\n%autoreload 2\nk = 2\n", "None\nNone\nk = 2\n"),
    ("def f():\n    !echo hi\n    return 1\n", "def f():\n    None\n    return 1\n"),
    ("  %pwd\n", "None\n"),
    ("home = %env HOME\n", "home = None\n"),
    ("len?\n", "None\n"),
    ("%pip install numpy\n", "None\n"),
    # magics whose Python code Jupyter runs in the user's namespace
    ("%time v = 6 * 7\n", "v = 6 * 7\n"),
    ("%%time\nv = 6 * 7\nw = v % 5\n", "v = 6 * 7\nw = v % 5\n"),
    ("%%capture captured\nc = 3\n", "c = 3\n"),
]


@pytest.mark.parametrize("cell", PLAIN_CELLS)
def test_cells_without_magics_run_exactly_as_written(cell):
    assert TransformerManager().transform_cell(cell) == cell  # Jupyter runs it unchanged
    assert _clean(cell) == cell
    ast.parse(_clean(cell))


@pytest.mark.parametrize(("cell", "graded"), MAGIC_CELLS)
def test_magics_become_neutral_code(cell, graded):
    assert _clean(cell) == graded
    assert "get_ipython" not in graded
    ast.parse(graded)


def _run_plain(code: str) -> dict:
    namespace: dict = {}
    exec(compile(code, "<cell>", "exec"), namespace)
    return {k: v for k, v in namespace.items() if not k.startswith("_") and k != "__builtins__"}


@pytest.fixture(scope="module")
def shell():
    """A real IPython shell; it replaces ``sys.modules["__main__"]`` and the display hook, restored afterwards (the
    batch grader's process pool needs the real ``__main__`` to spawn workers later in the same session)."""
    from IPython.core.interactiveshell import InteractiveShell

    saved = sys.modules["__main__"], sys.displayhook, sys.excepthook
    yield InteractiveShell.instance()
    InteractiveShell.clear_instance()
    sys.modules["__main__"], sys.displayhook, sys.excepthook = saved


SAFE_FOR_IPYTHON = [*PLAIN_CELLS, "%time v = 6 * 7\n", "%%time\nv = 6 * 7\nw = v % 5\n", "%%capture cap\nc = 3\n"]


@pytest.mark.parametrize("cell", SAFE_FOR_IPYTHON)
def test_graded_cell_defines_what_ipython_defines(shell, cell):
    """Run the cell in a real IPython shell and the graded code with plain exec: same variables and values."""
    shell.reset(new_session=False)
    result = shell.run_cell(cell, silent=True)
    assert result.success, result.error_in_exec or result.error_before_exec
    ours = _run_plain(_clean(cell))
    theirs = {k: shell.user_ns[k] for k in ours}
    assert set(ours) >= {k for k in ("a", "x", "y", "z", "s", "t", "doc", "w", "u", "v", "c") if k in shell.user_ns
                         and k in cell}
    for name, value in ours.items():
        if callable(value):
            assert value(5, 3) == theirs[name](5, 3) if name == "g" else value(7) == theirs[name](7)
        else:
            assert value == theirs[name], name


def test_code_cells_uses_the_same_transformation():
    nb = {"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n", "x = (1\n", "    != 2)\n"]},
                    {"cell_type": "markdown", "source": "%not code"}]}
    assert code_cells(nb) == ["None\nx = (1\n    != 2)\n"]
