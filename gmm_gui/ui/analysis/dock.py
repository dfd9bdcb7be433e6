"""The skeleton every analysis dock shares: background work, its progress, Cancel, staleness.

A dock subclasses :class:`AnalysisDock`, builds its controls, calls :meth:`AnalysisDock.start_work`
with an engine function of the shape ``work(progress, should_cancel) -> result``, and overrides
:meth:`~AnalysisDock.on_result`, :meth:`~AnalysisDock.on_failure`,
:meth:`~AnalysisDock.on_running` and :meth:`~AnalysisDock.on_data_changed` as needed.

What the work reports is shown only while it answers the last request: when the data change the
work under way is cancelled and whatever it still reports (progress, a partial result, a failure)
is dropped here, in one place. (The task itself already drops what replaced work reports.)
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QProgressBar, QPushButton, QWidget

from gmm_gui.controller.tasks import BackgroundTask, Work
from gmm_gui.ui.analysis.context import AnalysisContext
from gmm_gui.ui.overlay import ViewOverlay

__all__ = ["AnalysisDock"]


class AnalysisDock(QDockWidget):
    """A dock whose tool runs in the background, with a progress bar and Cancel.

    Parameters
    ----------
    title : str
    workspace : AnalysisContext
        The data, the session and the start options (the controller's Workspace later).
    overlay : ViewOverlay
        What the dock may draw on the main plot.
    parent : QWidget, optional

    Attributes
    ----------
    task : BackgroundTask
        Where the work runs (its signals may be watched; the dock handles them).
    progress_bar : QProgressBar
    cancel_button : QPushButton
    """

    #: Hide the progress bar while nothing runs.
    HIDE_PROGRESS_WHEN_IDLE = True
    #: Closing the dock cancels the work.
    CANCEL_ON_CLOSE = True

    def __init__(
        self,
        title: str,
        workspace: AnalysisContext,
        overlay: ViewOverlay,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, parent)
        self.workspace = workspace
        self.view_overlay = overlay
        self._generation = 0  # raised when the data change: what was asked before is stale
        self._asked = -1  # the generation of the work started last (none yet)
        self.task = BackgroundTask(self)
        self.progress_bar = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.task.progress.connect(self._on_progress)
        self.task.finished.connect(self._on_finished)
        self.task.failed.connect(self._on_failed)
        self.task.running_changed.connect(self._on_running)
        workspace.data_changed.connect(self._on_data_changed)

    def run_row(self, *buttons: QWidget) -> QHBoxLayout:
        """A row of ``buttons``, then Cancel, then the progress bar (stretching)."""
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress_bar, 1)
        return row

    # ------------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        """True while the work is under way."""
        return self.task.is_running()

    def start_work(self, work: Work, total: int | None = None) -> None:
        """Run ``work`` in the background (replacing work under way); its reports are current.

        ``total``, when given, resets the progress bar to ``0 of total``.
        """
        if total is not None:
            self.progress_bar.setRange(0, max(1, total))
            self.progress_bar.setValue(0)
        self._asked = self._generation
        self.task.start(work)

    def is_current(self) -> bool:
        """True when what the task reports answers the last request, not one dropped since."""
        return self._asked == self._generation

    @Slot()
    def cancel(self) -> None:
        """Stop the work; what it has done so far is reported as its result."""
        self.task.cancel()

    def shutdown(self) -> None:
        """Cancel and wait for the work (on close)."""
        self.task.shutdown()

    def sync_running(self) -> None:
        """Bring the controls up to date with :attr:`running` (after building them)."""
        self._on_running(self.running)

    def about_to_show(self) -> None:
        """Called before the Analyse menu shows the dock (bring it up to date)."""

    # ------------------------------------------------------------------ hooks
    def on_result(self, result: object) -> None:
        """The current work's result (also after Cancel)."""

    def on_failure(self, message: str) -> None:
        """The current work raised; ``message`` says why."""

    def on_running(self, running: bool) -> None:
        """The work started or ended: enable the controls."""

    def on_data_changed(self) -> None:
        """Other data is open: clear what was shown for the data before."""

    # ------------------------------------------------------------------ plumbing
    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if self.is_current():
            self.progress_bar.setRange(0, max(1, total))
            self.progress_bar.setValue(done)

    @Slot(bool)
    def _on_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        if self.HIDE_PROGRESS_WHEN_IDLE:
            self.progress_bar.setVisible(running)
        self.on_running(running)

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        if self.is_current():  # not for data replaced since
            self.on_result(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.is_current():
            self.on_failure(message)

    @Slot(object)
    def _on_data_changed(self, _dataset: object = None) -> None:
        # Work still under way is for the old data: stopped, and what it reports never shown.
        self._generation += 1
        self.task.cancel()
        self.on_data_changed()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Closing the dock cancels the work (if :attr:`CANCEL_ON_CLOSE`)."""
        if self.CANCEL_ON_CLOSE:
            self.task.cancel()
        self.on_closed()
        super().closeEvent(event)

    def on_closed(self) -> None:
        """The dock was closed: remove what it drew on the main plot."""
