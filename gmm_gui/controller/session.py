"""One Qt object that runs a :class:`~gmm_gui.controller.stepper.Stepper` for the window.

:class:`Session` owns the play timer and a worker thread. Small data sets are computed on the UI
thread (a half-step on a few thousand points takes a millisecond or two, and tests stay
deterministic); above ``offload_threshold`` points every step, run, drag preview and edit of the
start (a new k-means++ start, a finished drag: each needs at least one E-step) is computed by a
worker in its own ``QThread`` while the UI thread keeps painting. At most one job runs at a time;
a request that arrives meanwhile is merged into a single pending one (the newest drag preview
wins, repeated step requests collapse into one, a new start replaces a new start still waiting)
or, for edits, queued in order (each is one undo step), never stacked. Results of a job that was
overtaken (new data, an edit, a cancel) are dropped.

Only ``PySide6.QtCore`` is used, so the session can be driven without widgets.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.controller.stepper import StartInfo, Stepper
from gmm_gui.model import Mixture

__all__ = ["Session", "DEFAULT_OFFLOAD_THRESHOLD"]

#: Data sets with at least this many points are computed off the UI thread.
DEFAULT_OFFLOAD_THRESHOLD = 200_000

#: Default play speed, in half-steps per second.
DEFAULT_SPEED = 2.0


@dataclass(frozen=True)
class _Job:
    token: int
    kind: str  # "step", "run", "preview", "edit"
    func: Callable[[], Any]


class _Worker(QObject):
    """Runs one job at a time in the worker thread and reports back by queued signals."""

    finished = Signal(int, object)
    failed = Signal(int, str)
    progress = Signal(int, int)

    @Slot(object)
    def run(self, job: _Job) -> None:
        try:
            result = job.func()
        except Exception as exc:  # noqa: BLE001 - reported to the user as a sentence
            self.failed.emit(job.token, _describe(exc))
        else:
            self.finished.emit(job.token, result)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, np.linalg.LinAlgError):
        return (
            "a Gaussian became degenerate (its covariance is no longer invertible); "
            "remove it or start again"
        )
    return text or exc.__class__.__name__


class Session(QObject):
    """The running EM session: the stepper, the play timer and the worker thread.

    Parameters
    ----------
    parent : QObject, optional
    offload_threshold : int
        Data sets with at least this many points are computed in the worker thread.

    Signals
    -------
    snapshot_changed(object)
        A new state is shown (after a step, a history move, an edit, new data).
    preview_changed(object)
        A drag preview: the start with one Gaussian being dragged and the points coloured by
        which Gaussian would claim them. Not part of the history.
    data_changed()
        A new data set (a new stepper) was installed.
    state_changed()
        Something that enables or disables actions changed (history, undo, busy, playing).
    busy_changed(bool)
        A job started in, or the last one left, the worker thread.
    progress(int, int)
        Iterations done and the most a run to convergence will do.
    playing_changed(bool)
    error(str)
        A request failed; the sentence says why.
    """

    snapshot_changed = Signal(object)
    preview_changed = Signal(object)
    data_changed = Signal()
    state_changed = Signal()
    busy_changed = Signal(bool)
    progress = Signal(int, int)
    playing_changed = Signal(bool)
    error = Signal(str)

    _submit = Signal(object)

    def __init__(
        self, parent: QObject | None = None, *, offload_threshold: int = DEFAULT_OFFLOAD_THRESHOLD
    ) -> None:
        super().__init__(parent)
        self._stepper: Stepper | None = None
        self.offload_threshold = int(offload_threshold)
        self._timer = QTimer(self)
        self._timer.setObjectName("play_timer")
        self._timer.timeout.connect(self._on_tick)
        self._speed = DEFAULT_SPEED
        self._timer.setInterval(self.interval_ms)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._token = 0
        self._running: _Job | None = None
        self._pending: tuple[str, Any] | None = None
        self._pending_preview: tuple[int, np.ndarray, np.ndarray] | None = None
        # Edits of the start waiting for the worker, in order: (kind, plan or UI-thread action).
        self._edits: list[tuple[str, Callable[[Stepper], Any], bool]] = []
        self._cancel = threading.Event()
        self._closed = False
        self._prepare: Callable[[Snapshot], None] | None = None
        self._busy_shown = False

    # ------------------------------------------------------------ properties
    @property
    def stepper(self) -> Stepper | None:
        """The stepper of the data open, or ``None``."""
        return self._stepper

    @property
    def snapshot(self) -> Snapshot | None:
        """The state shown, or ``None`` without data."""
        return None if self._stepper is None else self._stepper.snapshot

    @property
    def busy(self) -> bool:
        """True while a job runs in the worker thread."""
        return self._running is not None

    @property
    def job_kind(self) -> str | None:
        """The job in the worker: ``"step"``, ``"run"``, ``"preview"``, ``"edit"`` or ``None``."""
        return None if self._running is None else self._running.kind

    @property
    def playing(self) -> bool:
        """True while the play timer runs."""
        return self._timer.isActive()

    @property
    def timer(self) -> QTimer:
        """The play timer (for tests and the window's speed control)."""
        return self._timer

    @property
    def thread_running(self) -> bool:
        """True if the worker thread exists and runs."""
        return self._thread is not None and self._thread.isRunning()

    @property
    def speed(self) -> float:
        """Play speed in half-steps per second."""
        return self._speed

    @property
    def interval_ms(self) -> int:
        """Milliseconds between two half-steps while playing."""
        return max(1, round(1000.0 / self._speed))

    def set_speed(self, half_steps_per_second: float) -> None:
        """Set the play speed (half-steps per second, clipped to 0.1 .. 100)."""
        self._speed = float(np.clip(half_steps_per_second, 0.1, 100.0))
        self._timer.setInterval(self.interval_ms)

    def _offload(self) -> bool:
        return self._stepper is not None and self._stepper.n_samples >= self.offload_threshold

    # ------------------------------------------------------------------ data
    def set_stepper(self, stepper: Stepper) -> None:
        """Install a stepper (new data, or the same data with a new start)."""
        self.pause()
        self._drop_jobs()
        self._stepper = stepper
        self.data_changed.emit()
        self._announce()

    def set_data(
        self,
        X: np.ndarray,
        start: Mixture | None = None,
        *,
        start_info: StartInfo | None = None,
        **stepper_options: Any,
    ) -> Stepper:
        """Open new data with an optional start; returns the new stepper."""
        stepper = Stepper(X, start, start_info=start_info, **stepper_options)
        self.set_stepper(stepper)
        return stepper

    def _announce(self) -> None:
        if self._stepper is not None:
            self.snapshot_changed.emit(self._stepper.snapshot)
        self.state_changed.emit()

    def _guard(self, func: Callable[[], Any]) -> Any:
        """Run a stepper call on the UI thread, turning a ValueError into the error signal."""
        try:
            return func()
        except (ValueError, np.linalg.LinAlgError) as exc:
            self.error.emit(_describe(exc))
            return None

    # -------------------------------------------------------------- stepping
    @Slot()
    def step(self) -> None:
        """The next half-step (E or M)."""
        self._request("step", None)

    @Slot()
    def step_e(self) -> None:
        """The next half-step if it is an E-step."""
        self._request("step", "E")

    @Slot()
    def step_m(self) -> None:
        """The next half-step if it is an M-step."""
        self._request("step", "M")

    @Slot()
    def next_iteration(self) -> None:
        """Half-steps up to and including the next M-step."""
        self._request("iteration", None)

    @Slot()
    def run_to_convergence(self) -> None:
        """Go on until EM converges (in the worker thread for large data)."""
        self.pause()
        self._request("run", None)

    def _request(self, kind: str, arg: Any) -> None:
        stepper = self._stepper
        if stepper is None or self._closed:
            return
        if self.busy:
            # Merge, never stack: one pending request, the newest kind wins.
            self._pending = (kind, arg)
            self.state_changed.emit()
            return
        if kind == "step" and arg is not None and stepper.next_phase != arg:
            return
        if stepper.index < len(stepper.history) - 1 and kind in ("step", "iteration"):
            # Already computed: move forward in the history.
            if kind == "step":
                stepper.step()
            else:
                stepper.next_iteration()
            self._announce()
            return
        if stepper.next_phase is None:
            if self.playing:
                self.pause()
            return
        if not self._offload():
            if kind == "run":
                self._guard(stepper.run_to_convergence)
            elif kind == "iteration":
                self._guard(stepper.next_iteration)
            else:
                self._guard(stepper.step)
            self._announce()
            return
        # Work goes on from the newest state (a run asked for while looking back in the
        # history continues the history; it never forks it).
        snap = stepper.last
        if kind == "step":
            self._start_job("step", lambda: [stepper.compute_next(snap)])
        elif kind == "iteration":
            n = 1 if snap.phase == "E" else 2
            self._start_job("step", lambda: stepper.compute_run(snap, n))
        else:
            # A run of its own cancel event: an older run still ending in the worker keeps the
            # event that stopped it (clearing a shared one would revive it).
            cancel = threading.Event()
            self._cancel = cancel
            token = self._token + 1  # the token _start_job gives this run
            worker_progress = self._worker_progress
            last = [0.0]

            def report(iteration: int, _snap: Snapshot) -> None:
                now = time.monotonic()
                if now - last[0] > 0.05:
                    last[0] = now
                    worker_progress(token, iteration)

            self._start_job(
                "run",
                lambda: stepper.compute_run(snap, progress=report, should_cancel=cancel.is_set),
            )

    def _worker_progress(self, token: int, iteration: int) -> None:
        """Called in the worker: report a run's progress unless a newer job replaced it."""
        worker = self._worker
        stepper = self._stepper
        if token == self._token and worker is not None and stepper is not None:
            worker.progress.emit(iteration, stepper.max_iter)

    @Slot()
    def cancel(self) -> None:
        """Stop a run to convergence (keeping the iterations done) and drop pending requests.

        An edit of the start still being computed (a new start on a large data set) and the
        edits queued behind it are dropped.
        """
        self._cancel.set()
        self._pending = None
        self._pending_preview = None
        self._edits.clear()
        if self._running is not None and self._running.kind == "edit":
            self._token += 1  # its result will be ignored
            self._running = None
            self._set_busy(False)
        self.pause()
        self.state_changed.emit()

    # ------------------------------------------------------------------ play
    @Slot()
    def play(self) -> None:
        """Half-steps on the timer, at :attr:`speed`."""
        stepper = self._stepper
        if stepper is None or self._closed or self.playing:
            return
        if stepper.next_phase is None and stepper.index == len(stepper.history) - 1:
            return
        self._timer.start(self.interval_ms)
        self.playing_changed.emit(True)
        self.state_changed.emit()

    @Slot()
    def pause(self) -> None:
        """Stop the play timer."""
        if self._timer.isActive():
            self._timer.stop()
            self.playing_changed.emit(False)
            self.state_changed.emit()

    @Slot()
    def toggle_play(self) -> None:
        """Play if paused, pause if playing."""
        if self.playing:
            self.pause()
        else:
            self.play()

    @Slot()
    def _on_tick(self) -> None:
        stepper = self._stepper
        if stepper is None:
            self.pause()
            return
        if self.busy:
            return  # the step in progress is still running: skip this tick, never stack
        if stepper.next_phase is None and stepper.index == len(stepper.history) - 1:
            self.pause()
            return
        self._request("step", None)
        if stepper.next_phase is None and stepper.index == len(stepper.history) - 1:
            self.pause()

    # --------------------------------------------------------------- history
    @Slot(int)
    def go_to(self, index: int) -> None:
        """Show the state at ``index`` of the history (no recomputation)."""
        if self._stepper is None or index == self._stepper.index:
            return
        self.pause()
        newest = len(self._stepper.history) - 1
        if index != newest and self._running is not None and self._running.kind in ("step", "run"):
            # Looking back stops the computation in flight: its result would pull the view
            # forward again (and, at the start, end a drag the user has begun).
            self._drop_jobs(keep_edits=True)
        self._stepper.go_to(index)
        self._announce()

    @Slot(int)
    def go_to_iteration(self, iteration: int) -> None:
        """Show the state at the end of ``iteration`` (0: the start)."""
        if self._stepper is not None:
            self.go_to(self._stepper.index_of_iteration(iteration))

    @Slot()
    def reset(self) -> None:
        """Back to the start, forgetting the run."""
        if self._stepper is None:
            return
        self.pause()
        self._drop_jobs()
        self._stepper.reset()
        self._announce()

    @Slot()
    def replay(self) -> None:
        """Run the same start again from the beginning: reset, then play."""
        self.reset()
        self.play()

    # --------------------------------------------------------------- editing
    def _edit(self, edit: str, *args: Any) -> None:
        """An edit of the start: planned in the worker for large data, applied here."""
        self._queue_edit(edit, lambda s: s.plan(edit, *args), planned=True)

    def _queue_edit(self, kind: str, func: Callable[[Stepper], Any], *, planned: bool) -> None:
        stepper = self._stepper
        if stepper is None or self._closed:
            return
        self.pause()
        self._drop_jobs(keep_edits=True)
        if not self._offload() and not self._edits and self._running is None:
            self._run_edit(stepper, func, planned)
            return
        if kind == "new_start" and self._edits and self._edits[-1][0] == "new_start":
            self._edits[-1] = (kind, func, planned)  # merged: the newest settings win
        else:
            self._edits.append((kind, func, planned))
        if self._running is None:
            self._next_edit()
        self.state_changed.emit()

    def _run_edit(self, stepper: Stepper, func: Callable[[Stepper], Any], planned: bool) -> None:
        """Plan (if needed) and apply an edit on the UI thread.

        The state is announced even when the edit is refused: the view and the table may still
        show what the user dragged or typed, and must show the start as it is again.
        """
        if planned:
            self._guard(lambda: stepper.apply(func(stepper)))
        else:
            self._guard(lambda: func(stepper))
        self._announce()

    def _next_edit(self) -> bool:
        """Start the next queued edit; False if none was waiting."""
        stepper = self._stepper
        while self._edits and stepper is not None:
            _, func, planned = self._edits.pop(0)
            if planned:
                self._start_job("edit", lambda f=func: f(stepper))
                return True
            self._run_edit(stepper, func, planned)  # undo, redo: nothing to compute
        return False

    @property
    def edits_waiting(self) -> int:
        """Edits of the start queued behind the job running."""
        return len(self._edits)

    def new_start(self, n_components: int, method: str = "kmeans++", seed: int | None = 0) -> None:
        """A new random start from the engine's initialiser (undoable)."""
        self._edit("new_start", n_components, method, seed)

    def set_start(self, mixture: Mixture | None, info: StartInfo | None = None) -> None:
        """Use ``mixture`` as the start, e.g. an imported parameter file (undoable)."""
        self._edit("set_start", mixture, info, "import parameters")

    @Slot(object)
    def add_component(self, mean: np.ndarray) -> None:
        """Place a Gaussian at ``mean`` with a spread that is a fraction of the data's."""
        if self._stepper is not None and self._stepper.editable:
            self._edit("add_component", mean)

    @Slot(int)
    def remove_component(self, k: int) -> None:
        """Remove Gaussian ``k`` (0-based) from the start."""
        if self._stepper is not None and self._stepper.editable:
            self._edit("remove_component", k)

    @Slot(int, object, object, bool)
    def edit_component(
        self, k: int, mean: np.ndarray, covariance: np.ndarray, finished: bool
    ) -> None:
        """A drag of Gaussian ``k``: preview while moving, record one undo step when finished."""
        stepper = self._stepper
        if stepper is None or not stepper.editable:
            return
        if finished:
            self._pending_preview = None
            self._edit("edit_component", k, mean, covariance)
            return
        if self.busy:
            self._pending_preview = (k, mean, covariance)  # the latest drag position wins
            return
        if self._offload():
            self._start_job("preview", lambda: stepper.compute_preview(k, mean, covariance))
            return
        preview = self._guard(lambda: stepper.compute_preview(k, mean, covariance))
        if preview is not None:
            self.preview_changed.emit(preview)

    def set_table_value(self, k: int, field: str, value: float) -> None:
        """Set one value of the component table of the start (undoable)."""
        if self._stepper is not None and self._stepper.editable:
            self._edit("set_table_value", k, field, value)

    @Slot()
    def undo(self) -> None:
        """Undo the last edit of the start."""
        if self._stepper is not None and (self._stepper.can_undo or self._edits or self.busy):
            self._queue_edit("undo", lambda s: s.undo(), planned=False)

    @Slot()
    def redo(self) -> None:
        """Redo the last undone edit."""
        if self._stepper is not None and (self._stepper.can_redo or self._edits or self.busy):
            self._queue_edit("redo", lambda s: s.redo(), planned=False)

    # ---------------------------------------------------------------- worker
    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        self._thread = QThread(self)
        self._thread.setObjectName("gmm_gui_worker")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run)
        self._worker.finished.connect(self._on_job_finished)
        self._worker.failed.connect(self._on_job_failed)
        self._worker.progress.connect(self.progress)
        self._thread.finished.connect(self._worker.deleteLater)
        self._thread.start()
        # A session dropped without shutdown() must not take a running thread down with it
        # (Qt aborts the process): `destroyed` comes before the children are deleted, and the
        # handler holds the thread, not the session. A normal application exit shuts down too.
        thread = self._thread
        session_ref = weakref.ref(self)

        def stop_thread() -> None:
            session = session_ref()
            if session is not None:
                session._cancel.set()
            thread.quit()
            thread.wait()

        self.destroyed.connect(stop_thread)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(stop_thread)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy_shown:
            self._busy_shown = busy
            self.busy_changed.emit(busy)

    def set_prepare(self, prepare: Callable[[Snapshot], None] | None) -> None:
        """Run ``prepare(snapshot)`` in the worker on each snapshot a job is about to show.

        The window uses it to blend the points' colours off the UI thread (about 40 ms at a
        million points); ``prepare`` must only fill caches, the snapshot is shown either way.
        """
        self._prepare = prepare

    def _prepared(self, kind: str, func: Callable[[], Any]) -> Callable[[], Any]:
        prepare = self._prepare
        if prepare is None or kind not in ("step", "run", "preview"):
            return func

        def run() -> Any:
            result = func()
            shown = result if isinstance(result, Snapshot) else (result[-1] if result else None)
            if isinstance(shown, Snapshot):
                prepare(shown)
            return result

        return run

    def _start_job(self, kind: str, func: Callable[[], Any]) -> None:
        self._ensure_thread()
        self._token += 1
        self._running = _Job(self._token, kind, self._prepared(kind, func))
        self._set_busy(True)
        self.state_changed.emit()
        self._submit.emit(self._running)

    def _drop_jobs(self, *, keep_edits: bool = False) -> None:
        """Forget the job in flight (its result will be ignored) and every pending request.

        With ``keep_edits``, edits of the start (running or queued) are kept.
        """
        self._cancel.set()
        self._pending = None
        self._pending_preview = None
        if not keep_edits:
            self._edits.clear()
        elif self._running is not None and self._running.kind == "edit":
            return
        if self._running is not None:
            self._token += 1  # results carrying an older token are ignored
            self._running = None
            self._set_busy(False)

    def _job_done(self, token: int) -> _Job | None:
        job = self._running
        if job is None or job.token != token:
            return None
        self._running = None
        return job

    @Slot(int, object)
    def _on_job_finished(self, token: int, result: Any) -> None:
        job = self._job_done(token)
        if job is None or self._stepper is None:
            self._after_job()
            return
        if job.kind == "edit":
            stepper = self._stepper
            self._guard(lambda: stepper.apply(result))
            self._announce()  # refused too: see _run_edit
        elif job.kind == "preview":
            show = self._stepper.editable and not self._edits
            # Pipelined: the worker starts on the newest drag position before this one is
            # drawn, so computing and drawing overlap while the mouse moves.
            self._after_job()
            if show:
                self.preview_changed.emit(result)
            return
        elif result and not self._stepper.continues(result[0]):
            pass  # computed from a state that is no longer the newest: drop it
        else:
            self._stepper.push_many(result)
            self._announce()
        self._after_job()

    @Slot(int, str)
    def _on_job_failed(self, token: int, message: str) -> None:
        job = self._job_done(token)
        if job is not None:
            self.pause()
            self.error.emit(message)
            if job.kind == "edit" and self._stepper is not None:
                self._announce()  # the edit was refused: see _run_edit
        self._after_job()

    def _after_job(self) -> None:
        if self._running is not None:
            return
        if self._closed:
            self._set_busy(False)
            return
        if self._next_edit():
            return  # still busy: the next edit of the start runs
        self._set_busy(False)
        preview, self._pending_preview = self._pending_preview, None
        pending, self._pending = self._pending, None
        if preview is not None:
            self.edit_component(preview[0], preview[1], preview[2], False)
        elif pending is not None:
            self._request(*pending)
        self.state_changed.emit()

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until no job runs (processing queued results); for scripts and tests."""
        from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop

        deadline = QDeadlineTimer(timeout_ms)
        while self.busy and not deadline.hasExpired():
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        return not self.busy

    # --------------------------------------------------------------- closing
    @Slot()
    def shutdown(self) -> None:
        """Stop the timer and the worker thread; the session does nothing afterwards."""
        self._closed = True
        self._timer.stop()
        self._drop_jobs()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None
            self._worker = None
