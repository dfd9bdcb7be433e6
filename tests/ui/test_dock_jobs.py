"""The dock skeleton's work runs as a job of the workspace's runner: it leaves the UI thread,
reports progress, can be cancelled, fails with a sentence, and replaced or dropped work reports
nothing (what tests/controller/test_tasks.py asserted of BackgroundTask)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from gmm_gui.controller.workspace import Workspace
from gmm_gui.ui.analysis.dock import AnalysisDock
from gmm_gui.ui.overlay import ViewOverlay


class _Probe(AnalysisDock):
    def __init__(self, workspace):
        super().__init__("probe", workspace, ViewOverlay())
        self.results, self.failures = [], []

    def on_result(self, result):
        self.results.append(result)

    def on_failure(self, message):
        self.failures.append(message)


@pytest.fixture
def workspace(qtbot):
    ws = Workspace()
    yield ws
    ws.shutdown()
    assert [t for t in ws.findChildren(QThread) if t.isRunning()] == []


@pytest.fixture
def dock(qtbot, workspace):
    d = _Probe(workspace)
    qtbot.addWidget(d)
    yield d
    d.shutdown()
    assert not d.running


def test_work_runs_off_the_ui_thread_and_reports_result_and_progress(qtbot, dock):
    seen_threads = []
    progress = []
    dock.work_progress.connect(lambda done, total: progress.append((done, total)))

    def work(report, should_cancel):
        seen_threads.append(threading.get_ident())
        for i in range(1, 4):
            report(i, 3)
        return "answer"

    with qtbot.waitSignal(dock.work_finished, timeout=10_000) as blocker:
        dock.start_work(work)
    assert blocker.args == ["answer"] and dock.results == ["answer"]
    assert seen_threads and seen_threads[0] != threading.get_ident()
    assert progress[-1] == (3, 3)  # the last report always gets through
    assert dock.progress_bar.value() == 3
    assert not dock.running


def test_cancel_stops_the_work_at_its_next_check(qtbot, dock):
    release = threading.Event()
    checks = []

    def work(report, should_cancel):
        release.wait(10)
        for i in range(1_000_000):
            if should_cancel():
                return ("cancelled at", i)
            checks.append(i)
        return ("finished", None)

    with qtbot.waitSignal(dock.work_finished, timeout=10_000) as blocker:
        dock.start_work(work)
        assert dock.running and dock.cancel_button.isEnabled()
        dock.cancel_button.click()
        release.set()
    assert blocker.args[0] == ("cancelled at", 0)
    assert not dock.cancel_button.isEnabled()


def test_failure_becomes_a_sentence(qtbot, dock):
    def work(report, should_cancel):
        raise ValueError("component 2 owns no points")

    with qtbot.waitSignal(dock.work_failed, timeout=10_000) as blocker:
        dock.start_work(work)
    assert blocker.args == ["component 2 owns no points"]
    assert dock.failures == ["component 2 owns no points"] and dock.results == []


def test_new_work_drops_the_result_of_the_old_work(qtbot, qapp, dock):
    release = threading.Event()
    results = []
    dock.work_finished.connect(results.append)

    def slow(report, should_cancel):
        release.wait(10)
        return "old"

    def fast(report, should_cancel):
        release.set()
        return "new"

    dock.start_work(slow)
    old = dock.job
    with qtbot.waitSignal(dock.work_finished, timeout=10_000):
        dock.start_work(fast)
    qtbot.waitUntil(lambda: not dock.running)
    assert old.wait_ran(10_000)  # the replaced work has returned too
    qapp.processEvents()  # deliver anything the old work emitted
    assert results == ["new"] and dock.results == ["new"]


def test_work_dropped_with_the_data_reports_nothing(qtbot, qapp, dock, workspace, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a,b\n" + "".join(f"{i},{i % 7}\n" for i in range(30)))
    release = threading.Event()
    seen = []
    dock.work_finished.connect(seen.append)
    dock.work_failed.connect(seen.append)
    dock.work_progress.connect(lambda *a: seen.append(a))

    def work(report, should_cancel):
        assert release.wait(10)
        report(1, 1)
        return "stale"

    dock.start_work(work)
    thread = dock.thread
    assert thread is not None and thread.isRunning()
    assert workspace.open_file(data)  # new data: the dock's lane is dropped
    assert not dock.running and dock.thread is None
    release.set()
    assert thread.wait(10_000)  # the abandoned thread ends by itself
    qapp.processEvents()
    assert seen == [] and dock.results == [] and dock.failures == []
