"""The plot area of the window: a title, the hint, the engine's warnings and the plot view.

The view is a :class:`~gmm_gui.ui.views.PlotView1D` or :class:`~gmm_gui.ui.views.PlotView2D`,
made when data of that dimension is first shown and replaced when the dimension changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.io import Dataset
from gmm_gui.model import RUN_TOL
from gmm_gui.ui.numbers import format_count
from gmm_gui.ui.views import PlotView1D, PlotView2D

__all__ = [
    "PlotArea",
    "degenerate_text",
    "hint_text",
    "outcome_text",
    "step_caption",
    "stop_words",
]


def step_caption(snap: Snapshot) -> str:
    """Where the run is, for the timeline ("iteration 3: M-step (converged)")."""
    if snap.phase == "start":
        return "start"
    if snap.phase == "E":
        return f"iteration {snap.iteration + 1}: E-step"
    outcome = stop_words(snap)
    return f"iteration {snap.iteration}: M-step" + (f" ({outcome})" if outcome else "")


def stop_words(snap: Snapshot) -> str:
    """How an M-step state stands, in a few words: "converged", "converged, degenerate" (a
    collapse is never called converged alone), "degenerate", "stopped at max_iter" or ""."""
    if snap.phase != "M":
        return ""
    if snap.degenerate:
        return "converged, degenerate" if snap.converged else "degenerate"
    if snap.converged:
        return "converged"
    return "stopped at max_iter" if snap.stopped_at_max_iter else ""


def hint_text(snap: Snapshot) -> str:
    """What the user can do now, for the line above the plot."""
    if snap.mixture is None:
        return "Click on the plot to place a Gaussian, or press New start."
    if snap.editable:
        return (
            "Start: click empty space to add a Gaussian, drag a centre to move it (the "
            "points show which Gaussian would claim them), drag a square handle to reshape "
            "it, right-click a centre to remove it. Then press E, or Space to play."
        )
    outcome = outcome_text(snap)
    if outcome:
        return outcome
    if snap.phase == "E":
        return "Each point is coloured by the Gaussians responsible for it. Press M next."
    return "The Gaussians moved to fit the points they are responsible for. Press E next."


def degenerate_text(components: tuple[int, ...], prior: bool = False) -> str:
    """The sentence for a degenerate solution (``components`` 0-based, not empty).

    With the prior on nothing collapses (the prior bounds the posterior): the component owns
    too few points to estimate a spread from, so its shape is the prior's, not the data's.
    """
    names = ", ".join(str(k + 1) for k in components)
    which = f"component {names}" if len(components) == 1 else f"components {names}"
    if prior:
        owns = "owns" if len(components) == 1 else "own"
        return (
            f"a degenerate solution: {which} {owns} too few points to estimate a spread from "
            "(fewer than the dimensions plus one), so the prior, not the data, sets its shape; "
            "not a maximum to trust — try fewer Gaussians"
        )
    return (
        f"a degenerate solution: {which} collapsed (onto a point, a line, or too few points to "
        "estimate a spread); its likelihood grows without bound; this is a singularity, not a "
        "maximum — turn on the prior or raise reg_covar"
    )


#: A run that converged at this tolerance or a tighter one is called a local maximum (Restarts,
#: the start map and Choose K climb to RUN_TOL); a looser one has only slowed down.
MAXIMUM_TOL = 1e-8


def outcome_text(snap: Snapshot) -> str:
    """What a run has reached, honestly ("" while it is simply under way).

    Only a converged, non-degenerate run is called a local maximum (of the likelihood, or of
    the posterior with the prior on); a degenerate one is named a singularity, and one stopped
    by ``max_iter`` is said to have stopped without converging.
    """
    if snap.mixture is None or snap.phase == "start":
        return ""
    if snap.degenerate:
        prefix = "EM has converged to " if snap.converged else "EM is heading for "
        return prefix + degenerate_text(snap.degenerate, bool(snap.log_posterior)) + "."
    objective = "log-posterior" if snap.log_posterior else "log-likelihood"
    if snap.converged:
        tol = "" if snap.tol is None else f" = {snap.tol:g}"
        target = "posterior" if snap.log_posterior else "likelihood"
        if snap.tol is not None and snap.tol <= MAXIMUM_TOL:
            return (
                f"EM has converged (the change in {objective} per point fell below tol{tol}): "
                f"a local maximum of the {target}. Drag the timeline to look back, or Reset, "
                "move a start mean and Replay to look for another one."
            )
        # A loose tolerance stops EM where it has slowed down, which may still be far from
        # the maximum it is climbing to (a bad start's wide Gaussian keeps growing for
        # hundreds of iterations at 1e-4 a step): say so, not "a maximum".
        return (
            f"EM has converged at tol{tol} (the change in {objective} per point fell below it): "
            f"it has slowed down, close to a maximum of the {target} or still on its way to one. "
            f"Set tol to {RUN_TOL:g} and Run to convergence to see where it ends."
        )
    if snap.stopped_at_max_iter:
        return (
            f"EM stopped after max_iter = {snap.max_iter} iterations without converging (the "
            f"{objective} was still changing by more than tol). Raise max_iter to let it go on."
        )
    return ""


class PlotArea(QWidget):
    """The title, hint and warning lines, and the plot view under them.

    Signals
    -------
    view_changed(object)
        A new plot view was made (the old one, if any, is closed and deleted).
    """

    view_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: PlotView1D | PlotView2D | None = None
        self.view_title = QLabel("")
        self.view_title.setObjectName("view_title")
        self.view_title.setToolTip("The data open and what the plot shows.")
        self.view_title.setStyleSheet("font-weight: 600; padding: 2px 6px;")
        self.hint = QLabel("")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #444; padding: 0 6px 2px 6px;")
        self.hint.setToolTip("What you can do now.")
        # Room for two lines always: a hint of one line after one of two would make the plot
        # taller and repaint and re-rasterise all of it (and it would jump under the mouse).
        self.hint.setMinimumHeight(2 * self.hint.fontMetrics().lineSpacing() + 4)
        self.warning_banner = QLabel("")
        self.warning_banner.setObjectName("warning_banner")
        self.warning_banner.setWordWrap(True)
        self.warning_banner.setStyleSheet(
            "background: #fff4ce; color: #5c3c00; border: 1px solid #e0b94f; "
            "border-radius: 3px; padding: 4px 8px; margin: 2px 6px;"
        )
        self.warning_banner.setToolTip(
            "The engine noticed something wrong with a Gaussian; the sentence says what to do."
        )
        self.warning_banner.setVisible(False)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.view_title)
        self._layout.addWidget(self.hint)
        self._layout.addWidget(self.warning_banner)
        self._placeholder: QLabel | None = QLabel("Open a data file (File > Open) or a sample.")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._placeholder, 1)

    def show_dataset(self, dataset: Dataset, title: str | None = None) -> None:
        """Name the data shown (``title``, or the file's name), its axes and its size."""
        axes = " × ".join(dataset.columns)
        name = title or dataset.name
        self.view_title.setText(f"{name} — {axes}, {format_count(dataset.n_samples)} points")

    def show_snapshot_text(self, snap: Snapshot) -> None:
        """The hint and the engine's warnings for ``snap``."""
        self.hint.setText(hint_text(snap))
        if snap.warnings:
            self.warning_banner.setText("⚠ " + "<br>⚠ ".join(snap.warnings))
            self.warning_banner.setVisible(True)
        else:
            self.warning_banner.setText("")
            self.warning_banner.setVisible(False)

    def ensure_view(self, n_features: int, animation_ms: int) -> bool:
        """Make the view for data of ``n_features`` columns, unless it is there; True if made."""
        cls = PlotView1D if n_features == 1 else PlotView2D
        if isinstance(self.view, cls):
            return False
        if self.view is not None:
            self._layout.removeWidget(self.view)
            self.view.close()
            self.view.deleteLater()
        if self._placeholder is not None:
            self._layout.removeWidget(self._placeholder)
            # Hidden now: deleteLater waits for the event loop, and until then the label would
            # lie under the plot, making every change around it repaint the whole plot.
            self._placeholder.hide()
            self._placeholder.deleteLater()
            self._placeholder = None
        view = cls()
        view.setObjectName("plot_view")
        # No widget tooltip here: it would cover the view's own tooltips (a point's
        # responsibilities, the handles); the hint line above the plot says what to do.
        view.set_animation_ms(animation_ms)
        self._layout.addWidget(view, 1)
        self.view = view
        self.view_changed.emit(view)
        return True
