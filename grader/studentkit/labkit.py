"""labkit: shared helpers for the ML Operations lab notebooks.

Loads your track's constants from ``tracks.json`` (shipped beside the
notebook), gives every figure the same look, and wires optional sliders.
It contains no formulas: everything you are graded on, you write yourself.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

TRACK_KEYS = ("cloud_titan", "edge_guardian", "mobile_nomad", "tiny_pioneer")
PALETTE = {"train": "#4C72B0", "live": "#DD8452", "ok": "#55A868", "bad": "#C44E52", "neutral": "#8172B2"}
GRADING = os.environ.get("OPSGRADE_SANDBOX") == "1"


SETUP_CELL = "# Your track"
"""How the setup cell that sets ``TRACK`` starts, in every notebook (Jupyter shows no cell numbers)."""


class TrackError(ValueError):
    """``TRACK`` is unset or names no track: a setup mistake, shown in Jupyter as two lines, no traceback.

    IPython prints what ``_render_traceback_`` returns instead of the traceback, so the student reads what is
    wrong and what to do, not the inside of labkit. ``str()`` is the same text on one line (for the grader).
    """

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(f"{problem} {fix}".strip())
        self.problem, self.fix = problem, fix

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31mTrackError\x1b[0m: {self.problem}", self.fix]


class Track(dict):
    """A track's constants; keys also readable as attributes (``track.scenario``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            value = self[name]
        except KeyError:
            raise AttributeError(name) from None
        return Track(value) if isinstance(value, dict) else value


def load_track(key: str, path: str | os.PathLike = "tracks.json") -> Track:
    """Return the constants of track ``key`` from the constants file.

    Raises :class:`TrackError` (a ``ValueError``), two lines naming the valid keys and the cell to fix, when
    ``key`` is unset (``...`` or ``None``) or misspelt.
    """
    choices = ", ".join(f'"{k}"' for k in TRACK_KEYS)
    where = f'In the cell that starts with "{SETUP_CELL}", write TRACK = one of {choices} (with the quotes)'
    if key is None or key is Ellipsis or key == "":
        raise TrackError("TRACK is not set.", f"{where}, then run that cell again. You are graded on the track you "
                         "set.") from None
    if key not in TRACK_KEYS:
        raise TrackError(f"TRACK must be one of the four tracks, got {key!r}.", f"{where}, then run that cell again.")
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return Track(data[key])


def new_figure(ncols: int = 1, width: float = 6.0, height: float = 3.6):
    """A matplotlib figure and axes with the labs' common style."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), constrained_layout=True)
    for ax in (axes if ncols > 1 else [axes]):
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def save_figure(fig, path: str | os.PathLike | None) -> None:
    """Save ``fig`` as PNG when ``path`` is given (instructors' solution figures)."""
    if path:
        fig.savefig(path, dpi=110)


def interactive(draw: Callable[..., Any], **controls: Any) -> None:
    """Redraw ``draw(**values)`` from sliders when a Jupyter front end is present.

    ``controls`` map a parameter name to ``(min, max, step, default)`` for a
    float slider, or to a list of choices (first is the default). Headless
    (batch execution) the figure is drawn once with the defaults. While the
    autograder runs the notebook nothing is drawn: no test looks at a figure,
    and matplotlib would cost every submission its import.
    """
    if GRADING:
        return
    defaults = {k: (v[3] if isinstance(v, tuple) else v[0]) for k, v in controls.items()}
    if os.environ.get("LABKIT_HEADLESS"):
        draw(**defaults)
        return
    ipython = sys.modules.get("IPython")  # a Jupyter kernel has it loaded; importing it here would cost ~0.2 s
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell" or os.environ.get("LABKIT_HEADLESS"):
        draw(**defaults)
        return
    try:
        import ipywidgets as w
    except ImportError:
        draw(**defaults)
        return
    widgets = {}
    for name, spec in controls.items():
        if isinstance(spec, tuple):
            lo, hi, step, value = spec
            widgets[name] = w.FloatSlider(min=lo, max=hi, step=step, value=value, description=name,
                                          continuous_update=False)
        else:
            widgets[name] = w.Dropdown(options=list(spec), value=spec[0], description=name)
    w.interact(draw, **widgets)
