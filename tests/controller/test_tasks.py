"""BackgroundTask: work leaves the UI thread, reports progress, can be cancelled, never outlives."""

from __future__ import annotations

import threading

import pytest

from gmm_gui.controller.tasks import BackgroundTask


@pytest.fixture
def task(qapp):
    t = BackgroundTask()
    yield t
    t.shutdown()
    assert not t.is_running()


def test_work_runs_off_the_ui_thread_and_reports_result_and_progress(qtbot, task):
    seen_threads = []
    progress = []
    task.progress.connect(lambda done, total: progress.append((done, total)))

    def work(report, should_cancel):
        seen_threads.append(threading.get_ident())
        for i in range(1, 4):
            report(i, 3)
        return "answer"

    with qtbot.waitSignal(task.finished, timeout=10_000) as blocker:
        task.start(work)
    assert blocker.args == ["answer"]
    assert seen_threads and seen_threads[0] != threading.get_ident()
    assert progress[-1] == (3, 3)  # the last report always gets through
    assert not task.is_running()


def test_cancel_stops_the_work_at_its_next_check(qtbot, task):
    release = threading.Event()
    checks = []

    def work(report, should_cancel):
        release.wait(10)
        for i in range(1_000_000):
            if should_cancel():
                return ("cancelled at", i)
            checks.append(i)
        return ("finished", None)

    with qtbot.waitSignal(task.finished, timeout=10_000) as blocker:
        task.start(work)
        assert task.is_running()
        task.cancel()
        release.set()
    assert blocker.args[0] == ("cancelled at", 0)


def test_failure_becomes_a_sentence(qtbot, task):
    def work(report, should_cancel):
        raise ValueError("component 2 owns no points")

    with qtbot.waitSignal(task.failed, timeout=10_000) as blocker:
        task.start(work)
    assert blocker.args == ["component 2 owns no points"]


def test_a_new_start_drops_the_result_of_the_old_work(qtbot, qapp, task):
    release = threading.Event()
    results = []
    task.finished.connect(results.append)

    def slow(report, should_cancel):
        release.wait(10)
        return "old"

    def fast(report, should_cancel):
        release.set()
        return "new"

    task.start(slow)
    with qtbot.waitSignal(task.finished, timeout=10_000):
        task.start(fast)
    qtbot.waitUntil(lambda: not task.is_running())
    task.shutdown()  # waits for the replaced work too
    qapp.processEvents()  # deliver anything the old work emitted
    assert results == ["new"]


def test_dropped_work_reports_nothing(qtbot, qapp, task):
    release = threading.Event()
    seen = []
    task.finished.connect(seen.append)
    task.failed.connect(seen.append)
    task.progress.connect(lambda *a: seen.append(a))

    def work(report, should_cancel):
        assert release.wait(10)
        report(1, 1)
        return "stale"

    task.start(work)
    thread = task._thread
    task.drop()
    assert not task.is_running() and task._thread is None
    release.set()
    assert thread.wait(10_000)  # the abandoned thread ends by itself
    qapp.processEvents()
    assert seen == []
