"""A change of the model settings is one undoable edit: EM starts again from the start with
them, and Undo restores the settings and the start before (issue #11)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QThread

from gmm_gui.controller.edits import SetSettings
from gmm_gui.controller.settings import ModelSettings
from gmm_gui.controller.stepper import Stepper
from gmm_gui.controller.workspace import Workspace
from gmm_gui.model import m_step


def _data(n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)) @ np.array([[2.0, 0.8], [0.0, 0.6]]) + rng.integers(
        0, 2, size=(n, 1)
    ) * np.array([4.0, 1.0])


def test_the_stepper_fits_with_new_settings_from_a_start_of_their_type_and_undo_restores():
    stepper = Stepper.from_method(_data(), 2, "kmeans++", 0)
    stepper.run_to_convergence()
    full_start, full_run = stepper.start, len(stepper.history)
    assert stepper.settings == ModelSettings()
    diag = ModelSettings("diag", 1e-4, 1e-6, 50)
    stepper.edit(SetSettings(diag))
    assert stepper.settings == diag and (stepper.reg_covar, stepper.max_iter) == (1e-4, 50)
    assert len(stepper.history) == 1 and stepper.editable  # from the start again
    assert stepper.start.covariance_type == "diag"
    np.testing.assert_array_equal(stepper.start.means, full_start.means)
    np.testing.assert_array_equal(
        stepper.start.covariances, full_start.as_type("diag").covariances
    )
    # Undo's text names the edit, and says the run before it comes back (issue 13).
    assert stepper.undo_text.startswith(SetSettings(diag).description)
    assert "run of" in stepper.undo_text and "comes back" in stepper.undo_text
    assert "diag" in stepper.undo_text and "reg_covar 0.0001" in stepper.undo_text
    stepper.step()
    stepper.step()  # an M-step with the new settings
    expected = m_step(stepper.X, stepper.history[1].resp, "diag", 1e-4)
    np.testing.assert_allclose(stepper.snapshot.mixture.covariances, expected.covariances)
    stepper.undo()  # the two half-steps: back to the start, the settings kept
    assert stepper.settings == diag and stepper.index == 0 and len(stepper.history) == 3
    stepper.undo()
    assert stepper.settings == ModelSettings() and stepper.start is full_start
    assert len(stepper.history) == full_run and stepper.can_redo  # the run is not lost
    stepper.redo()
    assert stepper.settings == diag and stepper.start.covariance_type == "diag"
    assert len(stepper.history) == 3


@pytest.fixture
def workspace(qapp, tmp_path):
    w = Workspace()
    path = tmp_path / "data.csv"
    np.savetxt(path, _data(), delimiter=",", header="a,b", comments="")
    assert w.open_file(path, n_components=2)
    yield w
    w.shutdown()
    assert [t for t in w.findChildren(QThread) if t.isRunning()] == []


def test_the_workspace_announces_settings_that_follow_undo_and_redo(workspace):
    session = workspace.session
    session.run_to_convergence()
    converged_length = len(session.stepper.history)
    assert converged_length > 3
    tied = ModelSettings("tied", tol=1e-5)
    workspace.set_settings(tied)
    state = workspace.state
    assert state.settings == tied == workspace.settings
    assert state.history_length == 1 and state.editable and state.can_undo
    assert state.undo_text.startswith("model settings (tied")
    assert session.stepper.start.covariance_type == "tied"
    session.undo()
    assert workspace.state.settings == ModelSettings() == workspace.settings
    assert session.stepper.start.covariance_type == "full"
    session.redo()
    assert workspace.state.settings == tied
    states = []
    workspace.state_changed.connect(states.append)
    workspace.set_settings(tied)  # the same: nothing happens
    assert states == [] and workspace.state.can_undo


def test_files_opened_next_use_the_settings_in_force(workspace, tmp_path):
    workspace.set_settings(ModelSettings("spherical", max_iter=12))
    workspace.session.undo()
    workspace.session.redo()
    other = tmp_path / "other.csv"
    np.savetxt(other, _data(seed=3), delimiter=",", header="a,b", comments="")
    assert workspace.open_file(other)
    assert workspace.session.stepper.settings == ModelSettings("spherical", max_iter=12)
    assert not workspace.state.can_undo  # new data: a history of its own


def test_a_settings_edit_computed_in_the_worker_is_undoable(qapp, tmp_path):
    w = Workspace(offload_threshold=0)  # every job in the worker thread
    try:
        path = tmp_path / "data.csv"
        np.savetxt(path, _data(), delimiter=",", header="a,b", comments="")
        assert w.open_file(path, n_components=2)
        w.session.step()
        assert w.session.wait_idle()
        w.set_settings(ModelSettings("diag"))
        assert w.session.job_kind == "edit"  # planned in the worker ...
        assert w.state.settings == ModelSettings("diag") == w.settings  # ... and shown already
        assert w.session.stepper.settings == ModelSettings()
        assert w.session.wait_idle()
        assert w.state.settings == ModelSettings("diag") and w.state.history_length == 1
        w.session.undo()
        assert w.session.wait_idle()
        assert w.state.settings == ModelSettings()
    finally:
        w.shutdown()


def test_settings_chosen_while_a_file_is_read_in_the_background_apply_to_it(
    qapp, tmp_path, monkeypatch
):
    import threading

    import gmm_gui.controller.loading as workspace_module  # where the reads happen

    gate = threading.Event()
    real = workspace_module.load_dataset

    def slow(path, columns=None):
        assert gate.wait(30)
        return real(path, columns)

    monkeypatch.setattr(workspace_module, "load_dataset", slow)
    w = Workspace()
    try:
        path = tmp_path / "data.csv"
        np.savetxt(path, _data(), delimiter=",", header="a,b", comments="")
        w.background_load_bytes = 1
        assert w.open_file(path, n_components=2) and w.loading
        w.set_settings(ModelSettings("diag", max_iter=9))  # while the file is read
        gate.set()
        assert w.wait_loaded()
        stepper = w.session.stepper
        assert stepper.settings == ModelSettings("diag", max_iter=9) == w.state.settings
        assert stepper.start.covariance_type == "diag" and not stepper.can_undo
    finally:
        w.shutdown()
