"""The skeleton every analysis dock shares: background work, its progress, Cancel, staleness.

A dock subclasses :class:`AnalysisDock`, builds its controls, calls :meth:`AnalysisDock.start_work`
with an engine function of the shape ``work(progress, should_cancel) -> result``, and overrides
:meth:`~AnalysisDock.on_result`, :meth:`~AnalysisDock.on_failure`,
:meth:`~AnalysisDock.on_running` and :meth:`~AnalysisDock.on_data_changed` as needed.

The work is a job of the dock's own kind (policy ``REPLACE``: new work replaces the work under
way) in the dock's own lane of the workspace's :class:`~gmm_gui.controller.jobs.JobRunner`. When
the data change the lane is dropped, so whatever the work still reports (progress, a partial
result, a failure) is dropped by the runner, in its one place for stale results.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QThread, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QProgressBar, QPushButton, QWidget

from gmm_gui.controller.jobs import Job, Kind, Policy, Work
from gmm_gui.controller.workspace import Workspace
from gmm_gui.ui.overlay import ViewOverlay

__all__ = ["AnalysisDock"]

_serial = itertools.count(1)


class AnalysisDock(QDockWidget):
    """A dock whose tool runs in the background, with a progress bar and Cancel.

    Parameters
    ----------
    title : str
    workspace : Workspace
        The data, the session, the start options and the job runner.
    overlay : ViewOverlay
        What the dock may draw on the main plot.
    parent : QWidget, optional

    Attributes
    ----------
    lane : str
        The dock's lane (and the name of its kind of job) in ``workspace.jobs``.
    progress_bar : QProgressBar
    cancel_button : QPushButton

    Signals
    -------
    work_progress(int, int)
        The current work's progress (units done, units in all).
    work_finished(object)
        The current work's result (also after Cancel), after :meth:`on_result`.
    work_failed(str)
        The current work raised (the sentence says why), after :meth:`on_failure`.
    running_changed(bool)
        The work started, or ended (or was dropped).
    """

    work_progress = Signal(int, int)
    work_finished = Signal(object)
    work_failed = Signal(str)
    running_changed = Signal(bool)

    #: Hide the progress bar while nothing runs.
    HIDE_PROGRESS_WHEN_IDLE = True
    #: Closing the dock cancels the work.
    CANCEL_ON_CLOSE = True

    def __init__(
        self,
        title: str,
        workspace: Workspace,
        overlay: ViewOverlay,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, parent)
        self.workspace = workspace
        self.view_overlay = overlay
        self.lane = f"{type(self).__name__}-{next(_serial)}"
        self._jobs = workspace.jobs
        self._jobs.register(Kind(self.lane, Policy.REPLACE, lane=self.lane))
        self.progress_bar = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self._jobs.busy_changed.connect(self._on_lane_busy)
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
        return self._jobs.busy(self.lane)

    @property
    def job(self) -> Job | None:
        """The work under way, or ``None``."""
        return self._jobs.running(self.lane)

    @property
    def thread(self) -> QThread | None:
        """The thread of the work under way, or ``None``."""
        return self._jobs.thread(self.lane) if self.running else None

    def start_work(self, work: Work, total: int | None = None) -> None:
        """Run ``work`` in the background (replacing work under way); its reports are current.

        ``total``, when given, resets the progress bar to ``0 of total``.
        """
        if total is not None:
            self.progress_bar.setRange(0, max(1, total))
            self.progress_bar.setValue(0)
        self._jobs.submit(
            self.lane,
            work,
            on_result=self._on_finished,
            on_failure=self._on_failed,
            on_progress=self._on_progress,
        )

    @Slot()
    def cancel(self) -> None:
        """Stop the work; what it has done so far is reported as its result."""
        self._jobs.cancel(self.lane)

    def shutdown(self) -> None:
        """Cancel and wait for the work (on close)."""
        self._jobs.stop_lane(self.lane)

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
    # The runner calls these only for the current work of the lane (never for dropped work).
    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)
        self.work_progress.emit(done, total)

    @Slot(str, bool)
    def _on_lane_busy(self, lane: str, busy: bool) -> None:
        if lane == self.lane:
            self._on_running(busy)

    def _on_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        if self.HIDE_PROGRESS_WHEN_IDLE:
            self.progress_bar.setVisible(running)
        self.on_running(running)
        self.running_changed.emit(running)

    def _on_finished(self, result: object) -> None:
        self.on_result(result)
        self.work_finished.emit(result)

    def _on_failed(self, message: str) -> None:
        self.on_failure(message)
        self.work_failed.emit(message)

    @Slot(object)
    def _on_data_changed(self, _dataset: object = None) -> None:
        # Work still under way is for the old data: dropped, and what it reports never shown.
        self._jobs.drop(self.lane)
        self.on_data_changed()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Closing the dock cancels the work (if :attr:`CANCEL_ON_CLOSE`)."""
        if self.CANCEL_ON_CLOSE:
            self.cancel()
        self.on_closed()
        super().closeEvent(event)

    def on_closed(self) -> None:
        """The dock was closed: remove what it drew on the main plot."""
