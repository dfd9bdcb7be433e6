"""Opening data in the window: File > Open, the column picker, drops, samples, errors.

The workspace reads the files (in the background when large); this is the window's side of it:
the dialogs, the column picker when a file has more than two numeric columns, and the messages
that say why a file could not be opened (as plain text: they quote the file).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QWidget

from gmm_gui.controller.workspace import LoadRequest, Workspace
from gmm_gui.io import ColumnChoiceRequired
from gmm_gui.model import Mixture
from gmm_gui.resources import Sample, get_sample
from gmm_gui.ui.dialogs.columns import ColumnPickerDialog

__all__ = ["DATA_FILTER", "FileOpener"]

DATA_FILTER = "Data files (*.csv *.tsv *.txt *.dat *.npy *.npz);;All files (*)"


class FileOpener(QObject):
    """Opens files and samples for a window.

    Parameters
    ----------
    window : QWidget
        The dialogs' parent.
    workspace : Workspace
    n_components : callable() -> int
        K of a start when none is asked for (the K box).
    use_start_of : callable(Sample)
        Makes the toolbar show a sample's own start method and seed before it opens.
    show_error : callable(title, text)
        A message box for a file that cannot be opened.
    """

    def __init__(
        self,
        window: QWidget,
        workspace: Workspace,
        n_components: Callable[[], int],
        use_start_of: Callable[[Sample], None],
        show_error: Callable[[str, str], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._workspace = workspace
        self._n_components = n_components
        self._use_start_of = use_start_of
        self._show_error = show_error
        workspace.load_failed.connect(self._on_load_failed)
        workspace.columns_required.connect(self._on_columns_required)

    def open_dialog(self) -> None:
        """File > Open."""
        dataset = self._workspace.dataset
        start = str(Path(dataset.path).parent) if dataset else ""
        path, _ = QFileDialog.getOpenFileName(self._window, "Open data", start, DATA_FILTER)
        if path:
            self.open_file(path)

    def open_file(
        self,
        path: str | os.PathLike[str],
        columns: Sequence[str] | None = None,
        *,
        n_components: int | None = None,
        title: str | None = None,
        interactive: bool = True,
        ask_columns: bool | None = None,
        start: Mixture | None = None,
    ) -> bool:
        """Load a data file and show it with a new start; on failure keep the data open.

        Parameters
        ----------
        path : str or path-like
        columns : sequence of str, optional
            The columns to fit; a file with more than two numeric columns asks (column picker)
            when ``interactive``, otherwise fails.
        n_components : int, optional
            K of the first start (default: the K box).
        title : str, optional
            Shown above the plot instead of the file name.
        interactive : bool
            Problems are shown in a message box (else raised as ``DataError``); large files
            are read in the background.
        ask_columns : bool, optional
            Show the column picker for a file with more than two numeric columns (default:
            ``interactive``).
        start : Mixture, optional
            The first start (a sample's hand-placed one); default: drawn by the toolbar's
            method and seed with ``n_components`` Gaussians.

        Returns
        -------
        bool
            True if the file was opened (or is being read in the background).
        """
        if start is not None:
            n_components = start.n_components
        k = int(self._n_components() if n_components is None else n_components)

        def open_with(chosen: Sequence[str] | None, background: bool | None) -> bool:
            return self._workspace.open_file(
                path, chosen, n_components=k, title=title, start=start, background=background
            )

        try:
            try:  # large files are read in the background only when interactive
                return open_with(columns, None if interactive else False)
            except ColumnChoiceRequired as exc:
                if not (interactive if ask_columns is None else ask_columns):
                    raise
                chosen = ColumnPickerDialog.choose(
                    exc.numeric_columns, Path(path).name, self._window
                )
                return bool(chosen) and open_with(chosen, False)
        except ValueError as exc:  # DataError is a ValueError, so is a bad K
            if not interactive:
                raise
            self._show_error("Cannot open the file", str(exc))
            return False

    def open_sample(self, key: str) -> bool:
        """Open a bundled sample with its columns and its usual K."""
        sample: Sample = get_sample(key)
        self._use_start_of(sample)
        return self.open_file(
            sample.path,
            sample.columns,
            n_components=sample.n_components,
            title=sample.title,
            start=sample.start_mixture(),
        )

    @staticmethod
    def accept_drag(event: QDragEnterEvent) -> None:
        """Accept a dragged local file."""
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop(self, event: QDropEvent) -> None:
        """Open a file dropped on the window."""
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.open_file(urls[0].toLocalFile())

    @Slot(str, object, object)
    def _on_columns_required(
        self, path: str, numeric: Sequence[str], request: LoadRequest
    ) -> None:
        chosen = ColumnPickerDialog.choose(numeric, Path(path).name, self._window)
        if chosen:
            self._workspace.open_request(replace(request, columns=tuple(chosen)))

    @Slot(str, str)
    def _on_load_failed(self, _path: str, message: str) -> None:
        self._show_error("Cannot open the file", message)
