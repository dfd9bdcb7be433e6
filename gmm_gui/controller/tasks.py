"""Long computations in a background thread, with progress and Cancel.

The engine's long functions (restarts, basin maps, the choice of K, loading a large file) take
``progress(done, total)`` and ``should_cancel()`` callables. :class:`BackgroundTask` runs one of
them in its own ``QThread`` and reports back on the UI thread by queued signals, so the window keeps
painting and answering while it works. Only ``PySide6.QtCore`` is used.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

__all__ = ["BackgroundTask", "Work"]

#: What a task runs: ``work(progress, should_cancel) -> result``.
Work = Callable[[Callable[[int, int], None], Callable[[], bool]], Any]

#: Progress reports are passed on at most this often (a tight loop must not flood the UI).
_PROGRESS_INTERVAL_S = 0.05


class _Thread(QThread):
    def __init__(self, task: BackgroundTask, work: Work, token: int) -> None:
        super().__init__(task)
        self._task = task
        self._work = work
        self._token = token
        self._last_progress = 0.0

    def run(self) -> None:
        task, token = self._task, self._token

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if done >= total or now - self._last_progress >= _PROGRESS_INTERVAL_S:
                self._last_progress = now
                task._progress.emit(token, int(done), int(total))

        try:
            result = self._work(progress, task._cancel_event.is_set)
        except Exception as exc:  # noqa: BLE001 - reported to the user as a sentence
            task._failed.emit(token, str(exc).strip() or exc.__class__.__name__)
        else:
            task._finished.emit(token, result)


class BackgroundTask(QObject):
    """Runs one piece of work at a time off the UI thread.

    Signals
    -------
    progress(int, int)
        Units done and units in all, at most about 20 times a second.
    finished(object)
        The work's result (emitted also when the work noticed a cancel and returned early; the
        result then says so, e.g. a ``cancelled`` flag).
    failed(str)
        The work raised; the sentence says why.
    running_changed(bool)
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    running_changed = Signal(bool)

    _progress = Signal(int, int, int)
    _finished = Signal(int, object)
    _failed = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel_event = threading.Event()
        self._thread: _Thread | None = None
        self._replaced: list[_Thread] = []  # cancelled work still ending; waited for on shutdown
        self._token = 0
        self._progress.connect(self._on_progress)
        self._finished.connect(self._on_finished)
        self._failed.connect(self._on_failed)

    def is_running(self) -> bool:
        """True while work is under way."""
        return self._thread is not None

    def start(self, work: Work) -> None:
        """Run ``work(progress, should_cancel)`` in a new thread.

        Work still running is cancelled first; its result, when it comes, is dropped.
        """
        if self._thread is not None:
            self.cancel()
            self._detach()
        self._token += 1
        self._cancel_event = threading.Event()
        thread = _Thread(self, work, self._token)
        self._thread = thread
        thread.start()
        self.running_changed.emit(True)

    def cancel(self) -> None:
        """Ask the running work to stop at its next ``should_cancel()`` check."""
        self._cancel_event.set()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the running work has ended (tests and shutdown); True if it did."""
        thread = self._thread
        return thread is None or thread.wait(timeout_ms)

    def shutdown(self) -> None:
        """Cancel and wait for the work (call on close, so no thread outlives the window)."""
        self.cancel()
        if self._thread is not None:
            self._detach()
        for thread in self._replaced:
            thread.wait()
            thread.deleteLater()
        self._replaced.clear()

    def _detach(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            # Its result is ignored by token; it is deleted only once it has ended, here or in
            # shutdown(), never by a deleteLater racing a later wait().
            still_running = []
            for old in self._replaced:
                if old.isRunning():
                    still_running.append(old)
                else:
                    old.deleteLater()
            self._replaced = [*still_running, thread]
            self.running_changed.emit(False)

    def _on_progress(self, token: int, done: int, total: int) -> None:
        if token == self._token:
            self.progress.emit(done, total)

    def _on_finished(self, token: int, result: object) -> None:
        if token == self._token:
            self._end()
            self.finished.emit(result)

    def _on_failed(self, token: int, message: str) -> None:
        if token == self._token:
            self._end()
            self.failed.emit(message)

    def _end(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.wait()
            thread.deleteLater()
        self.running_changed.emit(False)
