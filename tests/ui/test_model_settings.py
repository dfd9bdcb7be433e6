"""The Model settings toolbar: covariance type, reg_covar, tol, max_iter (issue #11)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

import gmm_gui.ui.analysis.kselect as kselect_module
from gmm_gui.controller.settings import ModelSettings
from gmm_gui.model import COVARIANCE, COVARIANCE_TYPES
from gmm_gui.ui.main_window import MainWindow
from gmm_gui.ui.model_settings import load_model_settings


@pytest.fixture
def window(shown_window):
    return shown_window("faithful")


def choose(window, covariance_type: str) -> None:
    combo = window.model_bar.covariance_combo
    combo.setCurrentIndex(combo.findData(covariance_type))


def type_in(edit, text: str) -> None:
    edit.setText(text)
    edit.editingFinished.emit()


def test_every_control_says_in_words_what_it_does(window):
    bar = window.model_bar
    for widget in (bar.covariance_combo, bar.reg_covar_edit, bar.tol_edit, bar.max_iter_spin):
        assert widget.toolTip(), widget.objectName()
    combo = bar.covariance_combo
    assert [combo.itemData(i) for i in range(combo.count())] == list(COVARIANCE_TYPES)
    for i, name in enumerate(COVARIANCE_TYPES):
        assert COVARIANCE[name].description in combo.itemData(i, Qt.ItemDataRole.ToolTipRole)
    assert window.workspace.settings == ModelSettings()  # nothing saved yet: the defaults
    assert combo.currentData() == "full" and bar.max_iter_spin.value() == 100


def test_a_change_starts_again_from_the_start_says_so_and_is_undone(window):
    session = window.session
    window.actions_by_name["run"].trigger()
    assert session.wait_idle() and len(session.stepper.history) > 3
    start = session.stepper.start
    choose(window, "diag")
    assert window.workspace.settings == ModelSettings("diag")
    assert session.stepper.covariance_type == "diag" and len(session.stepper.history) == 1
    assert session.stepper.start.covariance_type == "diag"
    message = window.statusBar().currentMessage()
    assert "diag" in message and "from the start" in message and "Undo" in message
    undo = window.actions_by_name["undo"]
    assert undo.isEnabled() and "model settings" in undo.text()
    assert window.timeline.count == 1  # the panels show the new start
    window.actions_by_name["next_iteration"].trigger()
    assert session.snapshot.mixture.covariance_type == "diag"
    undo.trigger()  # the iteration first: back to the start, the iteration kept (issue 13)
    assert session.wait_idle() and session.stepper.index == 0
    assert len(session.stepper.history) == 3 and "model settings" in undo.text()
    undo.trigger()
    assert session.wait_idle()
    assert window.workspace.settings == ModelSettings() and session.stepper.start is start
    assert window.model_bar.covariance_combo.currentData() == "full"  # the bar follows Undo
    window.actions_by_name["redo"].trigger()
    assert session.wait_idle()
    assert window.model_bar.covariance_combo.currentData() == "diag"


def test_numbers_are_set_and_a_value_that_cannot_be_used_is_said(window):
    bar = window.model_bar
    type_in(bar.reg_covar_edit, "1e-3")
    type_in(bar.tol_edit, "1e-5")
    bar.max_iter_spin.setValue(20)
    assert window.workspace.settings == ModelSettings("full", 1e-3, 1e-5, 20)
    stepper = window.session.stepper
    assert (stepper.reg_covar, stepper.tol, stepper.max_iter) == (1e-3, 1e-5, 20)
    bar.reg_covar_edit.setText("lots")
    with pytest.raises(ValueError, match="reg_covar must be a number"):
        bar.chosen()


def test_the_settings_are_kept_for_the_next_launch(window, qtbot):
    choose(window, "spherical")
    window.model_bar.max_iter_spin.setValue(40)
    assert load_model_settings() == ModelSettings("spherical", max_iter=40)
    other = MainWindow()
    qtbot.addWidget(other)
    assert other.model_bar.covariance_combo.currentData() == "spherical"
    assert other.model_bar.max_iter_spin.value() == 40
    assert other.open_sample("faithful")
    assert other.session.stepper.settings == ModelSettings("spherical", max_iter=40)
    other.close()


def test_the_tools_and_the_exports_use_the_settings(window, qtbot, monkeypatch, tmp_path):
    choose(window, "tied")
    type_in(window.model_bar.reg_covar_edit, "0.01")
    # Restarts: every run fits tied Gaussians with the settings' reg_covar.
    window.analysis_actions["restarts"].trigger()
    dock = window.analysis_tools["restarts"]
    dock.n_spin.setValue(3)
    with qtbot.waitSignal(dock.result_changed, timeout=60_000) as blocker:
        dock.run()
    assert all(run.mixture.covariance_type == "tied" for run in blocker.args[0].runs)
    # Choose K: the settings' regularisation (its fits climb to a tolerance of their own).
    seen = {}
    real = kselect_module.choose_k

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(kselect_module, "choose_k", spy)
    window.analysis_actions["choose_k"].trigger()
    choose_k = window.analysis_tools["choose_k"]
    choose_k.k_max_spin.setValue(2)
    with qtbot.waitSignal(choose_k.work_finished, timeout=60_000):
        choose_k.run()
    assert seen["reg_covar"] == 0.01 and "tol" not in seen and "max_iter" not in seen
    # The parameter file records them.
    window.actions_by_name["next_iteration"].trigger()
    path = tmp_path / "fit.json"
    assert window.export_parameters(path)
    doc = json.loads(path.read_text())
    assert doc["covariance_type"] == "tied" and doc["fit"]["reg_covar"] == 0.01


def test_the_prior_check_box_fits_map_and_names_the_log_posterior(window, qtbot):
    bar = window.model_bar
    assert "collapsing onto a point" in bar.prior_check.toolTip()
    assert "log-posterior" in bar.prior_check.toolTip()
    assert not bar.prior_check.isChecked()
    session = window.session
    bar.prior_check.setChecked(True)
    assert window.workspace.settings.prior and session.stepper.prior
    assert "prior on" in window.statusBar().currentMessage()
    window.actions_by_name["run"].trigger()
    assert session.wait_idle() and session.snapshot.log_posterior
    qtbot.waitUntil(lambda: "log-posterior" in window.status_panel.ll_label.text())
    assert "log-likelihood" not in window.status_panel.ll_label.text()
    assert "log-posterior" in window.loglik_panel.getPlotItem().getAxis("left").labelText
    assert load_model_settings().prior  # kept for the next launch
    window.actions_by_name["undo"].trigger()  # the run: back to the start (issue 13)
    assert session.stepper.index == 0 and session.stepper.settings.prior
    window.actions_by_name["undo"].trigger()
    assert not bar.prior_check.isChecked() and not session.stepper.prior
