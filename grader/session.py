"""A hidden suite's pytest session: configured and collected once per process, run once per notebook.

``pytest.main`` parses its arguments, registers some thirty plugins, loads the suite's conftest and collects the
suite for every notebook: about 22 ms of the 150-400 ms a warm worker spends on one. A :class:`SuiteSession` does
that once per suite and process (as ``pytest.main`` does it: the same arguments, plugins and hooks); each notebook
then runs the collected items through pytest's own run loop. pytest re-creates an item's fixture request on every
run (pytest-rerunfailures relies on the same), and at the end of each run every fixture is torn down, so nothing of
one notebook (its sandbox, its carried-forward notes) reaches the next. The Gradescope entry point grades one
notebook per process and pays what ``pytest.main`` paid.

A run that does not end normally (an interrupt, an error of pytest itself) leaves the session unusable: the caller
drops it and the next notebook gets a new one.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["SuiteSession", "as_pytest_main"]


@contextlib.contextmanager
def as_pytest_main() -> Iterator[None]:
    """The environment grading runs pytest in: ``PYTEST_VERSION`` set (as ``pytest.main`` sets it), entry-point
    plugins not loaded (the plugins grading uses are named in its arguments). Used around a :class:`SuiteSession`'s
    configuration and runs, and around :func:`grader.runner._pytest_main`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTEST_VERSION", pytest.__version__)
        patch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        yield


def _failure_text(excinfo: Any, style: Any = None) -> str:
    """A failed test's report text: its exception in one line. pytest would format the whole traceback (reading
    the suite's source, about 1 ms a failure) for a terminal that grading never shows; the grade's message is made
    from the exception itself (:class:`grader.runner.Collector`)."""
    return f"{excinfo.typename}: {excinfo.value}"[:1000]


class SuiteSession:
    """One suite's configured pytest session and its collected items.

    Parameters
    ----------
    args : list of str
        ``pytest.main`` arguments (the suite's path and options); ``--submission`` is set by :meth:`run`.
    collector : object
        The plugin object receiving the session's hooks (the grading :class:`~grader.runner.Collector`); its
        ``begin(items)`` is called before each run (it forgets what it recorded of the last one).

    Raises
    ------
    RuntimeError
        The suite could not be configured or collected (a usage error, an import error in the suite).
    """

    def __init__(self, args: list[str], collector: Any) -> None:
        from _pytest.config import _prepareconfig  # what pytest.main calls; no public equivalent

        self.collector = collector
        self._output = io.StringIO()  # the terminal reporter writes here (it keeps the stream it started with)
        with as_pytest_main(), contextlib.redirect_stdout(self._output), contextlib.redirect_stderr(self._output):
            try:
                self.config = _prepareconfig(args, [collector])
            except pytest.UsageError as exc:
                raise RuntimeError(f"the hidden suite could not be configured: {exc}") from None
            configured = False
            try:
                self.config._do_configure()
                configured = True
                self.session = pytest.Session.from_config(self.config)
                self.config.hook.pytest_sessionstart(session=self.session)
                self.config.hook.pytest_collection(session=self.session)
            except BaseException:
                if configured:
                    self.config._ensure_unconfigure()
                raise
        if self.session.testsfailed or not self.session.items:
            self.config._ensure_unconfigure()
            raise RuntimeError("the hidden suite did not run to its end (it could not be collected: "
                               f"{self.session.testsfailed} error(s), {len(self.session.items)} test(s))")
        for item in self.session.items:  # reports need no traceback text: see _failure_text
            item.repr_failure = _failure_text  # type: ignore[method-assign]
            item._repr_failure_py = _failure_text  # type: ignore[method-assign]
        atexit.register(self.config._ensure_unconfigure)
        self._runs = 0

    @property
    def items(self) -> list[pytest.Item]:
        """The suite's tests, in run order."""
        return self.session.items

    def run(self, **options: Any) -> pytest.ExitCode:
        """Run every test once with ``options`` set (``submission=...``); every fixture is torn down after.

        Returns
        -------
        pytest.ExitCode
            ``OK`` or ``TESTS_FAILED`` as ``pytest.main`` would return them; ``INTERRUPTED`` (``KeyboardInterrupt``,
            ``pytest.exit``) or ``INTERNAL_ERROR`` (anything else escaping pytest's run loop), after which the session
            must not be run again.
        """
        session, config = self.session, self.config
        if self._runs:
            # the last notebook's reference cycles (an exception's frames holding its inputs and answers, up to a
            # million-value array) are freed before this one allocates, not when allocation happens to trigger a full
            # collection some notebooks later (a process grading one notebook, as on Gradescope, never pays this)
            gc.collect()
            if self._runs == 1:
                # what the first run left alive (the grading stack, lazily imported libraries, the suite's caches)
                # lives as long as the process: later collections scan only what a notebook made
                gc.freeze()
        self._runs += 1
        for name, value in options.items():
            setattr(config.option, name, value)
        session.testsfailed = 0
        session.shouldstop = session.shouldfail = False
        for item in session.items:
            item.user_properties = []
        self.collector.begin(session.items)
        self._output.seek(0)
        self._output.truncate()
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.stats.clear()  # it keeps every report of the session; a long-lived worker must not
        with as_pytest_main():
            try:
                config.hook.pytest_runtestloop(session=session)
            except (KeyboardInterrupt, pytest.exit.Exception):
                status = pytest.ExitCode.INTERRUPTED
            except BaseException:
                status = pytest.ExitCode.INTERNAL_ERROR
            else:
                status = pytest.ExitCode.TESTS_FAILED if session.testsfailed else pytest.ExitCode.OK
            finally:
                try:  # no fixture (no sandbox child) outlives the run, whatever stopped it
                    session._setupstate.teardown_exact(None)
                except BaseException:
                    status = pytest.ExitCode.INTERNAL_ERROR
        return status
