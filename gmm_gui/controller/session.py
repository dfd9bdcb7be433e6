"""One Qt object that runs a :class:`~gmm_gui.controller.stepper.Stepper` for the window.

:class:`Session` owns the play timer and one lane (``"session"``) of a
:class:`~gmm_gui.controller.jobs.JobRunner`. Small data sets are computed on the UI thread (a
half-step on a few thousand points takes a millisecond or two, and tests stay deterministic);
above ``offload_threshold`` points every step, run, drag preview and edit of the start (a new
k-means++ start, a finished drag: each needs at least one E-step) is computed by the lane's
worker thread while the UI thread keeps painting. The lane runs one job at a time; its kinds say
what happens to a request that arrives meanwhile:

* ``step``, ``iteration``, ``run`` (MERGE, one slot): repeated step requests collapse into one
  pending request, the newest kind wins; it is resolved when its turn comes (it may only move
  along the history).
* ``preview`` (MERGE, pipelined): the newest drag position wins, and it is computed while the
  previous one is drawn.
* ``edit`` (QUEUE, first): edits of the start run in order, each one undo step; a new start
  queued right behind a new start replaces it (the newest settings win).

Results of a job that was overtaken (new data, an edit, a cancel) are dropped by the runner.

Only ``PySide6.QtCore`` is used, so the session can be driven without widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from gmm_gui.controller.edits import NewStart
from gmm_gui.controller.jobs import Job, JobRunner, Kind, Policy, Work, describe_exception
from gmm_gui.controller.session_edits import LANE, NOT_EDITS, SessionEdits
from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.controller.stepper import StartInfo, Stepper
from gmm_gui.model import Mixture

__all__ = ["DEFAULT_OFFLOAD_THRESHOLD", "LANE", "Session"]

#: Data sets with at least this many points are computed off the UI thread.
DEFAULT_OFFLOAD_THRESHOLD = 200_000

#: Default play speed, in half-steps per second.
DEFAULT_SPEED = 2.0

_ADVANCE = ("step", "iteration", "run")


def _merge_new_starts(tail: Job, new: Job) -> Job | None:
    """A new start queued right behind a new start replaces it: the newest settings win."""
    if isinstance(tail.payload, NewStart) and isinstance(new.payload, NewStart):
        return new
    return None


#: The kinds of job of a session, all in :data:`LANE`.
SESSION_KINDS: tuple[Kind, ...] = (
    *(Kind(name, Policy.MERGE, LANE, slot="advance", priority=2) for name in _ADVANCE),
    Kind("preview", Policy.MERGE, LANE, priority=1, pipelined=True),
    Kind("edit", Policy.QUEUE, LANE, priority=0, merge=_merge_new_starts),
)


class Session(QObject, SessionEdits):
    """The running EM session: the stepper, the play timer and a lane of worker jobs.

    Its edits of the start (``edit``, ``new_start``, ``set_start``, ``add_component``,
    ``remove_component``, ``preview_component``, ``finish_component_edit``,
    ``set_table_value``, ``undo``, ``redo``) are those of
    :class:`~gmm_gui.controller.session_edits.SessionEdits`.

    Parameters
    ----------
    parent : QObject, optional
    offload_threshold : int
        Data sets with at least this many points are computed in the worker thread.
    jobs : JobRunner, optional
        The runner whose lane :data:`LANE` the session uses (the workspace's); default: one
        of its own.

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

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        offload_threshold: int = DEFAULT_OFFLOAD_THRESHOLD,
        jobs: JobRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._stepper: Stepper | None = None
        self.offload_threshold = int(offload_threshold)
        self._timer = QTimer(self)
        self._timer.setObjectName("play_timer")
        self._timer.timeout.connect(self._on_tick)
        self._speed = DEFAULT_SPEED
        self._timer.setInterval(self.interval_ms)
        self._owns_jobs = jobs is None
        self._jobs = JobRunner(self) if jobs is None else jobs
        self._jobs.register(*SESSION_KINDS)
        self._jobs.busy_changed.connect(self._on_lane_busy)
        self._jobs.job_started.connect(self._on_job_event)
        self._jobs.job_ended.connect(self._on_job_event)
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
    def jobs(self) -> JobRunner:
        """The runner the session's jobs run in (lane :data:`LANE`)."""
        return self._jobs

    @property
    def busy(self) -> bool:
        """True while a job runs in the worker thread."""
        return self._jobs.busy(LANE)

    @property
    def job_kind(self) -> str | None:
        """The job in the worker: ``"step"``, ``"run"``, ``"preview"``, ``"edit"`` or ``None``.

        (A job of kind ``iteration`` is reported as ``"step"``.)
        """
        job = self._jobs.running(LANE)
        if job is None:
            return None
        return "step" if job.kind == "iteration" else job.kind

    @property
    def edits_waiting(self) -> int:
        """Edits of the start queued behind the job running."""
        return sum(1 for job in self._jobs.pending(LANE) if job.kind == "edit")

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
        return self._jobs.thread_running(LANE)

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
        self._jobs.drop(LANE)
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
            self.error.emit(describe_exception(exc))
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
    def run_to_convergence(
        self, *, tol: float | None = None, max_iter: int | None = None
    ) -> None:
        """Go on until EM converges (in the worker thread for large data).

        Parameters
        ----------
        tol, max_iter : optional
            This run's stopping rule instead of the model settings' (the Restarts dock runs a
            listed run to :data:`~gmm_gui.model.RUN_TOL`, as the runs were made); the states
            computed carry it. ``None``: the settings'.
        """
        self.pause()
        self._request("run", None, (tol, max_iter))

    def _request(
        self, kind: str, arg: str | None, rule: tuple[float | None, int | None] = (None, None)
    ) -> None:
        """Ask for a step, an iteration or a run: resolved now if the lane is idle, else when
        its turn comes (merged with any request already waiting: the newest kind wins).
        ``rule`` is a run's ``(tol, max_iter)``."""
        stepper = self._stepper
        if stepper is None or self._closed:
            return
        job = self._jobs.submit(
            kind,
            lambda: self._advance(stepper, kind, arg, rule),
            lazy=True,
            payload=(kind, arg),
            on_result=lambda snaps: self._on_steps(stepper, snaps),
            on_failure=self._on_failure,
        )
        if self._jobs.is_current(job) and job is not self._jobs.running(LANE):
            self.state_changed.emit()  # waiting behind the job running

    def _advance(
        self,
        stepper: Stepper,
        kind: str,
        arg: str | None,
        rule: tuple[float | None, int | None] = (None, None),
    ) -> Work | None:
        """On the UI thread, when the request's turn comes: do it here, or return the work."""
        if stepper is not self._stepper:
            return None
        if kind == "step" and arg is not None and stepper.next_phase != arg:
            return None
        if stepper.index < len(stepper.history) - 1 and kind in ("step", "iteration"):
            # Already computed: move forward in the history.
            if kind == "step":
                stepper.step()
            else:
                stepper.next_iteration()
            self._announce()
            return None
        if stepper.next_phase is None:
            if self.playing:
                self.pause()
            return None
        tol = rule[0]
        if not self._offload():
            if kind == "run":
                self._guard(lambda: stepper.run_to_convergence(tol=tol, max_iter=rule[1]))
            elif kind == "iteration":
                self._guard(stepper.next_iteration)
            else:
                self._guard(stepper.step)
            self._announce()
            return None
        # Work goes on from the newest state (a run asked for while looking back in the
        # history continues the history; it never forks it).
        snap = stepper.last
        if kind == "step":
            return self._prepared(lambda _p, _c: [stepper.compute_next(snap)])
        if kind == "iteration":
            n = 1 if snap.phase == "E" else 2
            return self._prepared(lambda _p, _c: stepper.compute_run(snap, n))
        max_iter = stepper.max_iter if rule[1] is None else int(rule[1])
        # Only a rule of its own is passed on (the stepper's is its default).
        own_rule = {k: v for k, v in (("tol", tol), ("max_iter", rule[1])) if v is not None}

        def run(progress: Callable[[int, int], None], should_cancel: Callable[[], bool]) -> Any:
            return stepper.compute_run(
                snap,
                **own_rule,
                progress=lambda iteration, _snap: progress(iteration, max_iter),
                should_cancel=should_cancel,
            )

        return self._prepared(run)

    def _on_steps(self, stepper: Stepper, snaps: list[Snapshot]) -> None:
        if stepper is not self._stepper:
            return
        if snaps and not stepper.continues(snaps[0]):
            return  # computed from a state that is no longer the newest: drop it
        stepper.push_many(snaps)
        self._announce()

    def _on_failure(self, message: str) -> None:
        self.pause()
        self.error.emit(message)

    @Slot()
    def cancel(self) -> None:
        """Stop a run to convergence (keeping the iterations done) and drop pending requests.

        An edit of the start still being computed (a new start on a large data set) and the
        edits queued behind it are dropped.
        """
        self._jobs.cancel(LANE)
        running = self._jobs.running(LANE)
        if running is not None and running.kind == "edit":
            self._jobs.drop(LANE, kinds=("edit",))  # its result will be ignored
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
        if index != newest and self.job_kind in ("step", "run"):
            # Looking back stops the computation in flight: its result would pull the view
            # forward again (and, at the start, end a drag the user has begun).
            self._jobs.drop(LANE, kinds=NOT_EDITS)
        self._stepper.go_to(index)
        self._announce()

    @Slot(int)
    def go_to_iteration(self, iteration: int) -> None:
        """Show the state at the end of ``iteration`` (0: the start)."""
        if self._stepper is not None:
            self.go_to(self._stepper.index_of_iteration(iteration))

    @Slot()
    def reset(self) -> None:
        """Back to the start; the run is set aside for Undo."""
        if self._stepper is None:
            return
        self.pause()
        self._jobs.drop(LANE)
        self._stepper.reset()
        self._announce()

    @Slot()
    def replay(self) -> None:
        """Run the same start again from the beginning: reset, then play."""
        self.reset()
        self.play()

    # ---------------------------------------------------------------- worker
    def set_prepare(self, prepare: Callable[[Snapshot], None] | None) -> None:
        """Run ``prepare(snapshot)`` in the worker on each snapshot a job is about to show.

        The window uses it to blend the points' colours off the UI thread (about 40 ms at a
        million points); ``prepare`` must only fill caches, the snapshot is shown either way.
        """
        self._prepare = prepare

    def _prepared(self, work: Work) -> Work:
        """``work`` followed, in the worker, by :meth:`set_prepare`'s function on what it
        returns (a snapshot, or the last of a list of them)."""

        def run(progress: Callable[[int, int], None], should_cancel: Callable[[], bool]) -> Any:
            result = work(progress, should_cancel)
            prepare = self._prepare
            if prepare is not None:
                shown = result if isinstance(result, Snapshot) else (result[-1] if result else None)
                if isinstance(shown, Snapshot):
                    prepare(shown)
            return result

        return run

    @Slot(str, bool)
    def _on_lane_busy(self, lane: str, busy: bool) -> None:
        if lane == LANE and busy != self._busy_shown:
            self._busy_shown = busy
            self.busy_changed.emit(busy)
            if not busy:
                self.state_changed.emit()

    @Slot(object)
    def _on_job_event(self, job: Job) -> None:
        if job.lane == LANE:
            self.state_changed.emit()

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until no job runs (processing queued results); for scripts and tests."""
        return self._jobs.wait_idle(LANE, timeout_ms)

    # --------------------------------------------------------------- closing
    @Slot()
    def shutdown(self) -> None:
        """Stop the timer and the worker thread; the session does nothing afterwards."""
        self._closed = True
        self._timer.stop()
        self._jobs.stop_lane(LANE)
        if self._owns_jobs:
            self._jobs.shutdown()
