"""File > Import parameters, Export parameters / responsibilities / plot, and screenshots.

Every file is written atomically (:mod:`gmm_gui.io.atomic`): a failure never leaves half a file
or harms the one that was there, and no fixed temporary name is ever followed through a link.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from gmm_gui.controller.stepper import StartInfo
from gmm_gui.io.atomic import atomic_path
from gmm_gui.io.mixture_file import check_start_for_data, read_mixture, write_mixture
from gmm_gui.io.responsibilities import write_responsibilities

if TYPE_CHECKING:
    from gmm_gui.controller.workspace import Workspace
    from gmm_gui.ui.overlay import ViewOverlay

__all__ = ["PARAMETER_FILTER", "Exports", "save_screenshot"]

PARAMETER_FILTER = "Parameter files (*.json);;All files (*)"


def save_screenshot(widget: QWidget, path: str | os.PathLike[str]) -> None:
    """Save ``widget`` (the whole window) as a PNG, atomically (for ``--screenshot``).

    Raises
    ------
    OSError
        If the picture cannot be written.
    """
    picture = widget.grab()
    with atomic_path(path) as tmp:
        if not picture.save(str(tmp), "PNG"):
            raise OSError(f"{path}: cannot write the picture")


class Exports(QObject):
    """The File menu's parameter, responsibility and plot files.

    Parameters
    ----------
    workspace : Workspace
        The session and the data open.
    overlay : ViewOverlay
        The plot shown (exported by :meth:`export_plot`); problems and confirmations go to its
        messages.
    parent : QWidget
        The parent of the file dialogs.
    """

    def __init__(self, workspace: Workspace, overlay: ViewOverlay, parent: QWidget) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._overlay = overlay
        self._parent = parent

    def _suggest(self, name: str) -> str:
        dataset = self._workspace.dataset
        if dataset is None:
            return name
        return str(Path.cwd() / f"{Path(dataset.path).stem}-{name}")

    # ------------------------------------------------------------------ parameters
    def import_parameters_dialog(self) -> None:
        """File > Import parameters."""
        path, _ = QFileDialog.getOpenFileName(
            self._parent, "Import parameters", "", PARAMETER_FILTER
        )
        if path:
            self.import_parameters(path)

    def import_parameters(self, path: str | os.PathLike[str], *, interactive: bool = True) -> bool:
        """Use the mixture of a parameter file as the start (undoable).

        A problem is shown in a message box (or only kept as the window's last problem when
        not ``interactive``); the start then stays as it was. The file is checked against the
        data open by :func:`gmm_gui.io.check_start_for_data`, as ``gmm-fit --init`` checks it
        (K = 1000 onto 60 points is refused).
        """
        ws, say = self._workspace, self._overlay
        stepper = ws.session.stepper
        if stepper is None:
            say.show_error("Cannot import parameters", "Open a data file first.", interactive)
            return False
        try:
            mixture, info = read_mixture(path, n_features=stepper.n_features)
            if ws.dataset is not None:
                check_start_for_data(mixture, ws.dataset.values, path)
        except ValueError as exc:
            say.show_error("Cannot import parameters", str(exc), interactive)
            return False
        ws.session.set_start(mixture, StartInfo("imported", mixture.n_components))
        dataset = ws.dataset
        if dataset is not None and tuple(info.columns) != tuple(dataset.columns):
            self._overlay.show_problem(
                f"Note: the parameters were saved for columns {', '.join(info.columns)}; "
                f"the data open has {', '.join(dataset.columns)}."
            )
        return True

    def export_parameters_dialog(self) -> None:
        """File > Export parameters."""
        path, _ = QFileDialog.getSaveFileName(
            self._parent, "Export parameters", self._suggest("parameters.json"), PARAMETER_FILTER
        )
        if path:
            self.export_parameters(path)

    def export_parameters(self, path: str | os.PathLike[str], *, interactive: bool = True) -> bool:
        """Write the Gaussians shown to a parameter file (also ``gmm-gui --export``).

        A problem is shown in a message box, or only kept as the window's last problem when
        not ``interactive``; returns whether the file was written.
        """
        ws = self._workspace
        stepper, snap, dataset = ws.session.stepper, ws.session.snapshot, ws.dataset
        if stepper is None or snap is None or snap.mixture is None or dataset is None:
            self._overlay.show_error(
                "Nothing to export", "There are no Gaussians to export yet.", interactive
            )
            return False
        try:
            write_mixture(path, snap.mixture, dataset.columns, stepper.fit_info(snap))
        except (OSError, ValueError) as exc:
            self._overlay.show_error("Cannot export parameters", f"{path}: {exc}", interactive)
            return False
        self._overlay.show_message(f"Parameters saved to {path}")
        return True

    # ------------------------------------------------------------------ responsibilities
    def export_responsibilities_dialog(self) -> None:
        """File > Export responsibilities."""
        path, _ = QFileDialog.getSaveFileName(
            self._parent,
            "Export responsibilities",
            self._suggest("responsibilities.csv"),
            "CSV files (*.csv);;All files (*)",
        )
        if path:
            self.export_responsibilities(path)

    def export_responsibilities(self, path: str | os.PathLike[str]) -> bool:
        """Write each point's responsibilities for the Gaussians shown as CSV."""
        ws = self._workspace
        stepper, snap, dataset = ws.session.stepper, ws.session.snapshot, ws.dataset
        if stepper is None or snap is None or snap.mixture is None or dataset is None:
            self._overlay.show_error("Nothing to export", "There are no Gaussians yet.")
            return False
        try:
            resp = stepper.responsibilities(snap)
            write_responsibilities(path, resp, dataset.row_index)
        except (OSError, ValueError) as exc:
            self._overlay.show_error("Cannot export responsibilities", f"{path}: {exc}")
            return False
        self._overlay.show_message(f"Responsibilities saved to {path}")
        return True

    # ------------------------------------------------------------------ the plot
    def export_plot_dialog(self) -> None:
        """File > Export plot."""
        path, chosen = QFileDialog.getSaveFileName(
            self._parent,
            "Export plot",
            self._suggest("plot.png"),
            "PNG image (*.png);;SVG drawing (*.svg)",
        )
        if not path:
            return
        if Path(path).suffix.lower() not in (".png", ".svg"):
            path += ".svg" if "SVG" in chosen else ".png"
        self.export_plot(path)

    def export_plot(self, path: str | os.PathLike[str]) -> bool:
        """Save the plot as PNG or SVG (by suffix)."""
        view = self._overlay.view
        if view is None:
            self._overlay.show_error("Nothing to export", "Open a data file first.")
            return False
        try:
            view.export_image(path)
        except (OSError, ValueError) as exc:
            self._overlay.show_error("Cannot export the plot", f"{path}: {exc}")
            return False
        self._overlay.show_message(f"Plot saved to {path}")
        return True
