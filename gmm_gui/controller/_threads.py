"""The job runner's worker threads, and the sentence a failure becomes (QtCore only).

Split from :mod:`gmm_gui.controller.jobs`, which is the public face: a :class:`_LaneThread` runs
the jobs of one lane, one at a time, and posts each result back to the runner's UI thread.
"""

from __future__ import annotations

import queue
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QDeadlineTimer, QThread

# A job and its runner are typed loosely here: naming gmm_gui.controller.jobs' classes would
# make an import cycle (the layer contracts forbid one, type-checking imports included).
Job = Any

__all__ = ["describe_exception"]

# Threads that had not ended when their runner shut down: kept referenced so that Qt never
# destroys a running QThread (which aborts the process).
_STRAYS: list[QThread] = []


def describe_exception(exc: BaseException) -> str:
    """The sentence shown to the user for a failure, whichever thread it happened on.

    Parameters
    ----------
    exc : BaseException

    Returns
    -------
    str
        The exception's message; for a singular matrix, a sentence saying what to do.
    """
    if isinstance(exc, np.linalg.LinAlgError):
        return (
            "a Gaussian became degenerate (its covariance is no longer invertible); "
            "remove it or start again"
        )
    return str(exc).strip() or exc.__class__.__name__


class _LaneThread(QThread):
    """A worker thread: runs the jobs handed to it one at a time until retired."""

    def __init__(self, runner: Any, lane: str) -> None:
        super().__init__(runner)
        self.setObjectName(f"gmm_gui_jobs_{lane}")
        self._runner = runner
        self.lane = lane
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.job: Job | None = None  # the job being run, read by other threads
        self.retired = False

    def put(self, job: Job) -> None:
        self.job = job
        self._queue.put(job)

    def retire(self) -> None:
        """End once the job in hand (if any) has returned."""
        if not self.retired:
            self.retired = True
            self._queue.put(None)

    def run(self) -> None:
        runner = self._runner
        done, progress_signal = runner._done, runner._progress
        while True:
            job = self._queue.get()
            if job is None:
                return

            def progress(n_done: int, total: int, job: Job = job) -> None:
                now = time.monotonic()
                if n_done >= total or now - job._last_progress >= runner.progress_interval_s:
                    job._last_progress = now
                    progress_signal.emit(job, int(n_done), int(total))

            try:
                result = job.work(progress, job.cancel_event.is_set)
            except Exception as exc:  # noqa: BLE001 - delivered to the user as a sentence
                done.emit(job, False, describe_exception(exc))
            else:
                done.emit(job, True, result)
            finally:
                if self.job is job:  # not the next job, handed over meanwhile (pipelined)
                    self.job = None
                job._ran.set()  # after the emit: once set, the delivery is already posted


def _stop_threads(threads: list[_LaneThread], timeout_ms: int) -> None:
    """Cancel, retire and wait for ``threads`` (also called when the runner is destroyed)."""
    deadline = QDeadlineTimer(timeout_ms)
    for thread in list(threads):
        try:
            job = thread.job
            if job is not None:
                job.cancel_event.set()
            thread.retire()
        except RuntimeError:  # already deleted by Qt
            threads.remove(thread)
    for thread in list(threads):
        try:
            ended = thread.wait(deadline)
        except RuntimeError:
            ended = True
        if not ended:
            thread.setParent(None)
            _STRAYS.append(thread)
        threads.remove(thread)
