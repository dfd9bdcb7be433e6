"""The Qt session: play timer, worker thread, merging of requests, clean shutdown."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QThread, QTimer

from gmm_gui.controller.jobs import JobRunner
from gmm_gui.controller.session import Session
from gmm_gui.controller.stepper import Stepper
from gmm_gui.model import Mixture, e_step


def blobs(n: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal([0.0, 0.0], [1.0, 0.5], size=(n // 2, 2))
    b = rng.normal([5.0, 3.0], [0.7, 1.2], size=(n - n // 2, 2))
    return np.vstack([a, b])


def start() -> Mixture:
    return Mixture([0.5, 0.5], [[1.0, 1.0], [3.0, 2.0]], [np.eye(2), 2.0 * np.eye(2)])


@pytest.fixture
def make_session(qtbot):
    sessions = []

    def make(n: int = 200, offload_threshold: int = 10**9, **options) -> Session:
        session = Session(offload_threshold=offload_threshold)
        session.set_data(blobs(n), start(), **options)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.shutdown()
        assert not session.playing and not session.thread_running


def test_steps_on_the_ui_thread_emit_snapshots(make_session, qtbot):
    session = make_session()
    seen = []
    session.snapshot_changed.connect(seen.append)
    session.step_m()  # not the next half-step: ignored
    assert seen == []
    session.step_e()
    session.step_m()
    session.next_iteration()
    assert [s.phase for s in seen] == ["E", "M", "M"]  # one announcement per request
    assert seen[-1].iteration == 2
    assert not session.thread_running  # small data never needs the worker


def test_play_then_pause_stops_the_timer(make_session, qtbot):
    session = make_session()
    session.set_speed(50)
    with qtbot.waitSignal(session.playing_changed) as blocker:
        session.play()
    assert blocker.args == [True] and session.timer.isActive()
    qtbot.waitUntil(lambda: len(session.stepper.history) >= 3)
    session.pause()
    assert not session.timer.isActive() and not session.playing
    n = len(session.stepper.history)
    session.toggle_play()
    assert session.playing
    session.toggle_play()
    assert not session.playing
    assert len(session.stepper.history) == n


def test_play_stops_by_itself_at_convergence(make_session, qtbot):
    session = make_session()
    session.set_speed(100)
    session.play()
    qtbot.waitUntil(lambda: not session.playing, timeout=10_000)
    assert session.stepper.snapshot.converged
    session.play()  # nothing left to do: does not start
    assert not session.playing


def test_history_moves_and_replay(make_session):
    session = make_session()
    session.run_to_convergence()
    last = session.snapshot
    assert last.converged
    session.go_to_iteration(1)
    assert session.snapshot.phase == "M" and session.snapshot.iteration == 1
    session.go_to(0)
    assert session.snapshot.editable
    session.step()  # moves along the known history
    assert session.snapshot is session.stepper.history[1]
    session.replay()
    assert session.playing and len(session.stepper.history) == 1
    session.pause()


def test_edits_go_through_the_stepper_and_errors_become_sentences(make_session, qtbot):
    session = make_session()
    errors = []
    session.error.connect(errors.append)
    session.add_component(np.array([2.0, 2.0]))
    assert session.stepper.start.n_components == 3
    session.set_table_value(0, "weight", 2.0)
    assert errors and "weight" in errors[-1]
    assert session.stepper.start.n_components == 3
    previews = []
    session.preview_changed.connect(previews.append)
    session.preview_component(0, np.array([4.0, 4.0]), np.eye(2))
    assert previews and previews[-1].resp is not None
    assert not session.stepper.can_redo and session.stepper.undo_text == "add Gaussian 3"
    session.finish_component_edit(0, np.array([4.0, 4.0]), np.eye(2))
    np.testing.assert_allclose(session.stepper.start.means[0], [4.0, 4.0])
    session.undo()
    np.testing.assert_allclose(session.stepper.start.means[0], [1.0, 1.0])
    session.redo()
    np.testing.assert_allclose(session.stepper.start.means[0], [4.0, 4.0])
    # After a run, dragging does nothing until the user goes back to the start.
    session.run_to_convergence()
    session.remove_component(0)
    assert session.stepper.start.n_components == 3


@pytest.mark.parametrize("offload_threshold", [10**9, 0])
def test_a_refused_edit_shows_the_start_again(make_session, qtbot, offload_threshold):
    # The view and the table show a drag or a typed value before the session answers; when it
    # refuses, it must announce the start as it is, or they keep showing the refused one.
    session = make_session(offload_threshold=offload_threshold)
    before = session.snapshot
    errors, seen = [], []
    session.error.connect(errors.append)
    session.snapshot_changed.connect(seen.append)
    session.set_table_value(0, "corr", 1.0)
    session.finish_component_edit(5, np.zeros(2), np.eye(2))  # there is no Gaussian 6
    assert session.wait_idle()
    assert len(errors) == 2 and "correlation" in errors[0] and "Gaussian 6" in errors[1]
    assert seen == [before, before]
    assert session.snapshot is before and not session.stepper.can_undo


@pytest.mark.parametrize("offload_threshold", [10**9, 0])
def test_a_huge_table_value_is_refused_without_numpy_warnings(
    make_session, qtbot, offload_threshold
):
    # warnings are errors in the tests: an overflow in the worker would fail the edit instead
    session = make_session(offload_threshold=offload_threshold)
    errors = []
    session.error.connect(errors.append)
    for field, value in (("sd0", 1e300), ("mean0", 1e308), ("mean0", -1e200)):
        session.set_table_value(0, field, value)
        assert session.wait_idle()
        assert "too large to square" in errors[-1]
    assert len(errors) == 3
    for field, value, said in (("corr", 1e200, "between -1 and 1"), ("sd0", -1e200, "positive")):
        session.set_table_value(0, field, value)  # the field's own rule speaks first
        assert session.wait_idle()
        assert said in errors[-1]
    del errors[3:]
    assert not session.stepper.can_undo
    session.set_table_value(0, "sd0", 1e100)  # large but squarable: accepted
    assert session.wait_idle()
    assert len(errors) == 3 and session.stepper.can_undo


def test_large_data_is_computed_in_the_worker_thread(make_session, qtbot, monkeypatch):
    session = make_session(offload_threshold=0)
    stepper = session.stepper
    threads = []
    original = Stepper.compute_next

    def spy(self, snap):
        threads.append(QThread.currentThread())
        return original(self, snap)

    monkeypatch.setattr(Stepper, "compute_next", spy)
    with qtbot.waitSignal(session.snapshot_changed, timeout=10_000) as blocker:
        session.step()
        assert session.busy
    assert session.thread_running
    assert threads and all(t is not QThread.currentThread() for t in threads)
    snap = blocker.args[0]
    assert snap.phase == "E"
    np.testing.assert_allclose(snap.resp, e_step(stepper.X, start())[0])
    session.shutdown()
    assert not session.thread_running


def test_requests_while_busy_are_merged_not_stacked(make_session, qtbot):
    session = make_session(offload_threshold=0)
    for _ in range(5):
        session.step()
    assert session.busy
    assert session.wait_idle()
    # One ran, the four others collapsed into a single pending request.
    assert len(session.stepper.history) == 3
    assert not session.busy


def test_latest_drag_preview_wins(make_session, qtbot):
    session = make_session(offload_threshold=0)
    previews = []
    session.preview_changed.connect(previews.append)
    for x in range(6):
        session.preview_component(1, np.array([float(x), 2.0]), np.eye(2))
    assert session.wait_idle()
    assert 1 <= len(previews) <= 2
    np.testing.assert_allclose(previews[-1].mixture.means[1], [5.0, 2.0])
    assert not session.stepper.can_undo  # previews record nothing
    session.finish_component_edit(1, np.array([5.0, 2.0]), np.eye(2))
    assert session.wait_idle()  # large data: the finished drag is committed by the worker
    assert session.stepper.can_undo


def test_a_stale_result_is_dropped(make_session, qtbot, monkeypatch):
    arrived = []
    original = JobRunner._deliver  # where every result arrives, current or not

    def spy(self, job, ok, value):
        arrived.append(job)
        original(self, job, ok, value)

    monkeypatch.setattr(JobRunner, "_deliver", spy)
    session = make_session(offload_threshold=0)
    session.step()
    session.reset()  # forgets the job in flight
    qtbot.waitUntil(lambda: bool(arrived), timeout=10_000)
    assert len(session.stepper.history) == 1 and not session.busy
    assert session.snapshot.phase == "start"


def test_run_to_convergence_can_be_cancelled(make_session, qtbot):
    session = make_session(n=4000, offload_threshold=0, tol=0.0, max_iter=100_000)
    gate = threading.Event()
    original = Stepper.compute_next
    calls = []

    def slow(self, snap):
        calls.append(1)
        if len(calls) == 3:
            gate.set()
        return original(self, snap)

    Stepper.compute_next = slow
    try:
        session.run_to_convergence()
        assert session.busy
        assert gate.wait(10)
        session.cancel()
        assert session.wait_idle()
    finally:
        Stepper.compute_next = original
    snap = session.snapshot
    assert not snap.converged
    assert 3 <= len(session.stepper.history) - 1 < 2 * 100_000


def test_a_million_point_step_leaves_the_ui_thread_free(qtbot):
    rng = np.random.default_rng(5)
    n = 1_000_000
    X = rng.normal(size=(n, 2)) + rng.integers(0, 4, size=(n, 1)) * [3.0, 1.0]
    session = Session()
    assert n >= session.offload_threshold
    ticks = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(session.busy))
    try:
        session.set_data(X)
        timer.start()
        clicked = []
        session.new_start(4, "kmeans++", 0)  # k-means++ on a million points, in the worker
        assert session.busy
        QTimer.singleShot(0, lambda: clicked.append(session.busy))  # a "click" meanwhile
        qtbot.waitUntil(lambda: not session.busy, timeout=60_000)
        assert clicked == [True] and sum(ticks) >= 2
        assert session.stepper.start.n_components == 4
        session.step()  # E: the start's responsibilities are already known
        assert session.wait_idle(60_000)
        ticks.clear()
        clicked.clear()
        session.step()  # M on a million points, in the worker
        assert session.busy
        QTimer.singleShot(0, lambda: clicked.append(session.busy))
        qtbot.waitUntil(lambda: not session.busy, timeout=60_000)
        assert clicked == [True]  # handled while the step was still running
        assert sum(ticks) >= 2  # the UI-thread timer kept firing during the step
        assert session.snapshot.phase == "M" and session.snapshot.iteration == 1
    finally:
        timer.stop()
        session.shutdown()


def test_a_background_run_from_a_past_state_continues_the_history(make_session, qtbot):
    session = make_session(offload_threshold=0)
    for _ in range(4):
        session.step()
        assert session.wait_idle()
    stepper = session.stepper
    session.go_to(1)  # looking back at the first E-step
    session.run_to_convergence()
    assert session.wait_idle()
    history = stepper.history
    assert history[-1].converged
    for before, after in zip(history[:-1], history[1:], strict=True):
        assert after.phase != before.phase  # start, E, M, E, M, ... never forked
    assert [s.iteration for s in history if s.phase == "M"] == list(
        range(1, history[-1].iteration + 1)
    )


def test_edits_of_the_start_are_planned_in_the_worker_and_queued_in_order(
    make_session, qtbot, monkeypatch
):
    session = make_session(offload_threshold=0)
    threads = []
    original = Stepper.plan

    def spy(self, edit):
        threads.append((edit.name, QThread.currentThread()))
        return original(self, edit)

    monkeypatch.setattr(Stepper, "plan", spy)
    busy = []
    session.busy_changed.connect(busy.append)
    session.new_start(3, "kmeans++", 1)
    assert session.busy and session.stepper.start.n_components == 2  # not applied yet
    session.new_start(4, "kmeans++", 2)  # queued ...
    session.new_start(5, "kmeans++", 3)  # ... and merged with the one waiting: newest wins
    session.add_component(np.array([9.0, 9.0]))  # queued after it, in order
    session.undo()  # queued too: it undoes the add, not an earlier edit
    assert session.edits_waiting == 3
    assert session.wait_idle()
    assert busy == [True, False]  # one busy period, not one per edit
    assert [e for e, _ in threads] == ["new_start", "new_start", "add_component"]
    assert all(t is not QThread.currentThread() for _, t in threads)
    stepper = session.stepper
    assert stepper.start.n_components == 5 and stepper.start_info.seed == 3
    assert stepper.can_redo and stepper.redo_text == "add Gaussian 6"
    stepper.undo()
    assert stepper.start.n_components == 3  # the first new start, then the original
    stepper.undo()
    assert stepper.start.n_components == 2 and not stepper.can_undo


def test_a_step_asked_for_during_an_edit_runs_after_it(make_session, qtbot):
    session = make_session(offload_threshold=0)
    session.new_start(3, "kmeans++", 1)
    session.step()  # merged into the pending request; runs on the new start
    assert session.wait_idle()
    snap = session.snapshot
    assert snap.phase == "E" and snap.mixture.n_components == 3
    np.testing.assert_allclose(snap.resp, e_step(session.stepper.X, snap.mixture)[0])


def test_cancel_drops_an_edit_being_computed(make_session, qtbot):
    session = make_session(offload_threshold=0)
    session.new_start(3, "kmeans++", 1)
    session.add_component(np.array([9.0, 9.0]))
    session.cancel()
    assert not session.busy and session.edits_waiting == 0
    session.step()
    assert session.wait_idle()
    session.stepper.undo()  # Undo of the step: back to the start; no edit left to undo
    assert session.stepper.start.n_components == 2 and not session.stepper.can_undo


def test_drag_previews_are_pipelined(make_session, qtbot):
    session = make_session(offload_threshold=0)
    busy_when_drawn = []
    session.preview_changed.connect(lambda _snap: busy_when_drawn.append(session.busy))
    session.preview_component(1, np.array([1.0, 2.0]), np.eye(2))
    session.preview_component(1, np.array([2.0, 2.0]), np.eye(2))  # waits for the first
    assert session.wait_idle()
    # The first preview was handed out after the worker had started on the second.
    assert busy_when_drawn == [True, False]


def test_prepare_runs_in_the_worker_on_the_snapshot_shown(make_session, qtbot):
    session = make_session(offload_threshold=0)
    prepared = []
    session.set_prepare(lambda snap: prepared.append((snap, QThread.currentThread())))
    with qtbot.waitSignal(session.snapshot_changed, timeout=10_000) as blocker:
        session.step()
    shown = blocker.args[0]
    assert len(prepared) == 1
    snap, thread = prepared[0]
    assert thread is not QThread.currentThread()
    assert snap.resp is shown.resp  # the very array the views will be handed
    with qtbot.waitSignal(session.snapshot_changed, timeout=10_000):
        session.run_to_convergence()
    assert prepared[-1][0].resp is session.snapshot.resp or session.snapshot.resp is None
    assert len(prepared) == 2  # once for the run's last state, not for every iteration


def test_a_dropped_run_stays_cancelled_when_a_new_run_starts(make_session, qtbot, monkeypatch):
    session = make_session(offload_threshold=0, tol=0.0, max_iter=10_000)
    asked = []
    release = threading.Event()
    original = Stepper.compute_run

    def held(self, snap, max_half_steps=None, *, progress=None, should_cancel=None):
        asked.append(should_cancel)
        release.wait(10)
        return original(self, snap, 2, progress=progress, should_cancel=should_cancel)

    monkeypatch.setattr(Stepper, "compute_run", held)
    session.run_to_convergence()
    qtbot.waitUntil(lambda: len(asked) == 1)
    session.reset()  # drops the run in flight
    session.run_to_convergence()  # a new run, queued behind the old one in the worker
    assert asked[0](), "the dropped run must still see its cancel"
    release.set()
    qtbot.waitUntil(lambda: len(asked) == 2 and not session.busy, timeout=10_000)
    assert asked[0]() and not asked[1]()


def test_looking_back_during_a_background_step_keeps_the_view_there(make_session, qtbot):
    session = make_session(offload_threshold=0)
    with qtbot.waitSignal(session.snapshot_changed, timeout=10_000):
        session.step()
    with qtbot.waitSignal(session.snapshot_changed, timeout=10_000):
        session.step()
    session.step()  # a third half-step in flight ...
    session.go_to(0)  # ... while the user goes back to the start
    assert session.wait_idle()
    QCoreApplication.processEvents()  # deliver anything the worker emitted
    assert session.stepper.index == 0 and session.stepper.editable


def test_a_session_dropped_without_shutdown_does_not_abort_the_process():
    # Qt aborts a process whose QThread is destroyed while running; a script that drives a
    # Session headlessly and simply ends must exit cleanly.
    code = (
        "import numpy as np\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "app = QCoreApplication([])\n"
        "from gmm_gui.controller.session import Session\n"
        "s = Session(offload_threshold=0)\n"
        "s.set_data(np.random.default_rng(0).normal(size=(1000, 2)), None)\n"
        "s.new_start(2); s.wait_idle(); s.step(); s.wait_idle()\n"
        "assert s.thread_running\n"
        "print('stepped', s.snapshot.phase)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "stepped E"
    assert "Destroyed while thread" not in out.stderr


@pytest.mark.parametrize("offload_threshold", [10**9, 0])
def test_drag_moves_and_drag_end_are_two_slots(make_session, qtbot, offload_threshold):
    session = make_session(offload_threshold=offload_threshold)
    previews = []
    session.preview_changed.connect(previews.append)
    session.preview_component(0, np.array([3.0, 3.0]), np.eye(2))
    assert session.wait_idle()
    assert len(previews) == 1 and not session.stepper.can_undo
    np.testing.assert_allclose(previews[0].mixture.means[0], [3.0, 3.0])
    session.finish_component_edit(0, np.array([3.5, 3.0]), 2.0 * np.eye(2))
    assert session.wait_idle()
    np.testing.assert_allclose(session.stepper.start.means[0], [3.5, 3.0])
    assert session.stepper.undo_text == "move and reshape Gaussian 1"
    assert len(previews) == 1  # the end of a drag records, it previews nothing
