"""The status bar's progress bar and Cancel button (shown while work lasts), and its problem line.

A run to convergence shows them at once; a half-step, a drag preview, a new start on a large data
set, or a background load only when it lasts longer than :attr:`BusyIndicator.progress_delay_ms`
(no flicker while playing).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

from gmm_gui.controller.workspace import Workspace
from gmm_gui.ui.dialogs.messages import plain_tooltip

__all__ = ["LOAD_PROGRESS_DELAY_MS", "PROBLEM_MS", "BusyIndicator", "ProblemLabel"]

#: A background load, half-step, preview or new start that lasts longer than this shows the
#: progress bar and Cancel (a run to convergence shows them at once).
LOAD_PROGRESS_DELAY_MS = 1000

#: How long a problem stays in the status bar.
PROBLEM_MS = 8000

_TIP = "Progress of the computation running in the background."


class BusyIndicator(QObject):
    """Progress bar and Cancel in ``status_bar`` for the session's work and background loads.

    Parameters
    ----------
    status_bar : QStatusBar
        Gets the two widgets (permanent, on the right) and the "Loading …" message.
    workspace : Workspace
        Its session's work, and its ``load_started`` / ``load_finished`` signals.
    cancel_action : QAction
        Enabled while there is something to cancel.
    """

    def __init__(
        self, status_bar: QStatusBar, workspace: Workspace, cancel_action: QAction
    ) -> None:
        super().__init__(status_bar)
        self.progress_delay_ms = LOAD_PROGRESS_DELAY_MS
        self._status_bar = status_bar
        session = workspace.session
        self._session = session
        self._load_path: str | None = None  # the background load under way
        self._cancel_action = cancel_action
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("progress_bar")
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.setToolTip(_TIP)
        self.progress_bar.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.setToolTip("Stop the computation in progress (Esc).")
        self.cancel_button.setVisible(False)
        status_bar.addPermanentWidget(self.progress_bar)
        status_bar.addPermanentWidget(self.cancel_button)
        self._load_timer = QTimer(self)
        self._load_timer.setSingleShot(True)
        self._load_timer.timeout.connect(self.refresh)
        self._busy_since_timer = QTimer(self)
        self._busy_since_timer.setSingleShot(True)
        self._busy_since_timer.timeout.connect(self.refresh)
        session.busy_changed.connect(self._on_busy)
        session.progress.connect(self._on_progress)
        workspace.load_started.connect(self._on_load_started)
        workspace.load_finished.connect(self._on_load_finished)

    def stop(self) -> None:
        """Stop the timers (on close)."""
        self._load_timer.stop()
        self._busy_since_timer.stop()

    @Slot()
    def refresh(self) -> None:
        """Show or hide the progress bar and Cancel for the work under way now."""
        path = self._load_path
        load_shown = path is not None and not self._load_timer.isActive()
        if load_shown:
            self.progress_bar.setRange(0, 0)
            self.progress_bar.setToolTip(plain_tooltip(f"Loading {Path(path).name}…"))
        else:
            self.progress_bar.setToolTip(_TIP)
        session = self._session
        session_shown = session.busy and (
            session.job_kind == "run" or not self._busy_since_timer.isActive()
        )
        shown = session_shown or load_shown
        self.progress_bar.setVisible(shown)
        self.cancel_button.setVisible(shown)
        self._cancel_action.setEnabled(shown or path is not None or session.playing)

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.progress_bar.setRange(0, 0)  # busy indicator until a figure arrives
            self._busy_since_timer.start(max(0, self.progress_delay_ms))
        else:
            self._busy_since_timer.stop()
        self.refresh()

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)
        self.progress_bar.setFormat(f"iteration {done}")

    @Slot(str)
    def _on_load_started(self, path: str) -> None:
        self._load_path = path
        self._status_bar.showMessage(f"Loading {Path(path).name}…")
        self._load_timer.start(max(0, self.progress_delay_ms))
        self.refresh()

    @Slot()
    def _on_load_finished(self) -> None:
        self._load_path = None
        self._load_timer.stop()
        self._status_bar.clearMessage()
        self.refresh()


class ProblemLabel(QLabel):
    """The last problem reported, in red in the status bar for :data:`PROBLEM_MS`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setObjectName("message_label")
        self.setTextFormat(Qt.TextFormat.PlainText)  # problems quote files: names, headers
        self.setStyleSheet("color: #b00020;")
        self.setToolTip("The last problem reported.")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.setText(""))

    def show_problem(self, text: str) -> None:
        """Show ``text`` for a few seconds."""
        self.setText(text)
        self._timer.start(PROBLEM_MS)

    def stop(self) -> None:
        """Stop the timer (on close)."""
        self._timer.stop()
