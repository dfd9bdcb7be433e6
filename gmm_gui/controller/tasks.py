"""Long computations in a background thread, with progress and Cancel (an adapter).

:class:`BackgroundTask` is kept for the widgets that still use it; it is one lane of a
:class:`~gmm_gui.controller.jobs.JobRunner` with a single kind of policy ``REPLACE``. New code
uses the runner directly (see :class:`~gmm_gui.controller.workspace.Workspace.jobs`). Only
``PySide6.QtCore`` is used.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal

from gmm_gui.controller.jobs import Job, JobRunner, Kind, Policy, Work

__all__ = ["BackgroundTask", "Work"]

_KIND = "task"
_LANE = "task"


class BackgroundTask(QObject):
    """Runs one piece of work at a time off the UI thread; starting new work replaces it.

    Signals
    -------
    progress(int, int)
        Units done and units in all, at most about 20 times a second (the last always).
    finished(object)
        The work's result (emitted also when the work noticed a cancel and returned early; the
        result then says so, e.g. a ``cancelled`` flag). Never for work that was replaced.
    failed(str)
        The work raised; the sentence says why.
    running_changed(bool)
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = self._new_runner()

    def _new_runner(self) -> JobRunner:
        runner = JobRunner(self)
        runner.register(Kind(_KIND, Policy.REPLACE, lane=_LANE))
        runner.busy_changed.connect(lambda _lane, busy: self.running_changed.emit(busy))
        return runner

    def is_running(self) -> bool:
        """True while work is under way."""
        return self._runner.busy(_LANE)

    def start(self, work: Work) -> None:
        """Run ``work(progress, should_cancel)`` in a worker thread.

        Work still running is cancelled first; its result, when it comes, is dropped. After
        :meth:`shutdown` the task may start work again.
        """
        if self._runner.closed:
            self._runner.deleteLater()
            self._runner = self._new_runner()
        self._runner.submit(
            _KIND,
            work,
            on_result=self.finished.emit,
            on_failure=self.failed.emit,
            on_progress=self.progress.emit,
        )

    @property
    def _thread(self) -> QThread | None:
        """The thread of the work under way, or ``None`` (read by tests of ui/)."""
        return self._runner.thread(_LANE) if self.is_running() else None

    def cancel(self) -> None:
        """Ask the running work to stop at its next ``should_cancel()`` check."""
        self._runner.cancel(_LANE)

    def drop(self) -> None:
        """Give up the work under way (e.g. it is for data no longer open): it is cancelled,
        and nothing it still reports (progress, a result, a failure) is emitted."""
        self._runner.drop(_LANE)

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the running work has ended (tests and shutdown); True if it did."""
        job: Job | None = self._runner.running(_LANE)
        return job is None or job.wait_ran(timeout_ms)

    def shutdown(self) -> None:
        """Cancel and wait for the work (call on close, so no thread outlives the window)."""
        self._runner.shutdown()
