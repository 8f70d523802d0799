"""The held-out fairness corpus: mistakes and alternatives written from the student notebooks alone.

Same spec format as ``tests/fairness/<assignment>.py`` (see :mod:`fairness`); mutant names start with ``h_``. Its
authors read only the student notebook and the solution cells they edit, never the hidden suites nor the project
corpus, so the table it gives (``bench/fairness.py --corpus heldout``) measures how the suites generalise.
"""
