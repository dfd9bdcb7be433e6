"""The Gaussian selected: the same in the component table and on the plot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Slot

from gmm_gui.ui.panels import ComponentTable

__all__ = ["ComponentSelection"]


class _Selectable(Protocol):
    def set_selected_component(self, k: int) -> None: ...


class ComponentSelection(QObject):
    """Keeps the selection of the component table and of the plot view in step.

    Parameters
    ----------
    table : ComponentTable
    view : callable ``() -> view or None``
        The plot view shown now.
    parent : QObject, optional
    """

    def __init__(
        self,
        table: ComponentTable,
        view: Callable[[], _Selectable | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._table = table
        self._view = view
        self._selected = -1
        table.component_selected.connect(self.select)

    def current(self) -> int:
        """The Gaussian selected (on the plot or in the table), or -1."""
        return self._selected if self._selected >= 0 else self._table.selected_component()

    def forget(self) -> None:
        """No Gaussian is selected here any more (new data, or the selected one removed)."""
        self._selected = -1

    def fit(self, n_components: int) -> None:
        """Clear the selection when the Gaussian selected no longer exists."""
        if self._selected >= n_components:
            self._selected = -1
            self._table.select_component(-1)
            view = self._view()
            if view is not None:
                view.set_selected_component(-1)

    @Slot(int)
    def select(self, k: int) -> None:
        """Select Gaussian ``k`` (-1: none) in the table and the view, from either."""
        self._selected = int(k)
        if self.sender() is not self._table:
            self._table.select_component(k)
        view = self._view()
        if view is not None and self.sender() is not view:
            view.set_selected_component(k)
