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
        # This thread must never drop the last reference to anything: a Python-owned QObject
        # reachable from a job (its callbacks are bound methods of sessions and docks) would be
        # deleted here, while the UI thread has events posted to it, and crash the UI thread
        # later. The runner holds every job it started (and, through it, the result) until
        # the job's ``_released`` is set, which happens only once this thread holds nothing of
        # it: the job is run in a frame of its own that has returned by then.
        released_signal = self._runner._released
        while True:
            job = self._queue.get()
            if job is None:
                return
            released = job._released
            self._run_one(job)
            del job
            released.set()
            del released
            released_signal.emit()  # the runner lets go of the job on its own thread

    def _run_one(self, job: Job) -> None:
        runner = self._runner
        done, progress_signal = runner._done, runner._progress

        def progress(n_done: int, total: int, job: Job = job) -> None:
            now = time.monotonic()
            if n_done >= total or now - job._last_progress >= runner.progress_interval_s:
                job._last_progress = now
                progress_signal.emit(job, int(n_done), int(total))

        try:
            result = job.work(progress, job.cancel_event.is_set)
        except Exception as exc:  # noqa: BLE001 - delivered to the user as a sentence
            job._value = describe_exception(exc)
            done.emit(job, False, job._value)
        else:
            job._value = result  # held by the runner with the job (see run)
            del result
            done.emit(job, True, job._value)
        finally:
            if self.job is job:  # not the next job, handed over meanwhile (pipelined)
                self.job = None
            job._ran.set()  # after the emit: once set, the delivery is already posted


# Jobs whose thread had not ended when their runner shut down: kept, so that nothing they
# hold is let go on that thread.
_STRAY_JOBS: list[Job] = []


def _let_go(retained: dict[int, Job], *, final: bool = False) -> None:
    """Forget the jobs of ``retained`` their thread has released (UI thread); with ``final``,
    keep the others for good (their thread did not end)."""
    for key, job in list(retained.items()):
        if job._released.is_set():
            job._value = None
            del retained[key]
        elif final:
            _STRAY_JOBS.append(job)
            del retained[key]


def _stop_and_let_go(
    threads: list[_LaneThread], retained: dict[int, Job], timeout_ms: int
) -> None:
    """:func:`_stop_threads`, then let go of every job their threads released."""
    _stop_threads(threads, timeout_ms)
    _let_go(retained, final=True)


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
