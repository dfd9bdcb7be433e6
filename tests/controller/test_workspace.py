"""The workspace, headless: state announced on every change, loading, newest load wins."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QThread

import gmm_gui.controller.loading as workspace_module  # where the reads happen
from gmm_gui.controller.settings import ModelSettings, StartOptions
from gmm_gui.controller.stepper import Stepper
from gmm_gui.controller.workspace import Workspace, WorkspaceState
from gmm_gui.io import ColumnChoiceRequired


def write_csv(path, n: int, seed: int = 0, columns: str = "a,b") -> np.ndarray:
    rng = np.random.default_rng(seed)
    d = len(columns.split(","))
    X = rng.normal(size=(n, d)) + rng.integers(0, 2, size=(n, 1)) * 4.0
    np.savetxt(path, X, delimiter=",", header=columns, comments="", fmt="%.6f")
    return X


@pytest.fixture
def workspace(qapp):
    w = Workspace()
    states: list[WorkspaceState] = []
    w.state_changed.connect(states.append)
    w.states = states
    yield w
    w.shutdown()
    assert [t for t in w.findChildren(QThread) if t.isRunning()] == []


@pytest.fixture
def gated_reads(monkeypatch):
    """Reads of files whose name starts with "slow" wait for the returned event."""
    gate = threading.Event()
    real = workspace_module.load_dataset

    def load(path, columns=None):
        if str(path).rsplit("/", 1)[-1].startswith("slow"):
            assert gate.wait(30)
        return real(path, columns)

    monkeypatch.setattr(workspace_module, "load_dataset", load)
    return gate


def test_a_small_file_opens_at_once_and_the_state_follows_steps_and_undo(workspace, tmp_path):
    data = tmp_path / "small.csv"
    X = write_csv(data, 200)
    opened = []
    workspace.data_changed.connect(opened.append)
    assert workspace.open_file(data, n_components=3)
    assert not workspace.loading and len(opened) == 1
    state = workspace.state
    assert state is workspace.states[-1]
    assert state.dataset is workspace.dataset is opened[0]
    np.testing.assert_allclose(state.dataset.values, X, atol=1e-6)
    assert state.title == "small.csv"
    assert state.start_options.n_components == 3
    expected = Stepper.from_method(state.dataset.values, 3, "kmeans++", 0)
    assert state.snapshot.mixture == expected.start
    assert (state.index, state.history_length, state.next_phase) == (0, 1, "E")
    assert state.editable and state.has_mixture and not state.can_undo
    assert state.log_likelihoods.shape == (1,) and not state.log_likelihoods.flags.writeable

    workspace.session.step()
    state = workspace.state
    assert (state.index, state.history_length, state.next_phase) == (1, 2, "M")
    assert not state.editable and state.snapshot is workspace.session.snapshot
    workspace.session.next_iteration()
    assert workspace.state.log_likelihoods.shape == (2,)

    workspace.session.go_to(0)
    workspace.set_start_options(StartOptions(2, "random", 4))
    workspace.new_start()
    state = workspace.state
    assert state.can_undo and state.undo_text.startswith("new random start with 2 Gaussians")
    assert "comes back" in state.undo_text  # the run of the start before (issue 13)
    assert state.snapshot.mixture.n_components == 2 and state.history_length == 1
    workspace.session.undo()
    state = workspace.state
    assert not state.can_undo and state.can_redo
    assert state.redo_text.startswith("new random start with 2 Gaussians")
    assert state.snapshot.mixture.n_components == 3
    assert (state.index, state.history_length) == (0, 3)  # its run is back


def test_play_and_busy_are_announced(workspace, tmp_path, qtbot):
    data = tmp_path / "small.csv"
    write_csv(data, 200)
    workspace.open_file(data)
    workspace.session.play()
    assert workspace.state.playing
    workspace.session.pause()
    assert not workspace.state.playing


def test_settings_flow_into_the_stepper(workspace, tmp_path):
    data = tmp_path / "small.csv"
    write_csv(data, 200)
    workspace.set_settings(ModelSettings(tol=0.5, max_iter=7))
    workspace.open_file(data)
    stepper = workspace.session.stepper
    assert (stepper.tol, stepper.max_iter) == (0.5, 7)
    start = stepper.start
    workspace.set_settings(ModelSettings(covariance_type="full", reg_covar=1e-3))
    stepper = workspace.session.stepper
    assert stepper.reg_covar == 1e-3 and stepper.tol == 1e-3 and stepper.start == start
    assert workspace.state.settings == ModelSettings(reg_covar=1e-3)


def test_a_large_file_loads_in_the_background(workspace, tmp_path, qtbot):
    data = tmp_path / "big.csv"
    write_csv(data, 500)
    workspace.background_load_bytes = 1
    started, finished = [], []
    workspace.load_started.connect(started.append)
    workspace.load_finished.connect(lambda: finished.append(workspace.loading))
    assert workspace.open_file(data)
    assert workspace.loading and workspace.state.loading == str(data)
    assert workspace.dataset is None
    assert workspace.wait_loaded()
    assert started == [str(data)] and finished == [False]
    assert workspace.dataset.name == "big.csv" and workspace.state.loading is None
    assert workspace.state.snapshot is workspace.session.snapshot


def test_the_newest_open_wins_over_a_late_background_load(
    workspace, tmp_path, qtbot, qapp, gated_reads
):
    slow = tmp_path / "slow_large.csv"
    write_csv(slow, 3000)
    small = tmp_path / "small.csv"
    write_csv(small, 100, seed=1)
    workspace.background_load_bytes = 1
    assert workspace.open_file(slow)
    job = workspace.jobs.running("loader")
    assert workspace.loading
    assert workspace.open_file(small, background=False)  # asked for later: it wins
    assert not workspace.loading and workspace.dataset.name == "small.csv"
    gated_reads.set()
    assert job.wait_ran(30_000)
    qapp.processEvents()  # the large file's result reaches the UI thread and is dropped
    assert workspace.dataset.name == "small.csv"
    assert workspace.state.dataset.name == "small.csv"


def test_a_background_load_replaces_the_one_before(workspace, tmp_path, qapp, gated_reads):
    slow = tmp_path / "slow.csv"
    write_csv(slow, 300)
    other = tmp_path / "other.csv"
    write_csv(other, 100, seed=2)
    workspace.background_load_bytes = 1
    opened = []
    workspace.data_changed.connect(lambda d: opened.append(d.name))
    workspace.open_file(slow)
    first = workspace.jobs.running("loader")
    workspace.open_file(other)  # does not wait for the read that blocks
    assert workspace.wait_loaded()
    gated_reads.set()
    assert first.wait_ran(30_000)
    qapp.processEvents()
    assert opened == ["other.csv"]


def test_three_numeric_columns_ask_which_to_fit(workspace, tmp_path):
    data = tmp_path / "three.csv"
    write_csv(data, 150, columns="x,y,z")
    with pytest.raises(ColumnChoiceRequired):
        workspace.open_file(data, background=False)
    asked = []
    workspace.columns_required.connect(lambda *args: asked.append(args))
    workspace.background_load_bytes = 1
    workspace.open_file(data, n_components=3)
    assert workspace.wait_loaded()
    assert workspace.dataset is None
    [(path, columns, request)] = asked
    assert path == str(data) and tuple(columns) == ("x", "y", "z")
    workspace.open_request(replace(request, columns=("x", "z")))
    assert workspace.wait_loaded()
    assert workspace.dataset.columns == ("x", "z")
    assert workspace.state.start_options.n_components == 3


def test_a_bad_file_in_the_background_fails_with_a_sentence(workspace, tmp_path):
    good = tmp_path / "good.csv"
    write_csv(good, 100)
    workspace.open_file(good)
    before = workspace.state.snapshot
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02 binary junk \xff\xfe" * 100)
    failed = []
    workspace.load_failed.connect(lambda path, message: failed.append((path, message)))
    workspace.background_load_bytes = 1
    workspace.open_file(bad)
    assert workspace.wait_loaded()
    assert len(failed) == 1 and failed[0][0] == str(bad) and failed[0][1]
    assert workspace.dataset.name == "good.csv" and workspace.state.snapshot is before


def test_cancel_stops_a_load_and_keeps_the_data(workspace, tmp_path, qapp, gated_reads):
    good = tmp_path / "good.csv"
    write_csv(good, 100)
    workspace.open_file(good)
    slow = tmp_path / "slow.csv"
    write_csv(slow, 300)
    workspace.background_load_bytes = 1
    finished = []
    workspace.load_finished.connect(lambda: finished.append(True))
    workspace.open_file(slow)
    job = workspace.jobs.running("loader")
    assert workspace.cancel() is True
    assert not workspace.loading and finished == [True] and job.cancelled
    assert workspace.state.loading is None
    gated_reads.set()
    assert job.wait_ran(30_000)
    qapp.processEvents()
    assert workspace.dataset.name == "good.csv"
    assert workspace.cancel() is False  # nothing loading: the session's cancel


def test_busy_and_the_job_kind_are_announced(qapp, tmp_path):
    workspace = Workspace(offload_threshold=0)  # every step in the session's lane
    try:
        data = tmp_path / "small.csv"
        write_csv(data, 200)
        workspace.open_file(data)
        kinds = []
        workspace.state_changed.connect(lambda state: kinds.append((state.busy, state.job_kind)))
        workspace.session.run_to_convergence()
        assert workspace.state.busy and workspace.state.job_kind == "run"
        assert workspace.session.wait_idle()
        assert kinds[-1] == (False, None) and (True, "run") in kinds
        assert workspace.state.converged_at == workspace.session.stepper.converged_at()
        assert workspace.state.converged_at is not None
    finally:
        workspace.shutdown()
    assert [t for t in workspace.findChildren(QThread) if t.isRunning()] == []


def test_a_half_step_in_the_worker_is_announced_once_at_each_end(qapp, tmp_path):
    """A worker's half-step emits half a dozen session and runner signals (busy, job started,
    snapshot, state, job ended, idle): the window hears one state when the job is handed to
    the worker and one when its result is in, each already showing everything."""
    workspace = Workspace(offload_threshold=0)  # every step in the session's lane
    try:
        data = tmp_path / "small.csv"
        write_csv(data, 200)
        workspace.open_file(data)
        states: list[WorkspaceState] = []
        workspace.state_changed.connect(states.append)
        workspace.session.step()
        assert [(s.busy, s.history_length) for s in states] == [(True, 1)]
        assert workspace.session.wait_idle()
        assert [(s.busy, s.history_length) for s in states] == [(True, 1), (False, 2)]
        assert states[-1].snapshot is workspace.session.snapshot
        assert states[-1] is workspace.state
    finally:
        workspace.shutdown()


def test_the_column_question_comes_after_the_hand_over_with_loading_announced_over(
    workspace, tmp_path, qtbot
):
    """A window answers columns_required with a modal dialog: it must be asked once the job
    runner has settled and the state says loading is over, or every announcement would wait
    for the dialog to close."""
    data = tmp_path / "three.csv"
    write_csv(data, 300, columns="a,b,c")
    workspace.background_load_bytes = 1
    seen = []

    def answer(path, numeric, request):
        seen.append((workspace.jobs.settling, workspace.states[-1].loading, tuple(numeric)))
        workspace.session.step()  # what goes on while a dialog is open is announced at once
        seen.append(workspace.states[-1].history_length)

    workspace.columns_required.connect(answer)
    assert workspace.open_file(data)
    qtbot.waitUntil(lambda: len(seen) == 2)
    assert seen[0] == (False, None, ("a", "b", "c"))
