"""The window's actions: text, shortcut and tooltip of every command, in one table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from gmm_gui.controller.workspace import WorkspaceState

__all__ = ["ActionSpec", "ACTIONS", "make_actions", "update_actions"]


@dataclass(frozen=True)
class ActionSpec:
    """One command of the window."""

    name: str
    text: str
    shortcut: str | QKeySequence.StandardKey | None
    tip: str
    checkable: bool = False


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open", "&Open…", "Ctrl+O", "Open a data file (CSV, TSV, TXT, NPY, NPZ)."),
    ActionSpec(
        "import_parameters",
        "&Import parameters…",
        None,
        "Use the Gaussians of a parameter file (JSON) as the start.",
    ),
    ActionSpec(
        "export_parameters",
        "&Export parameters…",
        "Ctrl+S",
        "Save the Gaussians shown (weights, means, covariances) as a JSON parameter file.",
    ),
    ActionSpec(
        "export_responsibilities",
        "Export &responsibilities…",
        None,
        "Save each point's responsibility for each Gaussian as a CSV file.",
    ),
    ActionSpec("export_plot", "Export &plot…", None, "Save the plot as a PNG or SVG picture."),
    ActionSpec("quit", "&Quit", "Ctrl+Q", "Close gmm-gui."),
    ActionSpec("undo", "&Undo", "Ctrl+Z", "Undo the last change to the starting Gaussians."),
    ActionSpec("redo", "&Redo", "Ctrl+Shift+Z", "Redo the change just undone."),
    ActionSpec(
        "delete",
        "&Delete Gaussian",
        "Delete",
        "Remove the selected Gaussian from the start (select it by clicking its centre or "
        "its row in the table).",
    ),
    ActionSpec(
        "step_e",
        "Step &E",
        "E",
        "E-step: compute each point's responsibilities (which Gaussian explains it): the "
        "points recolour.",
    ),
    ActionSpec(
        "step_m",
        "Step &M",
        "M",
        "M-step: re-estimate each Gaussian from the points it is responsible for: the "
        "Gaussians move.",
    ),
    ActionSpec("next_iteration", "&Next iteration", "N", "One E-step followed by one M-step."),
    ActionSpec(
        "play",
        "&Play",
        "Space",
        "Play the half-steps one after the other (Space pauses); set the speed on the right.",
        checkable=True,
    ),
    ActionSpec(
        "run",
        "Run to &convergence",
        "C",
        "Iterate until the log-likelihood stops improving (or 100 iterations).",
    ),
    ActionSpec(
        "reset",
        "&Reset to start",
        "R",
        "Go back to the starting Gaussians (they can be edited again); Undo brings the run back.",
    ),
    ActionSpec(
        "cancel", "Cancel", "Escape", "Stop the computation in progress (keeping what is done)."
    ),
)


def make_actions(parent: QWidget) -> dict[str, QAction]:
    """Create every action of :data:`ACTIONS` with ``parent`` as owner, keyed by name."""
    out: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.text, parent)
        action.setObjectName(f"action_{spec.name}")
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        tip = f"{spec.tip} ({shortcut})" if shortcut else spec.tip
        action.setToolTip(tip)
        action.setStatusTip(spec.tip)
        action.setCheckable(spec.checkable)
        out[spec.name] = action
    return out


def update_actions(
    actions: Mapping[str, QAction], state: WorkspaceState, *, has_view: bool
) -> None:
    """Enable the actions for what can be done now (and name Undo/Redo's edit).

    Parameters
    ----------
    actions : mapping of str to QAction
        The actions of :func:`make_actions`.
    state : WorkspaceState
        The workspace's state now (its session's history and jobs, a background load).
    has_view : bool
        A plot is shown (it can be exported).
    """
    a = actions
    playing = state.playing
    has = state.snapshot is not None
    next_phase = state.next_phase
    has_mixture = state.has_mixture
    a["step_e"].setEnabled(next_phase == "E")
    a["step_m"].setEnabled(next_phase == "M")
    a["next_iteration"].setEnabled(next_phase is not None)
    a["play"].setEnabled(next_phase is not None or playing)
    # blockSignals, not QSignalBlocker: with PySide6 6.12 on Python 3.11 every
    # QSignalBlocker drops one reference to None, which aborts the process after a while.
    was_blocked = a["play"].blockSignals(True)
    a["play"].setChecked(playing)
    a["play"].blockSignals(was_blocked)
    a["play"].setText("&Pause" if playing else "&Play")
    a["run"].setEnabled(next_phase is not None and not state.busy)
    a["reset"].setEnabled(has and state.history_length > 1)
    a["cancel"].setEnabled(state.busy or playing or state.loading is not None)
    a["undo"].setEnabled(state.can_undo)
    a["redo"].setEnabled(state.can_redo)
    a["undo"].setText(f"&Undo: {state.undo_text}" if state.can_undo else "&Undo")
    a["redo"].setText(f"&Redo: {state.redo_text}" if state.can_redo else "&Redo")
    a["delete"].setEnabled(state.editable and has_mixture)
    for name in ("export_parameters", "export_responsibilities"):
        a[name].setEnabled(has_mixture)
    a["export_plot"].setEnabled(has_view)
    a["import_parameters"].setEnabled(has)
