"""Pick one or two numeric columns of a file that has more."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ColumnPickerDialog"]


class ColumnPickerDialog(QDialog):
    """Tick one column (1-D view) or two (2-D view) of the numeric columns of a file.

    Parameters
    ----------
    columns : sequence of str
        The numeric columns offered.
    file_name : str
        Shown in the title.
    preselect : sequence of str, optional
        Columns ticked at first (default: the first two).
    """

    def __init__(
        self,
        columns: Sequence[str],
        file_name: str = "",
        preselect: Sequence[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("column_picker")
        self.setWindowTitle(f"Choose columns — {file_name}" if file_name else "Choose columns")
        layout = QVBoxLayout(self)
        label = QLabel(
            "This file has more than two numeric columns. Tick one column for a 1-D view or "
            "two for a 2-D view."
        )
        label.setWordWrap(True)
        layout.addWidget(label)
        self.list = QListWidget()
        self.list.setToolTip("Tick one or two columns to fit.")
        chosen = list(preselect) if preselect is not None else list(columns[:2])
        for name in columns:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked
            )
            self.list.addItem(item)
        layout.addWidget(self.list)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setToolTip(
            "Open the file with the ticked columns."
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip(
            "Keep the data already open."
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.list.itemChanged.connect(self._update_ok)
        self._update_ok()

    def selected_columns(self) -> list[str]:
        """The ticked columns, in file order."""
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.text())
        return out

    def set_selected(self, names: Sequence[str]) -> None:
        """Tick exactly ``names``."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            ticked = item.text() in names
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)

    def _update_ok(self, *_args: object) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(1 <= len(self.selected_columns()) <= 2)

    @staticmethod
    def choose(
        columns: Sequence[str], file_name: str = "", parent: QWidget | None = None
    ) -> list[str] | None:
        """Show the dialog; the ticked columns, or ``None`` if cancelled."""
        dialog = ColumnPickerDialog(columns, file_name, parent=parent)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.selected_columns()
        return None
