"""Which modules a notebook may import (:func:`grader.sandbox.preload.imported_modules`): what the sandbox's
forkserver preloads is chosen from it, so a statement it misses costs that notebook's first cell an import."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.sandbox import preload


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import numpy as np", {"numpy"}),
        ("import scipy.stats, pandas as pd", {"scipy.stats", "pandas"}),
        ("from scipy import optimize, special as sp", {"scipy", "scipy.optimize", "scipy.special"}),
        ("from scipy import (optimize,\n", {"scipy", "scipy.optimize"}),
        ("def f():\n    import matplotlib.pyplot as plt\n    return plt", {"matplotlib.pyplot"}),
        ("x = 1  # nothing imported here\ny = 'important'", set()),
        ("reimport = 3", set()),
        ("import\tnumpy", {"numpy"}),
        ("from\tscipy\timport\tstats", {"scipy", "scipy.stats"}),
    ],
)
def test_imported_modules_by_example(source: str, expected: set[str]) -> None:
    assert preload.imported_modules(source) == expected


def test_a_notebook_s_json_counts_statements_on_escaped_lines_and_a_kit_only_its_top_level_ones() -> None:
    notebook = json.dumps({"cells": [{"source": "x = 1\nimport pandas as pd\nfrom scipy import stats\n"}]})
    assert preload.imported_modules(notebook) == {"pandas", "scipy", "scipy.stats"}
    kit = "import numpy as np\n\ndef plot():\n    import matplotlib.pyplot as plt\n"
    assert preload.imported_modules(kit, top_level_only=True) == {"numpy"}


def _every_line(text: str, top_level_only: bool = False) -> set[str]:
    """The statement pattern tried on every line, none skipped (what ``imported_modules`` did before it skipped
    lines without the word ``import``)."""
    found: set[str] = set()
    for line in text.replace("\\n", "\n").splitlines():
        if top_level_only and not line.startswith(("import ", "from ")):
            continue
        for m in preload._STATEMENT.finditer(line):
            if m.group(1):
                found.add(m.group(1))
                found.update(f"{m.group(1)}.{name}" for name in preload._names(m.group(2)))
            else:
                found.update(preload._names(m.group(3)))
    return found


_PIECES = st.sampled_from(
    ["import", "from", " ", "  ", "\n", "\\n", "numpy", "scipy.stats", "pandas", ".", ",", " as ", "np", "(",
     "x = 1", "#", "'", "importlib", "reimport", "imports", "\t"]
)


@settings(derandomize=True, max_examples=400)
@given(pieces=st.lists(_PIECES, max_size=30), top_level_only=st.booleans())
def test_skipping_lines_without_the_word_import_changes_nothing(pieces: list[str], top_level_only: bool) -> None:
    text = "".join(pieces)
    assert preload.imported_modules(text, top_level_only) == _every_line(text, top_level_only)
