"""The status line: where EM is, how good the fit is, and what the engine warns about.

Numbers are written for people (:mod:`gmm_gui.ui.numbers`): the log-likelihood with six
significant digits and its thousands separated (``-51,674,995`` rather than
``-51674994.6627``), its change with three, counts with separators.
"""

from __future__ import annotations

import math

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.io import Dataset
from gmm_gui.io.errors import shorten
from gmm_gui.ui.numbers import format_change, format_count, format_number
from gmm_gui.ui.panels.eliding import ElidingLabel

#: The status line quotes at most this much of the first note about the data (the tooltip has
#: all of them).
NOTE_CHARS = 90

_NO_WARNINGS = "Warnings from the engine appear here."

__all__ = ["StatusPanel", "describe_warning_count", "phase_text"]


def phase_text(snapshot: Snapshot) -> str:
    """A short sentence saying what the last half-step did."""
    if snapshot.mixture is None:
        return "No Gaussians yet: click on the plot to place one, or press New start"
    if snapshot.phase == "start":
        return "drag or place Gaussians, then press E"
    if snapshot.phase == "E":
        return "responsibilities recomputed, points recoloured"
    return "Gaussians re-estimated from their points"


def _below_tol(change: float | None, tol: float | None) -> bool:
    return change is not None and tol is not None and math.isfinite(change) and abs(change) < tol


def _converged_tooltip(snapshot: Snapshot) -> str:
    tol = "tol" if snapshot.tol is None else f"tol = {format_number(snapshot.tol)}"
    return (
        "EM stops after the iteration that follows a change below "
        f"{tol} (scikit-learn's rule, which looks one iteration behind): a change below tol "
        "on screen means one more iteration. Converged is not yet a local maximum unless tol "
        "is tight; a degenerate run (a component collapsed) is a singularity, not a maximum."
    )


def describe_warning_count(n: int) -> str:
    """'1 warning' / '3 warnings'."""
    return f"{n} warning" if n == 1 else f"{n} warnings"


def _reserve_width(label: QLabel, *samples: str) -> None:
    """Give ``label`` at least the width of the widest of ``samples`` (rich text allowed)."""
    widths = []
    for sample in samples:
        label.setText(sample)
        widths.append(label.sizeHint().width())
    label.setText("")
    label.setMinimumWidth(max(widths))


