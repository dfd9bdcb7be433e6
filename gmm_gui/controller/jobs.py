"""One job runner for every piece of work done off the UI thread (QtCore only).

Work of the same *kind* follows one explicit :class:`Policy`:

``REPLACE``
    A new job cancels and forgets the running job of its kind and any pending one: the newest
    wins (a file being opened, an analysis tool's computation).
``MERGE``
    At most one pending job per merge slot: a new request is merged into the pending one by the
    kind's merge function (newest wins by default): repeated steps collapse, the newest drag
    preview wins. The running job is left to finish.
``QUEUE``
    Jobs run in the order asked (edits of the start, each one undo step); a kind's merge
    function may fold a new job into the newest one queued of its slot.

Kinds run in *lanes*: a lane is one worker thread that runs one job at a time. Pending jobs of
a lane start by their kind's priority (lowest first), then in the order asked.

A job's work is ``work(progress, should_cancel) -> result``, the shape of the engine's long
functions. Progress is throttled (about 20 reports a second, the last one always) and, like the
result and a failure, delivered on the UI thread by the job's callbacks, and only while the job
is *current*: not replaced, not dropped (:meth:`JobRunner.drop`, e.g. on new data). That test is
made in one place, :meth:`JobRunner._deliver`. A job that is dropped while it runs is abandoned
with its thread (a job blocked forever, a FIFO read, never holds up its lane): the next job of
the lane runs on a fresh thread, and abandoned threads are waited for, within a bound, only by
:meth:`JobRunner.shutdown`.
"""

from __future__ import annotations

import enum
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QEventLoop,
    QObject,
    QThread,
    Signal,
    Slot,
)

from gmm_gui.controller._threads import (
    _LaneThread,
    _let_go,
    _stop_and_let_go,
    _stop_threads,
    describe_exception,
)

__all__ = [
    "Job",
    "JobRunner",
    "Kind",
    "Policy",
    "Progress",
    "ShouldCancel",
    "Work",
    "describe_exception",
]

#: ``progress(done, total)``, called by work in its thread.
Progress = Callable[[int, int], None]
#: ``should_cancel() -> bool``, polled by work in its thread.
ShouldCancel = Callable[[], bool]
#: What a job runs: ``work(progress, should_cancel) -> result``.
Work = Callable[[Progress, ShouldCancel], Any]

#: Progress reports are passed on at most this often (a tight loop must not flood the UI).
PROGRESS_INTERVAL_S = 0.05

#: :meth:`JobRunner.shutdown` waits at most this long for threads still running.
SHUTDOWN_WAIT_MS = 10_000

class Policy(enum.Enum):
    """What a new job does to the running and pending jobs of its kind (see the module)."""

    REPLACE = "replace"
    MERGE = "merge"
    QUEUE = "queue"


@dataclass(frozen=True)
class Kind:
    """A kind of job and its policy.

    Attributes
    ----------
    name : str
    policy : Policy
    lane : str
        The lane (worker thread) its jobs run in.
    merge : callable(pending Job, new Job) -> Job or None, optional
        ``MERGE``: the job kept pending instead of both (default: the new one). ``QUEUE``: the
        job that replaces the newest job queued of the slot, or ``None`` to queue the new one
        behind it (default: never merged).
    slot : str, optional
        Kinds of one lane that share a slot share one pending job (``MERGE``) or are merged
        with each other (``QUEUE``). Default: the kind's name.
    priority : int
        Pending jobs of a lane start lowest priority first, then in the order asked.
    pipelined : bool
        Start the lane's next pending job before this kind's result is delivered, so that the
        next computation and the handling of this result overlap (drag previews).
    """

    name: str
    policy: Policy
    lane: str
    merge: Callable[[Job, Job], Job | None] | None = None
    slot: str | None = None
    priority: int = 0
    pipelined: bool = False

    @property
    def slot_name(self) -> str:
        """The slot, or the name when no slot is given."""
        return self.slot or self.name


