"""A table of the Gaussians: weight, mean, standard deviations and correlation of each.

Each row is tinted with its component's colour. Before a run (while the start may be edited) the
numbers can be typed over; the table reports the new value and the controller moves the Gaussian.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from gmm_gui.model import Mixture
from gmm_gui.ui.colors import qcolor

__all__ = ["ComponentTable", "component_rows"]

_FIELD_ROLE = Qt.ItemDataRole.UserRole + 1


def component_rows(mixture: Mixture) -> list[dict[str, float]]:
    """The numbers the table shows for each component.

    Returns
    -------
    rows : list of dict
        One per component with keys ``weight``, ``mean0`` (``mean1``), ``sd0`` (``sd1``,
        ``corr`` in 2-D).
    """
    rows = []
    d = mixture.n_features
    for k in range(mixture.n_components):
        cov = np.asarray(mixture.covariances[k])
        sd = np.sqrt(np.diag(cov))
        row = {"weight": float(mixture.weights[k])}
        for j in range(d):
            row[f"mean{j}"] = float(mixture.means[k, j])
            row[f"sd{j}"] = float(sd[j])
        if d == 2:
            row["corr"] = float(cov[0, 1] / (sd[0] * sd[1]))
        rows.append(row)
    return rows


def _wrap(name: str, width: int = 9) -> str:
    """Break a long column name after a '.', '_', '-' or space near its middle (for headers)."""
    if len(name) <= width:
        return name
    breaks = [i + 1 for i, ch in enumerate(name[:-1]) if ch in "._- "]
    if not breaks:
        return name
    cut = min(breaks, key=lambda i: abs(i - len(name) / 2))
    return name[:cut].rstrip() + "\n" + name[cut:].lstrip()


def _fmt(value: float) -> str:
    """About four significant digits, in plain notation where that stays short."""
    magnitude = abs(value)
    if magnitude == 0 or not np.isfinite(value):
        return f"{value:g}"
    if 1e-3 <= magnitude < 1e7:
        decimals = max(0, 3 - int(np.floor(np.log10(magnitude))))
        return f"{value:.{decimals}f}"
    return f"{value:.4g}"


class ComponentTable(QTableWidget):
    """One row per Gaussian.

    Signals
    -------
    value_edited(int, str, float)
        Component (0-based), field (``weight``, ``mean0``, ``mean1``, ``sd0``, ``sd1``,
        ``corr``) and the new value typed by the user.
    invalid_value(str)
        The user typed something that is not a number.
    component_selected(int)
        The selected row (-1: none).
    """

    value_edited = Signal(int, str, float)
    invalid_value = Signal(str)
    component_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 0, parent)
        self.setObjectName("component_table")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setAlternatingRowColors(False)
        self.setMinimumHeight(110)
        self._fields: list[str] = []
        self._columns: tuple[str, ...] = ()
        self._editable = False
        self._shown: Mixture | None = None  # the mixture the cells show
        self._values: list[dict[str, float]] = []
        self.itemChanged.connect(self._on_item_changed)
        self.itemSelectionChanged.connect(self._on_selection)
        self.setToolTip(
            "The Gaussians: weight (share of the points), mean, standard deviations and "
            "correlation.\nBefore a run, double-click a number and type a new one to move or "
            "reshape that Gaussian."
        )

    @property
    def editable(self) -> bool:
        """True when the numbers may be typed over."""
        return self._editable

    @property
    def fields(self) -> list[str]:
        """The field shown in each column after the first."""
        return list(self._fields)

    def set_columns(self, columns: Sequence[str]) -> None:
        """Name the data's features (one or two), for the headers."""
        self._columns = tuple(columns)
        self._shown = None  # the cells are filled again for the new columns
        d = len(self._columns)
        self._fields = ["weight"] + [f"mean{j}" for j in range(d)] + [f"sd{j}" for j in range(d)]
        headers = ["Gaussian", "weight"]
        headers += [f"mean\n{_wrap(c)}" for c in self._columns]
        headers += [f"sd\n{_wrap(c)}" for c in self._columns]
        if d == 2:
            self._fields.append("corr")
            headers.append("correlation")
        self.blockSignals(True)
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        tips = {
            "weight": "Share of the points this Gaussian explains (the weights add up to 1).",
            "corr": "Correlation of the two features within this Gaussian (-1 .. 1): the tilt "
            "of its ellipse.",
        }
        for col, field in enumerate(self._fields, start=1):
            tip = tips.get(field)
            if tip is None and field.startswith("mean"):
                tip = f"Centre of the Gaussian along {self._columns[int(field[-1])]}."
            if tip is None:
                tip = f"Standard deviation (width) along {self._columns[int(field[-1])]}."
            self.horizontalHeaderItem(col).setToolTip(tip)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.blockSignals(False)
        self.setMinimumWidth(self.readable_width())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """A new font (presentation mode): the readable width changes with it."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self.columnCount():
            self.setMinimumWidth(self.readable_width())

    def readable_width(self) -> int:
        """The narrowest width at which every column still shows a number such as
        ``-1234.56`` and its header in full (the table's minimum width, so docks beside it
        cannot squeeze it into "0.5..." columns)."""
        fm = self.fontMetrics()
        header_fm = self.horizontalHeader().fontMetrics()
        pad = 2 * self.style().pixelMetric(self.style().PixelMetric.PM_HeaderMargin) + 10
        width = 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()
        for col in range(self.columnCount()):
            item = self.horizontalHeaderItem(col)
            lines = (item.text() if item is not None else "").split("\n")
            needed = max(header_fm.horizontalAdvance(line) for line in lines)
            sample = "Gaussian 10" if col == 0 else "-1234.56"
            needed = max(needed, fm.horizontalAdvance(sample) + (24 if col == 0 else 0))
            width += needed + pad
        return width

    def set_mixture(self, mixture: Mixture | None, editable: bool) -> None:
        """Fill the table from ``mixture`` (signals blocked, so nothing loops).

        The same mixture object with the same editability (an E-step) changes nothing, unless
        a value was typed over since.
        """
        if mixture is not None and mixture is self._shown and bool(editable) == self._editable:
            return
        self._shown = mixture
        self._editable = bool(editable)
        selected = self.selected_component()
        self.blockSignals(True)
        try:
            self._values = [] if mixture is None else component_rows(mixture)
            self.setRowCount(len(self._values))
            flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
            for k, row in enumerate(self._values):
                name = QTableWidgetItem(f"{k + 1}")
                name.setFlags(flags)
                name.setData(Qt.ItemDataRole.DecorationRole, qcolor(k))
                name.setBackground(qcolor(k, 70))
                name.setToolTip(f"Gaussian {k + 1}, drawn in this colour")
                self.setItem(k, 0, name)
                for col, field in enumerate(self._fields, start=1):
                    item = QTableWidgetItem(_fmt(row[field]))
                    item.setData(_FIELD_ROLE, field)
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                    item.setBackground(qcolor(k, 35))
                    item.setFlags(flags | Qt.ItemFlag.ItemIsEditable if editable else flags)
                    self.setItem(k, col, item)
            if 0 <= selected < len(self._values):
                self.selectRow(selected)
        finally:
            self.blockSignals(False)

    def value(self, k: int, field: str) -> float:
        """The number shown for component ``k`` and ``field`` (full precision)."""
        return self._values[k][field]

    def cell_of(self, k: int, field: str) -> tuple[int, int]:
        """(row, column) of a value."""
        return k, self._fields.index(field) + 1

    def selected_component(self) -> int:
        """The selected row, or -1."""
        rows = {index.row() for index in self.selectedIndexes()}
        return min(rows) if rows else -1

    @Slot(int)
    def select_component(self, k: int) -> None:
        """Select row ``k`` (-1 clears) without re-emitting."""
        self.blockSignals(True)
        if 0 <= k < self.rowCount():
            self.selectRow(k)
        else:
            self.clearSelection()
        self.blockSignals(False)

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        field = item.data(_FIELD_ROLE)
        if field is None:
            return
        k = item.row()
        text = item.text().strip()
        try:
            value = float(text)
        except ValueError:
            self.blockSignals(True)
            item.setText(_fmt(self._values[k][field]))
            self.blockSignals(False)
            self.invalid_value.emit(f"{text!r} is not a number")
            return
        if k < len(self._values) and value == float(_fmt(self._values[k][field])):
            return  # unchanged text
        # The cell no longer shows the mixture: the next set_mixture fills it again, even with
        # the same mixture (the value was refused, and the start stays as it was).
        self._shown = None
        self.value_edited.emit(k, str(field), value)

    @Slot()
    def _on_selection(self) -> None:
        self.component_selected.emit(self.selected_component())
