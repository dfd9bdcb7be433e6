"""The job runner: one test per policy, stale results dropped, progress, failures, shutdown."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QThread

from gmm_gui.controller.jobs import JobRunner, Kind, Policy, describe_exception


@pytest.fixture
def runner(qapp):
    r = JobRunner()
    r.register(
        Kind("load", Policy.REPLACE, lane="loader"),
        Kind("step", Policy.MERGE, lane="session", slot="advance", priority=2),
        Kind("run", Policy.MERGE, lane="session", slot="advance", priority=2),
        Kind(
            "edit",
            Policy.QUEUE,
            lane="session",
            priority=0,
            merge=lambda tail, new: new if tail.payload == new.payload == "new_start" else None,
        ),
    )
    yield r
    r.shutdown()
    assert [t for t in r.findChildren(QThread) if t.isRunning()] == []


def held(gate: threading.Event, value, seen: list | None = None):
    """Work that waits for ``gate`` and then returns ``value`` (noting its thread)."""

    def work(progress, should_cancel):
        if seen is not None:
            seen.append(threading.get_ident())
        assert gate.wait(10)
        return value

    return work


def returns(value):
    return lambda progress, should_cancel: value


def test_replace_drops_the_older_result_and_runs_the_new_job_on_a_fresh_thread(
    qtbot, qapp, runner
):
    gate = threading.Event()
    results, threads = [], []
    runner.submit("load", held(gate, "old", threads), on_result=results.append)
    qtbot.waitUntil(lambda: len(threads) == 1)
    old = runner.running("loader")
    # The old job never returns while the new one runs: it must not hold up its lane.
    forever = threading.Event()  # a FIFO nobody writes to
    job = runner.submit("load", held(forever, "never"), on_result=results.append)
    assert old.cancelled and runner.running("loader") is job
    runner.drop("loader")
    with qtbot.waitSignal(runner.job_ended, timeout=10_000):
        runner.submit("load", returns("new"), on_result=results.append)
    gate.set()
    assert old.wait_ran(10_000)
    qapp.processEvents()  # the old result reaches the UI thread, where it must be dropped
    assert results == ["new"]
    forever.set()
    assert job.wait_ran(10_000)


def test_merge_keeps_one_pending_job_per_slot(qtbot, runner):
    gate = threading.Event()
    results = []
    runner.submit("step", held(gate, "first"), on_result=results.append)
    for name in ("a", "b", "c"):
        runner.submit("step", returns(name), payload=name, on_result=results.append)
    runner.submit("run", returns("run"), payload="run", on_result=results.append)
    pending = runner.pending("session")
    assert [job.payload for job in pending] == ["run"]  # the newest of the slot wins
    gate.set()
    assert runner.wait_idle("session")
    assert results == ["first", "run"]


def test_merge_uses_the_kinds_merge_function(qtbot, qapp):
    r = JobRunner()
    r.register(
        Kind(
            "preview",
            Policy.MERGE,
            lane="drag",
            merge=lambda old, new: new if new.payload > old.payload else old,
        )
    )
    try:
        gate = threading.Event()
        results = []
        r.submit("preview", held(gate, 0), payload=0, on_result=results.append)
        for x in (3, 5, 4):
            r.submit("preview", returns(x), payload=x, on_result=results.append)
        assert [job.payload for job in r.pending("drag")] == [5]
        gate.set()
        assert r.wait_idle("drag")
        assert results == [0, 5]
    finally:
        r.shutdown()


def test_queue_keeps_order_and_priority_and_merges_with_the_tail(qtbot, runner):
    gate = threading.Event()
    results = []
    runner.submit("step", held(gate, "step running"), on_result=results.append)
    runner.submit("step", returns("step waiting"), on_result=results.append)
    for payload in ("add 1", "new_start", "new_start", "add 2", "new_start"):
        runner.submit("edit", returns(payload), payload=payload, on_result=results.append)
    assert [j.payload for j in runner.pending("session")] == [
        "add 1",
        "new_start",  # the two new starts in a row were merged
        "add 2",
        "new_start",
        None,  # the step asked for waits behind the edits (lower priority first)
    ]
    gate.set()
    assert runner.wait_idle("session")
    assert results == [
        "step running", "add 1", "new_start", "add 2", "new_start", "step waiting"
    ]


def test_lazy_jobs_are_built_on_the_ui_thread_when_their_turn_comes(qtbot, runner):
    gate = threading.Event()
    built, results = [], []

    def build(name):
        def make():
            built.append((name, threading.get_ident()))
            return None if name == "ui" else returns(name)

        return make

    runner.submit("step", held(gate, "first"), on_result=results.append)
    runner.submit("edit", build("ui"), lazy=True)
    runner.submit("step", build("second"), lazy=True, on_result=results.append)
    assert built == []  # not before their turn
    gate.set()
    assert runner.wait_idle("session")
    assert [name for name, _ in built] == ["ui", "second"]
    assert all(ident == threading.get_ident() for _, ident in built)
    assert results == ["first", "second"]


def test_nothing_is_delivered_after_drop(qtbot, qapp, runner):
    gate = threading.Event()
    delivered = []
    job = runner.submit(
        "step",
        held(gate, "stale"),
        on_result=delivered.append,
        on_failure=delivered.append,
        on_progress=lambda *a: delivered.append(a),
    )
    runner.submit("edit", returns("queued"), on_result=delivered.append)
    runner.drop("session", kinds=["step"])
    assert job.cancelled and not runner.is_current(job)
    gate.set()
    assert job.wait_ran(10_000)
    assert runner.wait_idle("session")
    qapp.processEvents()
    assert delivered == ["queued"]  # the edit kept by drop(kinds) ran; the step said nothing


def test_cancel_keeps_the_job_current_so_its_partial_result_arrives(qtbot, runner):
    started = threading.Event()

    def work(progress, should_cancel):
        started.set()
        n = 0
        while not should_cancel():
            n += 1
        return ("stopped", n > 0)

    results = []
    runner.submit("run", work, on_result=results.append)
    runner.submit("step", returns("pending"), on_result=results.append)
    assert started.wait(10)
    runner.cancel("session")
    assert runner.pending("session") == ()
    assert runner.wait_idle("session")
    assert results == [("stopped", True)]


def test_progress_is_throttled_and_delivered_on_the_ui_thread(qtbot, qapp):
    r = JobRunner(progress_interval_s=3600.0)  # only the first and the last report pass
    r.register(Kind("job", Policy.REPLACE, lane="tool"))
    try:
        seen = []

        def work(progress, should_cancel):
            for i in range(1, 1001):
                progress(i, 1000)
            return "done"

        r.submit(
            "job",
            work,
            on_progress=lambda done, total: seen.append((done, total, threading.get_ident())),
        )
        assert r.wait_idle("tool")
        assert [(d, t) for d, t, _ in seen] == [(1, 1000), (1000, 1000)]
        assert {ident for *_, ident in seen} == {threading.get_ident()}
    finally:
        r.shutdown()


def test_failures_are_delivered_as_the_same_sentence_on_any_thread(qtbot, runner):
    def fail(progress, should_cancel):
        raise np.linalg.LinAlgError("Singular matrix")

    failures = []
    with qtbot.waitSignal(runner.job_ended, timeout=10_000):
        runner.submit("load", fail, on_failure=failures.append)
    assert failures == [describe_exception(np.linalg.LinAlgError("Singular matrix"))]
    assert "degenerate" in failures[0]
    assert describe_exception(ValueError("  no data  ")) == "no data"
    assert describe_exception(KeyError()) == "KeyError"


def test_busy_changes_once_per_busy_period(qtbot, runner):
    gate = threading.Event()
    busy = []
    runner.busy_changed.connect(lambda lane, b: busy.append((lane, b)))
    runner.submit("edit", held(gate, 1))
    runner.submit("edit", returns(2))
    assert runner.busy("session") and runner.thread_running("session")
    gate.set()
    assert runner.wait_idle("session")
    assert busy == [("session", True), ("session", False)]
    assert runner.thread_running("session")  # the lane's thread stays for the next job


def test_shutdown_leaves_no_thread_running_and_runs_nothing_afterwards(qtbot, qapp):
    r = JobRunner()
    r.register(Kind("job", Policy.REPLACE, lane="tool"))
    started = threading.Event()

    def until_cancelled(progress, should_cancel):
        started.set()
        while not should_cancel():
            pass
        return "cancelled"

    r.submit("job", until_cancelled)
    assert started.wait(10)
    r.submit("job", until_cancelled)  # replaces it: the first thread is abandoned, still running
    r.shutdown()
    assert [t for t in r.findChildren(QThread) if t.isRunning()] == []
    assert not r.thread_running("tool") and not r.busy("tool")
    job = r.submit("job", returns("late"))
    assert not r.busy("tool") and not job.wait_ran(0)


def test_a_result_callback_that_raises_leaves_the_lane_free(qtbot, runner):
    """The lane is idle again and the next job runs, though the callback failed."""
    import threading

    ended, done = [], threading.Event()
    runner.job_ended.connect(ended.append)

    def boom(_value):
        raise RuntimeError("a bug in a callback")

    def raising_hand_over(*args):
        try:
            real(*args)
        except RuntimeError:
            pass  # Qt would print it; the runner must be consistent anyway

    real = runner._hand_over
    runner._hand_over = raising_hand_over
    runner.submit("load", lambda p, c: 1, on_result=boom)
    qtbot.waitUntil(lambda: len(ended) == 1)
    assert not runner.busy("loader")
    runner.submit("load", lambda p, c: 2, on_result=lambda v: done.set())
    qtbot.waitUntil(done.is_set)


class _Witness:
    """Notes the thread it is finalized on (a Python-owned QObject reachable from a job's
    callbacks, deleted on a worker thread, crashes the UI thread later)."""

    def __init__(self, seen: list) -> None:
        self.seen = seen

    def __del__(self) -> None:
        self.seen.append(threading.get_ident())

    def on_result(self, value) -> None:  # what a job's callback is: a bound method
        pass


@pytest.mark.parametrize("how", ["dropped", "delivered"])
def test_what_a_job_holds_is_let_go_on_the_ui_thread_never_on_its_worker(qtbot, qapp, runner, how):
    gate = threading.Event()
    finalized: list[int] = []
    started: list[int] = []
    witness = _Witness(finalized)
    job = runner.submit(
        "load", held(gate, np.zeros(3), started), on_result=witness.on_result, payload=witness
    )
    qtbot.waitUntil(lambda: len(started) == 1)
    if how == "dropped":
        runner.drop("loader")  # the UI thread forgets the job while its work still runs
    del witness
    gate.set()
    assert job.wait_ran(10_000)
    if how == "delivered":
        qtbot.waitUntil(lambda: not runner.busy("loader"))
    del job
    # the next job of the lane: the worker moves on (or, dropped, its thread ends)
    with qtbot.waitSignal(runner.job_ended, timeout=10_000):
        runner.submit("load", returns(1))
    import gc

    qtbot.waitUntil(lambda: (gc.collect() or True) and len(finalized) == 1, timeout=10_000)
    assert finalized == [threading.get_ident()]  # the UI thread's
    assert runner.retained_jobs() == 0