_ids = itertools.count(1)


@dataclass(eq=False)
class Job:
    """One request made of a :class:`JobRunner` (made by :meth:`JobRunner.submit`).

    Attributes
    ----------
    kind : str
    lane : str
    work : Work or callable() -> Work or None
        What runs in the worker; with ``lazy``, a callable run on the UI thread when the job's
        turn comes that returns the work, or ``None`` when nothing is left to run in the worker
        (it did what was needed on the UI thread).
    lazy : bool
    payload : object
        What the submitter wants to remember (merge functions read it).
    on_result, on_failure, on_progress : callable, optional
        Called on the UI thread, only while the job is current: ``on_result(result)``,
        ``on_failure(sentence)``, ``on_progress(done, total)``.
    id : int
        Unique, in the order jobs were made.
    cancel_event : threading.Event
        Set when the job is cancelled, replaced or dropped; the work's ``should_cancel`` is its
        ``is_set``.
    """

    kind: str
    lane: str
    work: Any
    lazy: bool = False
    payload: Any = None
    on_result: Callable[[Any], None] | None = None
    on_failure: Callable[[str], None] | None = None
    on_progress: Callable[[int, int], None] | None = None
    id: int = field(default_factory=lambda: next(_ids), init=False)
    cancel_event: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _ran: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    # set by the worker once it holds nothing of the job (see _threads._LaneThread.run)
    _released: threading.Event = field(
        default_factory=threading.Event, init=False, repr=False
    )
    _value: Any = field(default=None, init=False, repr=False)  # the result, while held
    _last_progress: float = field(default=float("-inf"), init=False, repr=False)

    @property
    def cancelled(self) -> bool:
        """True once the job was asked to stop (cancelled, replaced or dropped)."""
        return self.cancel_event.is_set()

    def wait_ran(self, timeout_ms: int) -> bool:
        """Block until the work has returned in its thread; True if it has.

        Its result is then posted to the UI thread (processing events delivers it, if the job
        is still current)."""
        return self._ran.wait(max(0, timeout_ms) / 1000.0)


class _Lane:
    def __init__(self, name: str) -> None:
        self.name = name
        self.running: Job | None = None
        self.pending: list[Job] = []
        self.thread: _LaneThread | None = None
        self.building = False
        self.busy_shown = False
        self.order: dict[int, int] = {}  # job id -> order asked (merged jobs keep their place)


