"""The Model settings toolbar: covariance, regularisation, tolerance, iterations, prior (#11).

:class:`ModelSettingsBar` shows the workspace's :class:`~gmm_gui.controller.settings.ModelSettings`
(they follow Undo and Redo) and hands a change to ``workspace.set_settings``: with data open EM
starts again from the start with them, one undoable edit. The settings chosen last are kept in the
app's settings (:func:`gmm_gui.ui.recent.settings`) and used again at the next launch.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox, QToolBar, QWidget

from gmm_gui.controller.settings import ModelSettings
from gmm_gui.controller.workspace import Workspace, WorkspaceState
from gmm_gui.model import COVARIANCE, COVARIANCE_TYPES
from gmm_gui.ui.recent import settings as app_settings

__all__ = ["ModelSettingsBar", "load_model_settings", "save_model_settings"]

_KEY = "model_settings"

_COVARIANCE_TIP = (
    "The shapes the Gaussians may take. full: any ellipse each; tied: one ellipse shape shared "
    "by all; diag: ellipses along the axes; spherical: circles."
)
_REG_TIP = (
    "A small amount added to every variance at each M-step, so that no Gaussian can shrink onto "
    "a single point (0 turns it off)."
)
_TOL_TIP = (
    "EM has converged when the mean log-likelihood per point improves by less than this from "
    "one iteration to the next."
)
_MAX_ITER_TIP = "Run to convergence stops after this many iterations in any case."
_PRIOR_TIP = (
    "mclust's conjugate prior: keeps a Gaussian from collapsing onto a point; the curve then "
    "shows the log-posterior"
)


def _as_bool(value: object) -> bool:
    """A flag read back from QSettings (which may hand back the text "true" or "false")."""
    if isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"not a flag: {value!r}")
        return value.lower() in ("true", "1")
    return bool(value)


def load_model_settings() -> ModelSettings:
    """The model settings saved last (the defaults if none, or if they cannot be used)."""
    store = app_settings()
    default = ModelSettings()
    try:
        return ModelSettings(
            str(store.value(f"{_KEY}/covariance_type", default.covariance_type)),
            float(store.value(f"{_KEY}/reg_covar", default.reg_covar)),
            float(store.value(f"{_KEY}/tol", default.tol)),
            int(store.value(f"{_KEY}/max_iter", default.max_iter)),
            _as_bool(store.value(f"{_KEY}/prior", default.prior)),
        )
    except (TypeError, ValueError):  # edited by hand, or from another version
        return default


def save_model_settings(settings: ModelSettings) -> None:
    """Keep ``settings`` for the next launch."""
    store = app_settings()
    for name, value in settings.stepper_options().items():
        store.setValue(f"{_KEY}/{name}", value)
    store.sync()


def _label(text: str, tip: str) -> QLabel:
    label = QLabel(text)
    label.setToolTip(tip)
    return label


def _number_edit(name: str, tip: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setToolTip(tip)
    edit.setFixedWidth(80)
    validator = QDoubleValidator(0.0, 1e300, 12, edit)
    validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
    edit.setValidator(validator)
    return edit


class ModelSettingsBar(QToolBar):
    """The window's Model settings toolbar.

    Parameters
    ----------
    workspace : Workspace
        Whose settings are shown and set; it is given the settings saved last.
    parent : QWidget, optional

    Signals
    -------
    message(str)
        A sentence for the status line: what a change did.
    problem(str)
        A value that cannot be used, and why (the settings stay as they were).
    """

    message = Signal(str)
    problem = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__("Model settings", parent)
        self.setObjectName("model_toolbar")
        self.setMovable(False)
        self._workspace = workspace
        self._shown = ModelSettings()
        self.addWidget(_label(" Covariance ", _COVARIANCE_TIP))
        self.covariance_combo = QComboBox()
        self.covariance_combo.setObjectName("covariance_combo")
        self.covariance_combo.setToolTip(_COVARIANCE_TIP)
        for i, name in enumerate(COVARIANCE_TYPES):
            self.covariance_combo.addItem(name, name)
            tip = f"{name}: {COVARIANCE[name].description}."
            self.covariance_combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.addWidget(self.covariance_combo)
        self.addWidget(_label(" reg_covar ", _REG_TIP))
        self.reg_covar_edit = _number_edit("reg_covar_edit", _REG_TIP)
        self.addWidget(self.reg_covar_edit)
        self.addWidget(_label(" tol ", _TOL_TIP))
        self.tol_edit = _number_edit("tol_edit", _TOL_TIP)
        self.addWidget(self.tol_edit)
        self.addWidget(_label(" max_iter ", _MAX_ITER_TIP))
        self.max_iter_spin = QSpinBox()
        self.max_iter_spin.setObjectName("max_iter_spin")
        self.max_iter_spin.setRange(1, 100_000)
        self.max_iter_spin.setToolTip(_MAX_ITER_TIP)
        self.addWidget(self.max_iter_spin)
        self.prior_check = QCheckBox("Prior (MAP)")
        self.prior_check.setObjectName("prior_check")
        self.prior_check.setToolTip(_PRIOR_TIP)
        self.addWidget(self.prior_check)
        workspace.set_settings(load_model_settings())
        self.show_settings(workspace.settings)
        self.covariance_combo.currentIndexChanged.connect(self._on_edited)
        self.reg_covar_edit.editingFinished.connect(self._on_edited)
        self.tol_edit.editingFinished.connect(self._on_edited)
        self.max_iter_spin.valueChanged.connect(self._on_edited)
        self.prior_check.toggled.connect(self._on_edited)
        workspace.state_changed.connect(self._on_state)

    def show_settings(self, settings: ModelSettings) -> None:
        """Show ``settings`` (nothing is set)."""
        widgets = (
            self.covariance_combo,
            self.reg_covar_edit,
            self.tol_edit,
            self.max_iter_spin,
            self.prior_check,
        )
        # blockSignals, not QSignalBlocker (see ui/actions.py)
        blocked = [w.blockSignals(True) for w in widgets]
        self.covariance_combo.setCurrentIndex(
            self.covariance_combo.findData(settings.covariance_type)
        )
        self.reg_covar_edit.setText(f"{settings.reg_covar:g}")
        self.tol_edit.setText(f"{settings.tol:g}")
        self.max_iter_spin.setValue(settings.max_iter)
        self.prior_check.setChecked(settings.prior)
        for w, was in zip(widgets, blocked, strict=True):
            w.blockSignals(was)
        self._shown = settings

    def chosen(self) -> ModelSettings:
        """The settings the controls show.

        Raises
        ------
        ValueError
            A value cannot be used (the sentence says why).
        """
        values = []
        for name, edit in (("reg_covar", self.reg_covar_edit), ("tol", self.tol_edit)):
            try:
                values.append(float(edit.text()))
            except ValueError:
                raise ValueError(f"{name} must be a number, not {edit.text()!r}") from None
        covariance_type = str(self.covariance_combo.currentData())
        return ModelSettings(
            covariance_type,
            values[0],
            values[1],
            self.max_iter_spin.value(),
            self.prior_check.isChecked(),
        )

    @Slot()
    def _on_edited(self) -> None:
        try:
            chosen = self.chosen()
        except ValueError as exc:
            self.problem.emit(str(exc))
            self.show_settings(self._shown)
            return
        if chosen == self._shown:
            return
        ws = self._workspace
        ws.set_settings(chosen)
        save_model_settings(chosen)
        self.show_settings(ws.settings)
        if ws.session.stepper is not None:
            self.message.emit(
                f"Model settings changed ({chosen.covariance_type}, reg_covar "
                f"{chosen.reg_covar:g}, tol {chosen.tol:g}, max_iter {chosen.max_iter}"
                f"{', prior on' if chosen.prior else ''}): EM "
                "starts again from the start. Undo restores the previous settings."
            )

    @Slot(object)
    def _on_state(self, state: WorkspaceState) -> None:
        if state.settings != self._shown:
            self.show_settings(state.settings)  # after Undo, Redo, other data
