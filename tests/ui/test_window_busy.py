"""The progress bar and Cancel: at once for a run, only when it lasts for a single half-step."""

from __future__ import annotations

import threading

from gmm_gui.controller.stepper import Stepper
from gmm_gui.controller.workspace import Workspace
from gmm_gui.ui.main_window import MainWindow


def test_a_half_step_shows_progress_only_when_it_lasts(qtbot, monkeypatch):
    workspace = Workspace(offload_threshold=0)  # every job in the worker thread
    session = workspace.session
    w = MainWindow(workspace)
    qtbot.addWidget(w)
    w.show()
    assert w.open_sample("faithful")
    gate = threading.Event()
    original = Stepper.compute_next

    def slow(self, snap):
        assert gate.wait(30)  # a half-step that takes its time
        return original(self, snap)

    monkeypatch.setattr(Stepper, "compute_next", slow)
    w.busy.progress_delay_ms = 60_000
    w.actions_by_name["step_e"].trigger()
    assert session.busy and session.job_kind == "step"
    assert not w.progress_bar.isVisibleTo(w)  # no flicker for a quick half-step
    assert w.actions_by_name["cancel"].isEnabled()
    gate.set()
    assert session.wait_idle()
    assert session.job_kind is None and session.snapshot.phase == "E"
    gate.clear()
    w.busy.progress_delay_ms = 30  # now it "lasts"
    w.actions_by_name["step_m"].trigger()
    qtbot.waitUntil(lambda: w.progress_bar.isVisibleTo(w))
    assert w.cancel_button.isVisibleTo(w)
    gate.set()
    assert session.wait_idle()
    assert not w.progress_bar.isVisibleTo(w) and not w.cancel_button.isVisibleTo(w)
    w.close()
