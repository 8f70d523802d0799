"""grader: hidden test suites and the grading engine.

Kept import-light on purpose: the sandboxed child that executes student code
imports :mod:`grader.sandbox` only, never the suites or :mod:`opsmath`.
"""

__version__ = "0.1.0"
