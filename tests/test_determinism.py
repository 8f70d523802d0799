"""The same submission gives the same values on every run: nothing in the sandbox depends on the process's seed."""

from __future__ import annotations

import subprocess
import sys

ORDER = """
from grader.plugin import protected_paths
from grader.sandbox.parent import Limits, Sandbox

cell = "names = {'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'}\\norder = '|'.join(names)\\n"
with Sandbox([cell], protected=protected_paths(), limits=Limits(cell_seconds=20, call_seconds=10)) as box:
    print(box.get("order"))
"""


def _order(seed: str) -> str:
    # each run is a fresh grader process, started with its own PYTHONHASHSEED as a TA's shell or Gradescope might
    env = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", ORDER], capture_output=True, text=True, timeout=120, env=env,
                          check=True)
    return done.stdout.strip()


def test_a_set_of_strings_iterates_in_the_same_order_whatever_the_graders_hash_seed():
    orders = {_order(seed) for seed in ("1", "2", "3", "random")}
    assert len(orders) == 1, orders
    assert sorted(orders.pop().split("|")) == sorted(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta",
                                                      "theta"])
