"""The check of tests/ui/conftest.py: a timer or thread a test leaves running fails it."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QThread, QTimer
from qt_leaks import QtLeakTracker, assert_nothing_left_running

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.model import Mixture
from gmm_gui.ui.views import PlotView2D


@pytest.fixture
def tracker(monkeypatch):
    tracker = QtLeakTracker()
    tracker.install(monkeypatch)
    return tracker


def test_a_parentless_timer_left_active_is_reported_with_where_it_started(qapp, tracker):
    timer = QTimer()
    timer.setObjectName("forgotten")
    timer.start(60_000)
    with pytest.raises(AssertionError, match="left running") as failure:
        assert_nothing_left_running(tracker)
    assert "active QTimer 'forgotten' (every 60000 ms)" in str(failure.value)
    assert "test_views_leak_check.py" in str(failure.value)  # the line that started it
    timer.stop()
    assert_nothing_left_running(tracker)


def test_a_thread_left_running_is_reported(qapp, tracker):
    thread = QThread()
    thread.setObjectName("worker")
    thread.start()  # runs its event loop until quit()
    try:
        with pytest.raises(AssertionError, match="running QThread 'worker'"):
            assert_nothing_left_running(tracker)
    finally:
        thread.quit()
        assert thread.wait(10_000)
    assert_nothing_left_running(tracker)


def test_a_view_animating_in_a_window_left_open_is_reported_and_closing_ends_it(qtbot, tracker):
    view = PlotView2D()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    X = np.random.default_rng(0).normal(size=(50, 2))
    a = Mixture([1.0], [[0.0, 0.0]], [np.eye(2)])
    b = Mixture([1.0], [[1.0, 1.0]], [np.eye(2)])
    view.set_snapshot(Snapshot(X=X, mixture=a, resp=None), animate=False)
    view.set_animation_ms(60_000)
    view.set_snapshot(Snapshot(X=X, mixture=b, resp=None), animate=True)
    with pytest.raises(AssertionError, match=r"active QTimer in PlotView2D .*transition\.py"):
        assert_nothing_left_running(tracker)
    view.close()
    assert_nothing_left_running(tracker)


def test_a_hidden_view_jumps_and_hiding_ends_a_transition(qtbot):
    # what keeps closed windows from animating on: their views see only a hide
    view = PlotView2D()
    qtbot.addWidget(view)
    X = np.random.default_rng(0).normal(size=(50, 2))
    a = Mixture([1.0], [[0.0, 0.0]], [np.eye(2)])
    b = Mixture([1.0], [[1.0, 1.0]], [np.eye(2)])
    view.set_animation_ms(60_000)
    view.set_snapshot(Snapshot(X=X, mixture=a, resp=None), animate=False)
    view.set_snapshot(Snapshot(X=X, mixture=b, resp=None), animate=True)  # not shown yet
    assert not view.is_animating()
    np.testing.assert_array_equal(view.shown_params().means, b.means)
    view.show()
    qtbot.waitExposed(view)
    finished = []
    view.animation_finished.connect(lambda: finished.append(True))
    view.set_snapshot(Snapshot(X=X, mixture=a, resp=None), animate=True)
    assert view.is_animating()
    view.hide()
    assert not view.is_animating() and finished == [True]
    np.testing.assert_array_equal(view.shown_params().means, a.means)