class StatusPanel(QWidget):
    """Iteration, phase, log-likelihood and its change, convergence, rows dropped, warnings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status_panel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        # the step, the data and the warning are shortened at a word boundary with "…" when
        # the line is too narrow (large type), the whole text then in the tooltip
        self.step_label = ElidingLabel(
            "Iteration (one E-step then one M-step) and the last half-step."
        )
        self.step_label.setObjectName("status_step")
        self.ll_label = QLabel()
        self.ll_label.setObjectName("status_ll")
        self.ll_label.setToolTip(
            "Mean log-likelihood per point: how well the Gaussians explain the data "
            "(higher is better),\nand its change since the previous iteration."
        )
        self.converged_label = QLabel()
        self.converged_label.setObjectName("status_converged")
        self.converged_label.setToolTip(
            "EM has converged when the log-likelihood changes by less than the tolerance. "
            "Degenerate: a Gaussian collapsed, a singularity rather than a maximum."
        )
        # The file's name and what io says about its values are text from the file: plain.
        self.data_label = ElidingLabel(
            "The data open, and rows left out because they were unusable."
        )
        self.data_label.setObjectName("status_data")
        self.warning_label = ElidingLabel(_NO_WARNINGS)  # plain text: the engine's words
        self.warning_label.setObjectName("status_warnings")
        self.warning_label.setMinimumWidth(40)
        self.warning_label.setStyleSheet("color: #b00020;")
        # A half-step changes the texts; the labels must not move for that, or the status bar
        # is re-laid out and repainted twice on every frame of an animation. So the step
        # label's width comes from the space there is (its text is cut short in a narrow
        # window rather than pushing the others over), and the two labels after it keep the
        # width of their longest usual text.
        self.step_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.step_label.set_segments([("Iteration 9999 · M-step", True)])
        self.step_label.setMinimumWidth(self.step_label.sizeHint().width())
        self.step_label.set_segments([])
        layout.addWidget(self.step_label, 3)
        layout.addSpacing(14)
        for w in (self.ll_label, self.converged_label, self.data_label):
            layout.addWidget(w)
            layout.addSpacing(14)
        layout.addWidget(self.warning_label, 1)
        _reserve_width(
            self.ll_label,
            "log-likelihood -88,888,888 <span>(change -8.88e-88)</span>",
            "log-likelihood: –",
        )
        _reserve_width(
            self.converged_label,
            "<b>converged, degenerate</b>",
            "stopped at max_iter",
            "below tol: 1 more iteration",
        )

    def set_dataset(self, dataset: Dataset) -> None:
        """Name the data open, its size, the rows dropped and the doubtful readings.

        The reasons rows were dropped and every note of ``dataset.notes`` (a decimal comma
        that may be a thousands separator) are in the tooltip; the first note is also quoted,
        shortened, in the line itself. All of it is shown as plain text.
        """
        dropped = f", {format_count(dataset.n_dropped)} rows dropped" if dataset.n_dropped else ""
        text = f"{dataset.name}: {format_count(dataset.n_samples)} points{dropped}"
        notes = tuple(dataset.notes)
        if notes:
            more = f" (+{len(notes) - 1} more)" if len(notes) > 1 else ""
            text += f" · note: {shorten(notes[0], NOTE_CHARS)}{more}"
        tooltip = list(dataset.drop_reasons) or ["No rows were dropped."]
        tooltip += [f"Note: {note}" for note in notes]
        self.set_data_text(text, "\n".join(tooltip))

    def set_data_text(self, text: str, tooltip: str = "") -> None:
        """Describe the data open (name, points, rows dropped); both texts are plain text."""
        self.data_label.set_plain_text(text, tooltip or None)

    def set_snapshot(self, snapshot: Snapshot, previous_ll: float | None) -> None:
        """Describe ``snapshot``; ``previous_ll`` is the value one iteration before (with
        ``snapshot.log_posterior`` the value is the mean log-posterior per point)."""
        if snapshot.phase == "start":
            step = "Start"
        elif snapshot.phase == "E":
            step = f"Iteration {snapshot.iteration + 1} · E-step"
        else:
            step = f"Iteration {snapshot.iteration} · M-step"
        self.step_label.set_segments([(step, True), (f": {phase_text(snapshot)}", False)])
        ll = snapshot.mean_log_likelihood
        name = "log-posterior" if snapshot.log_posterior else "log-likelihood"
        change: float | None = None
        if ll is None:
            self.ll_label.setText(f"{name}: –")
        else:
            text = f"{name} {format_number(ll)}"
            if previous_ll is not None:
                change = ll - previous_ll
                colour = "#b00020" if change < -1e-10 * max(1.0, abs(ll)) else "#1b5e20"
                text += f" <span style='color:{colour}'>(change {format_change(change)})</span>"
            self.ll_label.setText(text)
        if snapshot.mixture is None or snapshot.phase == "start":
            self.converged_label.setText("")
        elif snapshot.degenerate:
            self.converged_label.setText(
                "<b style='color:#b00020'>"
                + ("converged, " if snapshot.converged else "")
                + "degenerate</b>"
            )
        elif snapshot.converged:
            self.converged_label.setText("<b style='color:#1b5e20'>converged</b>")
        elif snapshot.stopped_at_max_iter:
            self.converged_label.setText("<b style='color:#b00020'>stopped at max_iter</b>")
        elif snapshot.phase == "M" and _below_tol(change, snapshot.tol):
            # scikit-learn's rule looks one iteration behind: the change shown is below tol,
            # so the next iteration is the last one (EM stops after it)
            self.converged_label.setText("below tol: 1 more iteration")
        else:
            self.converged_label.setText("not converged yet")
        self.converged_label.setToolTip(_converged_tooltip(snapshot))
        if snapshot.warnings:
            first = snapshot.warnings[0]
            more = len(snapshot.warnings) - 1
            text = f"⚠ {first}" + (f" (+{more} more)" if more else "")
            about = "\n".join(f"⚠ {w}" for w in snapshot.warnings)
            self.warning_label.set_plain_text(text, about)
        else:
            self.warning_label.set_plain_text("", _NO_WARNINGS)
        # a warning says more than the step's caption: it gets as much of the room as the
        # caption while there is one (the line is laid out again only when that changes)
        stretch = 1 if snapshot.warnings else 3
        if self.layout().stretch(0) != stretch:
            self.layout().setStretch(0, stretch)