class JobRunner(QObject):
    """Runs jobs of registered kinds in lanes of worker threads (see the module).

    Parameters
    ----------
    parent : QObject, optional
    progress_interval_s : float
        Least time between two progress reports of a job (the last one always passes).

    Signals
    -------
    busy_changed(str, bool)
        A lane started running a job, or its last job ended (the lane's name, busy or not).
    job_started(object)
        A job was handed to its thread.
    job_ended(object)
        A current job ended: its result or failure was delivered.
    settled()
        A submission or a delivery, with every signal it emitted, is complete (emitted once
        per outermost one): listeners that fold several signals into one announcement (the
        workspace's state) wait for it while :attr:`settling` is true.
    """

    busy_changed = Signal(str, bool)
    job_started = Signal(object)
    job_ended = Signal(object)
    settled = Signal()

    _done = Signal(object, bool, object)
    _progress = Signal(object, int, int)
    _released = Signal()

    def __init__(
        self, parent: QObject | None = None, *, progress_interval_s: float = PROGRESS_INTERVAL_S
    ) -> None:
        super().__init__(parent)
        self.progress_interval_s = float(progress_interval_s)
        self._kinds: dict[str, Kind] = {}
        self._lanes: dict[str, _Lane] = {}
        self._threads: list[_LaneThread] = []  # every thread not known to have ended
        # every job handed to a thread, until that thread has let go of it (see _threads)
        self._retained: dict[int, Job] = {}
        self._closed = False
        self._settling = 0  # depth of submit()/_deliver() calls under way
        self._done.connect(self._deliver)
        self._progress.connect(self._on_progress)
        self._released.connect(self._on_released)
        # A runner dropped without shutdown() must not take a running thread down with it (Qt
        # aborts the process): `destroyed` comes before the children are deleted, and the
        # handler holds the threads and the jobs, not the runner. A normal application exit
        # stops them too.
        threads, retained = self._threads, self._retained
        self.destroyed.connect(
            lambda *_: _stop_and_let_go(threads, retained, SHUTDOWN_WAIT_MS)
        )
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(
                lambda: _stop_and_let_go(threads, retained, SHUTDOWN_WAIT_MS)
            )

    # ------------------------------------------------------------ registering
    def register(self, *kinds: Kind) -> None:
        """Declare kinds of job (a kind's name may be registered once)."""
        for kind in kinds:
            if kind.name in self._kinds:
                raise ValueError(f"the kind {kind.name!r} is already registered")
            self._kinds[kind.name] = kind
            self._lanes.setdefault(kind.lane, _Lane(kind.lane))

    def kind(self, name: str) -> Kind:
        """The registered kind called ``name``."""
        try:
            return self._kinds[name]
        except KeyError:
            raise ValueError(f"no kind of job called {name!r} is registered") from None

    # ------------------------------------------------------------------ state
    def running(self, lane: str) -> Job | None:
        """The current job running in ``lane``, or ``None``."""
        return self._lane(lane).running

    def pending(self, lane: str) -> tuple[Job, ...]:
        """The jobs of ``lane`` waiting, in the order they will start."""
        return tuple(self._lane(lane).pending)

    def busy(self, lane: str) -> bool:
        """True while a current job runs in ``lane``."""
        return self._lane(lane).running is not None

    def thread_running(self, lane: str) -> bool:
        """True if ``lane``'s worker thread exists and runs."""
        thread = self._lane(lane).thread
        return thread is not None and thread.isRunning()

    def thread(self, lane: str) -> QThread | None:
        """``lane``'s worker thread (the one its next job runs on), or ``None``."""
        return self._lane(lane).thread

    def is_current(self, job: Job) -> bool:
        """True while ``job`` runs or waits and was neither replaced nor dropped."""
        lane = self._lanes.get(job.lane)
        return lane is not None and (job is lane.running or job in lane.pending)

    def retained_jobs(self) -> int:
        """How many jobs are held until their worker thread has let go of them."""
        _let_go(self._retained)
        return len(self._retained)

    @Slot()
    def _on_released(self) -> None:
        _let_go(self._retained)

    @property
    def closed(self) -> bool:
        """True after :meth:`shutdown`."""
        return self._closed

    @property
    def settling(self) -> bool:
        """True inside a submission or a delivery; :attr:`settled` follows its end."""
        return self._settling > 0

    @contextmanager
    def _settle(self) -> Iterator[None]:
        self._settling += 1
        try:
            yield
        finally:
            self._settling -= 1
            if self._settling == 0:
                self.settled.emit()

    # ------------------------------------------------------------- submitting
    def submit(
        self,
        kind: str,
        work: Work | Callable[[], Work | None],
        *,
        lazy: bool = False,
        payload: Any = None,
        on_result: Callable[[Any], None] | None = None,
        on_failure: Callable[[str], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Job:
        """Ask for a job; it starts at once if its lane is idle (see :class:`Job`).

        Returns
        -------
        Job
            The job, or the pending job it was merged into. After :meth:`shutdown` the job is
            returned and never runs.
        """
        spec = self.kind(kind)
        lane = self._lanes[spec.lane]
        job = Job(kind, spec.lane, work, lazy, payload, on_result, on_failure, on_progress)
        if self._closed:
            return job
        with self._settle():
            return self._submit(spec, lane, job)

    def _submit(self, spec: Kind, lane: _Lane, job: Job) -> Job:
        kind = job.kind
        if spec.policy is Policy.REPLACE:
            if lane.running is not None and lane.running.kind == kind:
                self._abandon(lane)
            lane.pending = [p for p in lane.pending if p.kind != kind]
            self._enqueue(lane, job)
        else:
            slot = spec.slot_name
            same = [p for p in lane.pending if self._kinds[p.kind].slot_name == slot]
            merged: Job | None = None
            if same and spec.policy is Policy.MERGE:
                merged = (spec.merge or (lambda _old, new: new))(same[0], job) or job
            elif same and spec.policy is Policy.QUEUE and spec.merge is not None:
                merged = spec.merge(same[-1], job)
            if merged is not None:
                target = same[0] if spec.policy is Policy.MERGE else same[-1]
                lane.pending[lane.pending.index(target)] = merged
                lane.order[merged.id] = lane.order.pop(target.id)
                job = merged
            else:
                self._enqueue(lane, job)
        self._start_next(lane)
        return job

    def _enqueue(self, lane: _Lane, job: Job) -> None:
        lane.order[job.id] = next(_ids)
        lane.pending.append(job)
        lane.pending.sort(key=lambda j: (self._kinds[j.kind].priority, lane.order[j.id]))

    # ------------------------------------------------------------- stopping
    def cancel(self, lane: str, kinds: Iterable[str] | None = None) -> None:
        """Ask the running job to stop (its ``should_cancel()`` turns true; it stays current,
        so what it returns is delivered) and remove the pending jobs, of ``kinds`` (default:
        all) in ``lane``."""
        state = self._lane(lane)
        chosen = None if kinds is None else set(kinds)
        if state.running is not None and (chosen is None or state.running.kind in chosen):
            state.running.cancel_event.set()
        self._remove_pending(state, chosen)

    def drop(self, lane: str, kinds: Iterable[str] | None = None) -> None:
        """Forget the running and pending jobs of ``kinds`` (default: all) in ``lane`` (e.g. on
        new data): they are cancelled and nothing they report is delivered. Other pending
        jobs of the lane then start."""
        state = self._lane(lane)
        chosen = None if kinds is None else set(kinds)
        self._remove_pending(state, chosen)
        if state.running is not None and (chosen is None or state.running.kind in chosen):
            self._abandon(state)
            self._start_next(state)
            self._idle_check(state)

    def _remove_pending(self, lane: _Lane, kinds: set[str] | None) -> None:
        kept = []
        for job in lane.pending:
            if kinds is None or job.kind in kinds:
                job.cancel_event.set()
                lane.order.pop(job.id, None)
            else:
                kept.append(job)
        lane.pending = kept

    def _abandon(self, lane: _Lane) -> None:
        """Forget the running job; its thread, if still at work, is left to end alone."""
        job, lane.running = lane.running, None
        if job is None:
            return
        job.cancel_event.set()
        thread = lane.thread
        if thread is not None and not job._ran.is_set():
            thread.retire()
            lane.thread = None
        self._forget_ended_threads()

    def _forget_ended_threads(self) -> None:
        for thread in list(self._threads):
            if thread.retired and thread.isFinished():
                self._threads.remove(thread)
                thread.deleteLater()

    # -------------------------------------------------------------- running
    def _lane(self, name: str) -> _Lane:
        try:
            return self._lanes[name]
        except KeyError:
            raise ValueError(f"no lane called {name!r}") from None

    def _start_next(self, lane: _Lane) -> None:
        """Start pending jobs of ``lane`` until one runs in the worker or none is left."""
        if lane.building:
            return  # a lazy job is being built: its caller goes on afterwards
        while lane.running is None and lane.pending and not self._closed:
            job = lane.pending.pop(0)
            lane.order.pop(job.id, None)
            work = job.work
            if job.lazy:
                lane.building = True
                try:
                    work = job.work()
                except Exception as exc:  # noqa: BLE001 - delivered as a sentence
                    lane.building = False
                    if job.on_failure is not None:
                        job.on_failure(describe_exception(exc))
                    continue
                finally:
                    lane.building = False
                if work is None:
                    continue  # nothing for the worker: done on the UI thread
            job.work = work
            job.lazy = False
            self._run(lane, job)
        self._idle_check(lane)

    def _run(self, lane: _Lane, job: Job) -> None:
        thread = lane.thread
        if thread is None or thread.retired:
            thread = _LaneThread(self, lane.name)
            lane.thread = thread
            self._threads.append(thread)
            thread.start()
        lane.running = job
        self._retained[job.id] = job
        thread.put(job)
        if not lane.busy_shown:
            lane.busy_shown = True
            self.busy_changed.emit(lane.name, True)
        self.job_started.emit(job)

    def _idle_check(self, lane: _Lane) -> None:
        if lane.running is None and lane.busy_shown and not lane.building:
            lane.busy_shown = False
            self.busy_changed.emit(lane.name, False)

    @Slot(object, bool, object)
    def _deliver(self, job: Job, ok: bool, value: Any) -> None:
        """A job's work returned (UI thread): deliver it if it is still current, then go on."""
        lane = self._lanes.get(job.lane)
        if lane is None or job is not lane.running:
            return  # replaced, dropped or shut down: the one place stale results are dropped
        with self._settle():
            self._hand_over(lane, job, ok, value)

    def _hand_over(self, lane: _Lane, job: Job, ok: bool, value: Any) -> None:
        lane.running = None
        if self._kinds[job.kind].pipelined:
            self._start_next(lane)
        try:
            if ok:
                if job.on_result is not None:
                    job.on_result(value)
            elif job.on_failure is not None:
                job.on_failure(str(value))
        finally:  # a callback that raises must not leave the lane busy and its queue stuck
            self._start_next(lane)
            self.job_ended.emit(job)
            self._idle_check(lane)

    @Slot(object, int, int)
    def _on_progress(self, job: Job, done: int, total: int) -> None:
        lane = self._lanes.get(job.lane)
        if lane is not None and job is lane.running and job.on_progress is not None:
            job.on_progress(done, total)

    # -------------------------------------------------------------- waiting
    def wait_idle(self, lane: str | None = None, timeout_ms: int = 30_000) -> bool:
        """Process events until no job runs or waits in ``lane`` (default: any lane); for
        scripts and tests. True if idle."""
        lanes = list(self._lanes.values()) if lane is None else [self._lane(lane)]
        deadline = QDeadlineTimer(timeout_ms)

        def idle() -> bool:
            return all(state.running is None and not state.pending for state in lanes)

        while not idle() and not deadline.hasExpired():
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        return idle()

    def stop_lane(self, lane: str, timeout_ms: int = SHUTDOWN_WAIT_MS) -> None:
        """Drop every job of ``lane`` and stop its threads (waiting at most ``timeout_ms``);
        a later job of the lane starts a new thread."""
        state = self._lane(lane)
        self.drop(lane)
        state.thread = None
        _stop_threads([t for t in self._threads if t.lane == lane], timeout_ms)
        self._threads[:] = [t for t in self._threads if t.lane != lane]
        _let_go(self._retained)

    def shutdown(self, timeout_ms: int = SHUTDOWN_WAIT_MS) -> None:
        """Cancel every job, stop every thread and wait for them (at most ``timeout_ms``);
        the runner runs nothing afterwards."""
        self._closed = True
        for lane in self._lanes.values():
            self._remove_pending(lane, None)
            if lane.running is not None:
                lane.running.cancel_event.set()
                lane.running = None
            lane.thread = None
            self._idle_check(lane)
        _stop_and_let_go(self._threads, self._retained, timeout_ms)
